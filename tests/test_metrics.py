"""/metrics allocates nothing while rendering and agrees with itself (tests/cases_metrics.py),
under the PyPI unix port and on the yardstick (32-bit, 30-bit small ints)."""

import os
import subprocess

import pytest

from conftest import ROOT, TESTS, micropython_cases
from test_per_telegram import YARDSTICK

mp_results, test_micropython = micropython_cases("cases_metrics")


def test_on_the_yardstick():
    if not os.path.exists(YARDSTICK):
        pytest.skip("no yardstick at %s (see ../shared/tools/README.md)" % YARDSTICK)
    out = subprocess.run([YARDSTICK, "-X", "heapsize=256k", os.path.join(TESTS, "mp_cases.py"), "cases_metrics"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.count("ok case_") == 4 and "FAIL" not in out.stdout, out.stdout + out.stderr

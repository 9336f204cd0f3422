"""Nothing allocated per telegram (tests/cases_per_telegram.py), under the PyPI unix port
and on the yardstick (../shared/tools/micropython-esp32like: 32-bit, 30-bit small ints)."""

import os
import subprocess

import harness
import pytest

from conftest import MICROPYTHON, ROOT, TESTS, micropython_cases

YARDSTICK = harness.ESP32LIKE  # (../shared/tools/micropython-esp32like, or DSMR_ESP32LIKE)

mp_results, test_micropython = micropython_cases("cases_per_telegram")


def test_on_the_yardstick():
    if not os.path.exists(YARDSTICK):
        pytest.skip("no yardstick at %s (see ../shared/tools/README.md)" % YARDSTICK)
    out = subprocess.run([YARDSTICK, "-X", "heapsize=256k", os.path.join(TESTS, "mp_cases.py"),
                          "cases_per_telegram"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "ok case_nothing_is_allocated_per_telegram_on_the_whole_path" in out.stdout, out.stdout + out.stderr

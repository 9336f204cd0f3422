"""Nothing allocated per telegram (tests/cases_per_telegram.py), under the PyPI unix port
and on the yardstick (../shared/tools/micropython-esp32like: 32-bit, 30-bit small ints)."""

import os
import subprocess

import harness
import pytest

from conftest import MICROPYTHON, ROOT, TESTS, case_names, micropython_cases

YARDSTICK = harness.ESP32LIKE  # (../shared/tools/micropython-esp32like, or DSMR_ESP32LIKE)

mp_results, test_micropython = micropython_cases("cases_per_telegram")


@pytest.mark.parametrize("name", case_names("cases_per_telegram"))
def test_on_the_yardstick(name):
    """Each case in a process of its own: the yardstick frees a heap area that a
    collection leaves empty but never adds it back (../shared/tools/README.md's
    split heap; the ESP32 gives it back to the IDF and can grow again), so after
    one case's collections (lazy.load() collects) the next could find 88 KB of
    the 256k left and fail on its set-up, not on what it measures."""
    if not os.path.exists(YARDSTICK):
        pytest.skip("no yardstick at %s (see ../shared/tools/README.md)" % YARDSTICK)
    out = subprocess.run([YARDSTICK, "-X", "heapsize=256k", os.path.join(TESTS, "mp_cases.py"),
                          "cases_per_telegram", name], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "ok " + name in out.stdout, out.stdout + out.stderr

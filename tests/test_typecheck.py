"""The device code type-checks against MicroPython's ESP32 stubs (pyright).

Catches what only the dongle would show: a misspelt machine.UART argument, a
network call that does not exist, a module that is not there. The stubs live
in .stubs/ (installed by `make venv`), the settings in pyrightconfig.json.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.cpython_only  # host-side only: not run again on the yardstick

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_device_code_type_checks_against_the_esp32_stubs():
    if not shutil.which("node") and not os.environ.get("CI"):
        pytest.skip("pyright needs Node.js (apt-get install nodejs)")
    assert os.path.exists(os.path.join(ROOT, ".stubs", "machine.pyi")), "run `make venv`: .stubs is missing"
    pyright = os.path.join(os.path.dirname(sys.executable), "pyright")
    out = subprocess.run([pyright, "--outputjson"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    report = json.loads(out.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert report["summary"]["filesAnalyzed"] >= 20
    assert errors == [], "\n".join("%s:%d %s" % (e["file"], e["range"]["start"]["line"] + 1, e["message"])
                                   for e in errors)

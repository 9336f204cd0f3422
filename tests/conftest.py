"""Shared pytest setup: repo paths, the MicroPython binary, the repo, lib/ and tests/ on sys.path."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")
for _p in (ROOT, os.path.join(ROOT, "lib"), TESTS):  # firmware, dsmr, the cases (as mp_cases.py)
    sys.path.insert(0, _p)


def micropython_bin():
    import harness

    if harness.ON_YARDSTICK:
        return harness.MICROPYTHON  # the cases run from source on the yardstick too
    exe = os.path.join(os.path.dirname(sys.executable), "micropython")
    return exe if os.path.exists(exe) else shutil.which("micropython")


MICROPYTHON = micropython_bin()


def case_names(module):
    """The case_* functions of tests/<module>.py, read from its source (no import)."""
    import re

    with open(os.path.join(TESTS, module + ".py")) as f:
        return sorted(re.findall(r"^def (case_\w+)\(", f.read(), re.M))


def run_mp_cases(module):
    """Runs tests/<module>.py's cases under MicroPython: {name: None or error}."""
    import tempfile

    assert MICROPYTHON, "the micropython binary is missing: run `make venv`"
    tmp = tempfile.mkdtemp(prefix="dsmr-cases-")
    out = subprocess.run(
        [MICROPYTHON, os.path.join(TESTS, "mp_cases.py"), module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, DSMR_CASES_TMP=tmp),
    )
    shutil.rmtree(tmp, ignore_errors=True)
    results = {}
    for line in out.stdout.splitlines():
        if line.startswith("ok "):
            results[line[3:]] = None
        elif line.startswith("FAIL "):
            name, _, err = line[5:].partition(": ")
            results[name] = err
    if not results:
        raise AssertionError("micropython ran no case:\n" + out.stdout + out.stderr)
    return results


def micropython_cases(module):
    """A test per case_* of tests/<module>.py, all run in one MicroPython process:
    `mp_results, test_micropython = micropython_cases("cases_x")` in a test file."""

    @pytest.fixture(scope="module", name="mp_results")
    def results():
        return run_mp_cases(module)

    @pytest.mark.parametrize("name", case_names(module))
    def test_micropython(name, mp_results):
        assert name in mp_results, "case did not run under MicroPython"
        assert mp_results[name] is None, mp_results[name]

    return results, test_micropython


def built_for(arch):
    """A module-scoped fixture `built`: the device files compiled by tools/build.py for
    `arch` (xtensawin: the dongle; x64: this PC) into a folder of their own."""

    @pytest.fixture(scope="module", name="built")
    def built(tmp_path_factory):
        import harness

        if harness.ON_YARDSTICK and arch != "xtensawin":
            return harness.build_firmware()  # the yardstick runs the x86 build
        sys.path.insert(0, os.path.join(ROOT, "tools"))
        import build

        out = str(tmp_path_factory.mktemp(arch))
        build.build(arch, out)
        return out

    return built


@pytest.fixture(scope="session")
def fixture_bytes():
    def load(name):
        with open(os.path.join(TESTS, "fixtures", name + ".txt"), "rb") as f:
            return f.read()

    return load


@pytest.fixture
def meter():
    """A TCP meter (tests/harness.py) for one test; closed after it."""
    from harness import TcpMeter

    m = TcpMeter()
    yield m
    m.close()


@pytest.fixture
def fw(meter, tmp_path):
    """The firmware under MicroPython, reading P1 from `meter`; stopped after the test."""
    from harness import Firmware

    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)
    meter.wait_client()
    yield f
    f.stop()


def pytest_terminal_summary(terminalreporter):
    """One line that says what was skipped and why (`make test` runs with -q)."""
    why = {}
    for rep in terminalreporter.stats.get("skipped", []):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        reason = reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
        why[reason] = why.get(reason, 0) + 1
    if why:
        terminalreporter.write_line("skipped: " + "; ".join("%d x %s" % (n, r) for r, n in why.items()))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "cpython_only: a host-side test (CPython, pyright, mpy-cross) that the yardstick run skips")


def pytest_report_header(config):
    import harness

    return "firmware target: %s (%s), heap %s" % (harness.TARGET, harness.MICROPYTHON, harness.HEAP)

"""The simulated meter (firmware/simulator.py): tests/cases_simulator.py under CPython
and under MicroPython (the yardstick's float32 too, in make test's second run)."""

import cases_simulator
import pytest

from conftest import case_names, micropython_cases

mp_results, test_micropython = micropython_cases("cases_simulator")


@pytest.mark.cpython_only
@pytest.mark.parametrize("name", case_names("cases_simulator"))
def test_cpython(name):
    getattr(cases_simulator, name)()

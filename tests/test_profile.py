"""The monthly-peak profile cases (tests/cases_profile.py) under CPython and under MicroPython."""

import pytest

import cases_profile
from conftest import micropython_cases

CASES = cases_profile.all_cases()
mp_results, test_micropython = micropython_cases("cases_profile")


@pytest.mark.parametrize("name", CASES)
def test_cpython(name):
    if name in cases_profile.MICROPYTHON_ONLY:
        pytest.skip("measures MicroPython's heap: runs in test_micropython only")
    getattr(cases_profile, name)()

"""The parser cases (tests/cases_parser.py) under CPython and under MicroPython."""

import pytest

import cases_parser
from conftest import run_mp_cases

CASES = cases_parser.all_cases()


@pytest.mark.parametrize("name", CASES)
def test_cpython(name):
    if name in cases_parser.MICROPYTHON_ONLY:
        pytest.skip("measures MicroPython's heap: runs in test_micropython only")
    getattr(cases_parser, name)()


@pytest.fixture(scope="module")
def mp_results():
    return run_mp_cases("cases_parser")


@pytest.mark.parametrize("name", CASES)
def test_micropython(name, mp_results):
    assert name in mp_results, "case did not run under MicroPython"
    assert mp_results[name] is None, mp_results[name]

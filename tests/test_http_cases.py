"""HTTP server failure cases (tests/cases_http.py) under the MicroPython unix port."""

import pytest

from conftest import case_names, run_mp_cases


@pytest.fixture(scope="module")
def mp_results():
    return run_mp_cases("cases_http")


@pytest.mark.parametrize("name", case_names("cases_http"))
def test_micropython(name, mp_results):
    assert name in mp_results, "case did not run under MicroPython"
    assert mp_results[name] is None, mp_results[name]

"""The request head parser's cases (tests/cases_http_request.py) under CPython and MicroPython."""

import pytest

import cases_http_request
from conftest import micropython_cases

mp_results, test_micropython = micropython_cases("cases_http_request")


@pytest.mark.parametrize("name", cases_http_request.all_cases())
def test_cpython(name):
    getattr(cases_http_request, name)()

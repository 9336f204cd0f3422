"""Request buffers on demand (tests/cases_http_buffers.py) under the MicroPython unix port."""

from conftest import micropython_cases

mp_results, test_micropython = micropython_cases("cases_http_buffers")

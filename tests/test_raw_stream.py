"""The raw stream's send() and look() on real sockets (tests/cases_raw_stream.py) under the MicroPython unix port."""

from conftest import micropython_cases

mp_results, test_micropython = micropython_cases("cases_raw_stream")

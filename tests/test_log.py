"""Logging (firmware/log.py, tests/cases_log.py) under the MicroPython unix port."""

from conftest import micropython_cases

mp_results, test_micropython = micropython_cases("cases_log")

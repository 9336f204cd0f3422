"""Out-of-memory cases (tests/cases_out_of_memory.py) under the MicroPython unix port."""

from conftest import micropython_cases

mp_results, test_micropython = micropython_cases("cases_out_of_memory")

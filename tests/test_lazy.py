"""Code loaded for a while and let go (firmware/lazy.py, tests/cases_lazy.py) under MicroPython."""

from conftest import micropython_cases

mp_results, test_micropython = micropython_cases("cases_lazy")

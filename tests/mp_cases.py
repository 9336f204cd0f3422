"""Runs the case_* functions of a cases module under MicroPython.

    micropython tests/mp_cases.py cases_parser [case_name ...]

Prints `ok <name>` or `FAIL <name>: <error>` per case; pytest reads the lines.
The cases import from lib/ (dsmr) and the repo root (firmware), put on the
path here (under CPython, tests/conftest.py does it).
"""

import sys

here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
root = here.rsplit("/", 1)[0] if "/" in here else (".." if here == "." else ".")
for p in (root, root + "/lib", here):
    sys.path.insert(0, p)
mod = __import__(sys.argv[1])
for name in sys.argv[2:] or mod.all_cases():
    try:
        getattr(mod, name)()
        print("ok", name)
    except Exception as e:  # report every failure, then go on
        print("FAIL %s: %s %r" % (name, type(e).__name__, e.args))

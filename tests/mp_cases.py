"""Runs the case_* functions of a cases module under MicroPython.

    micropython tests/mp_cases.py cases_parser

Prints `ok <name>` or `FAIL <name>: <error>` per case; pytest reads the lines.
"""

import sys

here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
sys.path.insert(0, here)
mod = __import__(sys.argv[1])
for name in mod.all_cases():
    try:
        getattr(mod, name)()
        print("ok", name)
    except Exception as e:  # report every failure, then go on
        print("FAIL %s: %s %r" % (name, type(e).__name__, e.args))

"""Runs main.py as the dongle would, as far as the unix port allows: with the ESP32's
errno (newlib's numbers, _errno.py) in place of the unix port's, so that firmware
code that takes errno's names at run time (`from errno import ECONNABORTED`)
agrees with what the fake sockets raise. (`errno.ECONNABORTED` written out is
folded into the compiling port's number by the compiler: on the unix port
Linux's 103, from mpy-cross a name looked up on the dongle.)

tests/test_e2e_esp32.py starts it instead of main.py, with MICROPYPATH=tests/fakes.
"""

import sys

import _errno

sys.modules["errno"] = _errno
__file__ = "main.py"
with open("main.py") as f:
    _code = f.read()
exec(_code)

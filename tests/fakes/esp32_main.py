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


def _compiled():
    # The source is garbage once compiled, as on the dongle, whose port compiles
    # main.py from the file: held (a global, exec's argument), it took 3.4 KB of
    # the heap for as long as the firmware ran.
    with open("main.py") as f:
        return compile(f.read(), "main.py", "exec")


exec(_compiled())

"""Starts the dsmr-api firmware: on the dongle after boot.py, on a PC as `micropython main.py`.

Configuration on the host is by environment (see README): DSMR_P1,
DSMR_HTTP_PORT, DSMR_DATA_DIR and DSMR_<SETTING>.
"""

import sys

# Run from its own folder (the dongle, `micropython main.py`), the paths are "" and
# "lib", so a module's __file__ is "firmware/x.mpy", the very name tools/build.py
# compiles into it: one string in RAM per module, not two.
_here = __file__.rsplit("/", 1)[0] + "/" if "/" in __file__ else ""
if _here + "lib" not in sys.path:
    sys.path.insert(1, _here + "lib")  # the dongle has /lib on its path already
if _here not in sys.path:
    sys.path.insert(1, _here)

from firmware import app  # noqa: E402

app.main()

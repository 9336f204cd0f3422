"""Starts the dsmr-api firmware: on the dongle after boot.py, on a PC as `micropython main.py`.

Configuration on the host is by environment (see README): DSMR_P1,
DSMR_HTTP_PORT, DSMR_DATA_DIR and DSMR_<SETTING>.

The boot guard (bootguard.py) comes first and counts this boot before the
firmware package is imported, so a firmware that cannot even be imported (a
partial deploy) is counted too: after 3 such boots safe mode, after 5 nothing
is started and the REPL stays free (README: Recovering). The guard is dropped
before the firmware runs (its state is in RTC memory or a file): this file
stays small, as its code is in the heap for as long as the firmware runs.

Then the version to run is picked (firmware/versions.py): the one in this
folder, put there by USB, or an OTA update in ota/a or ota/b, and a trial
boot that failed goes back to the previous one. An update never replaces
this file, bootguard.py, bootstate.py or boot.py.
"""

import sys

# Run from its own folder (the dongle, `micropython main.py`), the paths are "" and
# "lib", so a module's __file__ is "firmware/x.mpy", the very name tools/build.py
# compiles into it: one string in RAM per module, not two.
# (The unix port puts the script's folder first as an absolute path: "" goes before it.)
_here = __file__.rsplit("/", 1)[0] + "/" if "/" in __file__ else ""
if _here + "lib" not in sys.path:
    sys.path.insert(0 if not _here else 1, _here + "lib")  # the dongle has /lib on its path already
if _here not in sys.path:
    sys.path.insert(0 if not _here else 1, _here)


def _wifi_first():
    """The WLAN started before the firmware's bulk is imported, and why: the GC heap grows
    greedily while code loads (doubling, or taking the IDF's largest block); Wi-Fi and lwIP,
    created after that, would live on what is left ("no memory", ENOBUFS under load).
    (The hostname can wait: the port takes it at connect() for DHCP and mDNS.)"""
    try:
        import network

        network.WLAN(network.STA_IF).active(True)
    except ImportError:
        pass  # a PC
    except Exception as e:
        print("main.py: Wi-Fi not started early: %r" % e)


def _start():
    """(firmware.app.main, (mode, failed boots before, why)) to run, or None."""
    try:
        import bootguard
    except Exception as e:  # no guard, no firmware: it could loop
        print("main.py: the boot guard cannot be imported (%r): the firmware is not started" % e)
        return None
    mode = bootguard.boot()
    if mode in ("halt", "maint"):
        return None
    _wifi_first()
    try:
        import os

        os.stat("ota")  # (there once an update came over the air)
        from firmware import versions  # this folder's: it picks the version to run

        versions.choose(bootguard)
    except Exception:  # no update yet (or a partial deploy here: the import below says so)
        pass
    versions = None  # (nothing of it stays)
    try:
        from firmware import app

        return app.main, (mode, bootguard.before, bootguard.reason)
    except Exception as e:
        import bootstate

        bootstate.failed("firmware import: %r" % e)
        print("main.py: the firmware cannot be imported: %r" % e)
        bootstate.restart()


_go = _start()
del _start
sys.modules.pop("bootguard", None)
sys.modules.pop("bootstate", None)
if _go:
    _go[0](_go[1])

"""Runs first on the dongle, before main.py, after every reset, soft ones too.

Its one job: if the firmware has started the hardware watchdog (it cannot be
stopped, and a soft reset such as mpremote's does not stop it), feed it from
a timer, so a person at the REPL or a deploy is not cut off (bootstate.py).
Kept minimal on purpose and never raises: a boot.py that fails must not lock
anyone out of the REPL. (Its globals are main.py's too: it leaves none.)
"""



def _boot():
    try:
        import bootstate

        bootstate.keep_fed()
    except Exception as e:
        print("boot.py:", repr(e))
    import sys

    sys.modules.pop("bootstate", None)


_boot()
del _boot

"""Boot guard: counts boots that never became healthy, and decides how this one starts.

main.py imports this first, before the firmware package, and it needs nothing
from that package: a partial deploy or any other firmware that cannot even be
imported is still counted here, so a dongle in a meter cupboard never loops.

`boot()` counts the boot (fails + 1) and returns the mode:
  "run"   fewer than SAFE_AFTER boots in a row failed: the firmware as set up
  "safe"  SAFE_AFTER..HALT_AFTER-1 did: safe mode (factory settings in memory,
          the settings file left as it is, no optional parts; firmware/start.py)
  "halt"  safe mode failed too: nothing is started, the REPL stays free and no
          watchdog is started (a power cycle clears the count on the dongle)
  "maint" the file `maintenance` in the data folder (tools/deploy.py writes it
          before it copies): deleted, and this one boot starts nothing
Before it counts, it finishes a deploy whose files are all copied (_switch()).

The count lives in RTC memory on the dongle (a power cycle clears it), in a
file on a PC: bootstate.py. The firmware tells it (lazy.guard()) that the
boot was healthy, once it has served HTTP with the P1 reader running for 5
minutes (firmware/watchdog.py), or that the user asked for a restart: both
set the count back to 0; or why it stopped. Neither module holds state of
its own: main.py drops both after `boot()`, so they cost no heap while the
firmware runs.

The watchdog (machine.WDT) cannot be stopped and survives a soft reset. The
firmware starts it only once healthy; then, whenever the firmware is not
running (Ctrl-C, mpremote, a deploy), bootstate.keep_fed() feeds it from a
hardware timer, and boot.py calls it again after each soft reset (which
stops timers, not the watchdog). So a person at the REPL is never cut off.

OTA (firmware updates): the version to boot is chosen in main.py, after
`boot()` and before the firmware is imported; `before` and `reason` tell a
trial version that did not become healthy, which then rolls back.
"""

import os

from bootstate import data_path, load, save

SAFE_AFTER = 3
HALT_AFTER = 5

before = 0  # boot(): boots in a row that failed before this one
reason = ""  # and why the last of them failed


def boot():
    """Counts this boot and returns its mode; sets `before` and `reason`."""
    global before, reason
    st = load()
    before, reason = st[0], st[2]
    try:
        os.remove(data_path("maintenance"))
        print("boot guard: maintenance (tools/deploy.py): the firmware is not started")
        return "maint"
    except OSError:
        pass
    _switch()
    st[0] = before + 1  # until healthy() says otherwise, this boot failed
    save(st)
    if before >= HALT_AFTER:
        print("boot guard: %d boots failed, safe mode too (%s): nothing is started" % (before, reason))
        return "halt"
    return "safe" if before >= SAFE_AFTER else "run"


def _switch():
    """Finishes a deploy (tools/deploy.py): it copies the new files into .deploy/
    and writes .deploy/MANIFEST (their names) last. With a MANIFEST every file
    is renamed into place (each rename is atomic; a power cut here is finished
    at the next boot), then the MANIFEST goes. Without one the copy was cut:
    the files in place, the previous version, boot untouched."""
    top = __file__.rsplit("/", 1)[0] + "/" if "/" in __file__ else ""  # (where main.py is)
    try:
        with open(top + ".deploy/MANIFEST") as f:
            names = f.read().split()
    except OSError:
        return
    for n in names:
        try:
            os.rename(top + ".deploy/" + n, top + n)
        except OSError:  # renamed before a power cut; or FAT, which cannot rename over a file
            try:
                os.stat(top + ".deploy/" + n)
                os.remove(top + n)
                os.rename(top + ".deploy/" + n, top + n)
            except OSError:
                pass
    os.remove(top + ".deploy/MANIFEST")
    print("boot guard: deploy finished: %d files" % len(names))

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
The firmware calls `healthy()` once it has served HTTP with the P1 reader
running for HEALTHY_S seconds (firmware/watchdog.py), and before a restart
the user asked for: both set the count back to 0.

This module holds no state of its own, so main.py drops it after `boot()`
and the firmware loads it only for a call (lazy.guard()): it costs no heap
while the firmware runs.

The state is one short line, "<fails> <wdt_ms> <why>", where wdt_ms is the
hardware watchdog's timeout once the firmware has started it, and why the last
failure (for /api/v1/dev/info). On the dongle it lives in RTC memory, which
survives machine.reset() and the watchdog's reset but not a power cut (a power
cycle gives the firmware 3 more tries); on a PC in the data folder (`boots`).

The watchdog (machine.WDT) cannot be stopped and survives a soft reset. The
firmware starts it only once healthy; then, whenever the firmware is not
running (Ctrl-C, mpremote, a deploy), `keep_fed()` feeds it from a hardware
timer, and boot.py calls it again after each soft reset (which stops timers,
not the watchdog). So a person at the REPL is never cut off.

OTA (firmware updates): the version to boot is chosen in main.py, after
`boot()` and before the firmware is imported; `before` and `reason` tell a
trial version that did not become healthy, which then rolls back.
"""

import os

SAFE_AFTER = 3
HALT_AFTER = 5
HEALTHY_S = 300  # DSMR_HEALTHY_S on a PC (tests)
RESTART = 75  # a PC's exit code for "the dongle would reset here" (tests relaunch)


def _env(name):
    g = getattr(os, "getenv", None)
    return g(name) if g else None


def data_path(name):
    d = _env("DSMR_DATA_DIR") or (__file__.rsplit("/", 1)[0] + "/data" if "/" in __file__ else "data")
    return d + "/" + name


def _rtc():
    try:
        from machine import RTC

        r = RTC()
        r.memory()
        return r
    except Exception:  # (a PC: no RTC memory)
        return None


def _load():
    """[fails, wdt_ms, why]"""
    r = _rtc()
    try:
        if r is not None:
            b = r.memory()
        else:
            with open(data_path("boots"), "rb") as f:
                b = f.read(200)
        if b[:4] == b"BG1 ":
            f, w, y = b[4:].decode().split(" ", 2)
            return [int(f), int(w), y]
    except Exception:  # none yet, or not ours
        pass
    return [0, 0, ""]


def _save(st):
    b = ("BG1 %d %d %s" % (st[0], st[1], st[2][:100])).encode()
    try:
        r = _rtc()
        if r is not None:
            r.memory(b)
        else:
            with open(data_path("boots"), "wb") as f:
                f.write(b)
    except Exception as e:
        print("boot guard: cannot save its count:", repr(e))


before = 0  # boot(): boots in a row that failed before this one
reason = ""  # and why the last of them failed


def boot():
    """Counts this boot and returns its mode; sets `before` and `reason`."""
    global before, reason
    st = _load()
    before, reason = st[0], st[2]
    try:
        os.remove(data_path("maintenance"))
        print("boot guard: maintenance (tools/deploy.py): the firmware is not started")
        return "maint"
    except OSError:
        pass
    _switch()
    st[0] = before + 1  # until healthy() says otherwise, this boot failed
    _save(st)
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
    top = __file__.rsplit("/", 1)[0] + "/" if "/" in __file__ else ""
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


def failed(msg):
    """Notes why this boot failed (the next one reports it)."""
    st = _load()
    st[2] = msg
    _save(st)


def healthy():
    """This boot worked, or the user restarts it: the count starts again from 0."""
    st = _load()
    st[0] = 0
    st[2] = ""
    _save(st)


def healthy_s():
    s = _env("DSMR_HEALTHY_S")
    return int(s) if s else HEALTHY_S


def wdt_started(ms):
    """The firmware started the watchdog (it cannot be stopped from now on), and
    feeds it itself: the timer stops."""
    st = _load()
    st[1] = ms
    _save(st)
    from machine import Timer

    Timer(0).deinit()


def keep_fed():
    """Feeds a watchdog the firmware started, from a hardware timer, while the
    firmware does not run. Does nothing if it never started one."""
    ms = _load()[1]
    if not ms:
        return
    from machine import WDT, Timer

    wdt = WDT(timeout=ms)  # the one running (or, after a reset, a new one: fed too)
    Timer(0).init(period=max(100, ms // 4), callback=lambda t: wdt.feed())
    print("boot guard: the watchdog (%d s) cannot be stopped: a timer feeds it" % (ms // 1000))


def restart():
    """Resets the dongle; on a PC the process ends with exit code RESTART."""
    try:
        import machine

        machine.reset()
    except (ImportError, AttributeError):
        pass
    raise SystemExit(RESTART)

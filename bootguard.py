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
The firmware calls `healthy()` once it has served HTTP with the P1 reader
running for HEALTHY_S seconds (firmware/watchdog.py), and `clear()` before a
restart the user asked for: both set the count back to 0.

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

OTA (firmware updates): the version to boot is chosen in main.py right after
`boot()` and before the firmware is imported; `fails` (and the mode) tell a
trial version that did not become healthy, which then rolls back.
"""

import os

SAFE_AFTER = 3
HALT_AFTER = 5
HEALTHY_S = 300  # DSMR_HEALTHY_S on a PC (tests)
RESTART = 75  # a PC's exit code for "the dongle would reset here" (tests relaunch)

before = 0  # boots in a row that failed before this one
reason = ""  # why the last of them failed
fails = 0  # what the next boot will find: before + 1 until this one is healthy
wdt_ms = 0
why = ""
_timer = None


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
    global fails, wdt_ms, why
    r = _rtc()
    try:
        if r is not None:
            b = r.memory()
        else:
            with open(data_path("boots"), "rb") as f:
                b = f.read(200)
        if b[:4] == b"BG1 ":
            f, w, why = b[4:].decode().split(" ", 2)
            fails, wdt_ms = int(f), int(w)
    except Exception:  # none yet, or not ours
        pass


def _save():
    b = ("BG1 %d %d %s" % (fails, wdt_ms, why[:100])).encode()
    try:
        r = _rtc()
        if r is not None:
            r.memory(b)
        else:
            with open(data_path("boots"), "wb") as f:
                f.write(b)
    except Exception as e:
        print("boot guard: cannot save its count:", repr(e))


def boot():
    """Counts this boot and returns its mode (see the module's docstring)."""
    global before, reason, fails
    _load()
    before, reason = fails, why
    try:
        os.remove(data_path("maintenance"))
        print("boot guard: maintenance (tools/deploy.py): the firmware is not started")
        return "maint"
    except OSError:
        pass
    fails = before + 1  # until healthy() says otherwise, this boot failed
    _save()
    if before >= HALT_AFTER:
        print("boot guard: %d boots failed, safe mode too (%s): nothing started" % (before, why))
        return "halt"
    return "safe" if before >= SAFE_AFTER else "run"


def failed(msg):
    """Notes why this boot failed (the next one reports it)."""
    global why
    why = msg
    _save()


def healthy():
    """This boot worked, or the user restarts it: the count starts again from 0."""
    global fails, why
    fails = 0
    why = ""
    _save()


def healthy_s():
    s = _env("DSMR_HEALTHY_S")
    return int(s) if s else HEALTHY_S


def wdt_started(ms):
    """The firmware started the watchdog: it cannot be stopped from now on."""
    global wdt_ms
    wdt_ms = ms
    _save()


def keep_fed():
    """Feeds a watchdog the firmware started, from a hardware timer, while the
    firmware does not run. Does nothing if it never started one (this power-up)."""
    global _timer
    if _timer is None and not wdt_ms:
        _load()
    if not wdt_ms or _timer is not None:
        return
    from machine import WDT, Timer

    wdt = WDT(timeout=wdt_ms)  # the one running (or, after a reset, a new one: fed too)
    _timer = Timer(0)
    _timer.init(period=max(100, wdt_ms // 4), callback=lambda t: wdt.feed())
    print("boot guard: the watchdog (%d s) cannot be stopped; a timer feeds it" % (wdt_ms // 1000))


def stop_feeding():
    """The firmware feeds the watchdog itself from now on."""
    global _timer
    if _timer is not None:
        _timer.deinit()
        _timer = None


def restart():
    """Resets the dongle; on a PC the process ends with exit code RESTART."""
    try:
        import machine

        machine.reset()
    except (ImportError, AttributeError):
        pass
    raise SystemExit(RESTART)

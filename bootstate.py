"""The boot guard's state, and what the running firmware tells it (bootguard.py decides at boot).

One short line, "BG1 <fails> <wdt_ms> <why>": boots in a row that did not
become healthy (the one running counts as failed until `healthy()`), the
hardware watchdog's timeout once the firmware started it, and why the last
boot failed. On the dongle it lives in RTC memory, which survives
machine.reset() and the watchdog's reset but not a power cut (a power cycle
gives the firmware 3 more tries); on a PC in the data folder (`boots`).

Small on purpose, and holds nothing itself: the firmware loads it for a call
and drops it again (lazy.guard()), boot.py for `keep_fed()`.
"""

import os

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


def load():
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


def save(st):
    b = ("BG1 %d %d %s" % (st[0], st[1], st[2][:100])).encode()
    try:
        r = _rtc()
        if r is not None:
            r.memory(b)
        else:
            path = data_path("boots")
            try:
                os.mkdir(path.rsplit("/", 1)[0])  # (a first boot: the data folder is not there yet)
            except OSError:
                pass
            with open(path, "wb") as f:
                f.write(b)
    except Exception as e:
        print("boot guard: cannot save its count:", repr(e))


def failed(msg):
    """Notes why this boot failed (the next one reports it)."""
    st = load()
    st[2] = msg
    save(st)


def healthy():
    """This boot worked, or the user restarts it: the count starts again from 0."""
    st = load()
    st[0] = 0
    st[2] = ""
    save(st)


def wdt_started(ms):
    """The firmware started the watchdog (it cannot be stopped from now on), and
    feeds it itself: the timer stops."""
    st = load()
    st[1] = ms
    save(st)
    from machine import Timer

    Timer(0).deinit()


def keep_fed():
    """Feeds a watchdog the firmware started, from a hardware timer, while the
    firmware does not run. Does nothing if it never started one."""
    ms = load()[1]
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

"""The running firmware: the App that holds its parts, and main(), which runs them.

start.py builds and starts the parts (settings, P1 reader, HTTP server,
optional MQTT, raw stream, Wi-Fi, NTP, watchdog) and is dropped after boot;
then main() serves HTTP on the same asyncio loop as everything else. In safe
mode (bootguard.py: the boots before failed) it starts only what it takes to
fix the settings (start.py).
"""

import asyncio
import gc

from . import log, platform

VERSION = "0.1.0"
_START_GC_BYTES = 2048
_RUN_GC_SHARE = 8  # then every 1/8 of the heap (12 KB of the dongle's 100 KB)


class App:
    """The firmware's parts, for the handlers that report on them."""

    VERSION = VERSION

    def __init__(self):
        self.settings = {}
        self.reader = None
        self.http = None
        self.samples = None
        self.history = None
        self.peaks = None  # quarter-hour demand (peaks.py)
        self.raw = None
        self.mqtt = None
        self.wifi = None  # on the dongle
        self.ntp = None  # NTP on: the clock's settings so far (ntp.py)
        self.watchdog = None
        self.safe = ""  # safe mode: why (bootguard.py)
        self.bootfails = 0  # boots in a row that failed before this one
        self.settings_error = ""  # the settings file could not be read: why (settings.py)
        self.update = None  # [state, message] of an update received since boot (api_update.py)
        self.auth = None  # wrong admin passwords per client bucket, and in all (api_auth.py)


async def _run(app):
    from .lazy import load, unload

    await load("start").start(app)
    unload("start")  # boot is over: its code can go
    gc.collect()
    # Garbage is collected every few KB, before objects that stay settle in
    # among it: while code is compiled at boot (its parse trees), and after,
    # so the holes stay few and the code loaded per request finds room. (A
    # collection costs time in proportion to the heap; a large heap needs
    # this least, so the share keeps the cost flat.)
    gc.threshold(max(_START_GC_BYTES, (gc.mem_free() + gc.mem_alloc()) // _RUN_GC_SHARE))
    await app.http.serve()  # pyright: ignore[reportOptionalMemberAccess]


def _free(app):
    """Drops the firmware's tasks (room to load the boot guard's state) and closes
    its HTTP port, so main.py can run again after a soft reset."""
    asyncio.new_event_loop()
    if app.http is not None and app.http.listener is not None:
        app.http.listener.close()
    gc.collect()


def main(boot=("run", 0, "")):
    """Runs the firmware; `boot` is what bootguard.boot() said (mode, boots that
    failed before, why): safe mode after 3. If the firmware ever stops on an
    error, the dongle restarts rather than sit in the REPL (on a PC the process
    ends with the error logged), and the boot guard notes why."""
    from .lazy import guard

    gc.threshold(_START_GC_BYTES)
    app = App()
    app.bootfails = boot[1]
    if boot[0] == "safe":
        app.safe = "%d boots in a row failed; the last: %s" % (boot[1], boot[2] or "?")
    try:
        asyncio.run(_run(app))
    except KeyboardInterrupt:  # Ctrl-C, mpremote, a deploy: the REPL is theirs
        _free(app)
        guard("keep_fed")  # (a watchdog already started cannot be stopped)
        raise
    except Exception as e:
        log.error("firmware stopped: %r", e)
        why = "stopped: %r" % e
        e = None
        _free(app)
        try:
            guard("failed", why)
        except MemoryError:
            pass  # (the count still says this boot failed: only why is missing)
        platform.restart()
    finally:
        asyncio.new_event_loop()

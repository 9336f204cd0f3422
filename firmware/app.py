"""The running firmware: the App that holds its parts, and main(), which runs them.

start.py builds and starts the parts (settings, P1 reader, HTTP server,
optional MQTT, raw stream, Wi-Fi, NTP, watchdog) and is dropped after boot;
then main() serves HTTP on the same asyncio loop as everything else.
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
        self.raw = None
        self.mqtt = None
        self.wifi = None  # on the dongle
        self.ntp = None
        self.watchdog = None


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


def main():
    """Runs the firmware; if it ever stops on an error, the dongle restarts rather
    than sit in the REPL (on a PC the process ends with the error logged)."""
    gc.threshold(_START_GC_BYTES)
    try:
        asyncio.run(_run(App()))
    except KeyboardInterrupt:
        raise
    except Exception as e:
        log.error("firmware stopped: %r", e)
        platform.restart()
    finally:
        asyncio.new_event_loop()

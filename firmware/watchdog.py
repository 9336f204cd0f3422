"""The boot's health check, then the hardware watchdog, fed only while the firmware is healthy.

First the boot: once HTTP is served and the P1 reader task runs for
HEALTHY_S seconds (5 minutes; DSMR_HEALTHY_S on a PC) without a break, the
boot counts as good (bootstate.healthy(): no safe mode after a later reset).
Only then is the hardware watchdog started: machine.WDT cannot be stopped
and survives a soft reset, so it is never started while someone may still
be at the REPL or deploying right after a reset; after Ctrl-C a timer feeds
it (bootstate.keep_fed()). Telling the boot guard loads its small module for
the call: out of memory, it is tried again a little later.

Then the watchdog: healthy means the event loop runs (this task gets its
turn) and the P1 side is fine: a good telegram within `wdt_timeout` seconds,
or no telegram since boot (not connected yet: a reset would not help), or a
silent line (the meter is unplugged: the source is absent, not stuck). Bytes
that keep arriving without a good telegram for the whole timeout mean
something is stuck: the watchdog is then left to reset the dongle.
`wdt_timeout` 0 turns it off.
"""

import asyncio
import time

from . import log
from .lazy import guard, unload

HEALTHY_S = 300


class Watchdog:
    def __init__(self, app, timeout_s, platform):
        self.app = app
        self.reader = app.reader
        self.timeout_ms = timeout_s * 1000
        self.platform = platform
        self.feeds = 0
        self.starved = False

    def running(self):
        """HTTP is listening and the P1 reader's task has not ended."""
        t = getattr(self.reader, "task", None)
        return self.app.http.listener is not None and t is not None and not t.done()

    def healthy(self):
        r = self.reader
        if r.last_telegram_ms is None:
            return True
        now = time.ticks_ms()
        if time.ticks_diff(now, r.last_telegram_ms) < self.timeout_ms:
            return True
        return r.last_bytes_ms is None or time.ticks_diff(now, r.last_bytes_ms) >= self.timeout_ms // 2

    async def run(self):
        need = int(self.platform.env("DSMR_HEALTHY_S") or HEALTHY_S)
        step = max(1, min(10, need // 10))
        good = 0
        while good < need:
            await asyncio.sleep(step)
            good = good + step if self.running() else 0
        await _tell("healthy")
        log.info("boot: healthy for %d s", need)
        wdt = self.platform.watchdog(self.timeout_ms) if self.timeout_ms > 0 else None
        if wdt is None:  # (off, or a PC): this code can go
            self.app.watchdog = None
            unload("watchdog")
            return
        told = False
        while True:
            if not told:  # (and a timer that fed it since a soft reset stops)
                try:
                    guard("wdt_started", self.timeout_ms)
                    told = True
                except MemoryError:
                    pass
            if self.healthy():
                wdt.feed()
                self.feeds += 1
                self.starved = False
            elif not self.starved:
                self.starved = True
                log.error("watchdog: bytes but no good telegram for %d s: letting it reset", self.timeout_ms // 1000)
            await asyncio.sleep_ms(max(100, self.timeout_ms // 4))


async def _tell(*args):
    """bootstate.<args[0]>(*args[1:]), until there is room to load it."""
    while True:
        try:
            return guard(*args)
        except MemoryError:
            await asyncio.sleep(1)

"""The hardware watchdog, fed by a health task only while the firmware is healthy.

Healthy means the event loop runs (this task gets its turn) and the P1 side
is fine: a good telegram within `wdt_timeout` seconds, or no telegram since
boot (not connected yet: a reset would not help), or a silent line (the
meter is unplugged: the source is absent, not stuck). Bytes that keep
arriving without a good telegram for the whole timeout mean something is
stuck: the watchdog is then left to reset the dongle. `wdt_timeout` 0 turns
it off.
"""

import asyncio
import time

from . import log


class Watchdog:
    def __init__(self, reader, timeout_s, platform):
        self.reader = reader
        self.timeout_ms = timeout_s * 1000
        self.platform = platform
        self.feeds = 0
        self.starved = False

    def healthy(self):
        r = self.reader
        if r.last_telegram_ms is None:
            return True
        now = time.ticks_ms()
        if time.ticks_diff(now, r.last_telegram_ms) < self.timeout_ms:
            return True
        return r.last_bytes_ms is None or time.ticks_diff(now, r.last_bytes_ms) >= self.timeout_ms // 2

    async def run(self):
        if self.timeout_ms <= 0:
            return
        wdt = self.platform.watchdog(self.timeout_ms)
        if wdt is None:
            return
        while True:
            if self.healthy():
                wdt.feed()
                self.feeds += 1
                self.starved = False
            elif not self.starved:
                self.starved = True
                log.error("watchdog: bytes but no good telegram for %d s: letting it reset", self.timeout_ms // 1000)
            await asyncio.sleep_ms(max(100, self.timeout_ms // 4))

"""The P1 reader task: source -> lib/dsmr parser, forever, whatever happens.

Opens the source with p1_sources.py (loaded for that and dropped: what stays
of a source is a StreamSource, below), reads it in chunks into one reused
buffer and feeds the parser, which swaps in each CRC-valid telegram atomically. A lost or failing source
is logged and reopened with backoff (1 s doubling to 30 s); nothing here
ever stops the HTTP server. Counters for the device API: `parser.*`,
`source_errors`, `connected`, `seconds_since_telegram()`.
"""

import asyncio
import time

from dsmr import P1Parser

from . import log, uptime
from .lazy import load, unload

_BACKOFF_MAX = 30
_POLL_MS = 20


class StreamSource:
    """Anything asyncio can poll: a socket, a UART, a tty. `raw`, when set, is the
    non-blocking object itself (readinto gives None while nothing came), which the
    P1 reader polls without asyncio's stream: that allocates nothing per read."""

    def __init__(self, stream, obj=None, close=None, raw=None):
        self.stream = stream
        self._obj = obj
        self._close = close
        self.raw = raw

    async def readinto(self, buf):
        return await self.stream.readinto(buf)

    def close(self):
        try:
            self.stream.s.close()  # asyncio's Stream.close() leaves the socket open
        except Exception:
            pass
        if self._obj is not None:
            try:
                if self._close is not None:
                    self._close(self._obj)
                else:
                    self._obj.close()
            except Exception:
                pass



class P1Reader:
    def __init__(self, settings, bufs):
        self.settings = settings
        self.spec = settings["p1"]
        self.parser = P1Parser(settings["p1_buffer"], settings["p1_require_crc"], bufs.telegrams)
        self.chunk = bufs.chunk
        self.source_errors = 0
        self.connected = False
        self.last_telegram_ms = None  # ticks, for short intervals (the watchdog's)
        self.last_telegram_s = 0  # uptime.seconds(), for long ones
        self.last_bytes_ms = None
        self.last_bytes_s = 0
        self.listeners = []  # called with the parser after each new telegram
        self._errors_logged = 0
        self.task = None  # its asyncio task (start.py), which the boot's health check watches

    def seconds_since_telegram(self):
        """Seconds since the last good telegram, or -1 if none yet (right after
        weeks without one too: ticks would wrap, uptime.py does not)."""
        if self.last_telegram_ms is None:
            return -1
        d = uptime.seconds() - self.last_telegram_s
        if d < 86400:  # a short gap: ticks are exact to the millisecond
            return time.ticks_diff(time.ticks_ms(), self.last_telegram_ms) // 1000
        return d

    def seconds_since_bytes(self):
        """Seconds since any byte came from the source (telegram or not), or -1:
        tells "nothing arrives" (wiring) from "bytes but no telegrams" (settings)."""
        if self.last_bytes_ms is None:
            return -1
        return uptime.seconds() - self.last_bytes_s

    async def run(self):
        backoff = 1
        while True:
            src = None
            try:
                try:  # (the opening's code is loaded for it: p1_sources.py)
                    src = await load("p1_sources").open_source(self.spec, self.settings)
                finally:
                    unload("p1_sources")
                self.connected = True
                log.info("P1 source %s open", self.spec)
                backoff = 1
                await self._read(src)
                log.warn("P1 source %s closed", self.spec)
            except (OSError, ValueError) as e:
                self.source_errors += 1
                log.warn("P1 source %s: %r; retry in %d s", self.spec, e, backoff)
            except Exception as e:  # a bug must not end the task: log it and go on
                self.source_errors += 1
                log.error("P1 reader: %r", e)
            finally:
                self.connected = False
                if src is not None:
                    src.close()
            self.parser.reset_stream()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)

    async def _read(self, src):
        buf = self.chunk
        raw = getattr(src, "raw", None)
        while raw is not None:
            # Polled: asyncio's stream allocates about 100 bytes per read (its
            # coroutine, the poller's entry), which a full heap turns into a
            # MemoryError here; a read and a sleep_ms allocate nothing.
            n = raw.readinto(buf)
            if n is None:  # nothing yet: the UART (2 KB buffer) holds 180 ms of P1
                await asyncio.sleep_ms(_POLL_MS)
                continue
            if n == 0:
                return
            self.got(n)
            await asyncio.sleep_ms(0)  # (the others run between reads)
        while True:
            n = await src.readinto(buf)
            if n is None:  # woken without data: not an end
                continue
            if n == 0:
                return
            self.got(n)

    def got(self, n):
        """The first n bytes of the chunk buffer came in: feed them, and call the
        listeners when they completed a telegram. Allocates nothing."""
        p = self.parser
        self.last_bytes_ms = time.ticks_ms()
        self.last_bytes_s = uptime.seconds()
        errs = p.crc_errors + p.framing_errors + p.oversize
        if p.feed(self.chunk, n):
            self.last_telegram_ms = self.last_bytes_ms
            self.last_telegram_s = self.last_bytes_s
            for i in range(len(self.listeners)):  # (an index loop allocates nothing)
                try:
                    self.listeners[i](p)
                except Exception as e:  # a listener's trouble is not the reader's
                    log.error("P1 listener %r: %r", self.listeners[i], e)
        if p.crc_errors + p.framing_errors + p.oversize != errs:
            self._log_errors()

    def _log_errors(self):
        # one line per error while few, then every 100th, so noise can't flood the log
        p = self.parser
        total = p.crc_errors + p.framing_errors + p.oversize
        if total <= 10 or total % 100 == 0:
            log.warn(
                "P1: %d CRC errors, %d framing errors, %d oversize telegrams so far",
                p.crc_errors, p.framing_errors, p.oversize,
            )

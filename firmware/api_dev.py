"""The device endpoint /api/v1/dev/info: what the dongle is and how it is doing.

DSMRloggerAPI's shape and names where it has them (`{"devinfo":[{"name":
.., "value": ..}, ...]}`: fwversion, hostname, freeheap, uptime,
telegramcount, telegramerrors), plus the counters this firmware keeps: CRC
and framing errors, seconds since the last good telegram, the P1 source, and
the HTTP server's requests, errors, dropped and timed-out connections.
`freeheap`/`usedheap` are measured after a garbage collection.
"""

import gc
import sys
import time

from . import platform

_T0 = time.ticks_ms()


class DeviceApi:
    def __init__(self, app):
        self.app = app

    def _pair(self, w, first, name, value, unit=None):
        w.raw(b'\n {"name": "' if first else b',\n {"name": "')
        w.raw(name)
        w.raw(b'", "value": ')
        if isinstance(value, int):
            w.integer(value)
        else:
            w.string(value.encode() if isinstance(value, str) else value)
        if unit:
            w.raw(b', "unit": "')
            w.raw(unit)
            w.raw(b'"')
        w.raw(b"}")

    def info(self, req, w):
        app = self.app
        r = app.reader
        p = r.parser
        h = app.http
        gc.collect()
        v = sys.implementation.version
        items = (
            (b"fwversion", app.VERSION, None),
            (b"micropython", "%d.%d.%d" % (v[0], v[1], v[2]), None),
            (b"platform", platform.NAME, None),
            (b"hostname", app.settings["hostname"], None),
            (b"freeheap", gc.mem_free(), b"bytes"),
            (b"usedheap", gc.mem_alloc(), b"bytes"),
            (b"uptime", time.ticks_diff(time.ticks_ms(), _T0) // 1000, b"s"),
            (b"p1source", app.settings["p1"], None),
            (b"p1connected", int(r.connected), None),
            (b"telegramcount", p.telegrams, None),
            (b"telegramerrors", p.crc_errors + p.framing_errors + p.oversize, None),
            (b"crcerrors", p.crc_errors, None),
            (b"framingerrors", p.framing_errors, None),
            (b"oversizetelegrams", p.oversize, None),
            (b"lasttelegram", r.seconds_since_telegram(), b"s"),
            (b"p1sourceerrors", r.source_errors, None),
            (b"httprequests", h.responder.requests, None),
            (b"httperrors", h.responder.errors, None),
            (b"httpdropped", h.evicted, None),
            (b"httptimeouts", h.timeouts, None),
        )
        w.raw(b'{"devinfo":[')
        first = True
        for name, value, unit in items:
            self._pair(w, first, name, value, unit)
            first = False
        w.raw(b"\n]}\n")
        return 200

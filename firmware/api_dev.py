"""The device endpoints /api/v1/dev/info and /api/v1/dev/time.

DSMRloggerAPI's shapes and names where it has them (`{"devinfo":[{"name":
.., "value": ..}, ...]}`), plus what this firmware knows besides: heap,
telegram and error counters, the P1 source, the HTTP server's counters.
/api/v1/dev/settings is api_settings.py.
"""

import gc
import sys

from dsmr import timestamp

from . import platform, sockets, uptime

_SLOTS = const(6)  # p.idx per field, start and end of each: value, unit, stamp (lib/dsmr/index.py)
_TIMESTAMP = const(3)  # fields.TIMESTAMP (fields is not imported for it)

_2023 = 1672531200  # a clock before this has not been set


class DeviceApi:
    def __init__(self, app):
        self.app = app
        self.items = None  # this request's values (the object lives for one request: lazy.py)

    def _pair(self, w, first, name, value, unit=None):
        w.raw('\n {"name": "' if first else ',\n {"name": "')
        w.raw(name)
        w.raw('", "value": ')
        if isinstance(value, bool):
            w.raw("true" if value else "false")
        elif isinstance(value, int):
            w.integer(value)
        else:
            w.string(value.encode() if isinstance(value, str) else value)
        if unit:
            w.raw(', "unit": "')
            w.raw(unit)
            w.raw('"')
        w.raw("}")

    def _pairs(self, w, key, take):
        """Renders {key: [pairs]}, the values from take(). An answer bigger than
        the response buffer is rendered twice, counted and then sent
        (http_response.py): the values are taken once, so both agree."""
        if self.items is None:
            self.items = take()
        items = self.items
        w.raw('{"')
        w.raw(key)
        w.raw('":[')
        first = True
        for name, value, unit in items:
            self._pair(w, first, name, value, unit)
            first = False
        w.raw("\n]}\n")
        return 200

    def info(self, req, w):
        return self._pairs(w, "devinfo", self._info)

    def time(self, req, w):
        return self._pairs(w, "devtime", self._time)

    def _info(self):
        app = self.app
        r = app.reader
        p = r and r.parser
        h = app.http
        s = app.settings
        net = platform.network_info()
        gc.collect()  # usedheap: what is in use, not garbage waiting for the collector
        # What the port gives for free: no trial allocations (each failed one would run a
        # collection and, on the dongle, could grow the heap from the IDF's memory)
        idf = platform.idf_heap()
        v = sys.implementation.version
        u = app.update or ("none", "")  # (the last update: api_update.py, trial.py, start.py)
        return (
            ("fwversion", app.VERSION, None),
            ("update", u[0], None),
            ("updatenote", u[1], None),
            ("micropython", "%d.%d.%d" % (v[0], v[1], v[2]), None),
            ("platform", platform.NAME, None),
            ("hostname", app.settings["hostname"], None),
            ("ipaddress", net[0], None),
            ("macaddress", net[1], None),
            ("ssid", net[2], None),
            ("wifirssi", net[3], "dBm"),
            ("freeheap", gc.mem_free(), "bytes"),
            ("maxfreeblock", idf[1], "bytes"),
            ("usedheap", gc.mem_alloc(), "bytes"),
            ("idffreeheap", idf[0], "bytes"),
            ("idfminfreeheap", idf[2], "bytes"),
            ("uptime", uptime.seconds(), "s"),
            ("p1source", app.settings["p1"], None),
        ) + (() if r is None else (  # (safe mode reads no meter)
            ("p1connected", int(r.connected), None),
            ("telegramcount", p.telegrams, None),
            ("telegramerrors", p.crc_errors + p.framing_errors + p.oversize, None),
            ("crcerrors", p.crc_errors, None),
            ("framingerrors", p.framing_errors, None),
            ("oversizetelegrams", p.oversize, None),
            ("lasttelegram", r.seconds_since_telegram(), "s"),
            ("lastbytes", r.seconds_since_bytes(), "s"),
            ("p1sourceerrors", r.source_errors, None),
        )) + (
            ("httprequests", h.responder.requests, None),
            ("httperrors", h.responder.errors, None),
            ("httpdropped", h.evicted, None),
            ("httptruncated", h.responder.truncated, None),
            ("httptimeouts", h.timeouts, None),
            ("rawclients", len(app.raw.clients) if app.raw else 0, None),
            ("rawsent", app.raw.sent if app.raw else 0, None),
            ("rawmissed", app.raw.missed if app.raw else 0, None),
            ("rawdropped", app.raw.dropped if app.raw else 0, None),
            ("mqttconnected", int(app.mqtt.connected) if app.mqtt else 0, None),
            ("mqttpublished", app.mqtt.published if app.mqtt else 0, None),
            ("mqttreconnects", app.mqtt.reconnects if app.mqtt else 0, None),
            ("historywrites", app.history.writes() if app.history else 0, None),
            ("ntpsyncs", app.ntp.synced if app.ntp else 0, None),
            ("wifimode", app.wifi.mode if app.wifi else "none", None),
            ("wifireconnects", app.wifi.reconnects if app.wifi else 0, None),
            ("watchdogfeeds", app.watchdog.feeds if app.watchdog else 0, None),
            ("safemode", bool(app.safe), None),
            ("safemodereason", app.safe, None),
            ("bootfails", app.bootfails, None),
            ("settingserror", app.settings_error, None),
            # how writes are guarded (api_write.py): "password", "open" (chosen: no
            # password) or "unset" (unprotected: no choice made yet, only the choice is taken)
            ("writes", "password" if s["admin_password"] else "open" if s["writes_open"] else "unset", None),
            ("authfailures", app.auth[-1] if app.auth else 0, None),
        ) + _lookups()

    def _time(self):
        t, source = now(self.app.reader)
        y, mo, d, hh, mm, ss, _, summer = timestamp.local(t)
        return (
            ("time", "%04d-%02d-%02d %02d:%02d:%02d" % (y, mo, d, hh, mm, ss), None),
            ("timezone", "CEST" if summer else "CET", None),
            ("epoch", t, "s"),
            ("source", source, None),
            ("uptime", uptime.seconds(), "s"),
        )


def _lookups():
    """sockets.py's and resolve.py's counters (name lookups block the dongle: their count and cost)."""
    r = sys.modules.get("firmware.resolve")
    return (
        ("socketsrefused", sockets.count, None),
        ("dnslookups", r.lookups if r else 0, None),
        ("dnsfailures", r.failures if r else 0, None),
        ("dnstime", r.total_ms if r else 0, "ms"),
        ("dnslongest", r.longest_ms if r else 0, "ms"),
    )


def now(reader):
    """(Unix time, source): the clock once it is set (NTP), else the meter's last timestamp."""
    t = platform.unix_time()
    if t >= _2023:
        return int(t), "clock"
    p = reader.parser
    k = _TIMESTAMP * _SLOTS
    if p.telegrams and p.idx[k]:
        ts = timestamp.parse(bytes(p.buf[p.idx[k] : p.idx[k + 1]]))
        if ts is not None:
            return ts + max(0, reader.seconds_since_telegram()), "meter"
    return int(t), "unset"

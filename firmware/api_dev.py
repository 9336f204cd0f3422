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


# What each endpoint answers, in order: a row per line, the name and, after a
# space, the unit if it has one. The values come from _info() and _time(), one
# per row, in the same order. (One bytes constant: a tuple of (name, unit)
# tuples took 2.7 KB more on the yardstick, as every string in a constant tuple
# is an object of its own, and its names stayed interned for good.)
# The meter's rows (p1connected .. p1sourceerrors) are absent in safe mode,
# which reads no meter. "writes" says how writes are guarded (api_write.py):
# "password", "open" (chosen: no password) or "unset" (unprotected: no choice
# made yet, only the choice is taken). socketsrefused .. dnslongest are
# sockets.py's and resolve.py's counters (name lookups block the dongle: their
# count and cost).
_INFO = b"""\
fwversion
update
updatenote
micropython
platform
hostname
ipaddress
macaddress
ssid
wifirssi dBm
freeheap bytes
maxfreeblock bytes
usedheap bytes
idffreeheap bytes
idfminfreeheap bytes
uptime s
p1source
p1connected
telegramcount
telegramerrors
crcerrors
framingerrors
oversizetelegrams
lasttelegram s
lastbytes s
p1sourceerrors
httprequests
httperrors
httpdropped
httptruncated
httptimeouts
rawclients
rawsent
rawmissed
rawdropped
mqttconnected
mqttpublished
mqttreconnects
historywrites
ntpsyncs
wifimode
wifireconnects
watchdogfeeds
safemode
safemodereason
bootfails
settingserror
writes
authfailures
socketsrefused
dnslookups
dnsfailures
dnstime ms
dnslongest ms
"""
_TIME = b"""\
time
timezone
epoch s
source
uptime s
"""
_ABSENT = object()  # a value whose row is left out (the meter's rows in safe mode)


class DeviceApi:
    def __init__(self, app):
        self.app = app
        self.values = None  # this request's values (the object lives for one request: lazy.py)

    def _pairs(self, w, key, rows, take):
        """Renders {key: [pairs]}: the names and units of `rows` (a table above), the
        values from take(). An answer bigger than the response buffer is rendered
        twice, counted and then sent (http_response.py): the values are taken once,
        so both agree."""
        if self.values is None:
            self.values = take()
        values = self.values
        w.raw('{"')
        w.raw(key)
        w.raw('":[')
        first = True
        s = 0
        for v in values:
            e = rows.find(b"\n", s)
            if v is not _ABSENT:
                u = rows.find(b" ", s, e)
                w.raw('\n {"name": "' if first else ',\n {"name": "')
                w.raw(rows, s, e if u < 0 else u)
                w.raw('", "value": ')
                if isinstance(v, bool):
                    w.raw("true" if v else "false")
                elif isinstance(v, int):
                    w.integer(v)
                else:
                    w.string(v.encode() if isinstance(v, str) else v)
                if u >= 0:
                    w.raw(', "unit": "')
                    w.raw(rows, u + 1, e)
                    w.raw('"')
                w.raw("}")
                first = False
            s = e + 1
        w.raw("\n]}\n")
        return 200

    def info(self, req, w):
        return self._pairs(w, "devinfo", _INFO, self._info)

    def time(self, req, w):
        return self._pairs(w, "devtime", _TIME, self._time)

    def _info(self):
        """The values of _INFO's rows, in its order."""
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
        raw, mqtt, wifi = app.raw, app.mqtt, app.wifi
        res = sys.modules.get("firmware.resolve")
        meter = r is not None
        return (
            app.VERSION, u[0], u[1], "%d.%d.%d" % (v[0], v[1], v[2]), platform.NAME,
            s["hostname"], net[0], net[1], net[2], net[3],
            gc.mem_free(), idf[1], gc.mem_alloc(), idf[0],
            idf[2], uptime.seconds(), s["p1"],
            int(r.connected) if meter else _ABSENT,
            p.telegrams if meter else _ABSENT,
            p.crc_errors + p.framing_errors + p.oversize if meter else _ABSENT,
            p.crc_errors if meter else _ABSENT,
            p.framing_errors if meter else _ABSENT,
            p.oversize if meter else _ABSENT,
            r.seconds_since_telegram() if meter else _ABSENT,
            r.seconds_since_bytes() if meter else _ABSENT,
            r.source_errors if meter else _ABSENT,
            h.responder.requests, h.responder.errors, h.evicted, h.responder.truncated,
            h.timeouts, len(raw.clients) if raw else 0, raw.sent if raw else 0, raw.missed if raw else 0,
            raw.dropped if raw else 0,
            int(mqtt.connected) if mqtt else 0, mqtt.published if mqtt else 0, mqtt.reconnects if mqtt else 0,
            app.history.writes() if app.history else 0,
            app.ntp or 0, wifi.mode if wifi else "none", wifi.reconnects if wifi else 0,
            app.watchdog.feeds if app.watchdog else 0,
            bool(app.safe), app.safe, app.bootfails, app.settings_error,
            "password" if s["admin_password"] else "open" if s["writes_open"] else "unset",
            app.auth[-1] if app.auth else 0,
            sockets.count, res.lookups if res else 0, res.failures if res else 0,
            res.total_ms if res else 0, res.longest_ms if res else 0,
        )

    def _time(self):
        """The values of _TIME's rows."""
        t, source = now(self.app.reader)
        y, mo, d, hh, mm, ss, _, summer = timestamp.local(t)
        return ("%04d-%02d-%02d %02d:%02d:%02d" % (y, mo, d, hh, mm, ss), "CEST" if summer else "CET", t, source,
                uptime.seconds())


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

"""GET /api/v1/sm/peaks: quarter-hour demand and the monthly peaks (Belgium's capacity tariff).

    {"source": "meter" | "counters",
     "quarter": {"start", "seconds", "average_kw", "power_kw", "projection_kw"},
     "month": {"month", "peak_kw", "at", "since"},
     "months": [{"month": "2024-03", "peak_kw": 5.98, "at": "2024-03-12T18:30:00+01:00"}, ...],
     "bill": {"average_kw", "months", "floor_kw": 2.5, "raised"}}

`source` "meter": a Belgian meter's own figures (1-0:1.4.0 the running
quarter's average, 1-0:1.6.0 this month's peak and when, 0-0:98.1.0 the last
13 months' peaks). "counters": computed from the import counters by peaks.py,
past months from flash (peaks_file.py); `month.since` says from when the
month's peak was counted (a restart mid-month starts it again). `bill`: the
average of this month's peak and the 11 months before it, each raised to the
2.5 kW floor the capacity tariff charges at least (`raised` counts those).
Times are local (Belgian/Dutch) with their UTC offset. Values are rendered
from the telegram's digits or from integer watts, never through a float.
Loaded per request (lazy.py).
"""

import sys
from array import array

from dsmr import fields, timestamp
from dsmr._compat import const

from .lazy import load, unload

_SLOTS = const(6)  # p.idx per field, start and end of each: value, unit, stamp (lib/dsmr/index.py)
_STAMP = const(4)  # where the first group of a line with several is
_ENTRY = const(6)  # profile.ENTRY: slots per entry of profile.entries()

_AVG = fields.index("active_energy_import_current_average_demand")
_PEAK = fields.index("active_energy_import_maximum_demand_running_month")
_PROFILE = fields.index("active_energy_import_maximum_demand_last_13_months")
# peaks.py's `v`
_Q = const(0)
_MONTH = const(6)
_PEAK_I = const(9)
_PEAK_Q = const(10)
_SINCE = const(11)
_T = const(13)
_AVG_I = const(14)
_PROJ = const(15)
_NOW = const(16)
_FLOOR = 2500  # W: the capacity tariff charges at least 2.5 kW a month
_NO_TELEGRAM = '{"error": "no telegram received from the meter yet"}\n'


class PeaksApi:
    def __init__(self, app):
        self.app = app

    def get(self, req, w):
        app = self.app
        p = app.reader.parser
        pk = app.peaks
        if not p.telegrams:  # (pk is there: safe mode has no such route)
            req.extra = b"Retry-After: 5\r\n"
            w.raw(_NO_TELEGRAM)
            return 503
        meter = p.idx[_PEAK * _SLOTS] != 0
        v = pk.v
        w.raw('{"source": "')
        w.raw("meter" if meter else "counters")
        w.raw('",\n "quarter": {"start": ')
        _at(w, v[_Q])
        w.raw(', "seconds": ')
        w.integer(v[_T])
        for i, name in ((_AVG_I, "average_kw"), (_NOW, "power_kw"), (_PROJ, "projection_kw")):
            w.raw(', "')
            w.raw(name)
            w.raw('": ')
            _kw(w, v[i])
        w.raw('},\n "month": {')
        bill = []
        if meter:
            k = _PEAK * _SLOTS
            s = p.idx[fields.TIMESTAMP * _SLOTS]
            w.raw('"month": "20')
            w.raw(p.buf, s, s + 2)
            w.raw("-")
            w.raw(p.buf, s + 2, s + 4)
            w.raw('", "peak_kw": ')
            w.number(p.buf, p.idx[k], p.idx[k + 1])
            w.raw(', "at": ')
            _stamp(w, p.buf, p.idx[k + _STAMP], p.idx[k + _STAMP + 1])
            bill.append(p.milli(_PEAK))
        else:
            w.raw('"month": ')
            _month(w, v[_MONTH])
            w.raw(', "peak_kw": ')
            _kw(w, v[_PEAK_I])
            w.raw(', "at": ')
            _at(w, v[_PEAK_Q])
            w.raw(', "since": ')
            _at(w, v[_SINCE])
            if v[_PEAK_I] >= 0:
                bill.append(v[_PEAK_I])
        w.raw('},\n "months": [')
        if meter:
            self._profile(w, p, bill)
        else:
            self._flash(w, pk, bill)
        w.raw('],\n "bill": {"average_kw": ')
        raised = 0
        total = 0
        for v in bill[:12]:
            if v < _FLOOR:
                raised += 1
                v = _FLOOR
            total += v
        _kw(w, (total + len(bill[:12]) // 2) // len(bill[:12]) if bill else -1)
        w.raw(', "months": ')
        w.integer(len(bill[:12]))
        w.raw(', "floor_kw": 2.500, "raised": ')
        w.integer(raised)
        w.raw("}}\n")
        return 200

    def _profile(self, w, p, bill):
        k = _PROFILE * _SLOTS
        from dsmr import profile

        try:
            out = array("H", bytes(2 * profile.ENTRY * 13))
            n = profile.entries(p.buf, p.idx[k], p.idx[k + 1], out) if p.idx[k] else 0
        finally:  # (a library module: lazy.py drops only the firmware's)
            sys.modules.pop("dsmr.profile", None)
            d = sys.modules["dsmr"].__dict__
            if "profile" in d:
                del d["profile"]
        for i in range(n):
            o = i * _ENTRY
            b = p.buf
            s = out[o]  # the period's start: the month after the peak's
            y = (b[s] - 0x30) * 10 + b[s + 1] - 0x30
            mo = (b[s + 2] - 0x30) * 10 + b[s + 3] - 0x30 - 1
            if mo < 1:
                y, mo = y - 1, 12
            w.raw('\n  {"month": "' if i == 0 else ',\n  {"month": "')
            w.raw("%04d-%02d" % (2000 + y, mo))
            w.raw('", "peak_kw": ')
            w.number(b, out[o + 4], out[o + 5])
            w.raw(', "at": ')
            _stamp(w, b, out[o + 2], out[o + 3])
            w.raw("}")
            bill.append(_milli(b, out[o + 4], out[o + 5]))

    def _flash(self, w, pk, bill):
        try:
            rows = load("peaks_file").read(pk.path)
        finally:
            unload("peaks_file")
        first = True
        for month, peak, q, since in rows:
            if not pk.v[_MONTH] - 13 <= month < pk.v[_MONTH]:  # (a slot left from long ago)
                continue
            w.raw('\n  {"month": ' if first else ',\n  {"month": ')
            first = False
            _month(w, month)
            w.raw(', "peak_kw": ')
            _kw(w, peak)
            w.raw(', "at": ')
            _at(w, q)
            w.raw(', "since": ')
            _at(w, since)
            w.raw("}")
            bill.append(peak)


def _kw(w, watts):
    if watts < 0:
        w.raw("null")
    else:
        w.milli(watts)


def _month(w, key):
    if key < 0:
        w.raw("null")
    else:
        w.raw('"%04d-%02d"' % (key // 12, key % 12 + 1))


def _at(w, q):
    """The local time a quarter (minutes since DAY0 // 15, UTC) starts, ISO 8601 with offset."""
    if q < 0:
        w.raw("null")
        return
    y, mo, d, h, mi, _, _, summer = timestamp.local((q * 15 + timestamp.DAY0 * 1440) * 60)
    w.raw('"%04d-%02d-%02dT%02d:%02d:00+0%d:00"' % (y, mo, d, h, mi, 2 if summer else 1))


def _stamp(w, b, s, e):
    """A DSMR timestamp YYMMDDhhmmssX as ISO 8601 with its offset (S +02:00, W +01:00)."""
    if e - s != 13:
        w.raw("null")
        return
    w.raw('"20')
    for i, sep in ((0, "-"), (2, "-"), (4, "T"), (6, ":"), (8, ":"), (10, "")):
        w.raw(b, s + i, s + i + 2)
        w.raw(sep)
    w.raw("+02:00" if b[s + 12] == 0x53 else "+01:00")
    w.raw('"')


def _milli(b, s, e):
    """Digits with a decimal point as thousandths (4.318 -> 4318), -1 if not a number."""
    v = 0
    frac = -1
    for i in range(s, e):
        c = b[i]
        if c == 0x2E:
            frac = 0
        elif 0x30 <= c <= 0x39:
            if frac < 3:
                v = v * 10 + c - 0x30
                if frac >= 0:
                    frac += 1
        else:
            return -1
    while frac < 3:
        v *= 10
        frac = 0 if frac < 0 else frac
        frac += 1
    return v

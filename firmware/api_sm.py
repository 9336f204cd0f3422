"""The smart-meter endpoints of the DSMRloggerAPI spec, rendered from the telegram.

  /api/v1/sm/info            identification and meter/M-Bus ids
  /api/v1/sm/actual          timestamp, counters, power, per phase, gas_delivered
  /api/v0/sm/actual          the same as one flat object (DSMRloggerWS clients)
  /api/v1/sm/fields          every field, "-" when the meter does not send it
  /api/v1/sm/fields/<name>   timestamp plus that field (404 if unknown)
  /api/v1/sm/telegram        the last CRC-valid telegram, byte for byte

Each handler streams JSON into the server's JsonWriter straight from the
telegram buffer (no dicts, no strings built per request) and returns the
status. Before the first telegram they answer 503 with a JSON error and
`Retry-After`, so clients can tell "no data yet" from "no such thing".
"""

from dsmr import fields
from dsmr.fields import DBL, NAMES, NUM, OFFSETS

_NO_TELEGRAM = b'{"error": "no telegram received from the meter yet"}\n'
_GAS = b"gas_delivered"


def _names(*names):
    return tuple(fields.index(n) for n in names)


_INFO = _names("identification", "p1_version", "p1_version_be", "equipment_id", "electricity_tariff") + tuple(
    fields.index("mbus%d_%s" % (n, s)) for n in range(1, 5) for s in ("device_type", "equipment_id_tc", "equipment_id_ntc")
)
_ACTUAL = _names(
    "timestamp",
    "energy_delivered_tariff1",
    "energy_delivered_tariff2",
    "energy_returned_tariff1",
    "energy_returned_tariff2",
    "power_delivered",
    "power_returned",
    "voltage_l1",
    "voltage_l2",
    "voltage_l3",
    "current_l1",
    "current_l2",
    "current_l3",
    "power_delivered_l1",
    "power_delivered_l2",
    "power_delivered_l3",
    "power_returned_l1",
    "power_returned_l2",
    "power_returned_l3",
)
_TIMESTAMP = fields.TIMESTAMP
_FIELDS_PREFIX = len(b"/api/v1/sm/fields/")

_INDEX_HTML = b"""<!doctype html><meta charset=utf-8><title>dsmr-api</title><h1>dsmr-api</h1><ul>
<li><a href=/api/v1/sm/actual>actual</a><li><a href=/api/v1/sm/info>info</a>
<li><a href=/api/v1/sm/fields>fields</a><li><a href=/api/v1/sm/telegram>telegram</a>
<li><a href=/api/v0/sm/actual>v0 actual</a></ul>
"""


class SmartMeterApi:
    def __init__(self, reader):
        self.reader = reader
        self._gas = -1
        self._gas_for = -1

    # -- helpers -----------------------------------------------------------

    def _ready(self, req, w):
        """False (after writing the 503 body) while no telegram has arrived."""
        if self.reader.parser.telegrams:
            return True
        req.extra = b"Retry-After: 5\r\n"
        w.raw(_NO_TELEGRAM)
        return False

    def _gas_field(self):
        p = self.reader.parser
        if self._gas_for != p.telegrams:
            self._gas = p.gas_field()
            self._gas_for = p.telegrams
        return self._gas

    def _value(self, w, f, with_unit):
        """Writes field f's JSON value (and `, "unit": ".."` if it has one)."""
        p = self.reader.parser
        idx = p.idx
        k = f * 6
        s = idx[k]
        if s == 0:
            w.raw(b'"-"')
            return
        kind = fields.KINDS[f]
        if kind == NUM or kind == DBL:
            w.number(p.buf, s, idx[k + 1])
        else:
            w.string(p.buf, s, idx[k + 1])
        us = idx[k + 2]
        if with_unit and us:
            w.raw(b', "unit": ')
            w.string(p.buf, us, idx[k + 3])

    def _entry(self, w, first, f, name=None):
        w.raw(b'\n {"name": "' if first else b',\n {"name": "')
        if name is None:
            w.raw(NAMES, OFFSETS[f], OFFSETS[f + 1] - 1)
        else:
            w.raw(name)
        w.raw(b'", "value": ')
        self._value(w, f, True)
        w.raw(b"}")

    # -- handlers ------------------------------------------------------------

    def index(self, req, w):
        req.ctype = b"text/html; charset=utf-8"
        w.raw(_INDEX_HTML)
        return 200

    def info(self, req, w):
        if not self._ready(req, w):
            return 503
        p = self.reader.parser
        w.raw(b'{"info":[')
        first = True
        for f in _INFO:
            if p.idx[f * 6]:
                self._entry(w, first, f)
                first = False
        w.raw(b"\n]}\n")
        return 200

    def actual(self, req, w):
        if not self._ready(req, w):
            return 503
        p = self.reader.parser
        w.raw(b'{"actual":[')
        first = True
        for f in _ACTUAL:
            if p.idx[f * 6]:
                self._entry(w, first, f)
                first = False
        g = self._gas_field()
        if g >= 0:
            self._entry(w, first, g, _GAS)
        w.raw(b"\n]}\n")
        return 200

    def actual_v0(self, req, w):
        if not self._ready(req, w):
            return 503
        p = self.reader.parser
        w.raw(b"{")
        first = True
        for f in _ACTUAL:
            if p.idx[f * 6]:
                w.raw(b'\n "' if first else b',\n "')
                w.raw(NAMES, OFFSETS[f], OFFSETS[f + 1] - 1)
                w.raw(b'": ')
                self._value(w, f, False)
                first = False
        g = self._gas_field()
        if g >= 0:
            w.raw(b'\n "' if first else b',\n "')
            w.raw(_GAS)
            w.raw(b'": ')
            self._value(w, g, False)
        w.raw(b"\n}\n")
        return 200

    def fields(self, req, w):
        if not self._ready(req, w):
            return 503
        w.raw(b'{"fields":[')
        for f in range(fields.COUNT):
            self._entry(w, f == 0, f)
        w.raw(b"\n]}\n")
        return 200

    def field(self, req, w):
        name = req.path[_FIELDS_PREFIX:]
        f = fields.index(name)
        if f < 0:
            w.raw(b'{"error": "unknown field: ')
            w.escaped(name)
            w.raw(b'"}\n')
            return 404
        if not self._ready(req, w):
            return 503
        w.raw(b'{"fields":[')
        if f != _TIMESTAMP:
            self._entry(w, True, _TIMESTAMP)
        self._entry(w, f == _TIMESTAMP, f)
        w.raw(b"\n]}\n")
        return 200

    def telegram(self, req, w):
        if not self._ready(req, w):
            return 503
        p = self.reader.parser
        req.ctype = b"text/plain; charset=us-ascii"
        w.raw(p.buf, 0, p.length)
        return 200

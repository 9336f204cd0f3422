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

_SLOTS = const(6)  # p.idx per field, start and end of each: value, unit, stamp (lib/dsmr/index.py)
_UNIT = const(2)  # where in them the unit is

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



class SmartMeterApi:
    def __init__(self, reader):
        self.parser = reader.parser
        self._gas = -1
        self._gas_for = -1

    def _gas_field(self):
        p = self.parser
        if self._gas_for != p.telegrams:
            self._gas = p.gas_field()
            self._gas_for = p.telegrams
        return self._gas

    def _item(self, w, first, f, name, flat):
        """One field: `"name": value` (flat) or `{"name": .., "value": .., "unit": ..}`."""
        if flat:
            w.raw('\n "' if first else ',\n "')
        else:
            w.raw('\n {"name": "' if first else ',\n {"name": "')
        if name is None:
            w.raw(NAMES, OFFSETS[f], OFFSETS[f + 1] - 1)
        else:
            w.raw(name)
        w.raw('": ' if flat else '", "value": ')
        p = self.parser
        idx = p.idx
        k = f * _SLOTS
        s = idx[k]
        if s == 0:
            w.raw('"-"')
        else:
            kind = fields.KINDS[f]
            if kind == NUM or kind == DBL:
                w.number(p.buf, s, idx[k + 1])
            else:
                w.string(p.buf, s, idx[k + 1])
            if not flat and idx[k + _UNIT]:
                w.raw(', "unit": ')
                w.string(p.buf, idx[k + _UNIT], idx[k + _UNIT + 1])
        if not flat:
            w.raw("}")

    def _list(self, req, w, head, which, present, gas, flat):
        """Renders the fields in `which` (all when None): only those the meter
        sent if `present`, else "-" for absent ones; then gas_delivered if asked."""
        p = self.parser
        if not p.telegrams:
            req.extra = b"Retry-After: 5\r\n"
            w.raw(_NO_TELEGRAM)
            return 503
        w.raw(head)
        first = True
        n = fields.COUNT if which is None else len(which)
        for i in range(n):  # (a plain range loop allocates nothing)
            f = i if which is None else which[i]
            if not present or p.idx[f * _SLOTS]:
                self._item(w, first, f, None, flat)
                first = False
        if gas:
            g = self._gas_field()
            if g >= 0:
                self._item(w, first, g, _GAS, flat)
        w.raw("\n}\n" if flat else "\n]}\n")
        return 200

    # -- handlers: (req, w) -> status ----------------------------------------

    def info(self, req, w):
        return self._list(req, w, '{"info":[', _INFO, True, False, False)

    def actual(self, req, w):
        return self._list(req, w, '{"actual":[', _ACTUAL, True, True, False)

    def actual_v0(self, req, w):
        return self._list(req, w, "{", _ACTUAL, True, True, True)

    def fields(self, req, w):
        return self._list(req, w, '{"fields":[', None, False, False, False)

    def field(self, req, w):
        name = req.path[_FIELDS_PREFIX:]
        f = fields.index(name)
        if f < 0:
            w.raw('{"error": "unknown field: ')
            w.escaped(name)
            w.raw('"}\n')
            return 404
        if f == _TIMESTAMP:
            return self._list(req, w, '{"fields":[', (f,), False, False, False)
        return self._list(req, w, '{"fields":[', (_TIMESTAMP, f), False, False, False)

    def telegram(self, req, w):
        p = self.parser
        if not p.telegrams:
            return self._list(req, w, "", (), True, False, False)  # the 503 answer
        req.ctype = b"text/plain; charset=us-ascii"
        w.raw(p.buf, 0, p.length)
        return 200

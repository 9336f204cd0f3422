"""The field table: every value dsmr-api knows, its OBIS code and its kind.

One declarative list drives the parser (which OBIS line fills which slot),
the REST API (names, order, text or number) and later MQTT. The order is the
order of the DSMRloggerAPI `/api/v1/sm/fields` answer; fields beyond that
spec (the Belgian capacity-tariff values) come after it.

Kinds:
  TEXT  a JSON string: ids, versions, tariff, timestamps, messages
  NUM   a number, printed from the telegram's own digits, with its unit
  LOG   the raw text after the OBIS code (the power failure log, profiles)
  DBL   DSMR 2.2/3 M-Bus reading: unit in the last group, value on the next line

An OBIS code A-B:C.D.E is packed into one small int, `obis_key(a, b, c, d, e)`,
so the scanner matches lines without building strings.
"""

from ._compat import const

TEXT = const(0)
NUM = const(1)
LOG = const(2)
DBL = const(3)


def obis_key(a, b, c, d, e):
    """Packs A-B:C.D.E (A <= 1, B <= 7, C/D/E <= 255) into 28 bits."""
    return ((((a << 3) | b) << 8 | c) << 8 | d) << 8 | e


def _obis(text):
    a, rest = text.split("-")
    b, rest = rest.split(":")
    c, d, e = rest.split(".")
    return obis_key(int(a), int(b), int(c), int(d), int(e))


def _table():
    t = [
        ("identification", None, TEXT),
        ("p1_version", "1-3:0.2.8", TEXT),
        ("p1_version_be", "0-0:96.1.4", TEXT),
        ("timestamp", "0-0:1.0.0", TEXT),
        ("equipment_id", "0-0:96.1.1", TEXT),
        ("energy_delivered_tariff1", "1-0:1.8.1", NUM),
        ("energy_delivered_tariff2", "1-0:1.8.2", NUM),
        ("energy_returned_tariff1", "1-0:2.8.1", NUM),
        ("energy_returned_tariff2", "1-0:2.8.2", NUM),
        ("electricity_tariff", "0-0:96.14.0", TEXT),
        ("power_delivered", "1-0:1.7.0", NUM),
        ("power_returned", "1-0:2.7.0", NUM),
        ("electricity_threshold", "0-0:17.0.0", NUM),
        ("electricity_switch_position", "0-0:96.3.10", NUM),
        ("electricity_failures", "0-0:96.7.21", NUM),
        ("electricity_long_failures", "0-0:96.7.9", NUM),
        ("electricity_failure_log", "1-0:99.97.0", LOG),
    ]
    for i, c in enumerate((32, 52, 72)):
        t.append(("electricity_sags_l%d" % (i + 1), "1-0:%d.32.0" % c, NUM))
    for i, c in enumerate((32, 52, 72)):
        t.append(("electricity_swells_l%d" % (i + 1), "1-0:%d.36.0" % c, NUM))
    t.append(("message_short", "0-0:96.13.1", TEXT))
    t.append(("message_long", "0-0:96.13.0", TEXT))
    for name, cs in (
        ("voltage_l%d", (32, 52, 72)),
        ("current_l%d", (31, 51, 71)),
        ("power_delivered_l%d", (21, 41, 61)),
        ("power_returned_l%d", (22, 42, 62)),
    ):
        for i, c in enumerate(cs):
            t.append((name % (i + 1), "1-0:%d.7.0" % c, NUM))
    for n in range(1, 5):
        for suffix, code, kind in (
            ("device_type", "24.1.0", NUM),
            ("equipment_id_tc", "96.1.0", TEXT),
            ("equipment_id_ntc", "96.1.1", TEXT),
            ("valve_position", "24.4.0", NUM),
            ("delivered", "24.2.1", NUM),
            ("delivered_ntc", "24.2.3", NUM),
            ("delivered_dbl", "24.3.0", DBL),
        ):
            t.append(("mbus%d_%s" % (n, suffix), "0-%d:%s" % (n, code), kind))
    # Beyond the DSMRloggerAPI spec: Belgian (Fluvius) capacity tariff.
    t.append(("active_energy_import_current_average_demand", "1-0:1.4.0", NUM))
    t.append(("active_energy_import_maximum_demand_running_month", "1-0:1.6.0", NUM))
    t.append(("active_energy_import_maximum_demand_last_13_months", "0-0:98.1.0", LOG))
    return t


_T = _table()

#: field names as bytes, in API order
NAMES = tuple(n.encode() for n, _, _ in _T)
#: packed OBIS key per field (-1: not an OBIS line)
KEYS = tuple(-1 if o is None else _obis(o) for _, o, _ in _T)
#: kind per field
KINDS = bytes(k for _, _, k in _T)
COUNT = len(_T)
#: spec fields end here; the rest are extensions
SPEC_COUNT = NAMES.index(b"mbus4_delivered_dbl") + 1
del _T


def index(name):
    """Field number for `name` (str or bytes), or -1 when unknown."""
    if isinstance(name, str):
        name = name.encode()
    try:
        return NAMES.index(name)
    except ValueError:
        return -1


IDENTIFICATION = const(0)
TIMESTAMP = const(3)

"""The field table: every value dsmr-api knows, its OBIS code and its kind.

One declarative table (`_TABLE` below, one field per line) drives the parser
(which OBIS line fills which slot), the REST API (names, order, text or
number) and later MQTT. The order is the order of the DSMRloggerAPI
`/api/v1/sm/fields` answer; fields beyond that spec (the Belgian
capacity-tariff values) come after it. `mbusN_*` lines stand for N = 1..4.

Kinds:
  T (TEXT)  a JSON string: ids, versions, tariff, timestamps, messages
  N (NUM)   a number, printed from the telegram's own digits, with its unit
  L (LOG)   the raw text after the OBIS code (the power failure log, profiles)
  D (DBL)   DSMR 2.2/3 M-Bus reading: unit in the last group, value on the next line

At import the table is packed into a few flat objects (a dozen bytes per
field instead of a Python object per name): NAMES, one bytes object holding
every name between newlines, field f's name being NAMES[OFFSETS[f]:OFFSETS[f+1]-1];
KEYS, the packed OBIS code per field (`obis_key(a, b, c, d, e)`); KINDS.
"""

from array import array

from ._compat import const

TEXT = const(0)
NUM = const(1)
LOG = const(2)
DBL = const(3)

_TABLE = """\
identification - T
p1_version 1-3:0.2.8 T
p1_version_be 0-0:96.1.4 T
timestamp 0-0:1.0.0 T
equipment_id 0-0:96.1.1 T
energy_delivered_tariff1 1-0:1.8.1 N
energy_delivered_tariff2 1-0:1.8.2 N
energy_returned_tariff1 1-0:2.8.1 N
energy_returned_tariff2 1-0:2.8.2 N
electricity_tariff 0-0:96.14.0 T
power_delivered 1-0:1.7.0 N
power_returned 1-0:2.7.0 N
electricity_threshold 0-0:17.0.0 N
electricity_switch_position 0-0:96.3.10 N
electricity_failures 0-0:96.7.21 N
electricity_long_failures 0-0:96.7.9 N
electricity_failure_log 1-0:99.97.0 L
electricity_sags_l1 1-0:32.32.0 N
electricity_sags_l2 1-0:52.32.0 N
electricity_sags_l3 1-0:72.32.0 N
electricity_swells_l1 1-0:32.36.0 N
electricity_swells_l2 1-0:52.36.0 N
electricity_swells_l3 1-0:72.36.0 N
message_short 0-0:96.13.1 T
message_long 0-0:96.13.0 T
voltage_l1 1-0:32.7.0 N
voltage_l2 1-0:52.7.0 N
voltage_l3 1-0:72.7.0 N
current_l1 1-0:31.7.0 N
current_l2 1-0:51.7.0 N
current_l3 1-0:71.7.0 N
power_delivered_l1 1-0:21.7.0 N
power_delivered_l2 1-0:41.7.0 N
power_delivered_l3 1-0:61.7.0 N
power_returned_l1 1-0:22.7.0 N
power_returned_l2 1-0:42.7.0 N
power_returned_l3 1-0:62.7.0 N
mbusN_device_type 0-N:24.1.0 N
mbusN_equipment_id_tc 0-N:96.1.0 T
mbusN_equipment_id_ntc 0-N:96.1.1 T
mbusN_valve_position 0-N:24.4.0 N
mbusN_delivered 0-N:24.2.1 N
mbusN_delivered_ntc 0-N:24.2.3 N
mbusN_delivered_dbl 0-N:24.3.0 D
active_energy_import_current_average_demand 1-0:1.4.0 N
active_energy_import_maximum_demand_running_month 1-0:1.6.0 N
active_energy_import_maximum_demand_last_13_months 0-0:98.1.0 L
"""
#: the last field of the DSMRloggerAPI spec; the ones after it are extensions
_LAST_SPEC_FIELD = "mbus4_delivered_dbl"


def obis_key(a, b, c, d, e):
    """Packs A-B:C.D.E (A <= 1, B <= 7, C/D/E <= 255) into 28 bits."""
    return ((((a << 3) | b) << 8 | c) << 8 | d) << 8 | e


def _parse_obis(text):
    if text == "-":
        return -1
    a, rest = text.split("-")
    b, rest = rest.split(":")
    c, d, e = rest.split(".")
    return obis_key(int(a), int(b), int(c), int(d), int(e))


def _expand():
    """The table's lines with the mbusN block repeated for channels 1..4."""
    lines = _TABLE.split("\n")
    out = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("mbusN_"):
            j = i
            while lines[j].startswith("mbusN_"):
                j += 1
            for n in range(1, 5):
                for ln in lines[i:j]:
                    out.append(ln.replace("N", str(n), 2))
            i = j
        elif lines[i]:
            out.append(lines[i])
            i += 1
        else:
            i += 1
    return out


def _pack():
    rows = _expand()
    names = "\n" + "\n".join(r.split(" ")[0] for r in rows) + "\n"
    keys = array("i", [_parse_obis(r.split(" ")[1]) for r in rows])
    kinds = bytes("TNLD".index(r.split(" ")[2]) for r in rows)
    return names.encode(), keys, kinds


NAMES, KEYS, KINDS = _pack()
COUNT = len(KINDS)
OFFSETS = array("H")  # where each name starts, then len(NAMES)
for _i in range(len(NAMES)):
    if NAMES[_i] == 10:
        OFFSETS.append(_i + 1)
del _i, _TABLE, _expand, _pack, _parse_obis  # only needed to build the table


def name_span(f):
    """(start, end) of field f's name in NAMES."""
    return OFFSETS[f], OFFSETS[f + 1] - 1


def name(f):
    """Field f's name as str (allocates; for tools and tests)."""
    s, e = name_span(f)
    return NAMES[s:e].decode()


def index(name):
    """Field number for `name` (str, bytes or memoryview), or -1 when unknown."""
    if isinstance(name, str):
        name = name.encode()
    if not name or b"\n" in name:
        return -1
    pos = NAMES.find(b"\n" + bytes(name) + b"\n")
    if pos < 0:
        return -1
    lo, hi = 0, COUNT
    while lo < hi:  # the field whose name starts at pos + 1
        mid = (lo + hi) // 2
        if OFFSETS[mid] < pos + 1:
            lo = mid + 1
        else:
            hi = mid
    return lo


SPEC_COUNT = index(_LAST_SPEC_FIELD) + 1
IDENTIFICATION = const(0)
TIMESTAMP = const(3)

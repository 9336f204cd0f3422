"""The field table: every value dsmr-api knows, its OBIS code and its kind.

One declarative table (`_table.py`, one field per line) drives the parser
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

import sys as _sys
from array import array

from ._compat import const

TEXT = const(0)
NUM = const(1)
LOG = const(2)
DBL = const(3)

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
    from . import _table

    lines = _table.TABLE.split("\n")
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
# Only needed to build the table. The table text is dropped with its module:
# a module's string constants live as long as any of its functions.
del _i, _expand, _pack, _parse_obis
_sys.modules.pop(__name__.rsplit(".", 1)[0] + "._table", None)
try:
    del _sys.modules[__name__.rsplit(".", 1)[0]]._table  # pyright: ignore
except (KeyError, AttributeError):
    pass


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

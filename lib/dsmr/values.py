"""Field values of a P1Parser's current telegram as Python objects (they allocate).

For scripts, tools and tests; the firmware renders straight from the
telegram bytes instead (jsonw.py) and does not load this module.

    from dsmr import P1Parser, fields, values
    values.text(p, fields.index("power_delivered"))    # "00.037"
    values.number(p, f), values.unit(p, f)              # 0.037, "kW"

`f` is a field number (fields.index(name)); absent fields give None (and "").
"""

from ._compat import const
from .index import SLOTS

_UNIT = const(2)  # index.py's slots
_STAMP = const(4)


def _span(p, f, k):
    i = f * SLOTS + k
    return p.idx[i], p.idx[i + 1]


def span(p, f):
    """(start, end) of field f's value in p.buf; (0, 0) when absent."""
    return _span(p, f, 0)


def unit_span(p, f):
    return _span(p, f, _UNIT)


def stamp_span(p, f):
    """Where the first group of a multi-group line is (e.g. the M-Bus reading time)."""
    return _span(p, f, _STAMP)


def _text(p, s, e):
    return bytes(p.buf[s:e]).decode()


def text(p, f):
    """Field f's raw value as str, or None when absent."""
    if not p.present(f):
        return None
    return _text(p, *span(p, f))


def unit(p, f):
    s, e = unit_span(p, f)
    return _text(p, s, e) if s and p.present(f) else ""


def stamp(p, f):
    s, e = stamp_span(p, f)
    return _text(p, s, e) if s and p.present(f) else None


def number(p, f):
    """Field f's value as a float, or None when absent or not a number."""
    t = text(p, f)
    try:
        return float(t) if t is not None else None
    except ValueError:
        return None

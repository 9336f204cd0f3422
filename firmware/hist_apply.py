"""A month's correction applied (hist_correct.py, after the gate): the body read, the record written.

The numbers are read from their decimal digits (never through a float: the
dongle's floats are single precision, 123456.789 would become 123456.792).
Loaded with history_file.py after the write's gate has passed, and both are
dropped before the answer is written: the gate's code, the records' and an
error's are never in the heap together.
"""

import json

from . import history_file


def apply(req, ring):
    """The month's recid (bytes) once its counters are set, or what is wrong (str)."""
    try:
        doc = json.loads(_numbers_quoted(bytes(req.body or b"")))
        key = history_file.month_key(str(doc["recid"]))
        if key < 0:
            raise ValueError
        old = history_file.read(ring, key)
        vals = []
        for j, c in enumerate(history_file.COUNTERS):
            if c in doc:
                v = _milli(doc[c])
                if v < 0:  # a meter's counter has 6 digits and 3 decimals
                    return "%s must be a reading from 0 to 999999.999" % c
                vals.append(v)
            else:
                vals.append(old[j] if old else 0)
    except (ValueError, KeyError, TypeError):
        return 'send {"recid": "YYMM", "edt1": kWh, ...}'
    if ring.key >= 0 and not ring.key - ring.slots < key <= ring.key:
        return "that month is not in the history"
    if key == ring.key:
        for j in range(5):
            ring.cur[j] = vals[j]
    else:
        history_file.write(ring, key, vals)
    return str(doc["recid"]).encode()


def _numbers_quoted(body):
    """The JSON text with every bare number put in quotes, so json.loads hands
    over its digits as they were sent rather than as a (float32) number."""
    out = bytearray()
    in_str = esc = num = False
    for c in body:
        if in_str:
            if esc:
                esc = False
            elif c == 0x5C:  # backslash
                esc = True
            elif c == 0x22:
                in_str = False
        elif num and not (0x30 <= c <= 0x39 or c in b".eE+-"):
            out.append(0x22)
            num = False
        elif c == 0x22:
            in_str = True
        elif not num and (0x30 <= c <= 0x39 or c == 0x2D):  # a number starts
            out.append(0x22)
            num = True
        out.append(c)
    if num:
        out.append(0x22)
    return bytes(out)


def _milli(text):
    """Thousandths of a reading written as decimal digits ("123456.789" ->
    123456789, at most 6 digits before the point and 3 after), or -1."""
    if not isinstance(text, str):
        return -1
    whole, dot, frac = text.partition(".")
    if not (whole.isdigit() and len(whole) <= 6 and (not dot or frac.isdigit() and len(frac) <= 3)):
        return -1
    return int(whole) * 1000 + int((frac + "000")[:3])

"""Indexes a CRC-checked telegram: where each known field's value sits in it.

`index_lines()` is a viper loop (plain Python under CPython) that walks the
telegram once, reads each line's OBIS code as numbers, looks it up in the
field table and records byte offsets in an array of uint16, 6 per field:

  [value start, value end, unit start, unit end, stamp start, stamp end]
   ^ f * SLOTS              ^ + _UNIT              ^ + _STAMP   (each end: start + 1)

Value start 0 means "absent" (offset 0 is always the '/'). The unit is what
follows '*' in the value group; the stamp is the first group of a line that
has several, e.g. the M-Bus reading time of `0-1:24.2.1(ts)(value*m3)`.
Nothing is copied and nothing allocated: values are read from, and later
rendered straight out of, the telegram buffer. `const()` names are folded only
in the module that defines them, so each module that reads the index names
the slots it uses the same way (`_SLOTS`, `_UNIT`, `_STAMP`: no heap, no
lookup); tests/test_index_slots.py checks they agree with these.

`table()` builds the int array the loop needs from `fields`:
[count, key of each field, kind of each field].
"""

from array import array

from . import fields
from ._compat import const, micropython

SLOTS = const(6)  # per field: its value's start (0: absent) and, at + 1, end, then ...
_UNIT = const(2)  # ... its unit's (after '*'; 0: none) ...
_STAMP = const(4)  # ... and the first group's of a line with several (0: none)

_LOG = const(2)
_DBL = const(3)


def table():
    n = fields.COUNT
    t = array("i", bytes(4 * (1 + 2 * n)))
    t[0] = n
    for i in range(n):
        t[1 + i] = fields.KEYS[i]
        t[1 + n + i] = fields.KINDS[i]
    return t


def new_index():
    return array("H", bytes(2 * SLOTS * fields.COUNT))


@micropython.viper
def index_lines(buf: ptr8, n: int, tab: ptr32, idx: ptr16) -> int:
    nf = int(tab[0])
    j = 0
    while j < nf * SLOTS:
        idx[j] = 0
        j += 1
    # The header line after '/' is the identification (field 0).
    p = 1
    while p < n and int(buf[p]) != 13 and int(buf[p]) != 10:
        p += 1
    idx[0] = 1
    idx[1] = p
    found = 1
    while p < n:
        c = int(buf[p])
        if c == 13 or c == 10:
            p += 1
            continue
        if c == 0x21:  # '!': end of data
            break
        # OBIS code A-B:C.D.E( as five numbers
        key = 0
        part = 0
        ok = 1
        while part < 5:
            v = 0
            nd = 0
            while p < n:
                c = int(buf[p])
                if c < 0x30 or c > 0x39:
                    break
                v = v * 10 + c - 0x30
                nd += 1
                p += 1
            if nd == 0 or nd > 3 or p >= n:
                ok = 0
                break
            c = int(buf[p])
            if part == 0:
                if c != 0x2D or v > 1:
                    ok = 0
                    break
            elif part == 1:
                if c != 0x3A or v > 7:
                    ok = 0
                    break
            elif part == 4:
                if c != 0x28 or v > 255:
                    ok = 0
                    break
            elif c != 0x2E or v > 255:
                ok = 0
                break
            if part < 2:
                key = (key << 3) | v
            else:
                key = (key << 8) | v
            part += 1
            if part < 5:
                p += 1
        f = -1
        if ok:
            j = 0
            while j < nf:
                if int(tab[1 + j]) == key:
                    f = j
                    break
                j += 1
        if f < 0:
            # not a line we know: skip it
            while p < n and int(buf[p]) != 10:
                p += 1
            continue
        kind = int(tab[1 + nf + f])
        # p is at the first '('; find the first and last (...) groups
        first = p
        fs = 0
        fe = 0
        ls = 0
        le = 0
        groups = 0
        gs = 0
        while p < n:
            c = int(buf[p])
            if c == 13 or c == 10:
                break
            if c == 0x28:
                gs = p + 1
            elif c == 0x29 and gs > 0:
                if groups == 0:
                    fs = gs
                    fe = p
                ls = gs
                le = p
                groups += 1
                gs = 0
            p += 1
        if groups == 0:
            continue
        vs = ls
        ve = le
        us = 0
        ue = 0
        if kind == _LOG:
            vs = first
            ve = p
        elif kind == _DBL:
            # unit in the last group, value in the group on the next line
            us = ls
            ue = le
            q = p
            while q < n and (int(buf[q]) == 13 or int(buf[q]) == 10):
                q += 1
            if q >= n or int(buf[q]) != 0x28:
                continue
            vs = q + 1
            q = vs
            while q < n and int(buf[q]) != 0x29 and int(buf[q]) != 10:
                q += 1
            if q >= n or int(buf[q]) != 0x29:
                continue
            ve = q
            p = q + 1
        else:
            q = vs
            while q < ve:
                if int(buf[q]) == 0x2A:  # '*'
                    us = q + 1
                    ue = ve
                    ve = q
                    break
                q += 1
        k = f * SLOTS
        idx[k] = vs
        idx[k + 1] = ve
        idx[k + _UNIT] = us
        idx[k + _UNIT + 1] = ue
        if groups > 1:
            idx[k + _STAMP] = fs
            idx[k + _STAMP + 1] = fe
        found += 1
    return found

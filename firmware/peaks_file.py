"""Past months' quarter-hour peaks on flash (peaks.py), and the month change that writes them.

One file of 13 fixed 18-byte records, the month's slot being its key % 13: the
month (year * 12 + month - 1), its peak (W), the quarter it happened in and the
first quarter counted (minutes since timestamp.DAY0 // 15, UTC), and a CRC-16,
so a record torn by a power cut reads as missing. Loaded when a month ends
(once a month) and for /api/v1/sm/peaks, dropped after.
"""

import struct

from dsmr import timestamp
from dsmr._compat import const
from dsmr.crc16 import crc16

from . import log

# peaks.py's `v`
_MONTH = const(6)
_LO = const(7)
_HI = const(8)
_PEAK = const(9)
_PEAK_Q = const(10)
_SINCE = const(11)
_WRITES = const(12)

_FMT = "<I3iH"
SIZE = struct.calcsize(_FMT)
SLOTS = 13


def roll(pk, day):
    """The running month ends (or the first telegram came): writes the finished month's
    peak, then makes day `day` (since 1970) the running month."""
    v = pk.v
    if v[_MONTH] >= 0 and v[_PEAK] >= 0:
        try:
            write(pk.path, v[_MONTH], v[_PEAK], v[_PEAK_Q], v[_SINCE])
            v[_WRITES] += 1
        except OSError as e:  # (a full or failing flash: that month is lost, and logged)
            log.error("peaks: month %d not written: %r", v[_MONTH], e)
    y, m, _ = timestamp.civil_from_days(day)
    v[_MONTH] = y * 12 + m - 1
    v[_LO] = timestamp.days_from_civil(y, m, 1) - timestamp.DAY0
    v[_HI] = timestamp.days_from_civil(y + m // 12, m % 12 + 1, 1) - timestamp.DAY0
    v[_PEAK] = v[_PEAK_Q] = v[_SINCE] = -1


def write(path, month, peak, peak_q, since):
    rec = struct.pack("<I3i", month, peak, peak_q, since)
    rec += struct.pack("<H", crc16(rec))
    try:
        f = open(path, "r+b")
    except OSError:
        f = open(path, "wb")  # the first month: the file starts
        f.write(bytes(SIZE * SLOTS))
    with f:
        f.seek(month % SLOTS * SIZE)
        f.write(rec)


def read(path):
    """[(month, peak W, peak quarter, first quarter counted)] of every readable record,
    newest first."""
    out = []
    try:
        with open(path, "rb") as f:
            raw = f.read(SIZE * SLOTS)
    except OSError:
        return out
    for i in range(len(raw) // SIZE):
        r = raw[i * SIZE : (i + 1) * SIZE]
        k, peak, q, since, crc = struct.unpack(_FMT, r)
        if k and k % SLOTS == i and crc == crc16(r[: SIZE - 2]):
            out.append((k, peak, q, since))
    out.sort(reverse=True)
    return out

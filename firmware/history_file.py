"""The history rings' files: fixed 26-byte records, reading, writing, usage.

A record is a period's key, the five cumulative counters in thousandths and
a CRC-16 over the rest, so a record torn by a power cut reads as empty and
the others are untouched (history.py explains the rings). Loaded when a
period ends and for the history endpoints (api_hist.py), dropped after.
"""

import os
import struct

from dsmr import timestamp
from dsmr.crc16 import crc16

from . import log
from .history import HOURS, DAYS

_FMT = "<I5iH"
SIZE = struct.calcsize(_FMT)  # 26 bytes
NAMES = ("hours", "days", "months")
COUNTERS = ("edt1", "edt2", "ert1", "ert2", "gdt")
# beyond this per hour a counter did not move, it was replaced (thousandths)
_ABSURD = (200000, 200000, 200000, 200000, 100000)  # 200 kWh / 100 m3 per hour
HOURS_PER = (1, 24, 744)  # hours in a period of each ring (at most)


def ensure(ring):
    """Makes the ring's file `slots` records long (a new size starts it again)."""
    want = ring.slots * SIZE
    try:
        have = os.stat(ring.path)[6]  # (never read whole: a 2000-slot file is 52 KB)
    except OSError:
        have = -1
    if have != want:
        if have >= 0:
            log.warn("history %s: %d slots now, the file had %d: starting it again", ring.path, ring.slots, have // SIZE)
        zeros = bytes(SIZE * 16)
        with open(ring.path, "wb") as f:
            for _ in range(want // len(zeros)):
                f.write(zeros)
            f.write(zeros[: want % len(zeros)])


def read(ring, key):
    """The counters recorded for period `key`, or None (never written, or damaged)."""
    if key == ring.key:
        return tuple(ring.cur)
    if key < 0:
        return None
    with open(ring.path, "rb") as f:
        f.seek((key % ring.slots) * SIZE)
        raw = f.read(SIZE)
    return decode(raw, key)


def newest_key(ring, f, raw):
    """The newest period with a record: the current one (RAM) once a telegram came,
    else the file's newest readable record (a restart with the meter unplugged still
    shows the history); -1 when there is none. `raw`: a SIZE-byte buffer to read into."""
    top = ring.key
    if top >= 0:
        return top
    f.seek(0)
    for slot in range(ring.slots):
        k = _key(raw) if f.readinto(raw) == SIZE else 0
        if k > top and k % ring.slots == slot and decode(raw, k) is not None:
            top = k
    return top if top > 0 else -1  # (key 0 is an all-zero, never-written slot)


def record(ring, f, raw, k):
    """The counters of period k (from RAM for the current one), or None: never
    written, damaged, or overwritten by a newer period. Read into `raw`."""
    if k == ring.key:
        return tuple(ring.cur)
    f.seek((k % ring.slots) * SIZE)
    if f.readinto(raw) == SIZE and _key(raw) == k:
        return decode(raw, k)
    return None


def _key(raw):
    """A record's key (little-endian uint32 in front) without unpacking it."""
    return raw[0] | raw[1] << 8 | raw[2] << 16 | raw[3] << 24


def write(ring, key, values):
    rec = struct.pack("<I5i", key, *values)
    rec += struct.pack("<H", crc16(rec))
    with open(ring.path, "r+b") as f:
        f.seek((key % ring.slots) * SIZE)
        f.write(rec)
    ring.writes += 1


def decode(raw, key):
    if len(raw) != SIZE:
        return None
    # (CRC-16/ARC over the record and its own CRC, little-endian, is 0: no slice)
    if _key(raw) != key or crc16(raw) != 0:
        return None
    return struct.unpack_from("<5i", raw, 4)


def recid(which, key):
    """DSMRloggerAPI's record id: YYMMDDHH (local), YYMMDD or YYMM; and S/W for hours."""
    if which == HOURS:  # (in hours: key * 3600 would be a big int on the dongle)
        summer = timestamp.is_summer_hour(key)
        local = key + (2 if summer else 1)
        y, m, d = timestamp.civil_from_days(local // 24)
        return "%02d%02d%02d%02d" % (y % 100, m, d, local % 24), "S" if summer else "W"
    if which == DAYS:
        y, m, d = timestamp.civil_from_days(key)
        return "%02d%02d%02d" % (y % 100, m, d), None
    return "%02d%02d" % (key // 12 % 100, key % 12 + 1), None


def month_key(recid_text):
    """The month key of a YYMM record id, or -1."""
    if len(recid_text) != 4 or not recid_text.isdigit():
        return -1
    y, m = int(recid_text[:2]), int(recid_text[2:])
    return (2000 + y) * 12 + m - 1 if 1 <= m <= 12 else -1


def usage(newer, older, hours):
    """Per-counter usage between two records `hours` apart at most: (values, baseline),
    where a counter that went down or jumped beyond reason counts 0 and marks a new
    baseline (a replaced meter)."""
    out = []
    baseline = False
    for i in range(5):
        a, b = newer[i], older[i]
        if a < 0 or b < 0:
            out.append(0)
            continue
        d = a - b
        if d < 0 or d > _ABSURD[i] * hours:
            baseline = True
            d = 0
        out.append(d)
    return out, baseline

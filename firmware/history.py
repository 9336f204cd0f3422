"""History: the meter's counters per hour, day and month, in rings on flash.

Each ring is one file of `slots` fixed records (hist_hours 48, hist_days 14,
hist_months 24 by default): a period's key, the five cumulative counters in
thousandths (electricity delivered and returned, tariff 1 and 2; gas), and a
CRC-16 over the rest, so a record torn by a power cut reads as empty and
the others are untouched. The current period lives in RAM and is written
once, when the next period starts: one flash write per ring per period.

Periods come from the meter's own timestamp. Hours are keyed in UTC, using
the timestamp's S/W flag: the autumn hour that happens twice gets two
records, the spring hour that never happens leaves no stale slot. Days and
months are local (Dutch/Belgian) dates. Usage per period is the difference
between consecutive records; a counter that went down or jumped beyond
reason (a new meter) starts a new baseline instead of showing an absurd
number.
"""

import struct
from array import array

from dsmr import fields, timestamp
from dsmr.crc16 import crc16

from . import log

_FMT = "<I5iH"
SIZE = struct.calcsize(_FMT)  # 26 bytes
HOURS = 0
DAYS = 1
MONTHS = 2
NAMES = ("hours", "days", "months")
COUNTERS = ("edt1", "edt2", "ert1", "ert2", "gdt")
_FIELDS = tuple(fields.index(n) for n in (
    "energy_delivered_tariff1", "energy_delivered_tariff2", "energy_returned_tariff1", "energy_returned_tariff2"))
# beyond this per hour a counter did not move, it was replaced (thousandths)
_ABSURD = (200000, 200000, 200000, 200000, 100000)  # 200 kWh / 100 m3 per hour
HOURS_PER = (1, 24, 744)  # hours in a period of each ring (at most)


class Ring:
    def __init__(self, path, slots):
        self.path = path
        self.slots = slots
        self.key = -1  # the current period, kept in RAM
        self.cur = array("i", bytes(20))
        self.writes = 0
        self._ensure()

    def _ensure(self):
        want = self.slots * SIZE
        try:
            with open(self.path, "rb") as f:
                have = len(f.read())
        except OSError:
            have = -1
        if have != want:
            if have >= 0:
                log.warn("history %s: %d slots now, the file had %d: starting it again" % (self.path, self.slots, have // SIZE))
            with open(self.path, "wb") as f:
                f.write(bytes(want))

    def read(self, key):
        """The counters recorded for period `key`, or None (never written, or damaged)."""
        if key == self.key:
            return tuple(self.cur)
        if key < 0:
            return None
        with open(self.path, "rb") as f:
            f.seek((key % self.slots) * SIZE)
            raw = f.read(SIZE)
        return decode(raw, key)

    def newest(self):
        """[(key, counters)] of every readable record, newest first (one file open)."""
        out = []
        if self.key < 0:
            return out
        out.append((self.key, tuple(self.cur)))
        with open(self.path, "rb") as f:
            for k in range(self.key - 1, max(-1, self.key - self.slots), -1):
                f.seek((k % self.slots) * SIZE)
                v = decode(f.read(SIZE), k)
                if v is not None:
                    out.append((k, v))
        return out

    def write(self, key, values):
        rec = struct.pack("<I5i", key, *values)
        rec += struct.pack("<H", crc16(rec))
        with open(self.path, "r+b") as f:
            f.seek((key % self.slots) * SIZE)
            f.write(rec)
        self.writes += 1

    def update(self, key, values):
        """Called per telegram: a new period writes the finished one to flash."""
        if key != self.key:
            if self.key >= 0:
                self.write(self.key, self.cur)
            self.key = key
        for i in range(5):
            self.cur[i] = values[i]


def decode(raw, key):
    if len(raw) != SIZE:
        return None
    k, a, b, c, d, e, crc = struct.unpack(_FMT, raw)
    if k != key or crc != crc16(raw[: SIZE - 2]):
        return None
    return a, b, c, d, e


class History:
    def __init__(self, settings, platform):
        self.rings = (
            Ring(platform.data_path("hist_hours.bin"), settings["hist_hours"]),
            Ring(platform.data_path("hist_days.bin"), settings["hist_days"]),
            Ring(platform.data_path("hist_months.bin"), settings["hist_months"]),
        )
        self.values = array("i", bytes(20))
        self._day = -1
        self._month = -1
        self._gas = -1
        self.skipped = 0  # telegrams without a usable timestamp

    def update(self, p):
        """P1 reader listener: file the current telegram's counters under its periods."""
        ts = fields.TIMESTAMP * 6
        t = timestamp.parse_at(p.buf, p.idx[ts], p.idx[ts + 1])
        if t < 0:
            self.skipped += 1
            return
        local = t + (7200 if p.buf[p.idx[ts + 1] - 1] == 0x53 else 3600)
        day = local // 86400
        if day != self._day:  # once a day: the month, and where the gas is
            self._day = day
            y, m, _ = timestamp.civil_from_days(day)
            self._month = y * 12 + m - 1
            self._gas = p.gas_field()
        v = self.values
        for i in range(4):
            v[i] = p.milli(_FIELDS[i])
        v[4] = p.milli(self._gas) if self._gas >= 0 else -1
        self.rings[HOURS].update(t // 3600, v)
        self.rings[DAYS].update(day, v)
        self.rings[MONTHS].update(self._month, v)

    def writes(self):
        return self.rings[0].writes + self.rings[1].writes + self.rings[2].writes


def recid(which, key):
    """DSMRloggerAPI's record id: YYMMDDHH (local), YYMMDD or YYMM; and S/W for hours."""
    if which == HOURS:
        y, m, d, h, _, _, _, summer = timestamp.local(key * 3600)
        return "%02d%02d%02d%02d" % (y % 100, m, d, h), "S" if summer else "W"
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

"""History: the meter's counters per hour, day and month, in rings on flash.

Each ring is one file of `slots` fixed records (hist_hours 48, hist_days 14,
hist_months 24 by default). The current period lives in RAM and is written
once, when the next period starts: one flash write per ring per period.
This module is what stays in RAM, filing each telegram's counters under its
periods; the file side (records, reading, usage) is history_file.py, loaded
only when a period ends (once an hour) and for the history endpoints.

Periods come from the meter's own timestamp. Hours are keyed in UTC, using
the timestamp's S/W flag: the autumn hour that happens twice gets two
records, the spring hour that never happens leaves no stale slot. Days and
months are local (Dutch/Belgian) dates. Usage per period is the difference
between consecutive records; a counter that went down or jumped beyond
reason (a new meter) starts a new baseline instead of showing an absurd
number.
"""

from array import array

from dsmr import fields, timestamp

from .lazy import load, unload

_SLOTS = const(6)  # p.idx per field, start and end of each: value, unit, stamp (lib/dsmr/index.py)

HOURS = 0
DAYS = 1
MONTHS = 2
_FIELDS = tuple(fields.index(n) for n in (
    "energy_delivered_tariff1", "energy_delivered_tariff2", "energy_returned_tariff1", "energy_returned_tariff2"))


def _files():
    return load("history_file")


class Ring:
    """One ring's file, size, and the current period kept in RAM."""

    def __init__(self, path, slots):
        self.path = path
        self.slots = slots
        self.key = -1  # the current period
        self.cur = array("i", bytes(20))
        self.writes = 0

    def update(self, key, values):
        """Called per telegram: a new period writes the finished one to flash."""
        if key != self.key:
            done = self.key
            self.key = key  # first: a record that cannot be written (flash full, out of
            if done >= 0:  # memory) is lost and logged once, not retried every telegram
                try:
                    _files().write(self, done, self.cur)
                finally:
                    unload("history_file")
        for i in range(5):
            self.cur[i] = values[i]


class History:
    def __init__(self, settings, platform):
        self.rings = (
            Ring(platform.data_path("hist_hours.bin"), settings["hist_hours"]),
            Ring(platform.data_path("hist_days.bin"), settings["hist_days"]),
            Ring(platform.data_path("hist_months.bin"), settings["hist_months"]),
        )
        try:
            f = _files()
            for r in self.rings:
                f.ensure(r)
        finally:
            unload("history_file")
        self.values = array("i", bytes(20))
        self._day = -1
        self._month = -1
        self._gas = -1
        self.skipped = 0  # telegrams without a usable timestamp

    def update(self, p):
        """P1 reader listener: file the current telegram's counters under its periods.
        Allocates nothing, but when a period ends (its record is written) or a day
        begins."""
        ts = fields.TIMESTAMP * _SLOTS
        # minutes, not a Unix time: that is a heap-allocated big int on the dongle
        m = timestamp.minutes_at(p.buf, p.idx[ts], p.idx[ts + 1])
        if m < 0:
            self.skipped += 1
            return
        local = m + (120 if p.buf[p.idx[ts + 1] - 1] == 0x53 else 60)
        day = local // 1440 + timestamp.DAY0  # days since 1970
        if day != self._day:  # once a day: the month, and where the gas is
            self._day = day
            y, mo, _ = timestamp.civil_from_days(day)
            self._month = y * 12 + mo - 1
            self._gas = p.gas_field()
        v = self.values
        for i in range(4):
            v[i] = p.milli(_FIELDS[i])
        v[4] = p.milli(self._gas) if self._gas >= 0 else -1
        self.rings[HOURS].update(m // 60 + timestamp.DAY0 * 24, v)  # hours since 1970
        self.rings[DAYS].update(day, v)
        self.rings[MONTHS].update(self._month, v)

    def writes(self):
        return self.rings[0].writes + self.rings[1].writes + self.rings[2].writes

"""Quarter-hour demand from the import counters: the part that stays in RAM (a few ints).

Belgium's capacity tariff bills the highest quarter-hour of each month (the
average import power over a quarter of an hour). Fluvius meters send it
(1-0:1.4.0, 1-0:1.6.0, 0-0:98.1.0); for every other meter it is computed
here from the import counters (1.8.1 + 1.8.2, in Wh): each quarter of the
meter's clock starts at its first telegram, and a quarter's demand is the
energy from there to the next quarter's first telegram over the seconds in
between (only when that telegram is from the very next quarter: a gap or a
restart makes no quarter). This month's highest quarter is kept in RAM;
when the month ends it goes to flash (peaks_file.py, loaded then: one write
a month). After a restart the month's peak counts from then (SINCE).

Per telegram it also works out the running quarter: seconds into it, the
average so far (the meter's 1-0:1.4.0 when it sends one, else from the
counters) and its projection to the quarter's end (the average for the part
gone, the power now for the rest), for api_peaks.py, api_metrics.py and
mqtt.py. Everything is one int array `v` (the indexes below, compile-time
constants: the modules that read it name the ones they use the same way; in
W, quarters as minutes since timestamp.DAY0 // 15 in UTC, months as
year * 12 + month - 1, -1 for unknown); nothing is allocated but once a month.
"""

from array import array

from dsmr import fields, timestamp
from dsmr._compat import const

from .lazy import load, unload

_SLOTS = const(6)  # p.idx per field, start and end of each: value, unit, stamp (lib/dsmr/index.py)

_Q = const(0)  # the running quarter ...
_T0 = const(1)  # ... the seconds into it of its first telegram, and the counters then (Wh)
_S1 = const(2)
_S2 = const(3)
_LAST = const(4)  # the last whole quarter's demand, and which quarter it was
_LAST_Q = const(5)
_MONTH = const(6)  # the running month (local), its days [LO, HI) since DAY0
_LO = const(7)
_HI = const(8)
_PEAK = const(9)  # this month's highest quarter, which it was, and the first quarter counted
_PEAK_Q = const(10)
_SINCE = const(11)
_WRITES = const(12)  # months written to flash
_T = const(13)  # the running quarter now: seconds into it, average, projection, the power now
_AVG = const(14)
_PROJ = const(15)
_NOW = const(16)

_T1 = fields.index("energy_delivered_tariff1")
_T2 = fields.index("energy_delivered_tariff2")
_P = fields.index("power_delivered")
_F_AVG = fields.index("active_energy_import_current_average_demand")


class Peaks:
    def __init__(self, path):
        self.path = path  # past months' peaks (peaks_file.py)
        self.v = array("i", [-1] * 17)
        self.v[_WRITES] = self.v[_LO] = self.v[_HI] = 0

    def update(self, p):
        """P1 reader listener. Allocates nothing (but once a month)."""
        v = self.v
        b = p.buf
        s = p.idx[fields.TIMESTAMP * _SLOTS]
        m = timestamp.minutes_at(b, s, p.idx[fields.TIMESTAMP * _SLOTS + 1])
        c1 = p.milli(_T1)
        if m < 0 or c1 < 0:
            return
        c2 = p.milli(_T2)
        if c2 < 0:
            c2 = 0
        q = m // 15
        t = (m % 15) * 60 + (b[s + 10] - 0x30) * 10 + b[s + 11] - 0x30
        if q != v[_Q]:
            off = 120 if b[s + 12] == 0x53 else 60  # S: UTC+2, W: UTC+1
            if q == v[_Q] + 1:
                dt = 900 - v[_T0] + t
                e = c1 - v[_S1] + c2 - v[_S2]
                if dt > 0 and e >= 0:
                    w = e * 3600 // dt
                    v[_LAST] = w
                    v[_LAST_Q] = v[_Q]
                    self._month((v[_Q] * 15 + off) // 1440)
                    if w > v[_PEAK]:
                        v[_PEAK] = w
                        v[_PEAK_Q] = v[_Q]
            v[_Q] = q
            v[_T0] = t
            v[_S1] = c1
            v[_S2] = c2
            self._month((q * 15 + off) // 1440)
            if v[_SINCE] < 0:
                v[_SINCE] = q
        now = p.milli(_P)
        avg = p.milli(_F_AVG)
        if avg < 0:
            el = t - v[_T0]
            e = c1 - v[_S1] + c2 - v[_S2]
            avg = -1 if e < 0 else e * 3600 // el if el > 0 else now
        v[_T] = t
        v[_AVG] = avg
        v[_NOW] = now
        v[_PROJ] = (avg * t + now * (900 - t)) // 900 if avg >= 0 and now >= 0 else -1

    def _month(self, day):
        """Local day `day` (since DAY0) is in the running month, or the month is over."""
        if self.v[_LO] <= day < self.v[_HI]:
            return
        try:
            load("peaks_file").roll(self, day + timestamp.DAY0)
        finally:
            unload("peaks_file")

"""The last hour of power, in RAM: what the web page's live chart draws.

One sample every `interval` (10) seconds of the meter's own clock, the net
power in watts (delivered minus returned; negative when solar panels give
back, clamped to +-32767 W), in a ring of 360 16-bit values with the low
16 bits of each one's meter time: an hour in 1.4 KB, nothing allocated per
telegram. /api/v1/sm/samples serves those within the last hour of the
meter's clock, oldest first, with the seconds they span (at most 3600: after
a gap or when the meter sends less often, fewer samples, never older ones).
"""

from array import array

from dsmr import fields, timestamp

_SLOTS = const(6)  # p.idx per field, start and end of each: value, unit, stamp (lib/dsmr/index.py)

_IN = fields.index("power_delivered")
_OUT = fields.index("power_returned")
_HOUR = 3600


class Samples:
    def __init__(self, count=360, interval=10):
        self.watts = array("h", bytes(2 * count))
        self.times = array("H", bytes(2 * count))
        self.count = count
        self.interval = interval
        self.n = 0  # samples stored so far (up to count)
        self.head = 0  # where the next one goes
        self.last_m = -1  # meter time of the last sample: minutes (timestamp.minutes_at) ...
        self.last_s = 0  # ... and seconds (a Unix time would be a big int on the dongle)

    def update(self, p):
        """P1 reader listener. Allocates nothing."""
        ts = fields.TIMESTAMP * _SLOTS
        s = p.idx[ts]
        m = timestamp.minutes_at(p.buf, s, p.idx[ts + 1])
        if m < 0:
            return
        sec = (p.buf[s + 10] - 0x30) * 10 + p.buf[s + 11] - 0x30
        if self.last_m >= 0:
            d = (m - self.last_m) * 60 + sec - self.last_s
            if 0 <= d < self.interval:
                return
            if d < 0 or d >= _HOUR:
                self.n = 0  # the meter's clock went back, or an hour without telegrams: a new hour
        w_in = p.milli(_IN)
        w_out = p.milli(_OUT)
        w = (w_in if w_in > 0 else 0) - (w_out if w_out > 0 else 0)
        self.watts[self.head] = 32767 if w > 32767 else -32767 if w < -32767 else w
        self.times[self.head] = ((m & 0xFFFF) * 60 + sec) & 0xFFFF  # the low 16 bits of its seconds
        self.head = (self.head + 1) % self.count
        if self.n < self.count:
            self.n += 1
        self.last_m = m
        self.last_s = sec

    def _in_hour(self):
        """(how many of the newest samples lie within an hour of the last, their span in s).
        Consecutive samples are less than an hour apart (update() starts over
        otherwise), so each difference of the 16-bit times is exact."""
        t = self.times
        c = self.count
        k = 1 if self.n else 0
        span = 0
        i = (self.head - 1) % c
        while k < self.n:
            j = (i - 1) % c
            d = (t[i] - t[j]) & 0xFFFF
            if span + d > _HOUR:
                break
            span += d
            k += 1
            i = j
        return k, span

    def render(self, req, w):
        n, span = self._in_hour()
        w.raw('{"interval":')
        w.integer(self.interval)
        start = (self.head - n) % self.count
        w.raw(',"span":')
        w.integer(span)
        w.raw(',"watts":[')
        for i in range(n):
            if i:
                w.raw(",")
            w.integer(self.watts[(start + i) % self.count])
        w.raw("]}\n")
        return 200

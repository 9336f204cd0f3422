"""A simulated DSMR 5 meter: three phases, solar on L1, gas on M-Bus channel 1.

`Meter.telegram(unix)` advances the meter to Unix time `unix` and returns
the telegram it would send then, CRLF line ends and a correct CRC. The
numbers hang together: counters grow by power x time on the active tariff
(tariff 1 = low: nights 23-07 and weekends), per-phase powers add up to the
totals, currents follow power / voltage, gas is read every 5 minutes.
Deterministic for a given seed. Runs on CPython (tools/p1sim.py) and
MicroPython, where `SimSource` is the P1 source `DSMR_P1=sim` (one telegram
per second, `sim_speed` meter seconds each).

The counters are whole Wh and litres with the fraction kept apart: on a
float32 port (the ESP32) 6065310.0 Wh + 0.14 Wh is 6065310.0, and a float
counter would never grow. SimSource hands the telegram out line by line
(`Meter.lines()`, the CRC computed as they go), so it never needs one block
the size of a telegram: at 96k of heap that block was what ran out.
"""

import asyncio
import math
import time

from dsmr import seal, timestamp
from dsmr.crc16 import crc16


class Rng:
    """xorshift32: the same numbers on every interpreter (tests/cases_parser.py uses it too)."""

    def __init__(self, seed):
        self.s = (seed or 1) & 0xFFFFFFFF

    def next(self):
        s = self.s
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        self.s = s
        return s

    def random(self):
        return self.next() / 4294967296


class Meter:
    def __init__(self, seed=2024, start=None):
        self.rng = Rng(seed)
        self.t = start
        self.wh = [4491266, 6065310, 788990, 1809893]  # t1, t2 delivered; t1, t2 returned (whole Wh)
        self.wh_frac = [0.0, 0.0, 0.0, 0.0]  # and the fraction of a Wh each has yet to add
        self.gas_l = 3845376  # litres (whole), and the fraction
        self.gas_frac = 0.0
        self.gas_read = 3845376
        self.gas_stamp = None
        self.load = [300.0, 200.0, 150.0]
        self.spike = [0, 0, 0]  # seconds of appliance load left per phase
        self.volts = [230.0, 231.0, 229.5]
        self.delivered = [0, 0, 0]
        self.returned = [0, 0, 0]
        self.tariff = 2
        self.failures = 11
        self.long_failures = 1

    def _solar(self, hour):
        if hour < 7 or hour >= 19:
            return 0.0
        return 2800.0 * math.sin(math.pi * (hour - 7) / 12)

    def _step(self, unix, dt):
        y, mo, d, h, mi, s, wd, _ = timestamp.local(unix)
        hour = h + mi / 60
        self.tariff = 1 if wd >= 5 or h >= 23 or h < 7 else 2
        r = self.rng.random
        solar = self._solar(hour) * (0.85 + 0.15 * r())
        for i in range(3):
            self.load[i] = min(900.0, max(60.0, self.load[i] + (r() - 0.5) * 40))
            if self.spike[i] <= 0 and r() < 0.004:
                self.spike[i] = 60 + int(r() * 240)
            extra = 1900.0 if self.spike[i] > 0 else 0.0
            self.spike[i] -= dt
            net = self.load[i] + extra - (solar if i == 0 else 0.0)
            self.delivered[i] = int(net) if net > 0 else 0
            self.returned[i] = int(-net) if net < 0 else 0
            self.volts[i] = min(245.0, max(220.0, self.volts[i] + (r() - 0.5) * 0.6 + (0.004 * self.returned[i] - 0.2) * 0.05))
        k = 0 if self.tariff == 1 else 1
        self._add(k, sum(self.delivered) * dt / 3600)
        self._add(2 + k, sum(self.returned) * dt / 3600)
        heating = 0.6 if (6 <= h < 9 or 17 <= h < 23) else 0.1
        f = self.gas_frac + heating * dt / 60 * (0.5 + r())
        whole = int(f)
        self.gas_l += whole
        self.gas_frac = f - whole
        five = unix - unix % 300
        if self.gas_stamp != five:
            self.gas_stamp = five
            self.gas_read = self.gas_l

    def _add(self, k, wh):
        f = self.wh_frac[k] + wh
        whole = int(f)
        self.wh[k] += whole
        self.wh_frac[k] = f - whole

    def telegram(self, unix):
        """The telegram at Unix time `unix` (int seconds), as bytes."""
        return seal(b"\r\n".join(self.lines(unix)))

    def lines(self, unix):
        """The telegram at Unix time `unix`, line by line (bytes, no CRLF), '/' first,
        '!' last (its CRC is the caller's: `telegram()` or SimSource)."""
        unix = int(unix)
        if self.t is None:
            self.t = unix - 1
        dt = unix - self.t
        # long gaps (fast-forward) are simulated in steps of at most 10 s
        while dt > 0:
            step = 10 if dt > 10 else dt
            self.t += step
            self._step(self.t, step)
            dt -= step
        P = self.delivered
        R = self.returned
        V = self.volts
        wh = self.wh
        yield b"/XMX5LGBBLB2410065887"
        yield b""
        yield b"1-3:0.2.8(50)"
        yield b"0-0:1.0.0(" + timestamp.format(unix) + b")"
        yield b"0-0:96.1.1(4530303336303000000000000000000040)"
        for i, obis in enumerate((b"1.8.1", b"1.8.2", b"2.8.1", b"2.8.2")):
            yield b"1-0:%s(%06d.%03d*kWh)" % (obis, wh[i] // 1000, wh[i] % 1000)
        yield b"0-0:96.14.0(%04d)" % self.tariff
        for obis, w in ((b"1.7.0", sum(P)), (b"2.7.0", sum(R))):
            yield b"1-0:%s(%02d.%03d*kW)" % (obis, w // 1000, w % 1000)
        yield b"0-0:96.7.21(%05d)" % self.failures
        yield b"0-0:96.7.9(%05d)" % self.long_failures
        yield b"1-0:99.97.0(1)(0-0:96.7.19)(200210104719W)(0000014540*s)"
        yield b"1-0:32.32.0(00010)"
        yield b"1-0:52.32.0(00007)"
        yield b"1-0:72.32.0(00009)"
        yield b"1-0:32.36.0(00000)"
        yield b"1-0:52.36.0(00000)"
        yield b"1-0:72.36.0(00000)"
        yield b"0-0:96.13.0()"
        for i, c in enumerate((32, 52, 72)):
            yield b"1-0:%d.7.0(%05.1f*V)" % (c, V[i])
        for i, c in enumerate((31, 51, 71)):
            yield b"1-0:%d.7.0(%03d*A)" % (c, int((P[i] + R[i]) / V[i] + 0.5))
        for i, c in enumerate((21, 41, 61)):
            yield b"1-0:%d.7.0(%02d.%03d*kW)" % (c, P[i] // 1000, P[i] % 1000)
        for i, c in enumerate((22, 42, 62)):
            yield b"1-0:%d.7.0(%02d.%03d*kW)" % (c, R[i] // 1000, R[i] % 1000)
        yield b"0-1:24.1.0(003)"
        yield b"0-1:96.1.0(4730303339303031363532303530323136)"
        g = self.gas_read
        yield b"0-1:24.2.1(%s)(%05d.%03d*m3)" % (timestamp.format(self.gas_stamp), g // 1000, g % 1000)
        yield b"!"


class SimSource:
    """The simulated meter: one telegram per second (of meter time / speed)."""

    def __init__(self, speed=1):
        from . import platform

        self.meter = Meter()
        self.speed = speed if speed > 0 else 1
        self.pending = b""  # what is left of the line being handed out
        self.pos = 0
        self.lines = None  # the telegram being handed out (Meter.lines), or None between them
        self.crc = 0  # its CRC so far
        self.t0 = platform.unix_time()
        self.tick0 = time.ticks_ms()
        self.sent = 0

    async def readinto(self, buf):
        if self.pos >= len(self.pending):
            if self.lines is None:
                # the next telegram is due one real second after the previous one
                due = time.ticks_add(self.tick0, self.sent * 1000)
                wait = time.ticks_diff(due, time.ticks_ms())
                if wait > 0:
                    await asyncio.sleep_ms(wait)
                self.sent += 1
                self.lines = self.meter.lines(self.t0 + self.sent * self.speed)
                self.crc = 0
            line = next(self.lines, None)
            if line is None:  # after '!': its CRC, and the telegram is out
                self.lines = None
                self.pending = b"%04X\r\n" % self.crc
            else:
                self.crc = crc16(line, self.crc)
                if line != b"!":
                    self.crc = crc16(b"\r\n", self.crc)
                    line += b"\r\n"
                self.pending = line
            self.pos = 0
        n = min(len(buf), len(self.pending) - self.pos)
        buf[:n] = self.pending[self.pos : self.pos + n]
        self.pos += n
        return n

    def close(self):
        pass

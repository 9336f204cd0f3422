"""A simulated DSMR 5 meter: three phases, solar on L1, gas on M-Bus channel 1.

`Meter.telegram(unix)` advances the meter to Unix time `unix` and returns
the telegram it would send then, CRLF line ends and a correct CRC. The
numbers hang together: counters grow by power x time on the active tariff
(tariff 1 = low: nights 23-07 and weekends), per-phase powers add up to the
totals, currents follow power / voltage, gas is read every 5 minutes.
Deterministic for a given seed. Runs on CPython (tools/p1sim.py) and
MicroPython, where `SimSource` is the P1 source `DSMR_P1=sim` (one telegram
per second, `sim_speed` meter seconds each).
"""

import asyncio
import math
import time

from dsmr import seal, timestamp


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
        self.wh = [4491266.0, 6065310.0, 788990.0, 1809893.0]  # t1, t2 delivered; t1, t2 returned (Wh)
        self.gas_l = 3845376.0  # litres
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
        self.wh[k] += sum(self.delivered) * dt / 3600
        self.wh[2 + k] += sum(self.returned) * dt / 3600
        heating = 0.6 if (6 <= h < 9 or 17 <= h < 23) else 0.1
        self.gas_l += heating * dt / 60 * (0.5 + r())
        five = unix - unix % 300
        if self.gas_stamp != five:
            self.gas_stamp = five
            self.gas_read = int(self.gas_l)

    def telegram(self, unix):
        """The telegram at Unix time `unix` (int seconds), as bytes."""
        unix = int(unix)
        if self.t is None:
            self.t = unix - 1
        dt = unix - self.t
        if dt > 0:
            # long gaps (fast-forward) are simulated in steps of at most 10 s
            while dt > 0:
                step = 10 if dt > 10 else dt
                self.t += step
                self._step(self.t, step)
                dt -= step
        P = self.delivered
        R = self.returned
        V = self.volts
        lines = [
            b"/XMX5LGBBLB2410065887",
            b"",
            b"1-3:0.2.8(50)",
            b"0-0:1.0.0(" + timestamp.format(unix) + b")",
            b"0-0:96.1.1(4530303336303000000000000000000040)",
            b"1-0:1.8.1(%010.3f*kWh)" % (self.wh[0] / 1000),
            b"1-0:1.8.2(%010.3f*kWh)" % (self.wh[1] / 1000),
            b"1-0:2.8.1(%010.3f*kWh)" % (self.wh[2] / 1000),
            b"1-0:2.8.2(%010.3f*kWh)" % (self.wh[3] / 1000),
            b"0-0:96.14.0(%04d)" % self.tariff,
            b"1-0:1.7.0(%06.3f*kW)" % (sum(P) / 1000),
            b"1-0:2.7.0(%06.3f*kW)" % (sum(R) / 1000),
            b"0-0:96.7.21(%05d)" % self.failures,
            b"0-0:96.7.9(%05d)" % self.long_failures,
            b"1-0:99.97.0(1)(0-0:96.7.19)(200210104719W)(0000014540*s)",
            b"1-0:32.32.0(00010)",
            b"1-0:52.32.0(00007)",
            b"1-0:72.32.0(00009)",
            b"1-0:32.36.0(00000)",
            b"1-0:52.36.0(00000)",
            b"1-0:72.36.0(00000)",
            b"0-0:96.13.0()",
        ]
        for i, c in enumerate((32, 52, 72)):
            lines.append(b"1-0:%d.7.0(%05.1f*V)" % (c, V[i]))
        for i, c in enumerate((31, 51, 71)):
            amps = int((P[i] + R[i]) / V[i] + 0.5)
            lines.append(b"1-0:%d.7.0(%03d*A)" % (c, amps))
        for i, c in enumerate((21, 41, 61)):
            lines.append(b"1-0:%d.7.0(%06.3f*kW)" % (c, P[i] / 1000))
        for i, c in enumerate((22, 42, 62)):
            lines.append(b"1-0:%d.7.0(%06.3f*kW)" % (c, R[i] / 1000))
        lines.append(b"0-1:24.1.0(003)")
        lines.append(b"0-1:96.1.0(4730303339303031363532303530323136)")
        lines.append(
            b"0-1:24.2.1(%s)(%09.3f*m3)" % (timestamp.format(self.gas_stamp), self.gas_read / 1000)
        )
        lines.append(b"!")
        return seal(b"\r\n".join(lines))


class SimSource:
    """The simulated meter: one telegram per second (of meter time / speed)."""

    def __init__(self, speed=1):
        from . import platform

        self.meter = Meter()
        self.speed = speed if speed > 0 else 1
        self.pending = b""
        self.pos = 0
        self.t0 = platform.unix_time()
        self.tick0 = time.ticks_ms()
        self.sent = 0

    async def readinto(self, buf):
        if self.pos >= len(self.pending):
            # the next telegram is due one real second after the previous one
            due = time.ticks_add(self.tick0, self.sent * 1000)
            wait = time.ticks_diff(due, time.ticks_ms())
            if wait > 0:
                await asyncio.sleep_ms(wait)
            self.sent += 1
            self.pending = self.meter.telegram(self.t0 + self.sent * self.speed)
            self.pos = 0
        n = min(len(buf), len(self.pending) - self.pos)
        buf[:n] = self.pending[self.pos : self.pos + n]
        self.pos += n
        return n

    def close(self):
        pass

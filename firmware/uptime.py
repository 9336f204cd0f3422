"""Seconds since boot, for as long as the dongle runs.

time.ticks_ms() wraps after 2**30 ms (12.4 days) on MicroPython, and a
difference of two ticks is only right below half that: a dongle runs for
months. `seconds()` adds up tick differences instead, so it never wraps
(and stays a small int for decades: nothing allocated); `run()` is the task
that calls it every hour, so no single difference comes near a wrap.
"""

import asyncio
import time

_last = time.ticks_ms()
_ms = 0  # below a second, not yet counted
_s = 0


def seconds():
    """Whole seconds since boot."""
    global _last, _ms, _s
    now = time.ticks_ms()
    _ms += time.ticks_diff(now, _last)
    _last = now
    if _ms >= 1000:
        _s += _ms // 1000
        _ms %= 1000
    return _s


def millis_part():
    """The milliseconds after seconds() (call it right after), for log stamps."""
    return _ms


async def run():
    while True:
        await asyncio.sleep(3600)
        seconds()

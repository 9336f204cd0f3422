"""firmware/uptime.py under the MicroPython unix port: seconds since boot that
go on counting where time.ticks_ms() wraps (tests/test_uptime.py)."""

import time

from firmware import uptime


class _Ticks:
    """time as uptime.py sees it, with ticks_ms() set by the case; the real
    ticks_add and ticks_diff, so the real wrap-around."""

    def __init__(self, now):
        self.now = now

    def ticks_ms(self):
        return self.now

    def ticks_diff(self, a, b):
        return time.ticks_diff(a, b)


def _fresh(now):
    t = _Ticks(now)
    uptime.time = t
    uptime._last = now
    uptime._ms = 0
    uptime._s = 0
    return t


def case_counts_on_across_the_ticks_wrap():
    t = _fresh(time.ticks_add(0, -2500))  # 2.5 s before ticks_ms() wraps to 0
    try:
        for _ in range(50):  # 50 steps of 100 ms: across the wrap
            t.now = time.ticks_add(t.now, 100)
            uptime.seconds()
        assert t.now < 10000  # it did wrap
        assert uptime.seconds() == 5 and uptime.millis_part() == 0
    finally:
        uptime.time = time


def case_a_month_of_hourly_calls_is_a_month():
    t = _fresh(0)
    try:
        for _ in range(31 * 24):  # what run() does: once an hour (ticks wrap every 12.4 days)
            t.now = time.ticks_add(t.now, 3600 * 1000)
            uptime.seconds()
        s = uptime.seconds()
        assert s == 31 * 24 * 3600, s
        assert isinstance(s, int) and s < 2**30  # a small int: nothing allocated
    finally:
        uptime.time = time


def all_cases():
    return sorted(k for k in globals() if k.startswith("case_"))

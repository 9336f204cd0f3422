"""End to end: /api/v1/sm/samples, the web page's "Power, last hour", holds the last hour
of the meter's clock and no more, whatever the telegrams' spacing and gaps."""

import time

from harness import wait_for

from firmware.simulator import Meter


def send(fw, meter, times):
    m = Meter(seed=5)
    data = b"".join(m.telegram(t) for t in times)
    last = m.telegram(times[-1] + 1)  # (1 s later: no sample of its own)
    meter.send(data + last)
    wait_for(lambda: fw.get("/api/v1/sm/telegram").body == last, 60, "the telegrams")
    return fw.get("/api/v1/sm/samples").json()


def test_telegrams_a_minute_apart_for_three_hours_give_the_last_hour(fw, meter):
    now = int(time.time()) // 60 * 60
    s = send(fw, meter, list(range(now - 3 * 3600, now + 1, 60)))
    assert s["span"] == 3600 and len(s["watts"]) == 61, (s["span"], len(s["watts"]))


def test_an_hour_without_telegrams_starts_over(fw, meter):
    now = int(time.time()) // 10 * 10
    # a quarter-hour, 10 s apart; nothing for 18 h 12 min (65546 s: 10 s in the ring's
    # 16-bit seconds); then 10 samples
    before = list(range(now - 65636 - 900, now - 65636 + 1, 10))
    after = list(range(now - 90, now + 1, 10))
    s = send(fw, meter, before + after)
    assert s["span"] == 90 and len(s["watts"]) == 10, (s["span"], len(s["watts"]))


def test_a_half_hour_gap_within_the_hour(fw, meter):
    now = int(time.time()) // 10 * 10
    times = list(range(now - 3000, now - 2400, 10)) + list(range(now - 600, now + 1, 10))
    s = send(fw, meter, times)
    # the samples from -50 min on: 10 min of them, a 30 min gap, 10 min
    assert s["span"] == 3000 - 0 and len(s["watts"]) == 60 + 61, (s["span"], len(s["watts"]))

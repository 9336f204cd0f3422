"""End to end: /api/v1/sm/peaks, the quarter-hour demand (Belgium's capacity tariff).

Belgian (Fluvius) meters send their own figures (1-0:1.4.0, 1-0:1.6.0, 0-0:98.1.0):
the answer must show them, checked against the fixture's text. Other meters get
the same view computed from their import counters: quarters across a quarter
boundary, a month boundary (the month's peak goes to flash) and a restart."""

import calendar
import re

import pytest

from harness import Firmware, fixture, wait_for

from dsmr import seal, timestamp

def peaks(fw):
    r = fw.get("/api/v1/sm/peaks")
    assert r.status == 200, r.body
    assert r.headers["content-type"] == "application/json"
    return r.json()


def send(fw, meter, data, last):
    meter.send(data)
    wait_for(lambda: fw.get("/api/v1/sm/telegram").body == last, 60, "the telegrams")


def iso(stamp):
    """A DSMR timestamp as the API writes it: local time with its UTC offset."""
    s = stamp
    return "20%s-%s-%sT%s:%s:%s%s" % (s[0:2], s[2:4], s[4:6], s[6:8], s[8:10], s[10:12],
                                      "+02:00" if s[12] == "S" else "+01:00")


def bill(peaks_w):
    """The capacity tariff's figure: this month and the 11 before, each at least 2.5 kW."""
    months = [round(p * 1000) for p in peaks_w[:12]]  # in W, rounded half up as the firmware does
    n = len(months)
    return (sum(max(p, 2500) for p in months) + n // 2) // n / 1000, n, sum(p < 2500 for p in months)


@pytest.mark.parametrize("name", ["fluvius_peaks_13", "fluvius_peaks_1", "fluvius"])
def test_a_belgian_meter_s_own_figures(fw, meter, name):
    t = fixture(name)
    send(fw, meter, t, t)
    text = t.decode()
    d = peaks(fw)
    assert d["source"] == "meter"
    now = re.search(r"0-0:1\.0\.0\((\d{12}[SW])\)", text).group(1)
    avg = float(re.search(r"1-0:1\.4\.0\(([\d.]+)\*kW\)", text).group(1))
    at, peak = re.search(r"1-0:1\.6\.0\((\d{12}[SW])\)\(([\d.]+)\*kW\)", text).groups()
    q = d["quarter"]
    assert q["start"] == iso(now[:8] + "%02d" % (int(now[8:10]) // 15 * 15) + "00" + now[12])
    secs = int(now[8:10]) % 15 * 60 + int(now[10:12])
    assert q["seconds"] == secs and q["average_kw"] == avg
    power = q["power_kw"]
    assert power == float(re.search(r"1-0:1\.7\.0\(([\d.]+)\*kW\)", text).group(1))
    want = (round(avg * 1000) * secs + round(power * 1000) * (900 - secs)) // 900 / 1000
    assert q["projection_kw"] == want
    assert d["month"] == {"month": "20%s-%s" % (now[:2], now[2:4]), "peak_kw": float(peak), "at": iso(at)}
    line = re.search(r"0-0:98\.1\.0\((\d+)\)\(1-0:1\.6\.0\)\(1-0:1\.6\.0\)(.*)\r\n", text)
    groups = re.findall(r"\(([^)]*)\)", line.group(2))
    assert len(groups) == 3 * int(line.group(1))
    months = []
    for i in range(0, len(groups), 3):
        start, when, value = groups[i : i + 3]
        y, m = 2000 + int(start[:2]), int(start[2:4]) - 1
        if m == 0:
            y, m = y - 1, 12
        months.append({"month": "%04d-%02d" % (y, m), "peak_kw": float(value[:-3]), "at": iso(when)})
    assert d["months"] == months and len(months) == int(line.group(1))
    avg12, n, raised = bill([float(peak)] + [m["peak_kw"] for m in months])
    assert d["bill"] == {"average_kw": avg12, "months": n, "floor_kw": 2.5, "raised": raised}


def test_the_thirteen_month_bill_counts_twelve_months_and_the_floor(fw, meter):
    t = fixture("fluvius_peaks_13")
    send(fw, meter, t, t)
    b = peaks(fw)["bill"]
    # April 2.589, then March 2023 .. May 2023: 5.980 2.100 4.318 3.695 1.800 6.250 2.500 3.333
    # 4.000 2.499 7.125 (2.100, 1.800 and 2.499 count as 2.5; April 2023's 3.010 is too old)
    assert b == {"average_kw": 3.941, "months": 12, "floor_kw": 2.5, "raised": 3}


# -- a Dutch meter: the same view from its import counters ---------------------------------


def local_ts(y, mo, d, h, mi, s):
    for off in (3600, 7200):
        u = calendar.timegm((y, mo, d, h, mi, s)) - off
        if timestamp.format(u).decode()[:12] == "%02d%02d%02d%02d%02d%02d" % (y % 100, mo, d, h, mi, s):
            return u
    raise ValueError


class DutchMeter:
    """The spec telegram (dsmr50_spec) at any time, its import counters driven by a power
    that is a multiple of 360 W (whole Wh every 10 s); tariff 2 until midnight, then 1."""

    def __init__(self, t1=1000000, t2=2000000):
        self.body = fixture("dsmr50_spec")[: fixture("dsmr50_spec").index(b"!") + 1]
        self.wh = [t1, t2]

    def run(self, start, seconds, watts, tariff):
        out = []
        for t in range(start, start + seconds, 10):
            out.append(self.telegram(t, watts))
            self.wh[tariff - 1] += watts * 10 // 3600
        return out

    def telegram(self, t, watts):
        b = self.body
        b = re.sub(rb"0-0:1\.0\.0\(\d{12}[SW]\)", b"0-0:1.0.0(" + timestamp.format(t) + b")", b)
        b = re.sub(rb"1-0:1\.8\.1\([\d.]+", b"1-0:1.8.1(%06d.%03d" % divmod(self.wh[0], 1000), b)
        b = re.sub(rb"1-0:1\.8\.2\([\d.]+", b"1-0:1.8.2(%06d.%03d" % divmod(self.wh[1], 1000), b)
        b = re.sub(rb"1-0:1\.7\.0\([\d.]+", b"1-0:1.7.0(%02d.%03d" % divmod(watts, 1000), b)
        return seal(b)


def test_a_dutch_meter_across_a_quarter_a_month_and_a_restart(meter, tmp_path):
    m = DutchMeter()
    t0 = local_ts(2026, 10, 31, 23, 30, 0)  # winter time (CET) since 25 October
    tel = (m.run(t0, 900, 3600, 2)  # 23:30 - 23:45 at 3.6 kW
           + m.run(t0 + 900, 900, 7200, 2)  # 23:45 - 24:00 at 7.2 kW: October's peak
           + m.run(t0 + 1800, 900, 1800, 1)  # November: 00:00 - 00:15 at 1.8 kW
           + m.run(t0 + 2700, 300, 1080, 1)  # 00:15 - 00:20 at 1.08 kW, then one at 00:20:00
           + [m.telegram(t0 + 3000, 1080)])
    fw = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)
    try:
        meter.wait_client()
        send(fw, meter, b"".join(tel[:90]), tel[89])  # up to 23:44:50: no quarter done yet
        d = peaks(fw)
        assert d["source"] == "counters"
        assert d["quarter"] == {"start": "2026-10-31T23:30:00+01:00", "seconds": 890, "average_kw": 3.6,
                                "power_kw": 3.6, "projection_kw": 3.6}
        assert d["month"] == {"month": "2026-10", "peak_kw": None, "at": None,
                              "since": "2026-10-31T23:30:00+01:00"}
        send(fw, meter, b"".join(tel[90:]), tel[-1])
        d = peaks(fw)
        # 00:15 - 00:20: 300 s at 1.08 kW; projected with the power now for the rest
        assert d["quarter"] == {"start": "2026-11-01T00:15:00+01:00", "seconds": 300, "average_kw": 1.08,
                                "power_kw": 1.08, "projection_kw": 1.08}
        assert d["month"] == {"month": "2026-11", "peak_kw": 1.8, "at": "2026-11-01T00:00:00+01:00",
                              "since": "2026-11-01T00:00:00+01:00"}
        october = {"month": "2026-10", "peak_kw": 7.2, "at": "2026-10-31T23:45:00+01:00",
                   "since": "2026-10-31T23:30:00+01:00"}  # (counted from the first telegram)
        assert d["months"] == [october]
        assert d["bill"] == {"average_kw": 4.85, "months": 2, "floor_kw": 2.5, "raised": 1}
        metrics = fw.get("/metrics").body.decode()
        assert "\ndsmr_demand_month_peak_kw 1.800\n" in metrics
        assert "\ndsmr_demand_average_kw 1.080\n" in metrics and "\ndsmr_demand_projection_kw 1.080\n" in metrics
    finally:
        fw.stop()
    # a restart mid-month: October stays (flash), November counts again from the restart
    fw = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)
    try:
        meter.wait_client(2)
        t1 = t0 + 3600  # 00:30
        tel = m.run(t1, 900, 2520, 1) + m.run(t1 + 900, 120, 360, 1) + [m.telegram(t1 + 1020, 360)]
        send(fw, meter, b"".join(tel), tel[-1])
        d = peaks(fw)
        assert d["months"] == [october]
        assert d["month"] == {"month": "2026-11", "peak_kw": 2.52, "at": "2026-11-01T00:30:00+01:00",
                              "since": "2026-11-01T00:30:00+01:00"}
        # 00:45 - 00:47 at 0.36 kW: half-way the quarter ends at (0.36 * 120 + 0.36 * 780) / 900
        assert d["quarter"]["seconds"] == 120 and d["quarter"]["projection_kw"] == 0.36
        assert d["bill"] == {"average_kw": 4.86, "months": 2, "floor_kw": 2.5, "raised": 0}  # (2.52 + 7.2) / 2
    finally:
        fw.stop()
    # a record damaged on flash (a power cut while it was written) reads as missing
    path = tmp_path / "peaks.bin"
    raw = bytearray(path.read_bytes())
    slot = (2026 * 12 + 9) % 13 * 18  # October 2026's record
    assert raw[slot : slot + 4] == (2026 * 12 + 9).to_bytes(4, "little")
    raw[slot + 5] ^= 1  # its peak, one bit
    path.write_bytes(bytes(raw))
    fw = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)
    try:
        meter.wait_client(3)
        last = m.telegram(t1 + 1100, 360)
        send(fw, meter, last, last)
        assert peaks(fw)["months"] == []
    finally:
        fw.stop()


def test_the_projection_warns_before_the_peak_is_beaten(meter, tmp_path):
    m = DutchMeter()
    t0 = local_ts(2026, 3, 10, 12, 0, 0)
    # 12:00 - 12:15 at 3.6 kW (this month's peak), then 12:15 - 12:20 at 1.8 kW, 7.2 kW now
    tel = m.run(t0, 900, 3600, 1) + m.run(t0 + 900, 300, 1800, 1) + [m.telegram(t0 + 1200, 7200)]
    fw = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)
    try:
        meter.wait_client()
        send(fw, meter, b"".join(tel), tel[-1])
        q = peaks(fw)["quarter"]
        # 300 s at 1.8 kW so far, the 600 s left at 7.2 kW: 5.4 kW at the quarter's end
        assert q == {"start": "2026-03-10T12:15:00+01:00", "seconds": 300, "average_kw": 1.8, "power_kw": 7.2,
                     "projection_kw": 5.4}
        assert peaks(fw)["month"]["peak_kw"] == 3.6
    finally:
        fw.stop()


def test_before_the_first_telegram(fw):
    r = fw.get("/api/v1/sm/peaks")
    assert r.status == 503 and r.headers["retry-after"] == "5"
    assert r.json() == {"error": "no telegram received from the meter yet"}


def test_a_gap_in_the_telegrams_makes_no_quarter(meter, tmp_path):
    m = DutchMeter()
    t0 = local_ts(2026, 3, 10, 12, 0, 0)
    tel = m.run(t0, 900, 3600, 1) + [m.telegram(t0 + 900, 3600)]  # 12:00 - 12:15 at 3.6 kW
    m.wh[0] += 2700  # the meter unplugged until 13:00: 2.7 kWh in 45 min (3.6 kW) ...
    tel += m.run(t0 + 3600, 300, 1080, 1) + [m.telegram(t0 + 3900, 1080)]  # ... then 1.08 kW
    fw = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)
    try:
        meter.wait_client()
        send(fw, meter, b"".join(tel), tel[-1])
        d = peaks(fw)
        # not 2.7 kWh over the 900 s of a quarter (10.8 kW): the quarters it spans are unknown
        assert d["month"]["peak_kw"] == 3.6 and d["month"]["at"] == "2026-03-10T12:00:00+01:00"
        assert d["quarter"]["start"] == "2026-03-10T13:00:00+01:00" and d["quarter"]["average_kw"] == 1.08
    finally:
        fw.stop()

"""History end to end: meter-timed telegrams from the simulator (any day, any speed)
into the firmware under MicroPython, then /api/v1/hist/*. Times are the meter's."""

import base64
import json
import os
import signal
import sys

from dsmr_parser import telegram_specifications as specs
from dsmr_parser.parsers import TelegramParser

from harness import Firmware, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from dsmr import timestamp  # noqa: E402
from firmware.simulator import Meter  # noqa: E402

PARSER = TelegramParser(specs.V5)


def local_unix(y, m, d, h=0, mi=0):
    """Unix time of a Dutch local time (winter time unless the date is in summer)."""
    t = timestamp.days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60
    return t - (7200 if timestamp.is_summer(t - 3600) else 3600)


def counters(t):
    tg = PARSER.parse(t.decode())
    return [int(getattr(tg, n).value * 1000) for n in (
        "ELECTRICITY_USED_TARIFF_1", "ELECTRICITY_USED_TARIFF_2",
        "ELECTRICITY_DELIVERED_TARIFF_1", "ELECTRICITY_DELIVERED_TARIFF_2")] + [
        int(tg.MBUS_DEVICES[0].MBUS_METER_READING.value * 1000)]


def feed(fw, meter, start, step, count, m=None):
    """Sends `count` telegrams `step` seconds of meter time apart; returns {unix: telegram}."""
    m = m or Meter(seed=7)
    sent = {}
    for i in range(count):
        t = start + i * step
        sent[t] = m.telegram(t)
    meter.send(b"".join(sent[t] for t in sorted(sent)))
    last = sent[max(sent)]
    wait_for(lambda: fw.get("/api/v1/sm/telegram").body == last, 30, "the last telegram")
    return sent


def hist(fw, path):
    r = fw.get("/api/v1/hist/" + path)
    assert r.status == 200, r.body
    return r.json()


def test_a_day_gives_24_hourly_records_with_the_right_usage(fw, meter):
    start = local_unix(2026, 11, 10)
    sent = feed(fw, meter, start, 600, 24 * 6 + 1)  # 00:00 .. 24:00, every 10 minutes
    hours = hist(fw, "hours")["hours"]
    assert [h["recid"] for h in hours[:25]] == ["26111100"] + ["261110%02d" % h for h in range(23, -1, -1)]
    assert [h["recnr"] for h in hours] == list(range(len(hours)))
    # each hour's record is the last telegram in that hour
    for h in hours[1:25]:
        hh = int(h["recid"][6:])
        last = sent[start + hh * 3600 + 3000]
        want = counters(last)
        got = [round(h[k] * 1000) for k in ("edt1", "edt2", "ert1", "ert2", "gdt")]
        assert got == want, h["recid"]
    use = hist(fw, "usage/hours")["hours"]
    total = [sum(round(u[k] * 1000) for u in use[1:24]) for k in ("edt1", "edt2", "ert1", "ert2")]
    first, last = counters(sent[start + 3000]), counters(sent[start + 23 * 3600 + 3000])
    assert total == [b - a for a, b in zip(first[:4], last[:4])]
    assert all(u["edt1"] >= 0 and "baseline" not in u for u in use)
    assert hist(fw, "hours/asc")["hours"][0]["recid"] == hours[-1]["recid"]
    days = hist(fw, "days")["days"]
    assert [d["recid"] for d in days] == ["261111", "261110"]


def test_autumn_dst_keeps_both_two_oclock_hours(fw, meter):
    start = local_unix(2026, 10, 25, 0)  # summer time ends at 03:00 CEST -> 02:00 CET
    feed(fw, meter, start, 600, 5 * 6 + 1)  # five real hours
    hours = hist(fw, "hours")["hours"]
    ids = [(h["recid"], h["tz"]) for h in hours]
    assert ids[1:6] == [("26102503", "W"), ("26102502", "W"), ("26102502", "S"), ("26102501", "S"), ("26102500", "S")]
    assert len({h["slot"] for h in hours}) == len(hours)


def test_spring_dst_leaves_no_slot_for_the_missing_hour(fw, meter):
    start = local_unix(2026, 3, 29, 0)  # 02:00 CET -> 03:00 CEST
    feed(fw, meter, start, 600, 4 * 6 + 1)
    ids = [h["recid"] for h in hist(fw, "hours")["hours"]]
    assert ids[1:5] == ["26032904", "26032903", "26032901", "26032900"]
    assert "26032902" not in ids


def test_a_meter_swap_starts_a_new_baseline(fw, meter):
    start = local_unix(2026, 11, 10)
    old = Meter(seed=7)
    feed(fw, meter, start, 600, 13, old)
    new = Meter(seed=9)
    new.wh = [1000.0, 2000.0, 0.0, 0.0]  # a new meter counts from nearly zero
    new.gas_l = 5000.0
    feed(fw, meter, start + 13 * 600, 600, 13, new)
    use = hist(fw, "usage/hours")["hours"]
    assert any(u.get("baseline") for u in use)
    assert all(u[k] >= 0 for u in use for k in ("edt1", "edt2", "ert1", "ert2", "gdt"))
    assert all(u["edt2"] < 10 for u in use)  # no absurd usage either


def test_history_survives_a_restart_and_a_kill(fw, meter, tmp_path):
    start = local_unix(2026, 11, 10)
    feed(fw, meter, start, 600, 6 * 6 + 1)
    before = hist(fw, "hours")["hours"][1:]
    fw.proc.send_signal(signal.SIGKILL)
    fw.proc.wait()
    f2 = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)
    try:
        meter.wait_client(2)
        feed(f2, meter, start + 37 * 600, 600, 1)  # same hour as the last one
        after = hist(f2, "hours")["hours"][1:]
        assert after == before
    finally:
        f2.stop()


def test_after_a_restart_with_no_meter_the_stored_history_is_served(fw, meter, tmp_path):
    start = local_unix(2026, 11, 10, 21)
    feed(fw, meter, start, 600, 6 * 6 + 1)  # 21:00 .. 03:00: hours and a day on flash
    stored = {w: hist(fw, w)[w][1:] for w in ("hours", "days")}  # [0]: the current period, in RAM
    used = hist(fw, "usage/hours")["hours"][1:]
    assert len(stored["hours"]) == 6 and len(stored["days"]) == 1
    fw.stop()
    from harness import free_port

    f2 = Firmware(tmp_path, "tcp:127.0.0.1:%d" % free_port())  # nothing listens there: no meter
    try:
        assert f2.get("/api/v1/sm/actual").status == 503  # no telegram: the current period is unknown
        for w in ("hours", "days"):
            assert hist(f2, w)[w] == [dict(r, recnr=i) for i, r in enumerate(stored[w])], w
        assert hist(f2, "hours/asc")["hours"][0]["recid"] == stored["hours"][-1]["recid"]
        assert hist(f2, "usage/hours")["hours"] == [dict(r, recnr=i) for i, r in enumerate(used)]
        assert hist(f2, "months")["months"] == []
    finally:
        f2.stop()


def test_a_damaged_record_reads_as_empty_and_the_rest_survive(fw, meter, tmp_path):
    start = local_unix(2026, 11, 10)
    feed(fw, meter, start, 600, 6 * 6 + 1)
    n = len(hist(fw, "hours")["hours"])
    fw.stop()
    path = tmp_path / "hist_hours.bin"
    data = bytearray(path.read_bytes())
    key = (start // 3600 + 2) % 48  # the record of 02:00
    data[key * 26 + 10] ^= 0xFF  # as a torn write would leave it
    path.write_bytes(bytes(data))
    f2 = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)
    try:
        meter.wait_client(2)
        feed(f2, meter, start + 37 * 600, 600, 1)
        hours = hist(f2, "hours")["hours"]
        assert len(hours) == n - 1 and "26111002" not in [h["recid"] for h in hours]
    finally:
        f2.stop()


def test_flash_writes_are_one_per_ring_per_period(fw, meter):
    start = local_unix(2026, 11, 10, 22)
    feed(fw, meter, start, 10, 2 * 360 + 1)  # two hours, a telegram every 10 s, over midnight
    info = {e["name"]: e["value"] for e in fw.get("/api/v1/dev/info").json()["devinfo"]}
    assert info["historywrites"] == 2 + 1  # two hour changes, one day change, no month change


def test_correcting_a_month_needs_the_admin_password(fw, meter):
    start = local_unix(2026, 11, 10)
    feed(fw, meter, start, 86400 * 3, 12)  # a month or so
    months = hist(fw, "months")["months"]
    assert [m["recid"] for m in months] == ["2612", "2611"]
    body = json.dumps({"recid": "2611", "edt1": 1234.5}).encode()
    js = {"Content-Type": "application/json"}
    assert fw.get("/api/v1/hist/months", method="POST", body=body, headers=js).status == 403  # no choice yet
    fw.get("/api/v1/dev/settings", method="POST", body=b'{"writes_open": true}', headers=js)
    assert fw.get("/api/v1/hist/months", method="POST", body=body, headers=js).status == 200
    assert fw.get("/api/v1/hist/months", method="POST", body=body).status == 415  # a form could send that
    fixed = [m for m in hist(fw, "months")["months"] if m["recid"] == "2611"][0]
    assert fixed["edt1"] == 1234.5 and fixed["edt2"] == months[1]["edt2"]
    fw.get("/api/v1/dev/settings", method="POST", body=b'{"admin_password": "password"}', headers=js)
    assert fw.get("/api/v1/hist/months", method="POST", body=body, headers=js).status == 401
    auth = {"Authorization": "Basic " + base64.b64encode(b"a:password").decode(), "Content-Type": "application/json"}
    assert fw.get("/api/v1/hist/months", method="POST", body=body, headers=auth).status == 200
    bad = fw.get("/api/v1/hist/months", method="POST", body=b'{"recid": "2013"}', headers=auth)
    assert bad.status == 400
    for value in (-1, 1e12, "inf", "nan", 12345678901234567890):  # no meter reads that
        body = json.dumps({"recid": "2611", "gdt": value}).encode()
        bad = fw.get("/api/v1/hist/months", method="POST", body=body, headers=auth)
        assert bad.status == 400 and bad.json() == {"error": "gdt must be a reading from 0 to 999999.999"}, value
    fixed = [m for m in hist(fw, "months")["months"] if m["recid"] == "2611"][0]
    assert fixed["gdt"] == months[1]["gdt"]  # unchanged
    # exact to the last digit, also with the dongle's single-precision floats (the yardstick run)
    body = b'{"recid": "2611", "edt1": 123456.789, "edt2": 999999.999, "gdt": 0.001}'
    assert fw.get("/api/v1/hist/months", method="POST", body=body, headers=auth).status == 200
    got = fw.get("/api/v1/hist/months").body
    assert b'"edt1":123456.789,"edt2":999999.999' in got.replace(b" ", b""), got
    assert b'"gdt":0.001' in got.replace(b" ", b""), got
    assert fw.get("/api/v1/hist/weeks").status == 404


def test_a_history_file_that_cannot_be_opened_leaves_the_rest_running(meter, tmp_path):
    (tmp_path / "hist_days.bin").mkdir()  # what a broken filesystem might show: not a file
    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)
    try:
        meter.wait_client()
        assert "history not started" in f.log()
        r = f.get("/api/v1/hist/hours")
        assert r.status == 404 and r.json() == {"error": "history is off"}
        feed(f, meter, local_unix(2026, 11, 10), 10, 1)  # and the meter is read and served
        assert f.get("/api/v1/sm/actual").status == 200
    finally:
        f.stop()


def test_a_record_that_cannot_be_written_is_logged_once_not_every_telegram(fw, meter, tmp_path):
    start = local_unix(2026, 11, 10)
    feed(fw, meter, start, 600, 2)  # the hour has begun: its record is written when it ends
    path = tmp_path / "hist_hours.bin"
    path.unlink()
    path.mkdir()  # the file can no longer be opened
    feed(fw, meter, start + 1200, 60, 150)  # 150 telegrams from 00:20, across two hour ends
    failures = fw.log().count("P1 listener")
    assert failures == 2, fw.log()[-2000:]
    assert fw.alive() and fw.get("/api/v1/sm/actual").status == 200

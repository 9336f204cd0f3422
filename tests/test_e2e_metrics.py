"""End to end: GET /metrics, parsed by the Prometheus project's own Python parser
(prometheus_client) and compared with /api/v1/sm/actual and /api/v1/dev/info."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness import fixture, wait_for


def families(fw):
    r = fw.get("/metrics")
    assert r.status == 200
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert int(r.headers["content-length"]) == len(r.body)
    text = r.body.decode()
    out = {}
    for fam in text_string_to_metric_families(text):
        # the parser is lax: a sample without HELP and TYPE comes back as an untyped family
        assert fam.type in ("counter", "gauge") and fam.documentation, (fam.name, fam.type, text)
        assert fam.name not in out, "family %s twice" % fam.name
        out[fam.name] = fam
    for line in text.splitlines():  # every HELP has its TYPE, each name once
        if line.startswith("# TYPE "):
            name, kind = line[7:].split(" ")
            assert "# HELP %s " % name in text
            assert name.endswith("_total") == (kind == "counter"), line
    return out, text


def samples(fam):
    return {tuple(sorted(s.labels.items())): s.value for s in fam.samples}


def actual(fw):
    return {e["name"]: e["value"] for e in fw.get("/api/v1/sm/actual").json()["actual"]}


def telegram(fw, meter, name):
    t = fixture(name)
    meter.send(t)
    wait_for(lambda: fw.get("/api/v1/sm/telegram").body == t, 10, "the telegram")


@pytest.mark.parametrize("name", ["dsmr50_multi_mbus", "fluvius"])
def test_metrics_agree_with_actual(fw, meter, name):
    telegram(fw, meter, name)
    fams, text = families(fw)
    a = actual(fw)
    e = samples(fams["dsmr_energy_delivered_kwh"])
    assert e == {(("tariff", "1"),): a["energy_delivered_tariff1"], (("tariff", "2"),): a["energy_delivered_tariff2"]}
    e = samples(fams["dsmr_energy_returned_kwh"])
    assert e == {(("tariff", "1"),): a["energy_returned_tariff1"], (("tariff", "2"),): a["energy_returned_tariff2"]}
    assert fams["dsmr_energy_delivered_kwh"].type == "counter"
    assert samples(fams["dsmr_power_delivered_kw"]) == {(): a["power_delivered"]}
    assert samples(fams["dsmr_power_returned_kw"]) == {(): a["power_returned"]}
    for fam, key in (("dsmr_voltage_volts", "voltage_l%d"), ("dsmr_current_amperes", "current_l%d"),
                     ("dsmr_phase_power_delivered_kw", "power_delivered_l%d"),
                     ("dsmr_phase_power_returned_kw", "power_returned_l%d")):
        want = {(("phase", str(i)),): a[key % i] for i in (1, 2, 3) if key % i in a}
        assert want and samples(fams[fam]) == want, (fam, samples(fams[fam]), want)
        assert fams[fam].type == "gauge"
    assert samples(fams["dsmr_gas_delivered_m3"]) == {(): a["gas_delivered"]}
    assert fams["dsmr_gas_delivered_m3"].type == "counter"
    # the text is the meter's digits, as /actual prints them
    assert "dsmr_energy_delivered_kwh_total{tariff=\"1\"} %.3f\n" % a["energy_delivered_tariff1"] in text


def test_belgian_demand_figures(fw, meter):
    telegram(fw, meter, "fluvius")
    fams, _ = families(fw)
    assert samples(fams["dsmr_demand_average_kw"]) == {(): 2.351}
    assert samples(fams["dsmr_demand_month_peak_kw"]) == {(): 2.589}


def test_device_figures_agree_with_dev_info(fw, meter):
    fams, _ = families(fw)
    assert "dsmr_energy_delivered_kwh" not in fams  # no telegram yet: no meter values
    assert samples(fams["dsmr_telegrams"]) == {(): 0}
    assert samples(fams["dsmr_last_telegram_age_seconds"]) == {(): -1}
    telegram(fw, meter, "dsmr42")
    bad = bytearray(fixture("dsmr42"))
    bad[100] ^= 1
    meter.send(bytes(bad))
    info = {}
    wait_for(lambda: info.update((e["name"], e["value"]) for e in fw.get("/api/v1/dev/info").json()["devinfo"])
             or info["crcerrors"] == 1, 10, "a CRC error")
    fams, _ = families(fw)
    assert samples(fams["dsmr_telegrams"]) == {(): info["telegramcount"]} == {(): 1}
    assert samples(fams["dsmr_crc_errors"]) == {(): 1}
    assert samples(fams["dsmr_framing_errors"]) == {(): info["framingerrors"]}
    assert samples(fams["dsmr_mqtt_connected"]) == {(): 0}
    assert 0 <= samples(fams["dsmr_last_telegram_age_seconds"])[()] <= 3
    assert abs(samples(fams["dsmr_uptime_seconds"])[()] - info["uptime"]) <= 2
    # the requests so far: this one counted, the others seen by dev/info too
    assert samples(fams["dsmr_http_requests"])[()] > info["httprequests"]
    assert samples(fams["dsmr_http_errors"])[()] == info["httperrors"]
    used = samples(fams["dsmr_heap_used_bytes"])[()]
    free = samples(fams["dsmr_heap_free_bytes"])[()]
    assert 10000 < used and 0 < free and abs(used + free - (info["usedheap"] + info["freeheap"])) < 4096


def test_metrics_code_leaves_the_heap_after_the_request(fw, meter):
    telegram(fw, meter, "fluvius")
    fw.get("/metrics")

    def used():
        return {e["name"]: e["value"] for e in fw.get("/api/v1/dev/info").json()["devinfo"]}["usedheap"]

    before = used()
    for _ in range(5):
        assert fw.get("/metrics").status == 200
    assert used() - before < 512, (before, used())

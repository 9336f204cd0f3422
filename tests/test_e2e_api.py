"""End to end: the firmware under the MicroPython unix port (with harness.HEAP), fed
by a TCP meter, answering the DSMRloggerAPI endpoints over real sockets."""

import json
import os
import re
from decimal import Decimal

import pytest
from dsmr_parser import telegram_specifications as specs
from dsmr_parser.parsers import TelegramParser

from dsmr import fields
from harness import Firmware, TcpMeter, fixture, wait_for

SPEC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "spec", "dsmr-api.txt")
ORDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "spec_order.txt")


def spec_order(endpoint):
    """The names the spec lists for `endpoint`, in its order (tests/fixtures/spec_order.txt)."""
    out = {}
    with open(ORDER, encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line.startswith("["):
                names = out[line.strip("[]")] = []
            elif line and not line.startswith("#"):
                names.append(line)
    return out[endpoint]


def spec_text():
    for path in (SPEC, os.path.join(os.environ.get("DSMR_SHARED", ""), "spec", "dsmr-api.txt")):
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return f.read()
    if os.environ.get("CI"):  # CI has shared/ beside the clone: checking against the spec is not optional
        raise AssertionError("../shared/spec/dsmr-api.txt not found")
    pytest.skip("../shared/spec/dsmr-api.txt not found (it lives beside the repo, not in it)")


@pytest.mark.parametrize("endpoint,after", [("/api/v1/sm/actual", ""), ("/api/v1/sm/fields", "\n")])
def test_the_spec_order_fixture_is_the_specs_order(endpoint, after):
    section = spec_text().split("GET http://dsmr-api.local" + endpoint + after)[1].split("GET")[0]
    assert spec_order(endpoint) == re.findall(r'"name": "(\w+)"', section)


def wait_telegram(fw, telegram, timeout=10):
    """Waits until /api/v1/sm/telegram serves exactly `telegram`."""
    return wait_for(lambda: fw.get("/api/v1/sm/telegram").body == telegram, timeout, "the telegram to be served")


@pytest.fixture(scope="module")
def meter():
    m = TcpMeter()
    yield m
    m.close()


@pytest.fixture(scope="module")
def fw(meter, tmp_path_factory):
    f = Firmware(tmp_path_factory.mktemp("fw"), "tcp:127.0.0.1:%d" % meter.port)
    meter.wait_client()
    yield f
    f.stop()
    assert "Traceback" not in f.log(), f.log()


def test_before_the_first_telegram_every_sm_endpoint_says_so(fw):
    for path in ("/api/v1/sm/actual", "/api/v0/sm/actual", "/api/v1/sm/info", "/api/v1/sm/fields",
                 "/api/v1/sm/fields/power_delivered", "/api/v1/sm/telegram"):
        r = fw.get(path)
        assert r.status == 503, path
        assert r.headers["content-type"] == "application/json"
        assert r.headers["retry-after"] == "5"
        assert "no telegram" in r.json()["error"]


def test_telegram_is_served_byte_for_byte(fw, meter):
    t = fixture("dsmr50_spec")
    meter.send(t)
    r = wait_telegram(fw, t)
    r = fw.get("/api/v1/sm/telegram")
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert r.body == t and r.body.endswith(b"!B2E4\r\n")


def test_actual_matches_the_spec_shape_and_dsmr_parser(fw, meter):
    t = fixture("dsmr50_spec")
    meter.send(t)
    wait_telegram(fw, t)
    r = fw.get("/api/v1/sm/actual")
    assert r.status == 200 and r.headers["content-type"] == "application/json"
    assert r.headers["access-control-allow-origin"] == "*"
    doc = r.json()
    names = [e["name"] for e in doc["actual"]]
    # the spec's list, in its order, timestamp first, gas last
    assert names == spec_order("/api/v1/sm/actual")
    theirs = TelegramParser(specs.V5).parse(t.decode())
    expect = {
        "energy_delivered_tariff1": theirs.ELECTRICITY_USED_TARIFF_1.value,
        "energy_returned_tariff2": theirs.ELECTRICITY_DELIVERED_TARIFF_2.value,
        "power_delivered": theirs.CURRENT_ELECTRICITY_USAGE.value,
        "voltage_l1": theirs.INSTANTANEOUS_VOLTAGE_L1.value,
        "current_l3": theirs.INSTANTANEOUS_CURRENT_L3.value,
        "power_returned_l3": theirs.INSTANTANEOUS_ACTIVE_POWER_L3_NEGATIVE.value,
        "gas_delivered": theirs.MBUS_DEVICES[0].MBUS_METER_READING.value,
    }
    by_name = {e["name"]: e for e in doc["actual"]}
    for k, v in expect.items():
        assert Decimal(str(by_name[k]["value"])) == v, k
    assert by_name["timestamp"] == {"name": "timestamp", "value": "210610104031S"}
    assert by_name["gas_delivered"]["unit"] == "m3"
    # rendering: decimals as the spec prints them, integers as integers
    body = r.body.decode()
    assert '{"name": "power_delivered", "value": 0.037, "unit": "kW"}' in body
    assert '{"name": "voltage_l1", "value": 238.000, "unit": "V"}' in body
    assert '{"name": "current_l1", "value": 2, "unit": "A"}' in body
    assert body.startswith('{"actual":[\n {"name": "timestamp"')


def test_v0_actual_is_one_flat_object_with_the_same_values(fw, meter):
    t = fixture("dsmr50_spec")
    meter.send(t)
    wait_telegram(fw, t)
    v1 = {e["name"]: e["value"] for e in fw.get("/api/v1/sm/actual").json()["actual"]}
    r = fw.get("/api/v0/sm/actual")
    assert r.status == 200
    v0 = r.json()
    assert list(v0) == list(v1) and v0 == v1


def test_fields_lists_every_field_in_spec_order_with_dash_for_absent(fw, meter):
    t = fixture("dsmr50_spec")
    meter.send(t)
    wait_telegram(fw, t)
    doc = fw.get("/api/v1/sm/fields").json()["fields"]
    names = [e["name"] for e in doc]
    spec_names = spec_order("/api/v1/sm/fields")
    assert names[: len(spec_names)] == spec_names
    assert len(names) == fields.COUNT
    by = {e["name"]: e for e in doc}
    assert by["p1_version_be"] == {"name": "p1_version_be", "value": "-"}
    assert by["message_long"] == {"name": "message_long", "value": ""}
    assert by["mbus2_delivered"] == {"name": "mbus2_delivered", "value": "-"}
    assert by["electricity_failure_log"]["value"] == "(1)(0-0:96.7.19)(200210104719W)(0000014540*s)"
    assert by["mbus1_delivered"] == {"name": "mbus1_delivered", "value": 3845.376, "unit": "m3"}


def test_single_field_has_timestamp_first_and_unknown_is_404(fw, meter):
    t = fixture("dsmr50_spec")
    meter.send(t)
    wait_telegram(fw, t)
    for name in [fields.name(f) for f in range(fields.COUNT)]:
        r = fw.get("/api/v1/sm/fields/" + name)
        assert r.status == 200, name
        doc = r.json()["fields"]
        assert doc[0]["name"] == "timestamp"
        assert doc[-1]["name"] == name
    assert fw.get("/api/v1/sm/fields/current_l2").json() == {
        "fields": [{"name": "timestamp", "value": "210610104031S"}, {"name": "current_l2", "value": 0, "unit": "A"}]
    }
    r = fw.get("/api/v1/sm/fields/no_such_field")
    assert r.status == 404 and r.json() == {"error": "unknown field: no_such_field"}
    r = fw.get('/api/v1/sm/fields/%22%5C"')
    assert r.status == 404 and "error" in r.json()


def test_info_lists_present_ids_only(fw, meter):
    t = fixture("dsmr50_multi_mbus")
    meter.send(t)
    wait_telegram(fw, t)
    doc = fw.get("/api/v1/sm/info").json()["info"]
    assert [e["name"] for e in doc] == [
        "identification", "p1_version", "equipment_id", "electricity_tariff",
        "mbus1_device_type", "mbus1_equipment_id_tc", "mbus2_device_type", "mbus2_equipment_id_tc",
        "mbus3_device_type", "mbus3_equipment_id_tc",
    ]
    assert doc[0]["value"] == "Ene5\\T210-D ESMR5.0"
    assert doc[4]["value"] == 7


@pytest.mark.parametrize("name,gas", [("dsmr50_multi_mbus", 2963.38), ("fluvius", 112.384), ("dsmr42", 981.443)])
def test_gas_delivered_comes_from_the_gas_channel_in_any_form(fw, meter, name, gas):
    t = fixture(name)
    meter.send(t)
    wait_telegram(fw, t)
    by = {e["name"]: e for e in fw.get("/api/v1/sm/actual").json()["actual"]}
    assert by["gas_delivered"] == {"name": "gas_delivered", "value": gas, "unit": "m3"}
    assert fw.get("/api/v0/sm/actual").json()["gas_delivered"] == gas


def test_telegrams_whole_chunked_and_byte_by_byte(fw, meter):
    for name, chunk in (("dsmr42", None), ("fluvius", 7), ("dsmr50_multi_mbus", 1)):
        t = fixture(name)
        meter.send(t, chunk=chunk)
        wait_telegram(fw, t, timeout=20)


def counters(fw):
    info = {e["name"]: e["value"] for e in fw.get("/api/v1/dev/info").json()["devinfo"]}
    return {k: info[k] for k in ("telegramcount", "crcerrors", "framingerrors", "telegramerrors")}


def test_corrupt_telegrams_and_garbage_never_replace_the_good_one(fw, meter):
    good = fixture("dsmr42")
    meter.send(good)
    wait_telegram(fw, good)
    start = counters(fw)
    flipped = bytearray(fixture("dsmr50_spec"))
    flipped[flipped.find(b"00.037")] = ord("9")  # one digit changed, the CRC left as it was
    noise = bytes(b for b in os.urandom(3000) if b & 0x7F != 0x2F)  # no '/' (bytes are read as 7 bits)
    bads = [  # (what, bytes that end in a telegram with a wrong CRC)
        ("a changed digit", bytes(flipped)),
        ("noise, then a changed digit", noise + bytes(flipped)),
        ("the spec's anonymised telegram", fixture("spec_anonymised_badcrc")),
        ("NULs, then a wrong CRC", b"\x00" * 100 + fixture("dsmr50_multi_mbus")[:-6] + b"0000\r\n"),
    ]
    for n, (what, bad) in enumerate(bads, 1):
        before = counters(fw)
        meter.send(bad)
        # whatever the firmware made of it shows in its counters: then the good one must still be served
        now = wait_for(lambda: counters(fw) != before and counters(fw), 10, "the firmware to read " + what)
        assert fw.get("/api/v1/sm/telegram").body == good, what
        assert now["telegramcount"] == start["telegramcount"], what
        assert now["crcerrors"] == start["crcerrors"] + n, (what, now)
    meter.send(b"/half a telegram")
    marker = fixture("dsmr50_multi_mbus")
    meter.send(marker)  # the '/' of this one ends the half telegram
    wait_telegram(fw, marker)
    end = counters(fw)
    assert end["crcerrors"] - start["crcerrors"] == len(bads)  # exactly the bad ones
    assert end["framingerrors"] - start["framingerrors"] == 1  # the half telegram
    assert end["telegramcount"] - start["telegramcount"] == 1
    assert fw.alive()


def test_head_and_query_strings(fw, meter):
    t = fixture("dsmr42")
    meter.send(t)
    wait_telegram(fw, t)
    g = fw.get("/api/v1/sm/actual?_=1700000000")
    h = fw.get("/api/v1/sm/actual", method="HEAD")
    assert g.status == h.status == 200
    assert h.body == b""
    assert int(h.headers["content-length"]) == len(g.body)
    assert fw.get("/api/v1/sm/actual/").status == 200
    # /fields is larger than the response buffer: counted first, then sent in pieces
    g = fw.get("/api/v1/sm/fields")
    h = fw.get("/api/v1/sm/fields", method="HEAD")
    assert len(g.body) > 2048 and int(g.headers["content-length"]) == len(g.body)
    assert h.body == b"" and int(h.headers["content-length"]) == len(g.body)


def test_options_preflight(fw):
    r = fw.get("/api/v1/sm/actual", method="OPTIONS",
               headers={"Origin": "http://example", "Access-Control-Request-Method": "GET"})
    assert r.status == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "GET" in r.headers["access-control-allow-methods"]
    assert r.body == b""


def test_errors_are_json_with_the_right_status(fw):
    r = fw.get("/nope")
    assert r.status == 404 and r.json()["error"]
    r = fw.get("/api/v1/sm/actual", method="POST", body=b"{}")
    assert r.status == 405 and r.headers["allow"] == "GET, HEAD, OPTIONS" and r.json()["error"]
    assert fw.raw(b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert fw.raw(b"GET /api HTTP/9.9\r\n\r\n").startswith(b"HTTP/1.1 505 ")
    assert fw.raw(b"GET http://x/ HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert fw.raw(b"\x00\xff\x10\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert fw.raw(b"GET / HTTP/1.1\r\nBadHeader\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    big = b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n"
    r = fw.raw(big)
    assert r.startswith(b"HTTP/1.1 431 "), r[:100]
    assert json.loads(r.split(b"\r\n\r\n", 1)[1])["error"]
    assert fw.get("/api/v1/sm/fields").status in (200, 503)
    assert fw.alive()


def test_keep_alive_and_pipelining(fw, meter):
    import http.client

    t = fixture("dsmr42")
    meter.send(t)
    wait_telegram(fw, t)
    c = http.client.HTTPConnection("127.0.0.1", fw.port, timeout=5)
    for path in ("/api/v1/sm/actual", "/api/v1/sm/info", "/nope", "/api/v1/sm/telegram"):
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        assert r.status in (200, 404)
    c.close()
    two = b"GET /api/v1/sm/info HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/sm/telegram HTTP/1.1\r\nConnection: close\r\n\r\n"
    out = fw.raw(two)
    assert out.count(b"HTTP/1.1 200 OK") == 2 and out.endswith(t)
    out = fw.raw(b"GET /api/v1/sm/telegram HTTP/1.0\r\n\r\n")
    assert b"Connection: close" in out and out.endswith(t)


def test_dsmr22_meter_without_crc_and_two_line_gas(tmp_path):
    # a fresh dongle: once a meter has sent CRCs, CRC-less telegrams are refused
    meter = TcpMeter()
    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)
    try:
        meter.wait_client()
        t = fixture("dsmr22")
        meter.send(t)
        wait_telegram(f, t)
        by = {e["name"]: e for e in f.get("/api/v1/sm/actual").json()["actual"]}
        assert by["gas_delivered"] == {"name": "gas_delivered", "value": 144.199, "unit": "m3"}
        assert by["power_delivered"] == {"name": "power_delivered", "value": 0.250, "unit": "kW"}
        assert "timestamp" not in by  # DSMR 2.2 sends none
    finally:
        f.stop()
        meter.close()

"""End to end: the device endpoints (info, time, settings) under MicroPython."""

import base64
import json
import os
import socket
import time


from harness import Firmware, wait_for

FIX = os.path.join(os.path.dirname(__file__), "fixtures")


def pairs(doc, key):
    return {e["name"]: e["value"] for e in doc[key]}


def info(fw):
    """/api/v1/dev/info's values; a 503 (out of memory for a moment, say after a
    write's code was loaded) asks to try again, and is tried again as a client would."""
    for _ in range(10):
        r = fw.get("/api/v1/dev/info")
        if r.status != 503:
            break
        time.sleep(0.2)
    return pairs(r.json(), "devinfo")


def test_info_counts_what_happened(fw, meter):
    good = open(os.path.join(FIX, "dsmr42.txt"), "rb").read()
    bad = bytearray(good)
    bad[100] ^= 1
    meter.send(good + bytes(bad) + b"/half" + good)
    wait_for(lambda: pairs(fw.get("/api/v1/dev/info").json(), "devinfo")["telegramcount"] == 2, 10, "2 telegrams")
    info = pairs(fw.get("/api/v1/dev/info").json(), "devinfo")
    assert info["crcerrors"] == 1 and info["framingerrors"] == 1
    assert info["telegramerrors"] == 2
    assert 0 <= info["lasttelegram"] <= 2
    assert info["p1connected"] == 1
    assert info["fwversion"] and info["micropython"].startswith("1.")
    assert info["maxfreeblock"] == info["idffreeheap"] == 0  # (the ESP-IDF's heap: the dongle's only)
    assert info["httprequests"] >= 2


def test_lastbytes_tells_nothing_arriving_from_bytes_without_telegrams(fw, meter):
    info = pairs(fw.get("/api/v1/dev/info").json(), "devinfo")
    assert info["lastbytes"] == -1 and info["lasttelegram"] == -1  # nothing yet
    meter.send(bytes(range(32, 127)) * 4)  # line noise, as a wrong baud rate gives
    wait_for(lambda: pairs(fw.get("/api/v1/dev/info").json(), "devinfo")["lastbytes"] >= 0, 5, "bytes")
    info = pairs(fw.get("/api/v1/dev/info").json(), "devinfo")
    assert 0 <= info["lastbytes"] <= 2 and info["telegramcount"] == 0


def test_uptime_counts_from_boot_across_requests(fw):
    # (the endpoint's code is loaded for each request: its own clock would restart)
    time.sleep(1.2)
    first = pairs(fw.get("/api/v1/dev/info").json(), "devinfo")["uptime"]
    time.sleep(1.1)
    info = pairs(fw.get("/api/v1/dev/info").json(), "devinfo")["uptime"]
    when = pairs(fw.get("/api/v1/dev/time").json(), "devtime")["uptime"]
    assert first >= 1 and info >= first + 1 and when >= info


def test_time_is_a_true_utc_epoch_with_local_time(fw):
    d = pairs(fw.get("/api/v1/dev/time").json(), "devtime")
    assert abs(d["epoch"] - time.time()) < 5
    assert d["timezone"] in ("CET", "CEST")
    lt = time.strptime(d["time"], "%Y-%m-%d %H:%M:%S")
    offset = 7200 if d["timezone"] == "CEST" else 3600
    assert abs(time.mktime(lt) - time.mktime(time.gmtime(d["epoch"] + offset))) < 2


def test_settings_list_with_types_limits_and_masked_secrets(fw):
    doc = fw.get("/api/v1/dev/settings").json()["settings"]
    by = {e["name"]: e for e in doc}
    assert by["hostname"] == {"name": "hostname", "value": "dsmr-api", "type": "s", "minlen": 1,
                              "maxlen": 32, "restart": True}
    assert by["http_timeout"]["type"] == "i" and by["http_timeout"]["restart"] is False
    assert by["p1_format"]["choices"] == ["8N1", "7E1"]
    assert by["admin_password"]["secret"] is True and by["admin_password"]["value"] == ""


def post(fw, body, auth=None, method="POST"):
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    return fw.get("/api/v1/dev/settings", method=method, body=json.dumps(body).encode(), headers=headers)


def test_settings_change_validate_and_survive_a_restart(fw, meter, tmp_path):
    assert post(fw, {"writes_open": True}).status == 200  # the choice: no admin password
    r = post(fw, {"name": "hostname", "value": "meterkast"})
    assert r.status == 200 and r.json() == {"saved": ["hostname"], "restart": ["hostname"]}
    r = post(fw, {"http_timeout": 9, "p1_require_crc": False}, method="PUT")
    assert r.json() == {"saved": ["http_timeout", "p1_require_crc"], "restart": []}
    by = {e["name"]: e["value"] for e in fw.get("/api/v1/dev/settings").json()["settings"]}
    assert by["http_timeout"] == 9 and by["hostname"] == "dsmr-api"  # live / after restart
    for bad, msg in (({"http_backlog": 0}, "http_backlog must be 1..128"),
                     ({"nope": 1}, "unknown setting: nope"),
                     ({"name": "hostname", "value": ""}, "hostname must be 1..32 bytes"),
                     ({"name": ["hostname"], "value": "x"}, '"name" must be a setting\'s name')):
        r = post(fw, bad)
        assert r.status == 400 and r.json() == {"error": msg}
    r = fw.get("/api/v1/dev/settings", method="POST", body=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status == 400 and "JSON" in r.json()["error"]
    fw.stop()
    f2 = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)
    try:
        assert pairs(f2.get("/api/v1/dev/info").json(), "devinfo")["hostname"] == "meterkast"
    finally:
        f2.stop()


def test_live_settings_take_effect_without_a_restart(fw, meter):
    dsmr22 = open(os.path.join(FIX, "dsmr22.txt"), "rb").read()  # no CRC: accepted by default
    meter.send(dsmr22)
    wait_for(lambda: fw.get("/api/v1/sm/telegram").body == dsmr22, 5, "the CRC-less telegram")
    assert post(fw, {"writes_open": True, "p1_require_crc": True, "http_timeout": 1}).json()["restart"] == []
    meter.send(dsmr22)
    wait_for(lambda: info(fw)["telegramerrors"] >= 1, 5, "refused")
    assert info(fw)["telegramcount"] == 1
    slow = socket.create_connection(("127.0.0.1", fw.port))
    try:
        slow.sendall(b"GET /api/v1/sm/actual HTTP/1.1\r\n")  # and then nothing more
        slow.settimeout(4)
        t0 = time.monotonic()
        answer = slow.recv(1024)
        assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - t0 < 2.5  # 1 s, not 5
    finally:
        slow.close()


def test_writes_need_the_admin_password_once_set(fw):
    assert post(fw, {"admin_password": "s3cret-pw"}).status == 200
    r = post(fw, {"http_timeout": 7})
    assert r.status == 401 and r.headers["www-authenticate"].startswith("Basic")
    assert post(fw, {"http_timeout": 7}, auth="Bearer wrong").status == 401
    assert post(fw, {"http_timeout": 7}, auth="Bearer s3cret-pw").status == 200
    basic = "Basic " + base64.b64encode(b"admin:s3cret-pw").decode()
    assert post(fw, {"http_timeout": 8}, auth=basic).status == 200
    assert fw.get("/api/v1/dev/settings").status == 200  # reads stay open
    by = {e["name"]: e for e in fw.get("/api/v1/dev/settings").json()["settings"]}
    assert by["admin_password"]["value"] == "" and by["admin_password"]["set"] is True


def test_a_corrupt_settings_file_boots_with_defaults(tmp_path, meter):
    (tmp_path / "settings.json").write_bytes(b'{"hostname": "x", \x00\xff garbage')
    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)
    try:
        assert pairs(f.get("/api/v1/dev/info").json(), "devinfo")["hostname"] == "dsmr-api"
        assert "settings file is corrupt" in f.log()
    finally:
        f.stop()

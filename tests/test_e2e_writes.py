"""End to end: the gate every write passes (firmware/api_write.py, README "Security"),
tried as a web page on another site, a brute-forcer and a careless client would."""

import base64
import http.client
import json
import time

from harness import Firmware

JSON = {"Content-Type": "application/json"}


def post(fw, body, headers=None, path="/api/v1/dev/settings", method="POST", source=None):
    c = http.client.HTTPConnection("127.0.0.1", fw.port, timeout=10, source_address=source)
    try:
        c.request(method, path, body=body if isinstance(body, bytes) else json.dumps(body).encode(),
                  headers=JSON if headers is None else headers)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def saved(tmp_path):
    p = tmp_path / "settings.json"
    return json.loads(p.read_text()) if p.exists() else {}


def info(fw):
    for _ in range(10):  # a 503 (out of memory for a moment) asks to try again: as a client would
        r = fw.get("/api/v1/dev/info")
        if r.status != 503:
            break
        time.sleep(0.2)
    return {e["name"]: e["value"] for e in r.json()["devinfo"]}


def basic(pw):
    return dict(JSON, Authorization="Basic " + base64.b64encode(b"admin:" + pw.encode()).decode())


def test_a_page_on_another_site_cannot_write(fw, tmp_path):
    assert post(fw, {"writes_open": True})[0] == 200  # no password, by choice: only the Origin guards
    evil = "http://evil.example"
    # what a cross-site page can send without a preflight: a form or a text/plain fetch
    st, h, body = post(fw, {"hostname": "pwned"}, {"Content-Type": "text/plain", "Origin": evil})
    assert st == 415 and "access-control-allow-origin" not in h
    st, _, _ = post(fw, b"ssid=evil&password=evil-pass&writes_open=on", path="/api/v1/dev/setup",
                    headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": evil})
    assert st == 415
    assert post(fw, {"hostname": "pwned"}, {})[0] == 415  # no Content-Type at all
    # JSON from a foreign origin (a preflight would have stopped a browser; a rebound name too)
    for origin in (evil, "null", "http://127.0.0.1:%d" % (fw.port + 1), "https://127.0.0.1:%d" % fw.port,
                   "http://dsmr-api.local.evil.example:%d" % fw.port, "http://dsmr-api.local"):
        st, h, body = post(fw, {"hostname": "pwned"}, dict(JSON, Origin=origin))
        assert st == 403 and json.loads(body) == {"error": "writes are taken only from the dongle's own page"}, origin
        assert "access-control-allow-origin" not in h
    # the preflight for a write grants no other site anything
    st, h, _ = post(fw, b"", {"Origin": evil, "Access-Control-Request-Method": "POST",
                              "Access-Control-Request-Headers": "content-type"}, method="OPTIONS")
    assert st == 204 and not [k for k in h if k.startswith("access-control-allow")], h
    assert saved(tmp_path) == {"writes_open": True}
    # the dongle's own page (by IP, name, name.local; localhost on a PC) and scripts (no Origin)
    for i, origin in enumerate(("http://127.0.0.1:%d", "http://localhost:%d", "http://dsmr-api.local:%d",
                                "http://DSMR-API:%d", None)):
        headers = dict(JSON, Origin=origin % fw.port) if origin else JSON
        st, h, _ = post(fw, {"http_timeout": 10 + i}, headers)
        assert st == 200 and "access-control-allow-origin" not in h, origin
    assert saved(tmp_path)["http_timeout"] == 14
    # reads keep CORS *, as DSMRloggerAPI clients expect
    assert fw.get("/api/v1/dev/settings", headers={"Origin": evil}).headers["access-control-allow-origin"] == "*"
    h = fw.get("/api/v1/sm/actual", method="OPTIONS", headers={"Origin": evil}).headers
    assert h["access-control-allow-origin"] == "*"


def test_head_never_writes(fw, tmp_path):
    assert post(fw, {"writes_open": True})[0] == 200
    st, h, body = post(fw, {"name": "hostname", "value": "headed"}, method="HEAD")
    assert st == 200 and body == b""
    assert saved(tmp_path) == {"writes_open": True}
    st, _, _ = post(fw, {"recid": "2611", "edt1": 1}, path="/api/v1/hist/months", method="HEAD")
    assert st == 200 and saved(tmp_path) == {"writes_open": True}
    by = {e["name"]: e["value"] for e in fw.get("/api/v1/dev/settings").json()["settings"]}
    assert by["hostname"] == "dsmr-api"


def test_wrong_passwords_are_slowed_down_per_client_and_counted(fw):
    assert post(fw, {"admin_password": "right-password"})[0] == 200
    # one keep-alive connection, as fast as the dongle answers, for 3 s
    c = http.client.HTTPConnection("127.0.0.1", fw.port, timeout=10)
    answered = paused = 0
    retry = None
    end = time.monotonic() + 3
    while time.monotonic() < end:
        c.request("POST", "/api/v1/dev/settings", body=b'{"http_timeout": 7}', headers=basic("guess"))
        r = c.getresponse()
        r.read()
        if r.status == 401:
            answered += 1
        else:
            assert r.status == 429
            paused += 1
            retry = int(r.getheader("Retry-After"))
    c.close()
    assert 3 <= answered <= 5 and paused > 20, (answered, paused)  # 3 free, then 1 s, 2 s .. between tries
    assert 1 <= retry <= 4
    st, h, _ = post(fw, {"http_timeout": 7}, basic("right-password"))
    assert st == 429  # paused, whatever the password: no guessing through it
    retry = int(h["retry-after"])
    assert info(fw)["authfailures"] == answered
    # other addresses have their own buckets (8 of them, by address)
    others = [post(fw, {"http_timeout": 8}, basic("right-password"), source=("127.0.0.%d" % i, 0))[0]
              for i in range(2, 10)]
    assert others.count(200) >= 4 and set(others) <= {200, 429}, others
    time.sleep(retry + 1)
    assert post(fw, {"http_timeout": 9}, basic("right-password"))[0] == 200
    st, _, _ = post(fw, {"http_timeout": 9}, basic("guess"))
    assert st == 401  # the right one started the count again


def test_an_overridden_setting_is_not_writable(tmp_path, meter):
    fw = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, admin_password="from-the-env")
    try:
        st, _, body = post(fw, {"admin_password": ""}, basic("from-the-env"))
        assert st == 403 and json.loads(body) == {
            "error": "admin_password is set by DSMR_ADMIN_PASSWORD in the environment: it cannot be changed here"}
        assert post(fw, {"http_timeout": 7})[0] == 401  # still protected
        assert post(fw, {"http_port": 8081}, basic("from-the-env"))[0] == 403  # (the harness sets the port)
        assert post(fw, {"http_timeout": 7}, basic("from-the-env"))[0] == 200
        assert saved(tmp_path) == {"http_timeout": 7}
    finally:
        fw.stop()


def test_string_settings_are_checked_in_utf8_bytes_against_their_consumer(fw, tmp_path):
    assert post(fw, {"writes_open": True})[0] == 200
    # UTF-8 as it is is taken; an escaped emoji (JSON's surrogate pair, as Python's json.dumps
    # sends it) comes out of MicroPython's json as CESU-8, which Wi-Fi and the file would not take
    assert post(fw, json.dumps({"wifi_ssid": "caf\u00e9 \U0001F600"}, ensure_ascii=False).encode())[0] == 200
    raw = (tmp_path / "settings.json").read_bytes()
    assert json.loads(raw.decode("utf-8", "strict"))["wifi_ssid"] == "caf\u00e9 \U0001F600"
    for body, msg in (
        (b'{"wifi_ssid": "\\ud83d\\ude00"}', "wifi_ssid must be UTF-8 text without control characters or escaped surrogates"),
        (b'{"wifi_ssid": "\\ud83d"}', "wifi_ssid must be UTF-8 text without control characters or escaped surrogates"),
        (b'{"wifi_ssid": "\\ude00\\ud83d"}', "wifi_ssid must be UTF-8 text without control characters or escaped surrogates"),
        (b'{"wifi_ssid": "a\xed\xa0\xbdb"}', "wifi_ssid must be UTF-8 text without control characters or escaped surrogates"),
        (b'{"wifi_ssid": "a\xc0\xafb"}', "wifi_ssid must be UTF-8 text without control characters or escaped surrogates"),
        (b'{"wifi_ssid": "a\\u0000b"}', "wifi_ssid must be UTF-8 text without control characters or escaped surrogates"),
        (json.dumps({"wifi_ssid": "x" * 33}).encode(), "wifi_ssid must be 0..32 bytes"),
        (json.dumps({"wifi_ssid": "\u00e9" * 17}).encode(), "wifi_ssid must be 0..32 bytes"),
        (json.dumps({"wifi_ssid": "😀" * 9}).encode(), "wifi_ssid must be 0..32 bytes"),
        (json.dumps({"wifi_password": "1234567"}).encode(), "wifi_password must be empty or 8..63 bytes (a WPA2 passphrase)"),
        (json.dumps({"wifi_password": "x" * 64}).encode(), "wifi_password must be 0..63 bytes"),
        (json.dumps({"admin_password": "short"}).encode(), "admin_password must be empty or 8..63 bytes (a WPA2 passphrase)"),
        (json.dumps({"admin_password": "caf\u00e9-caf\u00e9"}).encode(),
         "admin_password may hold only ASCII letters, digits, punctuation and spaces"),
        (json.dumps({"hostname": "p1.local"}).encode(), "hostname may hold only letters, digits and hyphens (not first or last)"),
    ) + tuple((json.dumps({"mqtt_prefix": p}).encode(),
               "mqtt_prefix must be an MQTT topic prefix: no + or #, no / first or last, no $ first")
              for p in ("a/+/#", "a/#", "+", "/dsmr", "dsmr/", "$SYS/x")):
        st, _, answer = post(fw, body)
        assert st == 400 and json.loads(answer) == {"error": msg}, body
    for ok in ({"mqtt_prefix": "home/p1"}, {"wifi_password": "\u00e9" * 4}, {"wifi_password": "x" * 63},
               {"wifi_ssid": "\u00e9" * 16}, {"wifi_password": ""}):
        assert post(fw, ok)[0] == 200, ok
    assert saved(tmp_path)["wifi_ssid"] == "\u00e9" * 16 and saved(tmp_path)["mqtt_prefix"] == "home/p1"


def test_no_write_passes_before_a_choice_and_dev_info_says_so(fw, tmp_path):
    assert info(fw)["writes"] == "unset" and info(fw)["authfailures"] == 0
    st, _, body = post(fw, {"http_timeout": 7})
    assert st == 403 and "no admin password chosen yet" in json.loads(body)["error"]
    assert post(fw, {"admin_password": "", "http_timeout": 7})[0] == 403  # not a choice
    assert post(fw, {"writes_open": False, "http_timeout": 7})[0] == 403
    assert saved(tmp_path) == {}
    assert post(fw, {"writes_open": True})[0] == 200
    assert info(fw)["writes"] == "open"
    assert post(fw, {"http_timeout": 7})[0] == 200
    assert post(fw, {"admin_password": "now-a-password"})[0] == 200
    assert info(fw)["writes"] == "password"
    st, h, _ = post(fw, {"http_timeout": 8})
    assert st == 401 and h["www-authenticate"] == 'Basic realm="dsmr-api"'  # (curl -u, scripts)
    st, h, _ = post(fw, {"http_timeout": 8}, dict(JSON, Origin="http://127.0.0.1:%d" % fw.port))
    assert st == 401 and "www-authenticate" not in h  # a page's fetch: no browser prompt


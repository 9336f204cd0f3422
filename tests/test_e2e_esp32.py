"""The dongle's platform layer (firmware/platform/esp32.py, wifi.py, watchdog.py) on the
unix port, with fakes only at the hardware boundary (tests/fakes: machine, network).

The fakes record what the firmware does to the hardware in a log this test reads;
the P1 UART is a TCP connection to the test's meter. They are no kinder than the
port (tests/test_fakes.py): lwIP's 10 sockets, newlib's errno numbers (the firmware
runs from tests/fakes/esp32_main.py, which puts the ESP32's errno in place),
blocking name lookups, the port's UART keywords and pins."""

import base64
import json
import os
import time

import pytest


from harness import FAKES, HEAP, ON_YARDSTICK, Firmware, fakes_heap_k, fixture, free_port, recv_all, wait_for


def free_port_udp():
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




class Dongle:
    def __init__(self, tmp_path, meter, settings=None, wifi="ok", env_extra=None, extra_heap_k=None, **kw):
        self.log_path = str(tmp_path / "hardware.log")
        if settings is not None:
            (tmp_path / "settings.json").write_text(json.dumps(settings))
        env = {"DSMR_PLATFORM": "esp32", "MICROPYPATH": FAKES + ":.frozen", "FAKE_LOG": self.log_path,
               "FAKE_UART_TCP": "127.0.0.1:%d" % meter.port, "FAKE_WIFI": wifi,
               # the default NTP server resolves (to no server): the tests that are not
               # about lookups do not wait for a failing one
               "FAKE_DNS": "pool.ntp.org=127.0.0.1", "DSMR_NTP_PORT": str(free_port_udp())}
        env.update(env_extra or {})
        # the fakes' own code shares the firmware's heap here, which the dongle does not
        # carry: on the yardstick they get what they take, measured (harness.fakes_heap_k).
        # The 64-bit port compiles the fakes from sources and gets a fixed 28 KB more:
        # there the setup POST right after boot compiles api_setup, api_write, api_auth
        # and settings from sources, and whether that fits at 168k + 21k depends on the
        # heap's layout, not on what stays loaded (it failed 1 run in 6 before the slots
        # and routes got their names, 6 in 6 after, with 128 bytes less loaded after
        # start; 8 in 8 passed at +26 and +28).
        if extra_heap_k is None:
            extra_heap_k = fakes_heap_k() if ON_YARDSTICK else 28
        # (With MQTT and the raw stream on as well, the 64-bit port needs more: its
        # objects are bigger.)
        heap = "%dk" % (int(HEAP.rstrip("k")) + extra_heap_k)
        self.fw = Firmware(tmp_path, "uart", env=env, script=os.path.join(FAKES, "esp32_main.py"), heap=heap, **kw)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fw.stop()

    def events(self, kind=None):
        try:
            with open(self.log_path) as f:
                ev = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []
        return [e for e in ev if kind is None or e["event"] == kind]


def test_p1_uart_is_a_non_repl_uart_inverted_and_non_blocking(tmp_path, meter):
    with Dongle(tmp_path, meter, {"wifi_ssid": "home"}) as d:
        meter.wait_client()
        (uart,) = d.events("uart")
        assert uart["id"] in (1, 2)
        assert uart["invert"] == 4  # UART.INV_RX
        assert uart["timeout"] == 0 and uart["rxbuf"] >= 2048
        assert (uart["baudrate"], uart["bits"], uart["parity"], uart["stop"]) == (115200, 8, None, 1)
        assert uart["rx"] not in (0, 2, 5, 12, 15)  # not a strapping pin
        assert uart["tx"] == 23  # given: not the port's default (UART2: 17, a WROVER's PSRAM clock)
        t = fixture("dsmr50_spec")
        meter.send(t)
        wait_for(lambda: d.fw.get("/api/v1/sm/telegram").body == t, 10, "the telegram over the UART")


def test_dsmr22_meters_get_9600_7e1_and_the_request_pin_is_never_driven_low(tmp_path, meter):
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "p1_baud": 9600, "p1_format": "7E1", "p1_request_pin": 4}) as d:
        meter.wait_client()
        (uart,) = d.events("uart")
        assert (uart["baudrate"], uart["bits"], uart["parity"]) == (9600, 7, 0)
        pins = d.events("pin")
        assert pins[0] == {"event": "pin", "pin": 4, "mode": 3, "value": 1, "ms": pins[0]["ms"]}
        meter.drop_client()  # the source is lost: the pin is released, not pulled low
        wait_for(lambda: len(d.events("pin")) >= 2, 10, "the request pin released")
        assert d.events("pin")[1]["mode"] == 1 and all(p["value"] != 0 for p in d.events("pin"))


def test_a_wifi_driver_error_does_not_end_the_rejoining(tmp_path, meter):
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "wifi_password": "pw"}, wifi="flaky") as d:
        wait_for(lambda: "joined home" in d.fw.log(), 20, "joined after the driver's errors")
        assert d.fw.log().count("Wifi Internal Error") == 2


def test_wifi_starts_before_the_firmware_loads_and_the_hostname_comes_before_connect(tmp_path, meter):
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "wifi_password": "pw", "hostname": "meterkast"}) as d:
        wait_for(lambda: d.events("connect"), 10, "a connect")
        ev = [e for e in d.events() if e["event"] in ("hostname", "active", "connect")]
        # main.py: the station first, before the firmware's bulk was imported (its heap not grown yet)
        assert ev[0]["event"] == "active" and ev[0]["iface"] == 0 and ev[0]["on"] is True
        assert ev[0]["firmware"] == 0
        # the port takes the hostname at connect() (DHCP) and at the first address (mDNS)
        names = [e["event"] for e in ev]
        assert names.index("hostname") < names.index("connect")
        assert {e["name"] for e in ev if e["event"] == "hostname"} == {"meterkast"}
        assert [e for e in ev if e["event"] == "connect"][0]["ssid"] == "home"
        info = {e["name"]: e["value"] for e in d.fw.get("/api/v1/dev/info").json()["devinfo"]}
        wait_for(lambda: "joined home" in d.fw.log(), 10, "joined")
        info = {e["name"]: e["value"] for e in d.fw.get("/api/v1/dev/info").json()["devinfo"]}
        assert info["ipaddress"] == "192.168.1.50" and info["macaddress"] == "24:0a:c4:12:ab:cd"
        assert info["wifimode"] == "station" and info["hostname"] == "meterkast"
        # the heap figures the port gives for free: the IDF heap's (tests/fakes/esp32.py)
        assert (info["maxfreeblock"], info["idffreeheap"], info["idfminfreeheap"]) == (31744, 66220, 54612)
        assert not d.events("config")  # no setup access point


def test_no_network_saved_opens_the_setup_access_point(tmp_path, meter):
    with Dongle(tmp_path, meter) as d:
        wait_for(lambda: d.events("config"), 10, "the access point")
        (ap,) = d.events("config")
        assert ap["iface"] == 1 and ap["essid"] == "dsmr-api-ABCD" and ap["authmode"] == 0
        r = d.fw.get("/")
        assert r.status == 200 and b"name=ssid" in r.body and b"/api/v1/dev/setup" in r.body


def setup(d, doc, password=None, origin=None):
    """POSTs the setup form's JSON as its script does (a browser adds Origin)."""
    h = {"Content-Type": "application/json"}
    if password:
        h["Authorization"] = "Basic " + base64.b64encode(b"admin:" + password.encode()).decode()
    if origin:
        h["Origin"] = origin
    return d.fw.get("/api/v1/dev/setup", method="POST", body=json.dumps(doc).encode(), headers=h)


def test_ap_fallback_after_the_timeout_is_wpa2_and_the_setup_form_saves_and_restarts(tmp_path, meter):
    saved = {"wifi_ssid": "gone", "wifi_timeout": 5, "admin_password": "owner-only"}
    with Dongle(tmp_path, meter, saved, wifi="fail") as d:
        t0 = time.monotonic()
        wait_for(lambda: d.events("config"), 20, "the fallback access point")
        assert time.monotonic() - t0 >= 4  # only after the station had its time
        assert d.events("connect")[0]["ssid"] == "gone"
        (ap,) = d.events("config")  # a passer-by cannot join: the owner's admin password is its key
        assert ap["authmode"] == 3 and ap["password"] == "owner-only"
        doc = {"ssid": "My Home!", "password": "s\u00e9cret!", "hostname": "p1meter", "admin_password": "owner-only"}
        r = setup(d, doc)  # (a passer-by who got on it still lacks the password)
        assert r.status == 401 and json.loads((tmp_path / "settings.json").read_text())["wifi_ssid"] == "gone"
        r = setup(d, dict(doc, writes_open=True, admin_password=""))  # "no password" is no way in there
        assert r.status == 401
        r = setup(d, doc, "owner-only", origin="http://192.168.4.1:%d" % d.fw.port)
        assert r.status == 200 and r.json() == {"saved": ["admin_password", "hostname", "wifi_password", "wifi_ssid"],
                                                "restart": True}
        saved = json.loads((tmp_path / "settings.json").read_text())
        assert saved["wifi_ssid"] == "My Home!" and saved["wifi_password"] == "s\u00e9cret!"
        assert saved["hostname"] == "p1meter"
        d.fw.exited(10)
        assert d.events("reset")


def test_no_fallback_access_point_without_an_admin_password(tmp_path, meter):
    with Dongle(tmp_path, meter, {"wifi_ssid": "gone", "wifi_timeout": 5, "writes_open": True}, wifi="fail") as d:
        wait_for(lambda: "no setup access point without an admin password" in d.fw.log(), 20, "the refusal")
        assert not d.events("config")
        wait_for(lambda: len(d.events("connect")) >= 2, 10, "the station tried again")


def test_first_setup_asks_for_an_admin_password_or_the_choice_of_none(tmp_path, meter):
    with Dongle(tmp_path, meter) as d:
        wait_for(lambda: d.events("config"), 10, "the access point")
        page = d.fw.get("/").body
        assert b'name=admin_password' in page and b'name=writes_open' in page
        r = setup(d, {"ssid": "home", "password": "wifi-pass"})
        assert r.status == 403 and "admin" in r.json()["error"]
        r = setup(d, {"ssid": "home", "password": "wifi-pass", "admin_password": "short"})
        assert r.status == 400 and r.json() == {"error": "admin_password must be empty or 8..63 bytes (a WPA2 passphrase)"}
        r = setup(d, {"ssid": "home", "password": "wifi-pass", "writes_open": True}, origin="http://evil.example")
        assert r.status == 403
        assert not (tmp_path / "settings.json").exists()
        r = setup(d, {"ssid": "home", "password": "wifi-pass", "writes_open": True}, origin="http://192.168.4.1:%d" % d.fw.port)
        assert r.status == 200
        assert json.loads((tmp_path / "settings.json").read_text()) == {
            "wifi_ssid": "home", "wifi_password": "wifi-pass", "writes_open": True}
        d.fw.exited(10)


def test_setup_rejects_what_is_invalid(tmp_path, meter):
    with Dongle(tmp_path, meter) as d:
        r = setup(d, {"password": "x", "writes_open": True})
        assert r.status == 400 and r.json() == {"error": "ssid is required"}
        r = setup(d, {"ssid": "x" * 40, "writes_open": True})
        assert r.status == 400 and r.json() == {"error": "wifi_ssid must be 0..32 bytes"}
        r = setup(d, {"ssid": "\u00e9" * 17, "writes_open": True})  # 17 characters, 34 bytes
        assert r.status == 400 and r.json() == {"error": "wifi_ssid must be 0..32 bytes"}
        r = setup(d, {"ssid": "home", "password": "1234567", "writes_open": True})
        assert r.status == 400 and "WPA2" in r.json()["error"]
        r = d.fw.get("/api/v1/dev/setup", method="POST", body=b"ssid=home&writes_open=on",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status == 415  # what a form on another site can send
        assert not d.events("reset")


def test_watchdog_is_fed_while_telegrams_arrive_and_starves_when_they_stop(tmp_path, meter):
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "wdt_timeout": 2}, env_extra={"DSMR_HEALTHY_S": "1"}) as d:
        meter.wait_client()
        wait_for(lambda: d.events("wdt_init"), 10, "the watchdog started once the boot is healthy")
        (init,) = d.events("wdt_init")
        assert init["timeout"] == 2000
        t = fixture("dsmr42")
        for _ in range(6):
            meter.send(t)
            time.sleep(0.5)
        fed = len(d.events("wdt_feed"))
        assert fed >= 4
        garbage = bytes(range(32, 127)) * 4
        end = time.monotonic() + 6
        while time.monotonic() < end and d.fw.alive():  # bytes keep coming, no good telegram
            try:
                meter.send(garbage.replace(b"/", b"x"))
            except OSError:
                break  # (the board was reset)
            time.sleep(0.1)
        starved = len(d.events("wdt_feed"))
        assert starved - fed <= 4  # at most the first ~2 s of garbage were fed
        assert "watchdog:" in d.fw.log()
        # starved for a whole timeout: the watchdog (tests/fakes/machine.py, as the port's) resets it
        d.fw.exited(10)
        assert d.events()[-1]["event"] == "reset" and d.events()[-1]["cause"] == "wdt"
        ms = [e["ms"] for e in d.events("wdt_feed")]
        gaps = [b - a for a, b in zip(ms, ms[1:])]
        assert max(gaps[: fed - 1]) < 1000  # while telegrams arrived: every timeout/4
        assert d.events()[-1]["ms"] - ms[-1] >= 2000  # the reset came a whole timeout after the last feed


def test_a_silent_line_is_an_absent_meter_and_keeps_the_watchdog_fed(tmp_path, meter):
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "wdt_timeout": 2}, env_extra={"DSMR_HEALTHY_S": "1"}) as d:
        meter.wait_client()
        wait_for(lambda: d.events("wdt_init"), 10, "the watchdog started")
        meter.send(fixture("dsmr42"))
        time.sleep(4)  # then nothing: unplugged
        feeds = d.events("wdt_feed")
        assert feeds and feeds[-1]["ms"] > feeds[0]["ms"] + 2500
        assert "watchdog:" not in d.fw.log()


def test_ntp_sets_the_clock_once_wifi_is_up(tmp_path, meter):
    import socket
    import struct
    import threading

    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    answer_time = 1795670000  # 2026-11-26 05:13:20 UTC, a Thursday

    def serve():
        data, addr = srv.recvfrom(48)
        reply = bytearray(48)
        reply[0] = 0x1C
        reply[40:44] = struct.pack("!I", answer_time + 2208988800)
        srv.sendto(bytes(reply), addr)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "ntp_server": "127.0.0.1"},
                env_extra={"DSMR_NTP_PORT": str(port)}) as d:
        wait_for(lambda: d.events("rtc"), 15, "the clock set")
        (rtc,) = d.events("rtc")
        # the fake runs on the unix port, whose time counts from 1970 like Unix time
        assert rtc["datetime"] == [2026, 11, 26, 3, 5, 13, 20, 0]  # weekday 3 = Thursday
        assert "NTP: clock set" in d.fw.log()
        srv.close()


def test_every_http_connection_sends_without_waiting_for_acks(tmp_path, meter):
    # TCP_NODELAY on each accepted socket: an answer bigger than the response buffer
    # (device info) goes out in several sends, and with Nagle's algorithm its last
    # part waited for the client's delayed ACK (44 ms a request on the yardstick,
    # 0.7 ms with it: make bench's http_devinfo_keepalive_ms)
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "ntp_server": ""}) as d:
        for _ in range(2):
            assert d.fw.get("/api/v1/dev/info").status == 200
        opts = [(e["level"], e["opt"], e["value"]) for e in d.events("setsockopt")]
        assert len(opts) >= 3 and set(opts) == {(6, 1, 1)}, opts  # (the harness's probe was one)


def test_an_accept_aborted_by_the_client_is_no_error(tmp_path, meter):
    # lwIP says ECONNABORTED (newlib's 113) when a client reset its connection while
    # it waited in the backlog; the server takes the next one without a word
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "ntp_server": ""},
                env_extra={"FAKE_ACCEPT_ABORT": "2"}) as d:
        # (the 1st accept was the harness's probe; the 2nd is this one, reset)
        with pytest.raises(ConnectionError):
            d.fw.get("/api/v1/dev/time")
        assert d.fw.get("/api/v1/dev/time").status == 200
        assert "http accept" not in d.fw.log()


def test_a_name_is_looked_up_once_and_right_after_a_telegram(tmp_path, meter):
    # the lookup blocks the whole dongle (600 ms here): it must fall in the quiet
    # second after a telegram, never while one arrives, and not be repeated
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "ntp_server": "time.lan"},
                env_extra={"FAKE_DNS": "time.lan=127.0.0.1", "FAKE_DNS_MS": "600"}) as d:
        meter.wait_client()
        time.sleep(2)  # Wi-Fi is up, NTP wants its server: no telegram yet
        assert not d.events("getaddrinfo")
        t = fixture("dsmr50_spec")
        ends = []
        for _ in range(4):
            meter.send(t)
            ends.append(time.time_ns())
            time.sleep(1)
        (lookup,) = d.events("getaddrinfo")
        assert lookup["host"] == "time.lan" and lookup["took"] >= 600
        after = [lookup["at_ns"] - e for e in ends if e <= lookup["at_ns"]]
        assert after and min(after) < 200e6  # within 200 ms of a telegram's end
        assert not d.events("uart_overflow")  # the UART's 2 KB held what came meanwhile
        info = {e["name"]: e["value"] for e in d.fw.get("/api/v1/dev/info").json()["devinfo"]}
        assert info["dnslookups"] == 1 and info["dnstime"] >= 600 and info["dnsfailures"] == 0


class TinyBroker:
    """Answers an MQTT CONNECT with CONNACK and then holds the connection: enough
    for the firmware's MQTT part to hold its socket."""

    def __init__(self):
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(2)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            c.recv(1024)
            c.sendall(b"\x20\x02\x00\x00")
            self.conns.append(c)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def _held_http(port, n):
    import socket

    out = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /api/v1/sm/actual HTTP/1.1\r\n")  # a request under way
        out.append(s)
    return out


def test_the_defaults_at_full_load_fit_the_sockets(tmp_path, meter):
    import socket

    broker = TinyBroker()
    raw_port = free_port()
    try:
        with Dongle(tmp_path, meter, {"wifi_ssid": "home", "ntp_server": "",
                                      "mqtt_url": "mqtt://127.0.0.1:%d" % broker.port},
                    raw_port=raw_port, extra_heap_k=None if ON_YARDSTICK else 45) as d:
            # (a client reaches a dongle over its Wi-Fi: none comes before it has joined, while
            # wifi_join.py is in the heap; on a PC the fakes' MQTT may connect before that)
            wait_for(lambda: "joined home" in d.fw.log(), 10, "Wi-Fi joined")
            wait_for(lambda: "MQTT: connected" in d.fw.log(), 15, "MQTT connected")
            raws = [socket.create_connection(("127.0.0.1", raw_port), timeout=5) for _ in range(3)]
            https = _held_http(d.fw.port, 2)
            time.sleep(0.5)
            # 1 + 3 HTTP (with this request), 1 + 3 raw, MQTT: 9 of the 10 (NTP borrows the tenth)
            info = {e["name"]: e["value"] for e in d.fw.get("/api/v1/dev/info").json()["devinfo"]}
            assert info["rawclients"] == 3 and info["mqttconnected"] == 1 and info["socketsrefused"] == 0
            assert not d.events("enfile")
            for s in https:  # each held request is answered by its handler (no meter yet: its 503), not refused
                s.sendall(b"Host: dongle\r\nConnection: close\r\n\r\n")
                got = recv_all(s)
                assert b"no telegram received from the meter yet" in got, got
            for s in raws + https:
                s.close()
    finally:
        broker.close()


def test_a_part_refused_a_socket_is_logged_and_counted(tmp_path, meter):
    # as if other sockets were taken: lwIP has 3 left for us, HTTP's listener and 2 more
    # (a third connection is within http_max_conn: accepted, not waiting for a slot)
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "ntp_server": ""},
                env_extra={"FAKE_SOCKETS": "3"}) as d:
        held = _held_http(d.fw.port, 2)
        time.sleep(0.3)
        with pytest.raises(ConnectionError):
            d.fw.get("/api/v1/dev/time")  # lwIP drops it: ENFILE
        assert d.events("enfile")
        wait_for(lambda: "sockets: HTTP was refused a socket: all 10 are in use" in d.fw.log(), 5, "the log line")
        held[0].close()
        time.sleep(0.5)
        info = {e["name"]: e["value"] for e in d.fw.get("/api/v1/dev/info").json()["devinfo"]}
        assert info["socketsrefused"] >= 1
        for s in held:
            s.close()


def test_settings_that_need_more_sockets_than_the_dongle_has_are_refused(tmp_path, meter):
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "mqtt_url": "mqtt://127.0.0.1:1", "writes_open": True}, raw_port=free_port(),
                extra_heap_k=None if ON_YARDSTICK else 45) as d:
        wait_for(lambda: "joined home" in d.fw.log(), 10, "Wi-Fi joined")  # (a client comes over it)
        r = d.fw.get("/api/v1/dev/settings", "POST", {"Content-Type": "application/json"},
                     json.dumps({"raw_max_clients": 5, "p1_buffer": 1536}))
        assert r.status == 400 and "need 11 sockets" in r.json()["error"], r.body
        r = d.fw.get("/api/v1/dev/settings", "POST", {"Content-Type": "application/json"},
                     json.dumps({"raw_max_clients": 5, "p1_buffer": 1536, "http_max_conn": 2}))
        assert r.status == 200, r.body


def _post(d, doc):
    r = d.fw.get("/api/v1/dev/settings", "POST", {"Content-Type": "application/json"}, json.dumps(doc))
    return r.status, r.json()


def test_a_wrover_boots_with_the_default_pins_and_tells_what_to_change(tmp_path, meter):
    # SPIRAM firmware: GPIO 16/17 are the PSRAM's; the port's default TX pin (17) would crash it
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "writes_open": True}, env_extra={"FAKE_SPIRAM": "1"}) as d:
        wait_for(lambda: "are the PSRAM's on a WROVER" in d.fw.log(), 10, "the P1 error")
        assert "p1_rx_pin 16 or p1_tx_pin 23 is not a GPIO of this board" in d.fw.log()
        assert not d.events("crash") and d.fw.alive()
        assert _post(d, {"p1_rx_pin": 4})[0] == 200
    with Dongle(tmp_path, meter, env_extra={"FAKE_SPIRAM": "1"}) as d:
        meter.wait_client()
        (uart,) = d.events("uart")
        assert (uart["rx"], uart["tx"]) == (4, 23) and not d.events("crash")


def test_no_tx_pin_from_micropython_1_29_and_a_clear_error_before(tmp_path, meter):
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "p1_tx_pin": -1}, env_extra={"FAKE_MP_VERSION": "1.29"}) as d:
        meter.wait_client()
        (uart,) = d.events("uart")
        assert uart["tx"] == -1  # not routed
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "p1_tx_pin": -1}, env_extra={"FAKE_MP_VERSION": "1.28"}) as d:
        wait_for(lambda: "a p1_tx_pin of -1 needs MicroPython 1.29" in d.fw.log(), 10, "the P1 error")


@pytest.mark.parametrize("doc, says", [
    ({"p1_rx_pin": 7}, "p1_rx_pin: GPIO 7 cannot be used (6-11 hold the flash"),
    ({"p1_tx_pin": 24}, "p1_tx_pin: GPIO 24 cannot be used"),
    ({"p1_tx_pin": 35}, "p1_tx_pin must be -1..33"),  # input only
    ({"p1_request_pin": 30}, "p1_request_pin: GPIO 30 cannot be used"),
])
def test_pins_the_esp32_cannot_use_are_refused(tmp_path, meter, doc, says):
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "writes_open": True}) as d:
        status, body = _post(d, doc)
        assert status == 400 and says in body["error"], body


def test_the_rx_tx_and_request_pins_must_differ(tmp_path, meter):
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "p1_rx_pin": 36, "p1_tx_pin": 4, "p1_request_pin": 4}) as d:
        wait_for(lambda: "must be different GPIOs" in d.fw.log(), 10, "the P1 error")
        assert not d.events("uart")


def test_no_station_join_while_a_phone_is_on_the_setup_access_point(tmp_path, meter):
    stations = tmp_path / "ap_stations"
    stations.write_text("1")  # a phone joins the setup AP as soon as it is up
    with Dongle(tmp_path, meter, {"wifi_ssid": "gone", "wifi_timeout": 5, "admin_password": "owner-only"}, wifi="fail",
                env_extra={"FAKE_AP_STATIONS": str(stations), "DSMR_WIFI_RETRY_S": "1"}) as d:
        wait_for(lambda: d.events("config"), 20, "the fallback access point")
        time.sleep(8)  # retries every second: none while the phone is on it
        assert len(d.events("connect")) == 1
        assert "a phone is on the setup access point: gone is not tried meanwhile" in d.fw.log()
        stations.write_text("0")  # the phone left
        wait_for(lambda: len(d.events("connect")) == 2, 10, "the station tried again")


def test_a_p1_server_by_name_is_looked_up_once_across_reconnects(tmp_path, meter):
    with Dongle(tmp_path, meter, {"wifi_ssid": "home", "ntp_server": ""},
                env_extra={"DSMR_P1": "tcp:meter.lan:%d" % meter.port, "FAKE_DNS": "meter.lan=127.0.0.1"}) as d:
        meter.wait_client()
        meter.drop_client()
        meter.wait_client(2)
        assert [e["host"] for e in d.events("getaddrinfo")] == ["meter.lan"]

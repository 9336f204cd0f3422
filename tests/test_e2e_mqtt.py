"""MQTT end to end: the firmware under MicroPython publishing to a real mosquitto
broker on 127.0.0.1, checked by a paho-mqtt subscriber."""

import json
import os
import signal
import threading
import time

import paho.mqtt.client as paho
import pytest

from harness import MOSQUITTO, Broker, Firmware, fixture, wait_for

if MOSQUITTO is None:
    if os.environ.get("CI"):
        raise RuntimeError("mosquitto is missing: .ci/run installs it (apt-get install mosquitto)")
    pytest.skip("mosquitto is not installed (apt-get install mosquitto)", allow_module_level=True)



class Subscriber:
    def __init__(self, port):
        self.messages = {}
        self.lock = threading.Lock()
        self.c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="test-%d" % os.getpid())
        self.c.on_message = self._on_message
        self.c.on_connect = lambda c, u, f, rc, p=None: c.subscribe("#")
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _on_message(self, c, u, msg):
        with self.lock:
            self.messages[msg.topic] = (msg.payload, msg.retain)

    def get(self, topic):
        with self.lock:
            return self.messages.get(topic)

    def wait(self, topic, cond=lambda p: True, timeout=15):
        return wait_for(lambda: (lambda m: m if m and cond(m[0]) else None)(self.get(topic)), timeout, topic)

    def clear(self):
        with self.lock:
            self.messages.clear()

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


@pytest.fixture
def broker(tmp_path):
    b = Broker(tmp_path)
    yield b
    if b.proc.poll() is None:
        b.stop()


@pytest.fixture
def fw(broker, meter, tmp_path):
    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port,
                 mqtt_url="mqtt://127.0.0.1:%d" % broker.port, mqtt_interval=1, hostname="meterkast")
    meter.wait_client()
    yield f
    f.stop()


def test_values_state_and_status_topics(fw, broker, meter):
    with Subscriber(broker.port) as sub:
        meter.send(fixture("dsmr50_spec"))
        sub.wait("dsmr-api/status", lambda p: p == b"online")
        p, _ = sub.wait("dsmr-api/power_delivered")
        assert json.loads(p) == {"power_delivered": [{"value": 0.037, "unit": "kW"}]}
        assert b'"value":0.037' in p  # the spec's rendering, from the telegram's digits
        p, _ = sub.wait("dsmr-api/timestamp")
        assert json.loads(p) == {"timestamp": [{"value": "210610104031S"}]}
        p, _ = sub.wait("dsmr-api/gas_delivered")
        assert json.loads(p) == {"gas_delivered": [{"value": 3845.376, "unit": "m3"}]}
        state = json.loads(sub.wait("dsmr-api/state")[0])
        assert state["energy_delivered_tariff1"] == 4491.266 and state["voltage_l1"] == 238.0
        assert state["current_l1"] == 2 and state["gas_delivered"] == 3845.376
        info = {e["name"]: e["value"] for e in fw.get("/api/v1/dev/info").json()["devinfo"]}
        assert info["mqttconnected"] == 1 and info["mqttpublished"] > 20


def test_home_assistant_discovery(fw, broker, meter):
    with Subscriber(broker.port) as sub:
        meter.send(fixture("dsmr50_spec"))
        base = "homeassistant/sensor/meterkast/%s/config"
        cfg = json.loads(sub.wait(base % "energy_delivered_tariff1")[0])
        assert cfg["device_class"] == "energy" and cfg["state_class"] == "total_increasing"
        assert cfg["unit_of_measurement"] == "kWh"
        assert cfg["state_topic"] == "dsmr-api/state"
        assert cfg["value_template"] == "{{ value_json.energy_delivered_tariff1 }}"
        assert cfg["availability_topic"] == "dsmr-api/status"
        with Subscriber(broker.port) as late:  # one that comes later gets it from the retained store
            assert late.wait(base % "energy_delivered_tariff1")[1]
        power = json.loads(sub.wait(base % "power_delivered")[0])
        assert (power["device_class"], power["state_class"], power["unit_of_measurement"]) == ("power", "measurement", "kW")
        volt = json.loads(sub.wait(base % "voltage_l1")[0])
        assert (volt["device_class"], volt["unit_of_measurement"]) == ("voltage", "V")
        amp = json.loads(sub.wait(base % "current_l1")[0])
        assert (amp["device_class"], amp["unit_of_measurement"]) == ("current", "A")
        gas = json.loads(sub.wait(base % "gas_delivered")[0])
        assert (gas["device_class"], gas["state_class"], gas["unit_of_measurement"]) == ("gas", "total_increasing", "m3")
        assert gas["device"] == cfg["device"]  # one device, named after the meter
        assert cfg["device"]["identifiers"] == ["dsmr_4530304446303033373839312345678906"]
        # the meter's id: a renamed dongle keeps its Home Assistant sensors
        assert cfg["unique_id"] == "dsmr_4530304446303033373839312345678906_energy_delivered_tariff1"
        assert cfg["default_entity_id"] == "sensor.dsmr_energy_delivered_tariff1"  # HA 2025.10+
        assert cfg["object_id"] == "dsmr_energy_delivered_tariff1"  # HA before it
        assert cfg["device"]["model"] == "XMX5LABCDE2410065447"


def test_last_will_when_the_firmware_dies(fw, broker, meter):
    with Subscriber(broker.port) as sub:
        meter.send(fixture("dsmr42"))
        sub.wait("dsmr-api/status", lambda p: p == b"online")
        fw.proc.send_signal(signal.SIGKILL)
        sub.wait("dsmr-api/status", lambda p: p == b"offline", timeout=120)
        with Subscriber(broker.port) as late:
            assert late.wait("dsmr-api/status") == (b"offline", True)  # the will is retained


def test_reconnects_after_the_broker_restarts(fw, broker, meter):
    meter.send(fixture("dsmr42"))
    with Subscriber(broker.port) as sub:
        sub.wait("dsmr-api/state")
    broker.stop()
    time.sleep(1.5)
    assert fw.get("/api/v1/sm/actual").status == 200  # the API does not wait for MQTT
    broker.start()
    with Subscriber(broker.port) as sub:
        meter.send(fixture("dsmr50_spec"))
        sub.wait("dsmr-api/power_delivered", lambda p: b"0.037" in p, timeout=90)
        info = {e["name"]: e["value"] for e in fw.get("/api/v1/dev/info").json()["devinfo"]}
        assert info["mqttreconnects"] >= 1


# -- no reconnect storm (#13 item 11) ------------------------------------------------


def mqtt_info(fw):
    # (503 while the code a connection sends once with is loaded: retried, as Retry-After says)
    r = wait_for(lambda: (lambda r: r if r.status == 200 else None)(fw.get("/api/v1/dev/info")), 10, "dev/info")
    return {e["name"]: e["value"] for e in r.json()["devinfo"] if e["name"].startswith("mqtt")}


class ClosingBroker:
    """Broker-like: answers CONNECT with CONNACK, takes what comes for `hold` seconds,
    then closes. Session present is 1 from the second connection on (a broker that
    keeps sessions). Records each connection's start time and the bytes it got."""

    def __init__(self, hold=0.5, holds=()):
        import socket

        self.hold = hold
        self.holds = list(holds)  # how long each connection is held, in turn (then `hold`)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.conns = []  # (monotonic time, bytes received)
        self._stop = False
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            t = time.monotonic()
            c.settimeout(0.1)
            got = b""
            try:
                while len(got) < 2:
                    got += c.recv(4096)
                c.sendall(b"\x20\x02" + (b"\x01" if self.conns else b"\x00") + b"\x00")
                end = time.monotonic() + (self.holds[len(self.conns)] if len(self.conns) < len(self.holds) else self.hold)
                while time.monotonic() < end:
                    try:
                        d = c.recv(65536)
                        if not d:
                            break
                        got += d
                    except OSError:
                        pass
            except OSError:
                pass
            c.close()
            self.conns.append((t, got))

    def close(self):
        self._stop = True
        self.sock.close()


def test_a_broker_that_closes_after_connack_gets_no_reconnect_storm(meter, tmp_path):
    b = ClosingBroker()
    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, mqtt_url="mqtt://127.0.0.1:%d" % b.port,
                 mqtt_interval=1, hostname="meterkast")
    try:
        meter.wait_client()
        meter.send(fixture("dsmr50_spec"))
        wait_for(lambda: len(b.conns) >= 5, 30, "five connections")
        times = [t for t, _ in b.conns]
        gaps = [round(b - a, 1) for a, b in zip(times, times[1:])]
        # 1, 2, 4, 8 s (and the half second each is held): a storm came every 1-2 s
        assert gaps[-1] >= 6 and times[4] - times[0] >= 12, gaps
        # discovery once: the broker says it kept the session, and the set did not change
        with_discovery = [i for i, (_, got) in enumerate(b.conns) if b"homeassistant/sensor/meterkast/" in got]
        assert len(with_discovery) == 1, (with_discovery, gaps)
        assert all(b"dsmr-api/status" in got for _, got in b.conns[with_discovery[0]:])  # online each time
        assert "retry in 8 s" in f.log()
    finally:
        f.stop()
        b.close()


def test_connect_carries_the_credentials_and_the_will(meter, tmp_path):
    # user and password from mqtt_url, the will on <prefix>/status; UTF-8 counted in bytes
    b = ClosingBroker(hold=0.3)
    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, mqtt_url="mqtt://me:p\u00e4ss@127.0.0.1:%d" % b.port,
                 mqtt_prefix="dsmr-\u00e4", hostname="meter-kast")
    try:
        wait_for(lambda: b.conns, 15, "a connection")

        def s(text):  # an MQTT string: 2 bytes of length, the UTF-8
            return len(text.encode()).to_bytes(2, "big") + text.encode()

        flags = 0x80 | 0x40 | 0x20 | 0x04  # user, password, will retained, will; clean session 0
        body = (s("MQTT") + bytes((4, flags)) + (60).to_bytes(2, "big") + s("meter_kast")
                + s("dsmr-\u00e4/status") + s("offline") + s("me") + s("p\u00e4ss"))
        assert b.conns[0][1].startswith(bytes((0x10, len(body))) + body), b.conns[0][1]
    finally:
        f.stop()
        b.close()


def test_the_backoff_starts_again_after_a_session_that_lasted(meter, tmp_path):
    # short sessions: 1, 2, 4 s between them; then one that lasts 8 s (over 6 intervals
    # of 1 s): the next comes after 1 s again, not 8
    b = ClosingBroker(holds=[0.3, 0.3, 0.3, 8.0])
    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, mqtt_url="mqtt://127.0.0.1:%d" % b.port,
                 mqtt_interval=1, hostname="meterkast")
    try:
        meter.wait_client()
        meter.send(fixture("dsmr50_spec"))
        wait_for(lambda: len(b.conns) >= 5, 40, "five connections")
        times = [t for t, _ in b.conns]
        gaps = [round(b - a, 1) for a, b in zip(times, times[1:])]  # (each from one start to the next)
        assert gaps[2] >= 4, gaps  # it did grow
        assert gaps[3] - 8 < 3, gaps  # held 8 s, then 1 s (up to a second to notice): not 8 more
    finally:
        f.stop()
        b.close()


class Counter:
    """Counts every message per topic, retained or live."""

    def __init__(self, port, topic):
        self.counts = {}
        self.payloads = {}
        self.lock = threading.Lock()
        self.c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="counter-%d" % os.getpid())
        self.c.on_message = self._on_message
        self.c.on_connect = lambda c, u, f, rc, p=None: c.subscribe(topic)
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()

    def _on_message(self, c, u, msg):
        with self.lock:
            self.counts[msg.topic] = self.counts.get(msg.topic, 0) + 1
            self.payloads[msg.topic] = msg.payload

    def count(self, topic):
        with self.lock:
            return self.counts.get(topic, 0)

    def close(self):
        self.c.loop_stop()
        self.c.disconnect()


def take_over(port, client_id):
    """Connects with the firmware's client id and a persistent session, which makes the
    broker close the firmware's connection but keep its session; then goes."""
    connected = threading.Event()
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
    c.on_connect = lambda *a: connected.set()
    c.connect("127.0.0.1", port)
    c.loop_start()
    try:
        assert connected.wait(10)
    finally:
        c.disconnect()
        c.loop_stop()


def test_discovery_is_sent_again_only_when_the_broker_lost_it_or_it_changed(fw, broker, meter):
    config = "homeassistant/sensor/meterkast/energy_delivered_tariff1/config"
    counter = Counter(broker.port, "homeassistant/#")
    try:
        meter.send(fixture("dsmr50_spec"))
        wait_for(lambda: counter.count(config) == 1, 15, "discovery")
        first = counter.payloads[config]

        # the connection is lost, the broker kept the session: nothing again
        take_over(broker.port, "meterkast")
        wait_for(lambda: mqtt_info(fw)["mqttreconnects"] == 1, 15, "the connection to be lost")
        wait_for(lambda: mqtt_info(fw)["mqttconnected"] == 1, 15, "a reconnect")
        published = mqtt_info(fw)["mqttpublished"]
        for _ in range(4):
            meter.send(fixture("dsmr50_spec"))
            time.sleep(0.6)
        assert mqtt_info(fw)["mqttpublished"] > published  # values went out in the new session
        assert counter.count(config) == 1

        # a different meter (another id): sent again, though the broker kept the session
        meter.send(fixture("dsmr42"))
        time.sleep(1.5)
        take_over(broker.port, "meterkast")
        wait_for(lambda: counter.count(config) == 2, 20, "discovery of the new set")
        assert counter.payloads[config] != first

        # the broker restarts and loses everything: sent again
        broker.stop()
        broker.start()
        wait_for(lambda: mqtt_info(fw)["mqttreconnects"] == 3, 15, "the connection to be lost")
        wait_for(lambda: mqtt_info(fw)["mqttconnected"] == 1, 30, "a reconnect")
        meter.send(fixture("dsmr42"))
        wait_for(lambda: counter.count(config) == 3, 20, "discovery after the restart")
        with Subscriber(broker.port) as late:  # it is the broker's again, retained
            p, retained = late.wait(config, timeout=30)
            assert retained and json.loads(p)["device"]["identifiers"] != json.loads(first)["device"]["identifiers"]
    finally:
        counter.close()


def test_a_long_mqtt_interval_keeps_the_connection_alive(broker, meter, tmp_path):
    # 120 s between publications, a keepalive shortened to 2 s: mosquitto drops a
    # client silent for 1.5 x keepalive and publishes its will ("offline")
    with Subscriber(broker.port) as sub:
        fw = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, mqtt_url="mqtt://127.0.0.1:%d" % broker.port,
                      mqtt_interval=120, hostname="meterkast", env={"DSMR_MQTT_KEEPALIVE": "2"})
        try:
            meter.wait_client()
            meter.send(fixture("dsmr50_spec"))
            sub.wait("dsmr-api/state")
            sub.wait("dsmr-api/status", lambda p: p == b"online")
            time.sleep(8)  # more than 2 x 1.5 x keepalive with no publication
            assert sub.get("dsmr-api/status")[0] == b"online"
            assert "MQTT: connected" in fw.log() and fw.log().count("MQTT: connected") == 1, fw.log()
        finally:
            fw.stop()
def test_quarter_hour_figures_as_power_sensors(fw, broker, meter):
    with Subscriber(broker.port) as sub:
        meter.send(fixture("fluvius_peaks_13"))  # 10:07:30 into the quarter: 450 s at 2.351 kW, 0 kW now
        state = json.loads(sub.wait("dsmr-api/state", lambda p: b"quarter_average" in p)[0])
        assert state["quarter_average"] == 2.351 and state["month_peak"] == 2.589
        assert state["quarter_projection"] == 1.175  # (2.351 * 450 + 0 * 450) / 900, in whole W
        peaks = fw.get("/api/v1/sm/peaks").json()
        assert peaks["quarter"]["projection_kw"] == state["quarter_projection"]
        base = "homeassistant/sensor/meterkast/%s/config"
        for name in ("quarter_average", "quarter_projection", "month_peak"):
            cfg = json.loads(sub.wait(base % name)[0])
            assert (cfg["device_class"], cfg["state_class"], cfg["unit_of_measurement"]) == ("power", "measurement", "kW")
            assert cfg["value_template"] == "{{ value_json.%s }}" % name
            assert cfg["state_topic"] == "dsmr-api/state"
            assert cfg["unique_id"] == "dsmr_3153414733313031303231363035_" + name

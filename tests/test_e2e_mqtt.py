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

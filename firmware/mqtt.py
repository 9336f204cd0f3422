"""MQTT: the meter's values to a broker, with Home Assistant discovery. Asyncio-native.

A small MQTT 3.1.1 publisher (the frozen umqtt blocks the event loop): QoS
0, optional user and password from `mqtt_url` (`mqtt://[user:pass@]host[:port]`),
keep-alive pings, a retained status topic `<prefix>/status` that says
`online` and, as the broker's last will, `offline`; reconnects with backoff.
Only this task ever waits on the broker.

Every `mqtt_interval` seconds, when a new telegram came in:
  <prefix>/<field>   {"<field>":[{"value":v,"unit":"u"}]}  (DSMRloggerAPI's topics)
  <prefix>/state     {"timestamp":"..","power_delivered":0.037,...}  (all in one)
for the fields of /api/v1/sm/actual and gas_delivered. After each connect,
retained discovery configs under homeassistant/sensor/<node>/<field>/config
describe them (energy kWh total_increasing, power kW, voltage V, current A
measurement, gas m3), grouped as one device named after the meter.
"""

import asyncio
import json
import time

from dsmr import fields
from dsmr.jsonw import JsonWriter

from . import log, resolve
from .mqtt_url import parse
from .api_sm import _ACTUAL, _GAS

_KEEPALIVE = 60
_BACKOFF_MAX = 60


def _length(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def _str(b):
    if isinstance(b, str):
        b = b.encode()
    return len(b).to_bytes(2, "big") + b


def packet(kind, body):
    return bytes((kind,)) + _length(len(body)) + body


def connect_packet(client_id, will_topic, user, password):
    flags = 0x02 | 0x04 | 0x20  # clean session, will, will retained (QoS 0)
    payload = _str(client_id) + _str(will_topic) + _str(b"offline")
    if user:
        flags |= 0x80
        payload += _str(user)
        if password:
            flags |= 0x40
            payload += _str(password)
    return packet(0x10, _str(b"MQTT") + bytes((4, flags)) + _KEEPALIVE.to_bytes(2, "big") + payload)


def publish_packet(topic, payload, retain=False):
    return packet(0x31 if retain else 0x30, _str(topic) + payload)


# Home Assistant: (device_class, state_class) by unit; anything else is a plain sensor
_HA = {
    "kWh": ("energy", "total_increasing"),
    "kW": ("power", "measurement"),
    "V": ("voltage", "measurement"),
    "A": ("current", "measurement"),
    "m3": ("gas", "total_increasing"),
}


class MqttPublisher:
    def __init__(self, app):
        self.app = app
        s = app.settings
        self.url = s["mqtt_url"]
        self.prefix = s["mqtt_prefix"]
        self.interval_ms = s["mqtt_interval"] * 1000
        self.node = s["hostname"].replace("-", "_").replace(".", "_")
        self.w = JsonWriter(1024)
        self.connected = False
        self.published = 0
        self.reconnects = 0
        self._sent_for = -1

    async def run(self):
        url = parse(self.url)
        if url is None:  # (settings_table.py refuses such a setting: not reached)
            log.error("MQTT off: mqtt_url is not mqtt://[user:password@]host[:port]")
            return
        host, port, user, password = url
        backoff = 1
        while True:
            writer = None
            try:
                # the broker's address from resolve.py: open_connection's own lookup would block
                ip = await resolve.address(host, self.app.reader)
                reader, writer = await asyncio.open_connection(ip, port)
                writer.write(connect_packet(self.node, self.prefix + "/status", user, password))
                await writer.drain()
                ack = await asyncio.wait_for(reader.readexactly(4), 10)
                if ack[0] != 0x20 or ack[3] != 0:
                    raise OSError("broker refused: CONNACK code %d" % ack[3])
                self.connected = True
                backoff = 1
                log.info("MQTT: connected to %s:%d", host, port)
                await self._session(reader, writer)
            except Exception as e:  # whatever the broker or network does, try again later
                log.warn("MQTT: %r; retry in %d s", e, backoff)
            finally:
                if self.connected:
                    self.reconnects += 1
                self.connected = False
                if writer is not None:
                    try:
                        writer.close()
                        await writer.wait_closed()  # (on MicroPython this is what closes the socket)
                    except Exception:
                        pass
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)

    async def _session(self, reader, writer):
        self._sent_for = -1
        await self._send(writer, publish_packet(self.prefix + "/status", b"online", True))
        discovered = False
        listener = asyncio.create_task(self._listen(reader))
        try:
            last_sent = time.ticks_ms()
            while True:
                if listener.done():
                    raise OSError("broker closed the connection")
                p = self.app.reader.parser
                if p.telegrams and p.telegrams != self._sent_for:
                    if not discovered:
                        await self._discovery(writer)
                        discovered = True
                    await self._values(writer)
                    self._sent_for = p.telegrams
                    last_sent = time.ticks_ms()
                elif time.ticks_diff(time.ticks_ms(), last_sent) > _KEEPALIVE * 500:
                    await self._send(writer, b"\xc0\x00")  # PINGREQ
                    last_sent = time.ticks_ms()
                await asyncio.sleep_ms(self.interval_ms)
        finally:
            listener.cancel()

    async def _listen(self, reader):
        """Reads (and ignores) what the broker sends: PINGRESP; ends when it closes."""
        while True:
            b = await reader.read(64)
            if not b:
                return

    async def _send(self, writer, data):
        writer.write(data)
        await asyncio.wait_for(writer.drain(), 10)
        self.published += 1

    def _value(self, f):
        """Field f's value rendered by the API's rules (and its unit), as bytes."""
        p = self.app.reader.parser
        w = self.w
        w.reset()
        k = f * 6
        kind = fields.KINDS[f]
        if kind == fields.NUM or kind == fields.DBL:
            w.number(p.buf, p.idx[k], p.idx[k + 1])
        else:
            w.string(p.buf, p.idx[k], p.idx[k + 1])
        unit = bytes(p.buf[p.idx[k + 2] : p.idx[k + 3]]) if p.idx[k + 2] else b""
        return bytes(w.buf[: w.w[0]]), unit

    def _present(self):
        """(name, field) for /actual's fields the meter sends, then gas_delivered."""
        p = self.app.reader.parser
        out = [(fields.name(f), f) for f in _ACTUAL if p.idx[f * 6]]
        g = p.gas_field()
        if g >= 0:
            out.append((_GAS.decode(), g))
        return out

    async def _values(self, writer):
        # Every message is made before the first is sent: while a send waits, the
        # P1 reader may swap in the next telegram, and one round must show one.
        out = []
        state = []
        for name, f in self._present():
            v, unit = self._value(f)
            item = b'{"' + name.encode() + b'":[{"value":' + v
            if unit:
                item += b',"unit":"' + unit + b'"'
            out.append(publish_packet(self.prefix + "/" + name, item + b"}]}"))
            state.append(b'"' + name.encode() + b'":' + v)
        out.append(publish_packet(self.prefix + "/state", b"{" + b",".join(state) + b"}"))
        for message in out:
            await self._send(writer, message)

    async def _discovery(self, writer):
        p = self.app.reader.parser
        ident = "meter"
        for fid in (fields.index("equipment_id"), fields.IDENTIFICATION):
            if p.idx[fid * 6]:
                ident = bytes(p.buf[p.idx[fid * 6] : p.idx[fid * 6 + 1]]).decode()
                break
        model = bytes(p.buf[p.idx[0] : p.idx[1]]).decode()
        device = {"identifiers": ["dsmr_" + ident], "name": "Smart meter", "model": model,
                  "manufacturer": "DSMR (via dsmr-api)"}
        for name, f in self._present():
            _, unit = self._value(f)
            u = unit.decode()
            cfg = {
                "name": name.replace("_", " "),
                # the meter's id, not the dongle's name: renaming the dongle must not
                # give Home Assistant a second set of sensors (and split the history)
                "unique_id": "dsmr_%s_%s" % (ident, name),
                # the entity id: default_entity_id since Home Assistant 2025.10 (object_id
                # stopped working in 2026.4), object_id for the ones before
                "default_entity_id": "sensor.dsmr_" + name,
                "object_id": "dsmr_" + name,
                "state_topic": self.prefix + "/state",
                "value_template": "{{ value_json.%s }}" % name,
                "availability_topic": self.prefix + "/status",
                "device": device,
            }
            if u:
                cfg["unit_of_measurement"] = u
            if u in _HA:
                cfg["device_class"], cfg["state_class"] = _HA[u]
            topic = "homeassistant/sensor/%s/%s/config" % (self.node, name)
            await self._send(writer, publish_packet(topic, json.dumps(cfg).encode(), True))

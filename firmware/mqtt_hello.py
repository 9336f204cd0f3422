"""What an MQTT connection sends once (mqtt.py loads this for it and drops it after):
CONNECT with the last will, the retained `<prefix>/status` online, and the
retained Home Assistant discovery configs under
homeassistant/sensor/<node>/<field>/config (energy kWh total_increasing,
power kW, voltage V, current A measurement, gas m3; the quarter-hour figures
as power sensors), grouped as one device named after the meter. Discovery is
sent again only when the broker lost our
session (CONNACK: session present 0; a broker that restarted without
persistence lost its retained messages too) or the set changed (a CRC of
what it is made of: meter id, model, prefix, node, fields and units).
"""

import json

from dsmr import fields
from dsmr.crc16 import crc16

from .api_sm import _ACTUAL, _GAS

_SLOTS = const(6)  # p.idx per field, start and end of each: value, unit, stamp (lib/dsmr/index.py)
_UNIT = const(2)  # where in them the unit is

_KEEPALIVE = 60


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


def connect_packet(client_id, will_topic, user, password, keepalive=_KEEPALIVE):
    flags = 0x04 | 0x20  # a persistent session (clean session 0), will, will retained (QoS 0)
    payload = _str(client_id) + _str(will_topic) + _str(b"offline")
    if user:
        flags |= 0x80
        payload += _str(user)
        if password:
            flags |= 0x40
            payload += _str(password)
    return packet(0x10, _str(b"MQTT") + bytes((4, flags)) + keepalive.to_bytes(2, "big") + payload)


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


def _value(pub, f):
    """Field f's value rendered by the API's rules (and its unit), as bytes."""
    p = pub.app.reader.parser
    w = pub.w
    w.reset()
    pub._number(w, p, f)  # (as the rounds render it: mqtt.py)
    k = f * _SLOTS
    unit = bytes(p.buf[p.idx[k + _UNIT] : p.idx[k + _UNIT + 1]]) if p.idx[k + _UNIT] else b""
    return bytes(w.buf[: w.w[0]]), unit

def _present(pub):
    """(name, field) for /actual's fields the meter sends, then gas_delivered."""
    p = pub.app.reader.parser
    out = [(fields.name(f), f) for f in _ACTUAL if p.idx[f * _SLOTS]]
    g = p.gas_field()
    if g >= 0:
        out.append((_GAS.decode(), g))
    return out


async def hello(pub, writer):
    """The retained online status, then a retained discovery config per field."""
    await pub._send(writer, publish_packet(pub.prefix + "/status", b"online", True))
    p = pub.app.reader.parser
    ident = "meter"
    for fid in (fields.index("equipment_id"), fields.IDENTIFICATION):
        if p.idx[fid * _SLOTS]:
            ident = bytes(p.buf[p.idx[fid * _SLOTS] : p.idx[fid * _SLOTS + 1]]).decode()
            break
    model = bytes(p.buf[p.idx[0] : p.idx[1]]).decode()  # the identification line: field 0
    present = _present(pub)
    key = crc16((ident + model + pub.prefix + pub.node).encode())
    for name, f in present:
        key = crc16(_value(pub, f)[1], crc16(name.encode(), key))
    if pub.app.peaks is not None:
        key = crc16(b"quarter-hour peaks", key)
    if pub.kept and key == pub.discovery_key:
        return  # the broker has this very set from us: no storm of retained messages
    pub.discovery_key = -1  # (until all of it is sent)
    device = {"identifiers": ["dsmr_" + ident], "name": "Smart meter", "model": model,
              "manufacturer": "DSMR (via dsmr-api)"}
    for name, f in present:
        _, unit = _value(pub, f)
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
            "state_topic": pub.prefix + "/state",
            "value_template": "{{ value_json.%s }}" % name,
            "availability_topic": pub.prefix + "/status",
            "device": device,
        }
        if u:
            cfg["unit_of_measurement"] = u
        if u in _HA:
            cfg["device_class"], cfg["state_class"] = _HA[u]
        topic = "homeassistant/sensor/%s/%s/config" % (pub.node, name)
        await pub._send(writer, publish_packet(topic, json.dumps(cfg).encode(), True))
    if pub.app.peaks is not None:  # the quarter-hour figures in the state message (mqtt.py)
        for name in ("quarter_average", "quarter_projection", "month_peak"):
            cfg = {"name": name.replace("_", " "), "unique_id": "dsmr_%s_%s" % (ident, name),
                   "default_entity_id": "sensor.dsmr_" + name, "object_id": "dsmr_" + name,
                   "state_topic": pub.prefix + "/state", "value_template": "{{ value_json.%s }}" % name,
                   "availability_topic": pub.prefix + "/status", "device": device,
                   "unit_of_measurement": "kW", "device_class": "power", "state_class": "measurement"}
            topic = "homeassistant/sensor/%s/%s/config" % (pub.node, name)
            await pub._send(writer, publish_packet(topic, json.dumps(cfg).encode(), True))
    pub.discovery_key = key

"""What an MQTT connection sends once after CONNACK (mqtt.py loads this for it and
drops it after): the retained `<prefix>/status` online, and the retained
Home Assistant discovery configs under
homeassistant/sensor/<node>/<field>/config (energy kWh total_increasing,
power kW, voltage V, current A measurement, gas m3; the quarter-hour figures
as power sensors), grouped as one device named after the meter.

Every message is rendered into the publisher's buffer (the HTTP response
buffer) and handed to the socket before anything is awaited, as a round's
are (mqtt.py: _write); only what the socket does not take at once is copied out. One
message at a time, nothing accumulated: a connection allocates a few small
objects, not a config's worth of strings per field.

Discovery is sent again only when the broker lost our session (CONNACK:
session present 0; a broker that restarted without persistence lost its
retained messages too) or the set changed: its key is a CRC of the configs
as rendered (meter id, model, prefix, node, fields and units are in them).
"""

import asyncio

from dsmr import fields
from dsmr.crc16 import crc16

from .api_sm import _ACTUAL

_SLOTS = const(6)  # p.idx per field, start and end of each: value, unit, stamp (lib/dsmr/index.py)
_UNIT = const(2)  # where in them the unit is
_EQUIPMENT = fields.index("equipment_id")

# Home Assistant: unit, device_class, state_class; any other unit is a plain sensor
_HA = ("kWh", "energy", "total_increasing", "kW", "power", "measurement", "V", "voltage", "measurement",
       "A", "current", "measurement", "m3", "gas", "total_increasing")
# A config's first members: \0 and a code mark where what varies goes: 1 the field's
# name with spaces, 2 the meter's id, 3 the field's name, 4 the prefix, 5 the model.
# unique_id has the meter's id, not the dongle's name: renaming the dongle must not
# give Home Assistant a second set of sensors (and split the history). The entity
# id: default_entity_id since Home Assistant 2025.10 (object_id stopped working in
# 2026.4), object_id for the ones before.
_CONFIG = (b'{"name":"\0\1","unique_id":"dsmr_\0\2_\0\3","default_entity_id":"sensor.dsmr_\0\3",'
           b'"object_id":"dsmr_\0\3","state_topic":"\0\4/state","value_template":"{{ value_json.\0\3 }}",'
           b'"availability_topic":"\0\4/status","device":{"identifiers":["dsmr_\0\2"],"name":"Smart meter",'
           b'"model":"\0\5","manufacturer":"DSMR (via dsmr-api)"}')
_PEAKS = ("quarter_average", "quarter_projection", "month_peak")  # in the state message (mqtt.py), kW


async def hello(pub, writer):
    """The retained online status, then a retained discovery config per field."""
    w = pub.w
    pub._begin()
    w.raw(pub.prefix)
    w.raw("/status")
    pub._topic_end()
    w.raw("online")
    s = pub._frame(0x31)
    if s >= 0:  # (a prefix is 64 bytes at most: it fits)
        await _put(pub, writer, s)
    n = len(_ACTUAL) + 1 + (len(_PEAKS) if pub.app.peaks is not None else 0)
    node = pub.node
    key = 0
    for i in range(n):  # the set's key: a CRC of what would be sent
        s = _config(pub, node, i)
        if s >= 0:
            key = crc16(memoryview(w.buf)[s : w.w[0]], key)
            await asyncio.sleep_ms(0)  # (a CRC in Python: the reader and HTTP go on between)
    if pub.kept and key == pub.discovery_key:
        return  # the broker has this very set from us: no storm of retained messages
    pub.discovery_key = -1  # (until all of it is sent)
    for i in range(n):
        s = _config(pub, node, i)
        if s >= 0:
            await _put(pub, writer, s)
    pub.discovery_key = key


async def _put(pub, writer, start):
    """Sends the message rendered just now: what the socket does not take at once
    is copied out (the buffer is HTTP's too while this awaits)."""
    if not pub._write(writer, start):
        await pub._send(writer, pub._rest)
        pub._rest = None


def _name(pub, w, f, gas, name):
    if name is None:
        pub._name(w, f, gas)
    else:
        w.raw(name)


def _ident(w, p):
    """The meter's id (equipment id, else the identification line's), as in the API."""
    for f in (_EQUIPMENT, fields.IDENTIFICATION):
        k = f * _SLOTS
        if p.idx[k]:
            w.escaped(p.buf, p.idx[k], p.idx[k + 1])
            return
    w.raw("meter")


def _config(pub, node, i):
    """Renders discovery config i (a field of /actual's, gas, a quarter-hour figure)
    as a retained PUBLISH into pub.w's buffer: where it starts (it ends at w.w[0]),
    or -1 when the meter does not send the field (or it does not fit)."""
    p = pub.app.reader.parser
    gas = p.gas_field()
    name = None
    f = -1
    if i < len(_ACTUAL):
        f = _ACTUAL[i]
    elif i == len(_ACTUAL):
        f = gas
    else:
        name = _PEAKS[i - len(_ACTUAL) - 1]
    if name is None and (f < 0 or not p.idx[f * _SLOTS]):
        return -1
    w = pub.w
    buf = w.buf
    prefix = pub.prefix
    pub._begin()
    w.raw("homeassistant/sensor/")
    w.raw(node)
    w.raw("/")
    _name(pub, w, f, gas, name)
    w.raw("/config")
    pub._topic_end()
    i = 0
    while True:  # the template, its marks filled in
        j = _CONFIG.find(b"\0", i)
        w.raw(_CONFIG, i, len(_CONFIG) if j < 0 else j)
        if j < 0:
            break
        c = _CONFIG[j + 1]
        i = j + 2
        if c == 2:
            _ident(w, p)
        elif c == 4:
            w.escaped(prefix)
        elif c == 5:
            w.escaped(p.buf, p.idx[0], p.idx[1])  # the identification line: field 0
        else:
            a = w.w[0]
            _name(pub, w, f, gas, name)
            if c == 1:
                for j in range(a, w.w[0]):
                    if buf[j] == 0x5F:  # _
                        buf[j] = 0x20
    u = "kW"
    if name is None:
        k = f * _SLOTS + _UNIT
        u = bytes(p.buf[p.idx[k] : p.idx[k + 1]]).decode() if p.idx[k] else ""
    if u:
        w.raw(',"unit_of_measurement":"')
        w.escaped(u)
        w.raw('"')
        for j in range(0, len(_HA), 3):
            if _HA[j] == u:
                w.raw(',"device_class":"')
                w.raw(_HA[j + 1])
                w.raw('","state_class":"')
                w.raw(_HA[j + 2])
                w.raw('"')
                break
    w.raw("}")
    return pub._frame(0x31)

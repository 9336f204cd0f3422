"""An MQTT connection's start (mqtt.py loads this for it and drops it after): the
broker's address (resolve.py, only for a name), CONNECT with the last will
(`<prefix>/status` offline, retained), CONNACK. The packet is rendered into
the publisher's buffer, as a round's are (mqtt.py)."""

import asyncio

from . import log, platform
from .mqtt_url import parse


def _is_ip(host):
    p = host.split(".")
    return len(p) == 4 and all(x.isdigit() and int(x) < 256 for x in p)


def _str(w, s, t=""):
    """s and t as one MQTT string: 2 bytes of length, then the bytes."""
    i = w.w[0]
    w.raw("\0\0")
    w.raw(s)
    w.raw(t)
    n = w.w[0] - i - 2
    w.buf[i] = n >> 8
    w.buf[i + 1] = n & 0xFF


def _packet(pub, user, password):
    """CONNECT, rendered into pub.w's buffer: where it starts (it ends at w.w[0])."""
    w = pub.w
    buf = w.buf
    w.reset()
    w.w[0] = 3  # [0:3] the fixed header (pub._frame)
    w.raw("\0\x04MQTT\x04\0\0\0")  # protocol 4 (3.1.1), then the flags and keepalive (below)
    i = w.w[0] - 3
    flags = 0x04 | 0x20  # a persistent session (clean session 0), will, will retained (QoS 0)
    _str(w, pub.node)  # the client id
    _str(w, pub.prefix, "/status")  # the will
    _str(w, "offline")
    if user:
        flags |= 0x80
        _str(w, user.encode())
        if password:
            flags |= 0x40
            _str(w, password.encode())
    buf[i] = flags
    buf[i + 1] = pub.keepalive >> 8
    buf[i + 2] = pub.keepalive & 0xFF
    return pub._frame(0x10)


async def connect(pub):
    """Connects to the broker (CONNECT, CONNACK): (reader, writer), or None when
    mqtt_url is not an address (then MQTT is off)."""
    url = parse(pub.app.settings["mqtt_url"])
    if url is None:  # (settings_table.py refuses such a setting: not reached)
        log.error("MQTT off: mqtt_url is not mqtt://[user:password@]host[:port]")
        return None
    host, port, user, password = url
    ip = host
    if not _is_ip(host):  # (resolve.py stays loaded then: its cache spares lookups, which block)
        from . import resolve

        ip = await resolve.address(host, pub.app.reader)
    reader, writer = await asyncio.open_connection(ip, port)
    try:
        # the broker drops a client silent for 1.5 x keepalive: a PINGREQ after half of it,
        # whatever mqtt_interval is (DSMR_MQTT_KEEPALIVE: tests shorten it)
        pub.keepalive = int(platform.env("DSMR_MQTT_KEEPALIVE") or pub.keepalive)
        start = _packet(pub, user, password)
        if start < 0:  # (a 128-byte mqtt_url fits any buffer: not reached)
            raise OSError("CONNECT does not fit")
        writer.write(bytes(pub.w.buf[start : pub.w.w[0]]))  # (the buffer is HTTP's while this awaits)
        await writer.drain()
        ack = await asyncio.wait_for(reader.readexactly(4), 10)
        if ack[0] != 0x20 or ack[3] != 0:
            raise OSError("broker refused: CONNACK code %d" % ack[3])
        pub.kept = ack[2] & 1
    except BaseException:
        await pub._close(writer)
        raise
    pub.connected = True
    log.info("MQTT: connected to %s:%d", host, port)
    return reader, writer

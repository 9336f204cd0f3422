"""MQTT: the meter's values to a broker, with Home Assistant discovery. Asyncio-native.

A small MQTT 3.1.1 publisher (the frozen umqtt blocks the event loop): QoS
0, optional user and password from `mqtt_url` (`mqtt://[user:pass@]host[:port]`),
keep-alive pings, a retained status topic `<prefix>/status` that says
`online` and, as the broker's last will, `offline`. Only this task ever
waits on the broker.

Reconnects wait 1 s, doubling up to 5 minutes; only a session that lived a
minute (or 6 intervals, if shorter) starts that again from 1 s, so a broker
that closes right after CONNACK gets no storm. The session is persistent (clean session 0), so the
broker's CONNACK says whether it kept it: if it did and the discovery set is
the one sent before, discovery is not sent again (mqtt_hello.py).

Every `mqtt_interval` seconds, when a new telegram came in:
  <prefix>/<field>   {"<field>":[{"value":v,"unit":"u"}]}  (DSMRloggerAPI's topics)
  <prefix>/state     {"timestamp":"..","power_delivered":0.037,...}  (all in one)
for the fields of /api/v1/sm/actual and gas_delivered, and in the state the
quarter-hour figures (peaks.py: quarter_average, quarter_projection,
month_peak, in kW). What a connection does once is loaded for it and
dropped after: the address, CONNECT and CONNACK (mqtt_connect.py), the
online status and Home Assistant discovery (mqtt_hello.py). This module
holds the rounds.
"""

import asyncio
import time

from dsmr import fields
from dsmr.jsonw import JsonWriter

from . import log, sockets, uptime
from .lazy import load, unload, unload_all
from .api_sm import _ACTUAL, _GAS

_SLOTS = const(6)  # p.idx per field, start and end of each: value, unit, stamp (lib/dsmr/index.py)
_UNIT = const(2)  # where in them the unit is
_P_PEAK = const(9)  # in peaks.py's v: this month's peak, the running quarter's average and projection
_P_AVG = const(14)
_P_PROJ = const(15)

_KEEPALIVE = const(60)
_BACKOFF_MAX = const(300)
_STABLE_S = const(60)  # a session that lived this long (or 6 intervals) was no storm: the backoff starts again
_PEAK = fields.index("active_energy_import_maximum_demand_running_month")


def _kw(w, key, watts):
    """`key` and watts as kW; nothing while unknown (Home Assistant then keeps its last)."""
    if watts >= 0:
        w.raw(key)
        w.milli(watts)


class MqttPublisher:
    def __init__(self, app):
        self.app = app
        s = app.settings
        self.prefix = s["mqtt_prefix"].encode()  # (bytes: what the buffer's copy takes is their length)
        self.node = s["hostname"].replace("-", "_").replace(".", "_").encode()
        self.interval_ms = s["mqtt_interval"] * 1000
        self.keepalive = _KEEPALIVE  # (mqtt_connect.py sets it)
        # Messages are rendered into the HTTP response buffer: a round, like an HTTP
        # answer, renders and hands its bytes to the socket without awaiting between
        # (what a socket cannot take is copied out), so the two never overlap.
        http = app.http
        buf = http.responder.w.buf if http is not None else bytearray(1024)
        self.w = JsonWriter(len(buf), 0, buf)
        self.connected = False
        self.published = 0
        self.reconnects = 0
        self._sent_for = -1
        self._rest = None  # what the socket did not take of a message
        self.kept = 0  # CONNACK's session present: the broker kept what we sent before
        self.discovery_key = -1  # which discovery set it has from us (mqtt_hello.py)

    async def run(self):
        backoff = 1
        while True:
            conn = None
            since = -1
            try:
                try:  # the address, CONNECT and CONNACK: code loaded for them
                    conn = await load("mqtt_connect").connect(self)
                finally:
                    unload_all(("mqtt_connect", "mqtt_url"))  # (mqtt_url.py came with it)
                if conn is None:
                    return
                since = uptime.seconds()
                await self._session(conn[1])
            except Exception as e:  # whatever the broker or network does, try again later
                if since >= 0 and uptime.seconds() - since >= min(_STABLE_S, 6 * self.interval_ms // 1000):
                    backoff = 1
                if not sockets.refused("MQTT", e):
                    log.warn("MQTT: %r; retry in %d s", e, backoff)
            finally:
                if self.connected:
                    self.reconnects += 1
                self.connected = False
                if conn is not None:
                    await self._close(conn[1])
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)

    async def _close(self, writer):
        try:
            writer.close()
            await writer.wait_closed()  # (on MicroPython this is what closes the socket)
        except Exception:
            pass

    async def _session(self, writer):
        self._sent_for = -1
        discovered = False
        sock = writer.s
        got = bytearray(8)  # what the broker sends (PINGRESP) is read into it and ignored
        # The loop wakes at least every quarter keepalive: values go out once per
        # mqtt_interval (when a new telegram came in), a PINGREQ whenever the
        # connection has been quiet for half the keepalive, however long the interval.
        step = min(self.interval_ms, self.keepalive * 250)
        last_sent = time.ticks_ms()
        last_round = time.ticks_add(last_sent, -self.interval_ms)  # (the first round at once)
        while True:
            if sock.readinto(got) == 0:  # (None: nothing came; an error raises)
                raise OSError("broker closed the connection")
            p = self.app.reader.parser
            if (p.telegrams and p.telegrams != self._sent_for
                    and time.ticks_diff(time.ticks_ms(), last_round) >= self.interval_ms):
                last_round = time.ticks_ms()
                if not discovered:  # the status and discovery: code loaded for them
                    try:
                        await load("mqtt_hello").hello(self, writer)
                    finally:
                        unload("mqtt_hello")
                    discovered = True
                t = p.telegrams
                i = self._values(writer, 0)
                while i >= 0:  # a message the socket could not take at once
                    await self._send(writer, self._rest)
                    self._rest = None
                    if p.telegrams != t:
                        break  # the next telegram came in meanwhile: the next round shows it
                    i = self._values(writer, i)
                self._sent_for = t
                last_sent = time.ticks_ms()
            elif time.ticks_diff(time.ticks_ms(), last_sent) >= self.keepalive * 500:
                await self._send(writer, b"\xc0\x00")  # PINGREQ
                last_sent = time.ticks_ms()
            await asyncio.sleep_ms(step)

    async def _send(self, writer, data):
        writer.write(data)
        await asyncio.wait_for(writer.drain(), 10)
        self.published += 1

    def _values(self, writer, i):
        """One round from message i on: <prefix>/<field> per field the meter sends,
        then <prefix>/state. Each message is rendered into self.w's buffer and
        written to the socket in place: nothing is allocated while the socket takes
        them, as it nearly always does. Returns -1 when the round is out, or the
        message to go on from once self._rest (what the socket did not take) is sent:
        _session() waits for that, and ends the round if the telegram changed
        meanwhile, so a round never mixes two."""
        p = self.app.reader.parser
        gas = p.gas_field()
        while i < len(_ACTUAL) + 2:
            f = -1  # the state message, last
            if i < len(_ACTUAL):
                f = _ACTUAL[i]
            elif i == len(_ACTUAL):
                f = gas
            i += 1
            if i <= len(_ACTUAL) + 1 and (f < 0 or not p.idx[f * _SLOTS]):
                continue  # a field the meter does not send
            start = self._render(p, f, gas)
            if start >= 0 and not self._write(writer, start):
                return i
        return -1

    def _render(self, p, f, gas):
        """Renders one PUBLISH into self.w.buf: field f's message, or with f = -1 the
        state message. Returns where the packet starts (it ends at w.w[0]), or -1
        when it does not fit the buffer (a very long prefix: logged)."""
        w = self._begin()
        w.raw(self.prefix)
        w.raw("/")
        if f < 0:
            w.raw("state")
        else:
            self._name(w, f, gas)
        self._topic_end()
        if f < 0:
            w.raw("{")
            first = True
            for i in range(len(_ACTUAL) + 1):
                g = _ACTUAL[i] if i < len(_ACTUAL) else gas
                if g < 0 or not p.idx[g * _SLOTS]:
                    continue
                w.raw('"' if first else ',"')
                first = False
                self._name(w, g, gas)
                w.raw('":')
                self._number(w, p, g)
            self._peaks(w, p)
            w.raw("}")
        else:
            w.raw('{"')
            self._name(w, f, gas)
            w.raw('":[{"value":')
            self._number(w, p, f)
            k = f * _SLOTS + _UNIT
            if p.idx[k]:
                w.raw(',"unit":"')
                w.raw(p.buf, p.idx[k], p.idx[k + 1])
                w.raw('"')
            w.raw("}]}")
        return self._frame(0x30)

    def _begin(self):
        """Starts a PUBLISH in self.w.buf: its topic comes next ([0:3] is for the
        fixed header, [3:5] for the topic's length: _topic_end())."""
        w = self.w
        w.reset()
        w.w[0] = 5
        return w

    def _topic_end(self):
        """The topic is written: its length goes in front of it, the payload comes next."""
        n = self.w.w[0] - 5
        self.w.buf[3] = n >> 8
        self.w.buf[4] = n & 0xFF

    def _frame(self, kind):
        """Puts the fixed header (packet type `kind`, the remaining length) in front of
        the packet in self.w.buf, which starts at 3: where the packet now starts,
        or -1 when it did not fit the buffer (logged)."""
        w = self.w
        buf = w.buf
        if not w.fits():
            log.error("MQTT: a message does not fit %d bytes: not sent", len(buf))
            return -1
        n = w.w[0] - 3  # the remaining length: what follows the fixed header
        if n < 128:
            buf[1] = kind
            buf[2] = n
            return 1
        buf[0] = kind
        buf[1] = (n & 0x7F) | 0x80
        buf[2] = n >> 7
        return 0

    def _peaks(self, w, p):
        """The quarter-hour figures in the state message (kW): the running quarter's
        average and projection, this month's peak (the meter's, or peaks.py's)."""
        pk = self.app.peaks
        if pk is None:
            return
        v = pk.v  # (peaks.py is not imported for its names)
        _kw(w, ',"quarter_average":', v[_P_AVG])
        _kw(w, ',"quarter_projection":', v[_P_PROJ])
        k = _PEAK * _SLOTS
        if p.idx[k]:
            w.raw(',"month_peak":')
            w.number(p.buf, p.idx[k], p.idx[k + 1])
        else:
            _kw(w, ',"month_peak":', v[_P_PEAK])

    def _name(self, w, f, gas):
        if f == gas:
            w.raw(_GAS)
        else:
            o = fields.OFFSETS  # (fields.name_span() would allocate its tuple)
            w.raw(fields.NAMES, o[f], o[f + 1] - 1)

    def _number(self, w, p, f):
        k = f * _SLOTS
        kind = fields.KINDS[f]
        if kind == fields.NUM or kind == fields.DBL:
            w.number(p.buf, p.idx[k], p.idx[k + 1])
        else:
            w.string(p.buf, p.idx[k], p.idx[k + 1])

    def _write(self, writer, start):
        """Writes buf[start:w.w[0]] to the socket; False when it took only part (the
        rest is then in self._rest, for _session to send)."""
        buf = self.w.buf
        end = self.w.w[0]
        k = writer.s.write(buf, start, end - start)
        if k is None:
            k = 0
        if start + k < end:
            self._rest = bytes(buf[start + k : end])
            return False
        self.published += 1
        return True

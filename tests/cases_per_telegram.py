"""Nothing allocated per telegram on the whole path (issue #11.3), under MicroPython.

The P1 reader's per-chunk step (framer, parser, counters) and each listener
it calls per telegram (samples, history, the raw stream with a client
attached, the quarter-hour peaks) take 40 telegrams, 10 s of meter time
apart within one hour, while the collector is off; gc.mem_alloc() must not move by one byte. Run on the
PyPI unix port and on the yardstick (32-bit, 30-bit small ints: a Unix time
in seconds is a heap-allocated big int there) by tests/test_per_telegram.py;
`per_telegram()` is also what make bench prints per listener.
"""

import gc
import os
import socket
import sys

from dsmr import seal, timestamp
from firmware.buffers import Buffers
from firmware.history import History
from firmware.p1_reader import P1Reader
from firmware.peaks import Peaks
from firmware.peaks import Peaks
from firmware.raw_stream import RawStream
from firmware.samples import Samples

_HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
_N = 40
_peaks = None  # the quarter-hour peaks listener (_setup)
_T0 = 1781085600  # 2026-06-10 10:00:00 UTC, an hour's start: no period ends in the run


def _telegrams(t0=_T0):
    with open(_HERE + "/fixtures/dsmr50_spec.txt", "rb") as f:
        t = f.read()
    at = t.index(b"0-0:1.0.0(") + 10
    body = t[: t.index(b"!") + 1]
    out = []
    for i in range(_N + 4):
        ts = timestamp.format(t0 + 10 * i)
        out.append(bytearray(seal(body[:at] + ts + body[at + 13 :])))
    return out


class _Platform:
    def __init__(self, d):
        self.d = d

    def data_path(self, name):
        return self.d + "/" + name


def _tmpdir():
    d = "/tmp/dsmr-per-telegram-%d" % (id(_tmpdir) & 0xFFFF)
    try:
        os.mkdir(d)
    except OSError:
        pass
    for n in ("hist_hours.bin", "hist_days.bin", "hist_months.bin"):
        try:
            os.remove(d + "/" + n)
        except OSError:
            pass
    return d


class _RawClient:
    """A raw stream client on a real socket pair, drained between telegrams."""

    def __init__(self, raw):
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        port = 30000 + (id(self) >> 4) % 20000  # (MicroPython has no getsockname)
        while True:
            try:
                srv.bind(socket.getaddrinfo("127.0.0.1", port)[0][-1])
                break
            except OSError:
                port += 1
        srv.listen(1)
        self.c = socket.socket()
        self.c.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
        s, _ = srv.accept()
        srv.close()
        s.setblocking(False)
        self.c.setblocking(False)
        raw.add(s)
        self.s = s
        self.buf = bytearray(4096)
        self.got = 0

    def drain(self):
        while True:
            try:
                n = self.c.readinto(self.buf)
            except OSError:
                return
            if not n:
                return
            self.got += n

    def close(self):
        self.c.close()
        self.s.close()


def _setup():
    s = {"p1": "tcp:127.0.0.1:1", "p1_buffer": 4096, "p1_require_crc": False, "http_buffer": 512,
         "http_max_conn": 1, "hist_hours": 48, "hist_days": 14, "hist_months": 24}
    bufs = Buffers(s)
    reader = P1Reader(s, bufs)
    samples = Samples()
    history = History(s, _Platform(_tmpdir()))
    raw = RawStream(0, 3)
    client = _RawClient(raw)
    global _peaks
    _peaks = Peaks(_tmpdir() + "/peaks.bin")
    return reader, bufs.chunk, samples, history, raw, client


def _feed_all(reader, chunk, telegrams, k):
    """Feeds telegram k to the reader in chunk-sized reads, as the P1 task does."""
    t = telegrams[k]
    n = len(t)
    i = 0
    size = len(chunk)
    while i < n:
        m = size if n - i > size else n - i
        for j in range(m):  # (a slice would allocate)
            chunk[j] = t[i + j]
        reader.got(m)
        i += m


def per_telegram():
    """{listener: bytes allocated per telegram} on this interpreter."""
    reader, chunk, samples, history, raw, client = _setup()
    telegrams = _telegrams()
    peaks = Peaks(_tmpdir() + "/peaks.bin")
    # (quarter-hour peaks: from 10:14, so that a quarter ends within the run)
    across = _telegrams(_T0 + 14 * 60)
    out = {}
    try:
        for name, listener in (("reader", None), ("samples", samples.update), ("history", history.update),
                               ("raw_stream", raw.send), ("peaks", peaks.update)):
            reader.listeners = [listener] if listener is not None else []
            if name == "peaks":
                telegrams = across
            for k in range(2):  # warm up: the first telegram files, sizes, interns
                _feed_all(reader, chunk, telegrams, k)
                client.drain()
            gc.collect()
            gc.disable()
            try:
                before = gc.mem_alloc()
                for k in range(2, _N + 2):
                    _feed_all(reader, chunk, telegrams, k)
                    client.drain()
                after = gc.mem_alloc()
            finally:
                gc.enable()
            out[name] = (after - before) // _N
            if (after - before) % _N:
                out[name] = (after - before) / _N
        assert reader.parser.telegrams >= 4 * _N, reader.parser.telegrams
        assert raw.sent >= _N and client.got >= _N * len(telegrams[0]), (raw.sent, client.got)
        assert samples.n >= _N // 2 and history.rings[0].key == (_T0 + 10 * _N) // 3600, samples.n
        v = peaks.v
        assert v[5] >= 0 and v[0] == v[5] + 1, (v[0], v[5])  # a quarter ended (peaks.py: Q, LAST_Q)
    finally:
        client.close()
    return out


def reader_loop():
    """Bytes allocated per telegram by the P1 reader's own read loop (P1Reader._read,
    polling a non-blocking socket as it does the UART), telegrams arriving on a real
    socket from another task."""
    import asyncio
    from array import array

    from firmware.p1_reader import StreamSource

    reader, chunk, samples, history, raw, client = _setup()
    client.close()
    telegrams = _telegrams()
    mark = array("i", [0, 0, 0])  # telegrams seen, heap at the start, heap at the end

    def listener(p):
        mark[0] += 1
        if mark[0] == 2:
            gc.collect()
            gc.disable()
            mark[1] = gc.mem_alloc()
        elif mark[0] == _N + 2:
            mark[2] = gc.mem_alloc()
            gc.enable()

    reader.listeners = [listener]
    meter = _RawClient(RawStream(0, 1))  # (a socket pair: meter.s sends, meter.c is read)

    async def send():
        for k in range(_N + 3):
            meter.s.write(telegrams[k])
            await asyncio.sleep_ms(30)
        meter.s.close()

    async def main():
        asyncio.create_task(send())
        await reader._read(StreamSource(asyncio.StreamReader(meter.c), raw=meter.c))

    try:
        asyncio.run(main())
    finally:
        gc.enable()
        meter.c.close()
    assert mark[0] >= _N + 2, mark[0]
    return (mark[2] - mark[1]) / _N


def _mqtt():
    """An MqttPublisher over a real socket pair, its parser holding a telegram."""
    from firmware.app import App
    from firmware.mqtt import MqttPublisher

    reader, chunk, samples, history, raw, client = _setup()
    reader.listeners = []
    _feed_all(reader, chunk, _telegrams(), 0)
    app = App()
    app.reader = reader
    app.peaks = Peaks(_tmpdir() + "/peaks.bin")  # (the state message carries its figures)
    app.peaks.update(reader.parser)
    app.settings = {"mqtt_url": "mqtt://127.0.0.1", "mqtt_prefix": "dsmr-api", "mqtt_interval": 10,
                    "hostname": "dsmr-api"}

    class Writer:  # what _values() uses of asyncio's stream: its socket
        s = client.s

    return MqttPublisher(app), Writer(), client, reader.parser


def _expected_round(pub, p):
    """The round as the firmware rendered it before (bytes built per message)."""
    from dsmr import fields
    from firmware.api_sm import _ACTUAL, _GAS

    def publish_packet(topic, payload):  # MQTT 3.1.1 PUBLISH, QoS 0: a remaining length below 16384
        body = len(topic).to_bytes(2, "big") + topic.encode() + payload
        n = len(body)
        return bytes((0x30, n) if n < 128 else (0x30, n & 0x7F | 0x80, n >> 7)) + body

    out = b""
    state = []
    present = [(fields.name(f), f) for f in _ACTUAL if p.idx[f * 6]]
    g = p.gas_field()
    if g >= 0:
        present.append((_GAS.decode(), g))
    for name, f in present:
        pub.w.reset()
        pub._number(pub.w, p, f)
        v = bytes(pub.w.buf[: pub.w.w[0]])
        k = f * 6
        unit = bytes(p.buf[p.idx[k + 2] : p.idx[k + 3]]) if p.idx[k + 2] else b""
        item = b'{"' + name.encode() + b'":[{"value":' + v
        if unit:
            item += b',"unit":"' + unit + b'"'
        out += publish_packet("dsmr-api/" + name, item + b"}]}")
        state.append(b'"' + name.encode() + b'":' + v)
    fig = pub.app.peaks.v  # (peaks.py: AVG 14, PROJ 15, PEAK 9)
    for name, v in (("quarter_average", fig[14]), ("quarter_projection", fig[15]), ("month_peak", fig[9])):
        if v >= 0:
            state.append(b'"%s":%d.%03d' % (name.encode(), v // 1000, v % 1000))
    assert fig[14] >= 0 and fig[15] >= 0, fig  # (they are in the round)
    return out + publish_packet("dsmr-api/state", b"{" + b",".join(state) + b"}")


def mqtt_round():
    """Bytes allocated by one MQTT round (every message of a telegram, written to a
    socket that takes them), after checking the round's bytes."""
    pub, writer, client, p = _mqtt()
    try:
        want = _expected_round(pub, p)
        assert pub._values(writer, 0) == -1
        got = bytearray()
        client.c.setblocking(True)
        while len(got) < len(want):
            got += client.c.recv(4096)
        client.c.setblocking(False)
        assert bytes(got) == want, (bytes(got), want)
        gc.collect()
        gc.disable()
        try:
            before = gc.mem_alloc()
            for _ in range(_N):
                if pub._values(writer, 0) != -1:
                    raise AssertionError("the socket did not take a round")
                client.drain()
            after = gc.mem_alloc()
        finally:
            gc.enable()
    finally:
        client.close()
    return (after - before) / _N


def case_an_mqtt_round_sends_what_it_did_and_allocates_nothing():
    got = mqtt_round()
    assert got == 0, got


def case_the_read_loop_allocates_nothing_per_telegram():
    got = reader_loop()
    assert got == 0, got


def case_nothing_is_allocated_per_telegram_on_the_whole_path():
    got = per_telegram()
    assert all(v == 0 for v in got.values()), got


def all_cases():
    return sorted(k for k in globals() if k.startswith("case_"))


if __name__ == "__main__" or (len(sys.argv) > 1 and sys.argv[1] == "--bench"):
    for k, v in per_telegram().items():
        print("bytes_per_telegram_%s=%s" % (k, v))
    print("bytes_per_telegram_read_loop=%s" % reader_loop())
    print("bytes_per_telegram_mqtt_round=%s" % mqtt_round())

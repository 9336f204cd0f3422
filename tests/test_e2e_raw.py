"""The raw telegram stream (firmware/raw_stream.py) with real clients: dsmr-parser's
TCP reader, as Home Assistant's DSMR integration uses it in network mode."""

import asyncio
import socket
import time

import pytest
from dsmr_parser.clients.protocol import create_tcp_dsmr_reader

from harness import Firmware, fixture, free_port, wait_for




@pytest.fixture
def fw(meter, tmp_path):
    port = free_port()
    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, raw_port=port)
    f.raw_port = port
    meter.wait_client()
    wait_for(lambda: "raw telegram stream" in f.log(), 10, "the raw stream")
    yield f
    f.stop()


def info(fw):
    # (a 503 "out of memory: try again" is retried, as its Retry-After asks)
    r = wait_for(lambda: (lambda r: r if r.status == 200 else None)(fw.get("/api/v1/dev/info")), 10, "dev/info")
    return {e["name"]: e["value"] for e in r.json()["devinfo"]}


async def read_with_dsmr_parser(port, n, meter, telegrams, timeout=20, pause=0.2):
    got = []
    done = asyncio.Event()

    def callback(t):
        got.append(t)
        if len(got) >= n:
            done.set()

    transport, _ = await create_tcp_dsmr_reader("127.0.0.1", port, "5", callback)
    try:
        await asyncio.sleep(0.3)
        for t in telegrams:
            meter.send(t)
            await asyncio.sleep(pause)
        await asyncio.wait_for(done.wait(), timeout)
    finally:
        transport.close()
    return got


def test_dsmr_parser_reads_the_stream(fw, meter):
    t = fixture("dsmr50_spec")
    got = asyncio.run(read_with_dsmr_parser(fw.raw_port, 3, meter, [t] * 3))
    assert len(got) >= 3
    assert str(got[0].CURRENT_ELECTRICITY_USAGE.value) == "0.037"
    assert str(got[0].MBUS_DEVICES[0].MBUS_METER_READING.value) == "3845.376"


def test_bytes_are_the_meters_own_and_bad_telegrams_are_not_forwarded(fw, meter):
    s = socket.create_connection(("127.0.0.1", fw.raw_port), timeout=10)
    try:
        wait_for(lambda: info(fw)["rawclients"] == 1, 10, "the client")
        good, bad = fixture("dsmr42"), bytearray(fixture("dsmr50_spec"))
        bad[300] ^= 1
        meter.send(b"noise" + bytes(bad) + good)
        data = b""
        while len(data) < len(good):
            data += s.recv(4096)
        assert data == good  # no banner, nothing of the bad one, CRLF and CRC intact
    finally:
        s.close()


def test_two_clients_and_one_that_never_reads(fw, meter):
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    stuck.connect(("127.0.0.1", fw.raw_port))  # and never reads
    try:
        t = fixture("dsmr50_multi_mbus")

        async def both():
            # 400 telegrams (430 KB) quickly: far more than the stuck client's socket holds
            a = read_with_dsmr_parser(fw.raw_port, 300, meter, [t] * 400, timeout=60, pause=0.005)
            b = read_with_dsmr_parser(fw.raw_port, 300, meter, [], timeout=60)
            return await asyncio.gather(a, b)

        got_a, got_b = asyncio.run(both())
        assert len(got_a) >= 300 and len(got_b) >= 300
        i = info(fw)
        assert i["rawmissed"] + i["rawdropped"] >= 1  # the stuck one missed or was dropped
        assert fw.get("/api/v1/sm/telegram").body == t  # the meter reading never stalled
    finally:
        stuck.close()


def test_a_client_more_than_allowed_takes_the_place_of_the_oldest(fw):
    socks = []
    for _ in range(4):
        socks.append(socket.create_connection(("127.0.0.1", fw.raw_port), timeout=5))
        time.sleep(0.1)  # (in this order)
    try:
        time.sleep(0.5)
        closed = []
        for i, s in enumerate(socks):
            s.settimeout(0.5)
            try:
                if s.recv(1) == b"":
                    closed.append(i)
            except socket.timeout:
                pass
        assert closed == [0]  # raw_max_clients is 3; none had missed a telegram, so the oldest went
    finally:
        for s in socks:
            s.close()


def test_a_raw_port_in_use_leaves_the_rest_running(meter, tmp_path):
    taken = socket.socket()
    taken.bind(("0.0.0.0", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, raw_port=port)
    try:
        meter.wait_client()
        wait_for(lambda: "not started" in f.log(), 10, "the raw stream's error")
        assert "raw telegram stream on port %d not started" % port in f.log()
        t = fixture("dsmr50_spec")
        meter.send(t)
        wait_for(lambda: f.get("/api/v1/sm/telegram").body == t, 5, "the telegram")
        assert f.alive()
        assert info(f)["rawclients"] == 0
    finally:
        f.stop()
        taken.close()


def test_clients_that_never_read_cannot_lock_out_a_real_one(fw, meter):
    """Three clients that never read fill every slot; their kernel buffers take
    telegrams for a long while, so they do not look behind. A real client that
    comes then is served (the longest connected of them is dropped for it)."""
    stuck = [socket.create_connection(("127.0.0.1", fw.raw_port), timeout=5) for _ in range(3)]
    try:
        wait_for(lambda: info(fw)["rawclients"] == 3, 10, "three clients")
        t = fixture("dsmr50_spec")
        got = asyncio.run(read_with_dsmr_parser(fw.raw_port, 3, meter, [t] * 3, timeout=10))
        assert len(got) >= 3
        assert stuck[0].recv(65536) == b""  # the oldest made way; the others are still served
        for s in stuck[1:]:
            assert s.recv(65536).startswith(t)
        wait_for(lambda: info(fw)["rawclients"] == 2, 10, "the reader to be gone and the two left")
    finally:
        for s in stuck:
            s.close()


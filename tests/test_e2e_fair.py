"""End to end, fair service over HTTP: request heads read strictly (RFC 9112), so a
body can never be answered as a second request; and clients that trickle or sit
silent cannot keep a normal client waiting. Firmware under MicroPython, real
sockets on 127.0.0.1."""

import select
import socket
import threading
import time

import pytest

from harness import Firmware, fixture, wait_for


@pytest.fixture
def fw(meter, tmp_path):
    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)  # http_timeout: the default 5 s
    meter.wait_client()
    meter.send(fixture("dsmr50_spec"))
    wait_for(lambda: f.get("/api/v1/sm/telegram").status == 200, 10, "a telegram")
    yield f
    f.stop()
    assert "Traceback" not in f.log(), f.log()


def exchange(port, data, timeout=3.0):
    """Sends data on one connection; (everything received, whether the server closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        while True:
            try:
                d = s.recv(65536)
            except socket.timeout:
                return out, False
            if not d:
                return out, True
            out += d
    finally:
        s.close()


# -- item 10: header strictness ------------------------------------------------

SMUGGLED = b"GET /api/v1/sm/telegram HTTP/1.1\r\nHost: x\r\n\r\n"
N = str(len(SMUGGLED)).encode()


@pytest.mark.parametrize(
    "headers",
    [
        b"Content-Length: " + N + b"\r\nContent-Length: 0\r\n",  # two lengths: the last won
        b"Content-Length\t: " + N + b"\r\n",  # whitespace before the colon
        b"Host: x\r\n Content-Length: " + N + b"\r\n",  # obs-fold: a line starting with a space
        b"Host: x\nContent-Length: " + N + b"\r\n",  # a bare LF before Content-Length
        b"Host: x\r\n\tContent-Length: " + N + b"\r\n",  # obs-fold with a tab
        b"Host: x\rContent-Length: " + N + b"\r\n",  # a bare CR
    ],
    ids=["duplicate-length", "tab-before-colon", "leading-space", "bare-lf", "leading-tab", "bare-cr"],
)
def test_ambiguous_heads_are_refused_with_400_and_closed(fw, headers):
    head = b"GET /api/v1/sm/info HTTP/1.1\r\n" + headers + b"\r\n"
    out, closed = exchange(fw.port, head + SMUGGLED)
    assert out.startswith(b"HTTP/1.1 400 "), out[:200]
    assert out.count(b"HTTP/1.1 ") == 1, out  # the body was never answered as a request
    assert b"Connection: close\r\n" in out and closed
    assert out.split(b"\r\n\r\n", 1)[1].startswith(b'{"error": "')
    assert fw.get("/api/v1/sm/actual").status == 200


def test_a_head_of_bare_lfs_gets_400_at_once_not_408_later(fw):
    t0 = time.monotonic()
    out, closed = exchange(fw.port, b"GET /api/v1/sm/actual HTTP/1.1\nHost: x\n\n", timeout=8)
    assert out.startswith(b"HTTP/1.1 400 ") and closed, out[:200]
    assert time.monotonic() - t0 < 2  # not the 5 s http_timeout


@pytest.mark.parametrize("value", [b"keep-alive, close", b"close, keep-alive", b"Keep-Alive ,CLOSE"])
def test_connection_close_in_a_list_closes(fw, value):
    out, closed = exchange(fw.port, b"GET /api/v1/sm/info HTTP/1.1\r\nHost: x\r\nConnection: " + value + b"\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 ") and b"Connection: close\r\n" in out
    assert closed  # not kept open for the keep-alive time


def test_keep_alive_in_a_list_keeps_the_connection(fw):
    out, closed = exchange(fw.port, b"GET /api/v1/sm/info HTTP/1.0\r\nConnection: foo, keep-alive\r\n\r\n", timeout=1)
    assert out.startswith(b"HTTP/1.1 200 ") and b"Connection: keep-alive\r\n" in out and not closed


# -- item 8: slowloris -----------------------------------------------------------

TRICKLE = b"GET /api/v1/sm/actual HTTP/1.1\r\nHost: x\r\nX-Slow: "  # then b"a" forever, never a blank line


def room_for_sockets(n):
    """Raises this process's open-file limit to n if it is lower (up to the hard limit)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        if hard != resource.RLIM_INFINITY and hard < n:
            pytest.skip("needs %d open files, the hard limit is %d (ulimit -Hn)" % (n, hard))
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


class Tricklers:
    """Sockets that each send one byte every 100 ms and never finish a request head."""

    def __init__(self):
        self.socks = []
        self.sent = {}
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def add(self, s):
        self.sent[s] = 0
        self.socks.append(s)

    def _run(self):
        while not self._stop.wait(0.1):
            for s in list(self.socks):
                i = self.sent.get(s, -1)
                if i < 0:
                    continue
                try:
                    s.send(TRICKLE[i : i + 1] if i < len(TRICKLE) else b"a")
                    self.sent[s] = i + 1
                except BlockingIOError:
                    pass  # still connecting
                except OSError:
                    self.sent[s] = -1  # the server closed it; this attacker does not come back

    def stop(self):
        self._stop.set()
        self._t.join(5)


def open_nonblocking(port, n):
    out = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        out.append(s)
    return out


def wait_connected(socks, timeout):
    """Waits until every socket's connect completed (the server's kernel took it)."""
    return wait_events(socks, select.POLLOUT, len(socks), timeout)


def wait_events(socks, mask, count, timeout):
    """Waits until `count` of socks have one of the poll events in mask."""
    p = select.poll()
    left = {s.fileno(): s for s in socks}
    for fd in left:
        p.register(fd, mask)
    end = time.monotonic() + timeout
    seen = 0
    while seen < count and time.monotonic() < end:
        for fd, _ in p.poll(50):
            p.unregister(fd)
            left.pop(fd)
            seen += 1
    return seen >= count


def test_200_tricklers_and_300_silent_sockets_keep_no_client_waiting(fw):
    """Five waves of 40 tricklers and 60 silent sockets. Each wave waits until the
    one before is connected and the server has closed all of it that does not fit
    its 4 slots (else the kernel's listen backlog, 128 here, overflows and drops
    SYNs, which only a retry a second later recovers, whatever the server does).
    The normal client comes right behind the last wave: in the backlog after 100
    fresh attackers, while the 400 before keep their sockets open or trickle on."""
    room_for_sockets(1024)
    tricklers = Tricklers()
    attackers = []
    try:
        for wave in range(5):
            socks = open_nonblocking(fw.port, 100)
            attackers += socks
            for s in socks[:40]:
                tricklers.add(s)
            if wave < 4:
                wait_connected(socks, 3)
                # closed by the server: readable (EOF) or reset
                wait_events(socks, select.POLLIN | select.POLLHUP | select.POLLERR, len(socks) - 4, 3)
        t0 = time.monotonic()
        try:
            r = fw.get("/api/v1/sm/actual", timeout=6)
        except OSError as e:
            raise AssertionError("a normal client was not served within 6 s: %r" % e)
        took = time.monotonic() - t0
        assert r.status == 200
        assert took < 1.0, "served after %.1f s" % took
    finally:
        tricklers.stop()
        for s in attackers:
            s.close()
    info = {e["name"]: e["value"] for e in fw.get("/api/v1/dev/info").json()["devinfo"]}
    assert info["httpdropped"] >= 400  # the silent and the trickling made way for others


def test_a_trickled_head_gets_408_within_the_timeout_of_its_first_byte(meter, tmp_path):
    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, http_timeout=1)
    try:
        s = socket.create_connection(("127.0.0.1", f.port), timeout=10)
        t0 = time.monotonic()
        out = b""
        i = 0
        while time.monotonic() - t0 < 6:  # one byte per 100 ms: never idle, never finished
            if select.select([s], [], [], 0.1)[0]:
                out = s.recv(4096)  # the answer: stop sending (more would meet a reset)
                break
            s.send(TRICKLE[i : i + 1] if i < len(TRICKLE) else b"a")
            i += 1
        took = time.monotonic() - t0
        s.close()
        assert out.startswith(b"HTTP/1.1 408 "), out[:100]
        assert took < 3, took  # 1 s from its first byte (and a sweep), not 6 s of trickling
    finally:
        f.stop()


def test_a_pipelined_head_started_after_a_request_has_the_request_timeout_not_keepalive(meter, tmp_path):
    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, http_timeout=1, http_keepalive=15)
    try:
        meter.wait_client()
        meter.send(fixture("dsmr50_spec"))
        wait_for(lambda: f.get("/api/v1/sm/telegram").status == 200, 10, "a telegram")
        t0 = time.monotonic()
        out, closed = exchange(f.port, b"GET /api/v1/sm/info HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/sm/info HT",
                               timeout=8)
        took = time.monotonic() - t0
        assert out.startswith(b"HTTP/1.1 200 ") and b"HTTP/1.1 408 " in out and closed, out[-200:]
        assert took < 3, took  # 1 s http_timeout from that head's first byte, not 15 s keep-alive
    finally:
        f.stop()

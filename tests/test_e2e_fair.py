"""End to end, fair service over HTTP: request heads read strictly (RFC 9112), so a
body can never be answered as a second request; and clients that trickle or sit
silent cannot keep a normal client waiting. Firmware under MicroPython, real
sockets on 127.0.0.1."""

import socket
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

"""Request buffers on demand (http_server.py): a connection holds one only while it
reads and answers a request (one that waits for the rest of a request keeps its
bytes, not a buffer), spares beyond one are let go, and a request that finds no
room for one gets a 503. The server under the MicroPython unix port in-process,
real sockets on 127.0.0.1 (tests/test_http_buffers.py)."""

import asyncio
import os

from firmware import http_server
from firmware.buffers import Buffers
from cases_out_of_memory import read_all  # (what the server sends until it closes)

_PORT = 21000 + (os.getpid() % 20000 if hasattr(os, "getpid") else 2345)


_FILE = "/tmp/dsmr-api-http-buffers-%d.bin" % _PORT


class _Ok:
    def resolve(self, path, method=b"GET"):
        return (self.handler, (b"GET",))

    def handler(self, req, w):
        if req.path == b"/file":  # sent through the connection's buffer, with waits (drain)
            req.file = open(_FILE, "rb")
            req.file_size = _FILE_SIZE
            req.ctype = b"application/octet-stream"
            return 200
        w.raw('{"ok": 1}\n')
        return 200


_FILE_SIZE = 48 << 10  # more than the sockets between here and the client take (their buffers are made small)

def _server(port):
    srv = http_server.HttpServer(port, Buffers({"p1_buffer": 256, "http_buffer": 512, "http_max_conn": 3}), _Ok())
    srv.listen()
    return srv


async def _answer(r, n=-1):
    """One response from a keep-alive connection: (head, body), or n bytes of its body."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = await asyncio.wait_for(r.read(1), 5)
        assert chunk, head
        head += chunk
    if n < 0:
        n = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    body = b""
    while len(body) < n:
        body += await asyncio.wait_for(r.read(n - len(body)), 5)
    return head, body


async def _open(port, n):
    out = []
    for _ in range(n):
        out.append(await asyncio.open_connection("127.0.0.1", port))
    return out


_GET = b"GET /x HTTP/1.1\r\nHost: t\r\n\r\n"


def _run(port, scenario):
    srv = _server(port)

    async def main():
        task = asyncio.create_task(srv.serve())
        try:
            await scenario(srv)
        finally:
            task.cancel()
            srv.listener.close()

    asyncio.run(main())


def case_an_idle_keep_alive_connection_holds_no_request_buffer():
    async def scenario(srv):
        conns = await _open(_PORT, 3)
        for _ in range(3):  # a few requests each, one after the other, on the same connections
            for r, w in conns:
                w.write(_GET)
                await w.drain()
                head, body = await _answer(r)
                assert head.startswith(b"HTTP/1.1 200 ") and b"keep-alive" in head and body == b'{"ok": 1}\n', head
        await asyncio.sleep_ms(50)
        assert len(srv.conns) == 3, srv.conns  # all three kept alive ...
        assert [c.buf for c in srv.conns] == [None, None, None], "an idle connection holds a buffer"
        assert len(srv.pool) == 1, len(srv.pool)  # ... and one spare between them: one at a time needed one
        for _, w in conns:
            w.close()

    _run(_PORT, scenario)


def case_a_request_begun_keeps_its_bytes_not_a_buffer_while_it_waits():
    async def scenario(srv):
        conns = await _open(_PORT + 1, 3)
        for _, w in conns:
            w.write(b"GET /x HTTP/1.1\r\n")  # a head begun, then a wait (a slow or idle client)
            await w.drain()
        await asyncio.sleep_ms(50)
        assert [c.buf for c in srv.conns] == [None, None, None], "a waiting connection holds a buffer"
        assert [c.part for c in srv.conns] == [b"GET /x HTTP/1.1\r\n"] * 3, [c.part for c in srv.conns]
        assert len(srv.pool) == 1, len(srv.pool)  # the spare, for whoever is read next
        for r, w in conns:  # the rest comes in two pieces, and each is answered
            w.write(b"Host: t\r\n")
            await w.drain()
            await asyncio.sleep_ms(20)
            w.write(b"\r\n")
            await w.drain()
            head, body = await _answer(r)
            assert head.startswith(b"HTTP/1.1 200 ") and body == b'{"ok": 1}\n', head
        for _, w in conns:
            w.close()

    _run(_PORT + 1, scenario)


def case_buffers_are_made_for_concurrent_answers_and_let_go_down_to_one_spare():
    with open(_FILE, "wb") as f:
        chunk = bytes(1024)
        for _ in range(_FILE_SIZE // len(chunk)):
            f.write(chunk)

    async def scenario(srv):
        conns = await _open(_PORT + 4, 3)
        await asyncio.sleep_ms(50)
        for c in srv.conns:  # (Linux numbers: SOL_SOCKET, SO_SNDBUF; so a file fills them)
            c.sock.setsockopt(1, 7, 8192)
        for _, w in conns:  # three files going out at once, read by no one yet
            w.s.setsockopt(1, 8, 4096)  # (SO_RCVBUF)
            w.write(b"GET /file HTTP/1.1\r\nHost: t\r\n\r\n")
            await w.drain()
        await asyncio.sleep_ms(200)
        bufs = [c.buf for c in srv.conns]
        assert len(bufs) == 3 and None not in bufs and len(set(id(b) for b in bufs)) == 3, bufs
        assert not srv.pool, len(srv.pool)
        for r, _ in conns:
            head, _ = await _answer(r, 0)
            assert head.startswith(b"HTTP/1.1 200 ") and b"Content-Length: %d\r\n" % _FILE_SIZE in head, head
            got = 0
            while got < _FILE_SIZE:
                chunk = await asyncio.wait_for(r.read(min(1024, _FILE_SIZE - got)), 5)
                assert chunk, got  # (closed short of it)
                got += len(chunk)
        await asyncio.sleep_ms(50)
        assert [c.buf for c in srv.conns] == [None, None, None] and srv.pool, len(srv.pool)  # back in the pool
        await asyncio.sleep_ms(600)  # two sweeps: the spares none needed are let go, one stays
        assert len(srv.pool) == 1, len(srv.pool)
        for r, w in conns:  # and served as ever
            w.write(_GET)
            await w.drain()
            head, _ = await _answer(r)
            assert head.startswith(b"HTTP/1.1 200 "), head
            w.close()

    try:
        _run(_PORT + 4, scenario)
    finally:
        os.remove(_FILE)


def case_no_room_for_a_request_buffer_answers_503_and_loses_nothing():
    def no_memory(*args):
        raise MemoryError("memory allocation failed")

    async def scenario(srv):
        r1, w1 = await asyncio.open_connection("127.0.0.1", _PORT + 2)
        w1.write(b"GET /x HTTP/1.1\r\n")  # a request begun: it waits with its bytes
        await w1.drain()
        await asyncio.sleep_ms(50)
        spares = srv.pool[:]
        srv.pool[:] = []  # the one spare in use elsewhere (a file going out) ...
        http_server.bytearray = no_memory  # ... and the heap has no room for another
        try:
            r2, w2 = await asyncio.open_connection("127.0.0.1", _PORT + 2)
            w2.write(_GET)
            await w2.drain()
            got = await read_all(r2)
            w2.close()
            assert got.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 5\r\n" in got, got
            assert got.endswith(b'{"error": "out of memory: retry"}\n'), got
        finally:
            del http_server.bytearray
        await asyncio.sleep_ms(50)
        assert len(srv.conns) == 1 and not srv.pool, (srv.conns, srv.pool)  # the refused one is gone
        srv.pool[:] = spares
        w1.write(b"Host: t\r\n\r\n")  # the first is answered as ever ...
        await w1.drain()
        head, _ = await _answer(r1)
        assert head.startswith(b"HTTP/1.1 200 "), head
        r3, w3 = await asyncio.open_connection("127.0.0.1", _PORT + 2)  # ... and a newcomer too
        w3.write(_GET)
        await w3.drain()
        head, _ = await _answer(r3)
        assert head.startswith(b"HTTP/1.1 200 "), head
        w1.close()
        w3.close()

    _run(_PORT + 2, scenario)


def case_a_request_already_there_is_read_before_its_connection_can_be_dropped():
    """A connection counts as waiting (and may be dropped for a newcomer) only once
    its socket was found empty: one that got no buffer until its bytes came would
    sit `waiting` on a whole request, and under load lose it unanswered."""
    import socket
    import time

    srv = _server(_PORT + 3)

    async def scenario():
        client = socket.socket()
        client.connect(socket.getaddrinfo("127.0.0.1", _PORT + 3)[0][-1])
        client.send(b"GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        time.sleep_ms(20)  # (the bytes are there)
        s, addr = srv.listener.accept()  # by hand, no accept loop: the test gives the turns
        srv._start(s, addr)
        time.sleep_ms(2 * http_server.GRACE_MS)  # a loaded server: the task's first turn comes late
        await asyncio.sleep(0)  # its first turn
        try:
            assert srv.responder.requests == 1, "the request there was not read on the first turn"
            assert srv._victim() is None, "a connection with its request unread may be dropped"
        finally:
            client.close()
            await asyncio.sleep_ms(20)
            srv.listener.close()

    asyncio.run(scenario())


def case_headers_of_any_length_are_slid_whole_to_just_before_the_body():
    """The headers are put together at the start of the response buffer's room and
    slid to end where the body begins (http_response.py): the two overlap for
    headers longer than half the room (a copy from the front would overwrite what
    it has yet to copy)."""
    from firmware.http_response import _slide

    room = 64
    for n in range(room + 1):
        buf = bytearray(range(room)) + b"BODY"
        want = bytes(buf[:n])
        _slide(buf, n, room)
        assert bytes(buf[room - n : room]) == want and buf[room:] == b"BODY", n


def all_cases():
    return sorted(k for k in globals() if k.startswith("case_"))

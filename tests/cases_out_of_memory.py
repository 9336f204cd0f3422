"""Out-of-memory cases: a MemoryError injected where the heap can run out, run
under the MicroPython unix port in-process, over real sockets where there are
sockets (tests/test_out_of_memory.py)."""

import asyncio
import os
import sys

from firmware import http_server, lazy, log
from firmware.buffers import Buffers

_PORT = 20000 + (os.getpid() % 20000 if hasattr(os, "getpid") else 1234)


class _NoRoutes:
    def resolve(self, path, method=b"GET"):
        return None  # every path: 404


async def read_all(r):
    """What the server sends until it closes (5 s at most between pieces)."""
    out = b""
    while True:
        chunk = await asyncio.wait_for(r.read(512), 5)
        if not chunk:
            return out
        out += chunk


async def _get(port):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    await w.drain()
    out = await read_all(r)
    w.close()
    return out


def case_out_of_memory_while_accepting_answers_503_and_loses_no_slot():
    settings = {"p1_buffer": 256, "http_buffer": 512, "http_max_conn": 2}
    srv = http_server.HttpServer(_PORT, Buffers(settings), _NoRoutes())
    srv.listen()
    real = http_server.Conn

    def no_memory(*args):
        raise MemoryError("memory allocation failed")

    async def scenario():
        task = asyncio.create_task(srv.serve())
        try:
            http_server.Conn = no_memory
            for _ in range(3):  # more often than there are slots
                got = await _get(_PORT)
                assert got.startswith(b"HTTP/1.1 503 "), got
                assert got.endswith(b'{"error": "out of memory: retry"}\n'), got
                await asyncio.sleep_ms(150)  # the accept loop pauses after an error
            assert len(srv.pool) == 1 and not srv.conns, (len(srv.pool), srv.conns)  # the spare, no more
            http_server.Conn = real
            for _ in range(3):  # and then served as ever
                got = await _get(_PORT)
                assert got.startswith(b"HTTP/1.1 404 "), got
        finally:
            http_server.Conn = real
            task.cancel()
            srv.listener.close()

    asyncio.run(scenario())


class _BigBody:
    """One route whose body is larger than the response buffer (so it is
    rendered twice) and whose second pass does what `second` says."""

    def __init__(self, second):
        self.second = second
        self.passes = 0

    def resolve(self, path, method=b"GET"):
        return (self.handler, (b"GET",))

    def handler(self, req, w):
        self.passes += 1
        n = 2000
        if self.passes == 2 and self.second == "longer":
            n += 10  # a value changed between the passes
        for i in range(n // 10):
            if self.passes == 2 and self.second == "fail" and i == 50:
                raise MemoryError("memory allocation failed")
            w.raw("0123456789")
        return 200


def case_a_body_whose_second_pass_fails_or_differs_is_cut_short_never_a_wrong_200():
    for second, port in (("fail", _PORT + 1), ("longer", _PORT + 2), ("same", _PORT + 3)):
        settings = {"p1_buffer": 256, "http_buffer": 512, "http_max_conn": 2}
        srv = http_server.HttpServer(port, Buffers(settings), _BigBody(second))
        srv.listen()

        async def scenario():
            task = asyncio.create_task(srv.serve())
            try:
                return await _get(port)
            finally:
                task.cancel()
                srv.listener.close()

        got = asyncio.run(scenario())
        head, _, body = got.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ") and b"Content-Length: 2000\r\n" in head, head
        if second == "same":
            assert len(body) == 2000 and srv.responder.truncated == 0, (second, len(body))
        else:  # fewer bytes than promised, then the connection closed: the client knows
            assert len(body) < 2000 and srv.responder.truncated == 1, (second, len(body))


class _BodyRoute:
    """One POST route whose handler reads its own body (lazy.py, body=True) and
    whose module finds no room to load."""

    def __init__(self):
        self.handler = _BodyHandler()

    def resolve(self, path, method=b"GET"):
        return (self.handler, (b"POST",))


class _BodyHandler:
    body = True

    def __init__(self):
        self.dropped = 0

    async def __call__(self, req, c, end):
        raise MemoryError("memory allocation failed")

    def drop(self):
        self.dropped += 1


def case_a_body_handler_with_no_room_to_load_answers_503_and_leaves_nothing_loaded():
    port = _PORT + 4
    srv = http_server.HttpServer(port, Buffers({"p1_buffer": 256, "http_buffer": 512, "http_max_conn": 2}), _BodyRoute())
    srv.listen()

    async def scenario():
        task = asyncio.create_task(srv.serve())
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(b"POST /u HTTP/1.1\r\nHost: t\r\nContent-Length: 3000\r\n\r\n" + b"x" * 3000)
            await w.drain()
            out = await read_all(r)
            w.close()
            return out
        finally:
            task.cancel()
            srv.listener.close()

    got = asyncio.run(scenario())
    assert got.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 5\r\n" in got, got
    assert b"Connection: close\r\n" in got and got.endswith(b'{"error": "out of memory: try again"}\n'), got
    assert srv.responder.router.handler.dropped == 1
    assert "firmware.http_rare" not in sys.modules  # its code left the heap again


def case_reason_phrases_are_loaded_for_an_error_and_dropped_and_no_room_still_answers():
    from firmware import http_response

    port = _PORT + 5
    srv = http_server.HttpServer(port, Buffers({"p1_buffer": 256, "http_buffer": 512, "http_max_conn": 2}), _NoRoutes())
    srv.listen()
    real = http_response.load

    def no_memory(name):
        raise MemoryError("memory allocation failed")

    async def scenario():
        task = asyncio.create_task(srv.serve())
        try:
            got = await _get(port)
            assert got.startswith(b"HTTP/1.1 404 Not Found\r\n"), got
            assert "firmware.http_reasons" not in sys.modules  # its table left the heap again
            http_response.load = no_memory
            got = await _get(port)  # no room for the table: answered all the same
            assert got.startswith(b"HTTP/1.1 404 Unknown\r\n") and got.endswith(b'{"error": "no such endpoint"}\n'), got
        finally:
            http_response.load = real
            task.cancel()
            srv.listener.close()

    asyncio.run(scenario())


def case_a_module_load_that_runs_out_of_memory_half_way_leaves_nothing_loaded():
    real = lazy.load

    def load_then_fail(name):
        real("history_file")  # its imports come in (history_file, history) ...
        raise MemoryError("memory allocation failed")  # ... then the heap runs out

    before = set(sys.modules)
    lazy.load = load_then_fail
    try:
        lazy.load_with("api_hist")
        assert False, "no MemoryError"
    except MemoryError:
        pass
    finally:
        lazy.load = real
    left = [m for m in sys.modules if m not in before and m.startswith("firmware.")]
    assert not left, left


def case_logging_with_no_room_to_format_does_not_raise():
    big = "y" * 3000  # its formatting needs some 6 KB; the heap will have a few hundred bytes
    filler = [None] * 20000
    n = 0
    try:
        while True:
            filler[n] = bytearray(48)  # a 64-byte block on 64-bit: everything, in small pieces
            n += 1
    except MemoryError:
        pass
    for i in range(n - 5, n):
        filler[i] = None  # room for the call itself, not for the message
    try:
        log.warn("P1 listener %s: %r", big, big)  # an error handler in a task, short of memory
    finally:
        filler = None


def all_cases():
    return sorted(k for k in globals() if k.startswith("case_"))

"""The HTTP server's seldom-run paths, loaded when one runs and dropped after it
(http_server.py `_rare`), so that their code costs no heap in between: the 408
for a request too slow, the 431 for a head too big, reading what a client still
sends before closing after an error, and a POST whose handler reads its own body
(the OTA update, lazy.py).
A normal request never loads it; without room to load it, the connection is
closed without these niceties (logged)."""

import time

from . import log
from .http_request import Request

_TIMEOUT_408 = (
    b"HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
    b"Access-Control-Allow-Origin: *\r\nContent-Length: 36\r\nConnection: close\r\n\r\n"
    b'{"error": "request took too long"}\r\n'
)


def timeout(srv, c):
    """Answers 408 to a request whose head or body took too long (the server closes it)."""
    c.sock.send(_TIMEOUT_408)


async def too_big(srv, c):
    """Answers 431 to a request head that fills the request buffer and is not whole,
    then reads what the client still sends (the server closes after)."""
    c.req = Request(c)
    srv.responder.requests += 1
    srv.responder.error(c, 431, "request line and headers must fit %d bytes" % len(c.buf))
    await c.stream.drain()
    await linger(srv, c)


async def linger(srv, c):
    """Reads and drops what the client still sends (up to 64 KB, 1 s) before closing.

    Closing a socket with unread input makes the kernel send a reset, which
    can destroy the error response before the client has read it.
    """
    c.state = 1  # http_server's _WRITING: not a request in progress, no 408, no eviction
    c.n = 0
    c.deadline = time.ticks_add(time.ticks_ms(), 1000)
    mv = memoryview(c.buf)
    left = 65536
    while left > 0:
        n = await c.stream.readinto(mv)
        if n == 0:
            return
        left -= n or 0


async def body(srv, c, h, end):
    """Has handler h read the POST's body itself (lazy.py, body=True); returns its
    status, or None when it ran out of memory: then 503 is sent and the body
    read to its end, and the connection is to be closed."""
    try:
        return await h(c.req, c, end)
    except MemoryError:  # (loading it, mostly): 503 as any handler, not a silent close
        h.drop()
        log.error("handler %s: out of memory", c.req.path)
        c.req.keep_alive = False
        c.req.extra = b"Retry-After: 5\r\n"
        srv.responder.error(c, 503, "out of memory: try again")
        await c.stream.drain()
        await linger(srv, c)  # (its body is still coming)
        return None
    except BaseException:
        h.drop()  # (the client went away, or timed out)
        raise

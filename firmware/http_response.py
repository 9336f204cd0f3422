"""Turns a parsed request into a response: routing, rendering, headers, errors.

One `Responder` per server. Its `w` (lib/dsmr's JsonWriter) is the one
response buffer all connections share: a handler renders the body into it
synchronously, then headers are put in front and the whole response is
handed to the socket in one write, before anything awaits. So a response
shows one telegram, never parts of two, and costs no allocation beyond
what the socket cannot take at once. A body larger than the buffer is
rendered twice, first only counted (for Content-Length), then sent in
pieces; if the second pass fails (out of memory) or comes out at another
length, no more than Content-Length bytes are sent and the connection is
closed short of it, so the client sees an error rather than a wrong answer
(counted in `truncated`, logged). Every error is JSON `{"error": "..."}`
with its status.
The reason phrases but 200's and 503's are in http_reasons.py, loaded
for a response that needs one and dropped after.
`Access-Control-Allow-Origin: *` is on what is read (GET, HEAD, their
preflights), never on a write's answer nor on a preflight for a route that
writes: a page on another site gets no CORS grant to write (api_write.py).
"""

import gc

from dsmr.jsonw import JsonWriter

from . import log, routes
from .lazy import load, unload

_JSON = b"application/json"
_READS = (b"GET", b"HEAD", b"OPTIONS", b"")  # b"": a request refused before its method was read


def _reason(status):
    """The reason phrase: 200's and 503's (the answer when there is no room to
    load code) are here, the others in http_reasons.py, loaded for it and dropped."""
    if status == 200:
        return "OK"
    if status == 503:
        return "Service Unavailable"
    try:
        return load("http_reasons").REASONS.get(status, "Unknown")
    except MemoryError:
        return "Unknown"
    finally:
        unload("http_reasons")


def _slide(buf, n, to):
    """Moves buf[0:n] to end at `to`. (The two overlap when n > to / 2: a slice
    assignment moves the bytes as C's memmove does, py/sequence.h.)"""
    buf[to - n : to] = memoryview(buf)[:n]


class Responder:
    def __init__(self, bufs, router):
        self.router = router
        # The body goes after the first `room` bytes of the response buffer; the
        # headers are put together in that room, from its start, then slid to just
        # before the body, so that both go to the socket in one write.
        room = bufs.room
        self.w = JsonWriter(len(bufs.response), room, bufs.response)
        self.hw = JsonWriter(room, 0, bufs.response)
        self.requests = 0
        self.errors = 0
        self.truncated = 0  # streamed bodies cut short: their second pass failed or differed
        self._out = None  # the connection a streamed body goes to ...
        self._left = 0  # ... and how many bytes of its Content-Length are still to go
        self._capped = self._send_capped  # (one bound method, made once)
        self.cors = True  # False: this answer (a preflight) gets no Access-Control-Allow-Origin

    def answer(self, c, status):
        """Answers the parsed request (or its parse error); returns bytes used, or -1 to close."""
        self.requests += 1
        req = c.req
        if status:
            return self.error(c, status, req.error)
        route = self.router.resolve(req.path, req.method)
        if route is None:
            self.error(c, 404, "no such endpoint")
        else:
            try:
                self._dispatch(c, req, route)
            finally:
                drop = getattr(route[0], "drop", None)
                if drop is not None:
                    drop()  # a Lazy handler's module leaves the heap again (lazy.py)
        return req.used if req.keep_alive else -1

    def _dispatch(self, c, req, route):
        method = req.method
        handler, allowed = route
        if method == b"OPTIONS":
            allow = routes.allowed(allowed)
            if allowed != routes.GET:  # a route that writes: no grant for another site
                self.cors = False
                req.extra = b"Allow: " + allow + b"\r\n"
            else:
                req.extra = (
                    b"Allow: " + allow + b"\r\nAccess-Control-Allow-Methods: " + allow
                    + b"\r\nAccess-Control-Allow-Headers: Content-Type, Authorization\r\n"
                    b"Access-Control-Max-Age: 86400\r\n"
                )
            self._respond(c, 204, False)
            return
        head = method == b"HEAD"
        if method not in allowed and not (head and b"GET" in allowed):
            req.extra = b"Allow: " + routes.allowed(allowed) + b"\r\n"
            self.error(c, 405, "method not allowed here")
            return
        w = self.w
        w.reset()
        try:
            status = handler(req, w)
        except MemoryError:
            gc.collect()
            log.error("handler %s: out of memory", req.path)
            req.extra = b"Retry-After: 5\r\n"
            self.error(c, 503, "out of memory: try again")
            return
        except Exception as e:
            log.error("handler %s: %r", req.path, e)
            self.error(c, 500, "internal error")
            return
        if req.file is not None:
            # a file: the headers now, the body streamed by the server (http_server.py)
            self._respond(c, status, False, req.file_size)
            if head:
                req.file.close()
                req.file = None
            return
        if not w.fits():
            # too big for one buffer: count it, then render again straight to the socket
            self._respond_streamed(c, status, route, head)
            return
        self._respond(c, status, not head, w.length())

    def _headers(self, c, status, length, keep):
        hw = self.hw
        hw.reset()
        hw.raw("HTTP/1.1 ")
        hw.integer(status)
        hw.raw(" ")
        hw.raw(_reason(status))
        hw.raw("\r\nServer: dsmr-api\r\n")
        if self.cors and c.req.method in _READS:
            hw.raw("Access-Control-Allow-Origin: *\r\n")
        self.cors = True
        if status != 204:
            hw.raw("Content-Type: ")
            hw.raw(c.req.ctype)
            hw.raw("\r\nContent-Length: ")
            hw.integer(length)
            hw.raw("\r\nCache-Control: ")
            hw.raw(c.req.cache)
            hw.raw("\r\n")
        if c.req.extra:
            hw.raw(c.req.extra)
        hw.raw("Connection: keep-alive\r\n\r\n" if keep else "Connection: close\r\n\r\n")
        return hw.w[0]

    def _respond(self, c, status, body, length=0):
        """Sends headers, and the body now in self.w, as one write."""
        if status >= 400:
            self.errors += 1
        keep = c.req.keep_alive and status < 500
        c.req.keep_alive = keep
        w = self.w
        n = self._headers(c, status, length, keep)
        if body:
            _slide(w.buf, n, w.first)
            c.send(w.buf, w.first - n, w.w[0])
        else:
            c.send(self.hw.buf, 0, n)

    def _respond_streamed(self, c, status, route, head):
        w = self.w
        total = w.length()
        keep = c.req.keep_alive
        c.send(self.hw.buf, 0, self._headers(c, status, total, keep))
        if head:
            return
        self._out = c
        self._left = total
        w.reset(self._capped)
        try:
            route[0](c.req, w)
            w.flush()
        except Exception as e:  # out of memory, mostly: the body is cut short below
            self._left = -1 if self._left == 0 else self._left
            log.error("%s: second pass failed: %r", c.req.path, e)
        finally:
            w.reset()
            self._out = None
        if self._left:
            # fewer bytes than Content-Length promised (or more, held back):
            # closing now makes the client see an error, not a wrong answer
            self.truncated += 1
            log.error("%s: streamed body did not match its Content-Length: connection closed", c.req.path)
            c.req.keep_alive = False

    def _send_capped(self, buf, s, e):
        """The second pass's sink: never more than Content-Length bytes."""
        left = self._left
        if e - s > left:
            e = s + max(0, left - 1)  # a byte short, so the client sees it
            self._left = -1  # more than counted: a mismatch
        else:
            self._left = left - (e - s)
        if e > s:
            self._out.send(buf, s, e)

    def error(self, c, status, msg):
        """Answers with {"error": msg}; returns -1 when the connection must close."""
        w = self.w
        w.reset()
        w.raw('{"error": ')
        w.string(msg.encode() if isinstance(msg, str) else msg)
        w.raw("}\n")
        c.req.ctype = _JSON
        if status in (400, 408, 413, 431, 501, 505):
            c.req.keep_alive = False
            c.linger = status == 413 or status == 431  # the client may still be sending
        self._respond(c, status, c.req.method != b"HEAD", w.length())
        return -1 if not c.req.keep_alive else 0

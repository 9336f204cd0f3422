"""The tiny HTTP/1.1 server: asyncio sockets, no framework, bounded in every way.

- At most `max_conn` connections are served at once; further ones wait in
  the listen backlog. When the bound is reached and another client knocks,
  the connection that has made the least progress on its request (fewest
  bytes per second since it began waiting for it, a silent or idle one
  first) is dropped for it: silent, half-open or trickling clients
  (slowloris) can never lock others out, and a backlog of them drains fast.
  Only a connection at least GRACE_MS old whose bytes have been read and
  found incomplete can be dropped.
- A connection holds a request buffer (1 KB, buffers.py) only while it reads
  and answers a request: an idle keep-alive one holds none. Buffers are made
  when needed (no more than `max_conn`, one per connection served) and kept
  as spares while in use; a spare that went unused for a sweep (250 ms) is
  let go, down to one. No buffer to be had (out of memory): 503 and close.
- A request head (request line + headers) must fit a request buffer (else
  431) and arrive within `timeout` seconds of its first byte (else 408 and
  close), however steadily it trickles; an idle keep-alive connection is
  closed after `keepalive` seconds.
- No input ends the server task: handler exceptions become 500s, socket
  errors close that connection only.

Requests are parsed by http_request.py and answered by http_response.py
(routing, rendering, headers, JSON errors). What runs only on errors and
abuse (the 408, lingering before a close, a handler reading its own body)
is in http_rare.py, loaded when needed and dropped after.
"""

import asyncio
import socket
import time
from errno import EAGAIN, ECONNABORTED, ECONNRESET

from . import log, sockets
from .sockets import readable
from .lazy import load, unload
from .http_request import NEED_BODY, Request, parse
from .http_response import Responder

# A connection younger than this is not dropped for a newcomer: its request may
# be a moment behind its connection. Short, so that a backlog full of silent or
# trickling sockets drains fast (max_conn of them per GRACE_MS at most).
GRACE_MS = 10
_READING = 0
_WRITING = 1
_WAITING = 2  # read, found incomplete, waiting for more: may be dropped for a newcomer
# TCP_NODELAY at level IPPROTO_TCP: the same numbers in lwIP and Linux (the unix port's
# socket module names neither). A response bigger than the response buffer goes out in
# several sends; with Nagle's algorithm on, its last part waits for the client's
# delayed ACK of the part before: 40 ms a response from Linux clients, 200 from Windows.
_IPPROTO_TCP = 6
_TCP_NODELAY = 1

_BUSY_503 = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Access-Control-Allow-Origin: *\r\nRetry-After: 5\r\nContent-Length: 34\r\n"
    b"Connection: close\r\n\r\n"
    b'{"error": "out of memory: retry"}\n'
)


class Conn:
    def __init__(self, sock, addr):
        self.sock = sock
        self.addr = addr
        self.stream = asyncio.StreamWriter(sock, {})
        self.buf = None  # a request buffer while it reads and answers a request (HttpServer._take)
        self.part = None  # while it waits for the rest of a request: its first c.n bytes
        self.n = 0
        self.state = _READING
        self.start = time.ticks_ms()  # when it began waiting for this request
        self.deadline = self.start
        self.task = None  # type: asyncio.Task | None
        self.linger = False  # read what is left before closing (after an error)
        self.req = None  # its request, from a whole head to its answer (an idle or waiting one has none)

    def send(self, buf, s, e):
        """JsonWriter sink: hand a chunk to the socket (asyncio keeps what it can't take)."""
        self.stream.write(memoryview(buf)[s:e])


class HttpServer:
    def __init__(self, port, bufs, router, backlog=8, timeout=5, keepalive=15, host="0.0.0.0"):
        self.host = host
        self.port = port
        self.max_conn = bufs.max_conn
        self.backlog = backlog
        self.timeout_ms = timeout * 1000
        self.keepalive_ms = keepalive * 1000
        self.responder = Responder(bufs, router)
        self.pool = list(bufs.requests)  # spare request buffers (one at boot)
        self.size = len(bufs.requests[0])
        self.low = 0  # the fewest spares since the last sweep: more than one are let go
        self.conns = []
        self.listener = None
        # counters for the device API (requests and errors: self.responder)
        self.evicted = 0
        self.timeouts = 0
        self.accepted = 0

    # -- accepting ---------------------------------------------------------

    def listen(self):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(socket.getaddrinfo(self.host, self.port)[0][-1])
        ls.listen(self.backlog)
        ls.setblocking(False)
        self.listener = ls
        return ls

    async def serve(self):
        if self.listener is None:
            self.listen()
        asyncio.create_task(self._sweep())
        ls = self.listener
        while True:
            try:
                await readable(ls)  # pyright: ignore  (we accept only when we choose to)
                if len(self.conns) >= self.max_conn:
                    victim = self._victim()
                    if victim is None:
                        # all busy answering, or just come: the newcomer waits in the backlog
                        await asyncio.sleep_ms(GRACE_MS // 2)
                        continue
                    self.evicted += 1
                    self._drop(victim)
                    victim.sock.close()  # its socket now, for the newcomer's
                try:
                    s, addr = ls.accept()
                except OSError as e:
                    # errno's names, looked up when loaded: the ESP32's numbers are newlib's
                    # (ECONNABORTED 113, not Linux's 103); `errno.X` would be folded by the compiler
                    if e.args and e.args[0] in (EAGAIN, ECONNABORTED, ECONNRESET):
                        continue
                    if sockets.refused("HTTP", e):  # (lwIP has dropped that client)
                        continue
                    raise
                self.accepted += 1
                try:
                    self._start(s, addr)
                except MemoryError:
                    log.warn("http accept: out of memory: answered 503")
                    await self._refuse(s)
            except Exception as e:  # e.g. EMFILE: never let the accept loop die
                log.warn("http accept: %r", e)
                await asyncio.sleep_ms(100)

    def _start(self, s, addr):
        """Serves an accepted socket (it takes a request buffer when its bytes come).
        If that fails (out of memory), the error goes up: no connection slot is lost."""
        c = None
        try:
            s.setblocking(False)
            s.setsockopt(_IPPROTO_TCP, _TCP_NODELAY, 1)
            c = Conn(s, addr)
            c.deadline = time.ticks_add(time.ticks_ms(), self.timeout_ms)
            self.conns.append(c)
            c.task = asyncio.create_task(self._serve_conn(c))
        except BaseException:
            if c in self.conns:
                self.conns.remove(c)
            raise

    async def _refuse(self, s):
        """Answers 503 on a socket that could not be served, then closes it
        once its request is read (closing on unread bytes would reset the
        connection and lose the answer). Allocates nothing: the request is read
        into the response buffer, which holds nothing across an await."""
        try:
            s.send(_BUSY_503)
            await asyncio.sleep_ms(100)  # the request arrives meanwhile
            s.readinto(self.responder.w.buf)
        except OSError:
            pass
        s.close()

    def _victim(self):
        """The connection that has made the least progress on its request, or None.

        Progress is (bytes + 1) per second since it began waiting for the request,
        so a silent or idle one goes before a trickling one once it is more than
        a moment old. Never one younger than GRACE_MS, nor one whose bytes have
        not been looked at yet (a whole request may be among them).
        """
        victim = None
        least = 0
        now = time.ticks_ms()
        for c in self.conns:
            age = time.ticks_diff(now, c.start)
            if c.state == _WAITING and age >= GRACE_MS:
                rate = (c.n + 1) * 1000 // (age + 1)
                if victim is None or rate < least:
                    victim = c
                    least = rate
        return victim

    def _take(self, c):
        """Gives c a request buffer: a spare, or a new one (MemoryError when there is no room)."""
        pool = self.pool
        if pool:
            c.buf = pool.pop()
            if len(pool) < self.low:
                self.low = len(pool)
        else:
            c.buf = bytearray(self.size)
            self.low = 0

    def _drop(self, c):
        if c in self.conns:
            self.conns.remove(c)
            if c.buf is not None:
                self.pool.append(c.buf)  # (its task, cancelled, may still hold it: it only unwinds)
        if c.task is not None and c.task is not asyncio.current_task():
            c.task.cancel()

    async def _sweep(self):
        while True:
            await asyncio.sleep_ms(250)
            pool = self.pool
            while self.low > 1:  # spares none needed since the last sweep: down to one
                pool.pop()
                self.low -= 1
            self.low = len(pool)
            now = time.ticks_ms()
            for c in self.conns[:]:
                if time.ticks_diff(now, c.deadline) > 0:
                    if c.n or c.state == _WRITING:
                        self.timeouts += 1
                    if c.state != _WRITING and c.n:
                        try:
                            self._rare("timeout", c)  # 408
                        except Exception:  # (OSError; MemoryError: closed without it)
                            pass
                    self._drop(c)

    # -- one connection ----------------------------------------------------

    async def _serve_conn(self, c):
        try:
            while True:
                end = self._head_end(c)
                while end < 0:  # until a whole head is in
                    if end == -2:
                        await self._rare("too_big", c)  # 431
                        return
                    if not await self._read_more(c):
                        return
                    end = self._head_end(c)
                if c.req is None:
                    try:
                        c.req = Request(c)
                    except MemoryError:
                        log.warn("http: out of memory for a request: answered 503")
                        await self._refuse(c.sock)
                        return
                status = parse(c.buf, end, c.n, c.req)
                if status in (0, NEED_BODY, 413) and c.req.method == b"POST":
                    # a handler that reads its body itself, far bigger than the buffer (lazy.py)
                    h = self.responder.router.resolve(c.req.path, b"POST")
                    h = h[0] if h else None
                    if getattr(h, "body", False):
                        c.state = _WRITING  # (not idle: never evicted)
                        status = await self._rare("body", c, h, end)
                        if status is None:
                            return  # out of memory: answered 503
                while status == NEED_BODY:
                    if not await self._read_more(c):
                        return
                    status = parse(c.buf, end, c.n, c.req)
                c.state = _WRITING
                c.deadline = time.ticks_add(time.ticks_ms(), self.timeout_ms * 2)
                used = self.responder.answer(c, status)
                if c.req.file is not None:
                    if c.n > used:
                        used = -1  # pipelined requests would be overwritten by the file: close after it
                    await self._send_file(c)
                keep = used >= 0 and c.req.keep_alive
                if keep:  # keep any pipelined bytes for the next request
                    rest = c.n - used
                    if rest > 0:
                        c.buf[:rest] = c.buf[used : c.n]  # pyright: ignore  (it holds one while it answers)
                    else:  # none: the buffer goes back now, not after the drain (another may need it)
                        self.pool.append(c.buf)
                        c.buf = None
                    c.n = rest
                await c.stream.drain()
                if not keep:
                    if c.linger:
                        await self._rare("linger", c)
                    return
                c.state = _READING
                c.req = None  # (the next one gets its own: nothing of this one stays)
                c.start = time.ticks_ms()
                # the next request's clock runs from its first byte, which may be here already
                c.deadline = time.ticks_add(c.start, self.timeout_ms if c.n else self.keepalive_ms)
        except asyncio.CancelledError:
            pass
        except OSError:
            pass  # client went away
        except Exception as e:
            log.error("http connection: %r", e)
        finally:
            try:
                c.sock.close()  # (asyncio's Stream.close() does not close the socket)
            except Exception:
                pass
            self._drop(c)

    def _head_end(self, c):
        """Where the request head in c.buf ends (after its CRLFCRLF): -1 while it is not
        whole yet, -2 when it is not and fills the buffer (431). (Not a coroutine of its
        own: a connection waiting for its request holds one frame less.)"""
        if not c.n:
            return -1
        buf = c.buf
        end = buf.find(b"\r\n\r\n", 0, c.n)
        lf = buf.find(b"\n\n", 0, c.n if end < 0 else end)
        if lf >= 0:
            return lf + 2  # bare LFs: parse() answers 400 (RFC 9112)
        if end >= 0:
            return end + 4
        return -2 if c.n >= len(buf) else -1

    async def _send_file(self, c):
        """Streams c.req.file in pieces through the connection's own buffer."""
        f = c.req.file
        mv = memoryview(c.buf)
        try:
            while True:
                n = f.readinto(mv)
                if not n:
                    return
                c.stream.write(mv[:n])
                await c.stream.drain()
        finally:
            f.close()
            c.req.file = None

    def _rare(self, fn, *args):
        """http_rare.<fn>(self, *args): code run only on errors and abuse, loaded
        for it and dropped after (a coroutine keeps its code while it runs)."""
        try:
            return getattr(load("http_rare"), fn)(self, *args)
        finally:
            unload("http_rare")

    async def _read_more(self, c):
        """Reads what the client sent next into c.buf; False when it closed.

        Reads first and waits only when nothing is there, so a connection is
        marked _WAITING (and may be dropped for a newcomer) only once what it
        sent has been looked at. It holds a request buffer to read into, and
        gives it back while it waits (an idle keep-alive connection holds none,
        one with a request begun holds its bytes in `part`); if none can be had
        (out of memory): 503, False.
        """
        while True:
            if c.buf is None:
                try:
                    self._take(c)
                except MemoryError:
                    log.warn("http: out of memory for a request: answered 503")
                    await self._refuse(c.sock)
                    return False
                if c.part is not None:  # what it sent before it waited
                    c.buf[: c.n] = c.part  # pyright: ignore
                    c.part = None
            n = c.sock.readinto(memoryview(c.buf)[c.n :])  # pyright: ignore  (_take() gave it one)
            if n is None:  # nothing yet
                # The buffer goes back meanwhile: a request begun keeps its bytes in
                # one of their size (a client that sends a request in pieces, or
                # holds one open, costs its bytes, not a request buffer).
                try:
                    if c.n:
                        c.part = bytes(memoryview(c.buf)[: c.n])  # pyright: ignore
                    self.pool.append(c.buf)
                    c.buf = None
                except MemoryError:  # no room for its bytes: it keeps the buffer
                    pass
                c.state = _WAITING
                await readable(c.sock)  # pyright: ignore
                c.state = _READING
                continue
            if n == 0:
                return False
            if c.n == 0:
                # the clock for a whole request starts at its first byte
                c.deadline = time.ticks_add(time.ticks_ms(), self.timeout_ms)
            c.n += n
            return True

"""The raw telegram stream: every CRC-valid telegram, byte for byte, to every TCP client.

What Home Assistant's DSMR integration (network mode) and DSMR-reader read
from a ser2net-style P1 server: no banner, no negotiation, the telegram as
the meter sent it (CRLF, CRC). Port `raw_port` (0 turns it off).

A telegram is handed to each client's socket without waiting: a client whose
socket cannot take it now (EAGAIN) misses it (counted), and one that has
missed MAX_BEHIND in a row is dropped; one that took only part of it would
see a broken stream, so it is dropped at once. Nothing is queued, so a slow
or stuck client costs no memory and never delays the others or the meter.

At most `raw_max_clients` at once. When full, a newcomer is preferred: the
stalest client (most telegrams missed in a row; of equals, the one connected
longest) is dropped for it, so clients that never read cannot lock out real
ones (their kernel buffers can hide it for many telegrams). The newcomer is
accepted before the stalest goes: that takes one free socket (sockets.py).

Two tasks, whatever the number of clients: one accepts a newcomer as it comes
(it waits on the listening socket, sockets.readable()); the other looks at
every client twice a second, with a poll that does not wait and allocates
nothing: it reads and drops what they send (it would otherwise sit in lwIP's
buffers, outside the GC heap but in the same RAM) and lets go of the ones
that closed. A client has no task, no Stream and no buffer of its own: with
asyncio's start_server() a task, a Stream and their frames took about 400
bytes per client on the yardstick.
"""

import asyncio
import select
import socket

from . import log, platform, sockets

MAX_BEHIND = 3  # telegrams in a row a client may miss before it is dropped
_POLL_MS = const(500)
_GONE = const(-1)  # behind[i] of a client that closed (let go after the poll)
_POLLIN = const(1)  # select.POLLIN, POLLERR, POLLHUP: the same on every port
_POLLERR_HUP = const(0x18)


class RawStream:
    def __init__(self, port, max_clients=3):
        self.port = port
        self.max_clients = max_clients
        self.clients = []
        self.behind = []  # for each client: telegrams missed since it last took one
        self.sent = 0
        self.missed = 0
        self.dropped = 0
        self.listener = None
        self.poll = select.poll()  # the clients
        self.scrap = bytearray(64)  # what clients send is read into it and dropped

    async def start(self):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(socket.getaddrinfo("0.0.0.0", self.port)[0][-1])
            ls.listen(2)
            ls.setblocking(False)
        except BaseException:
            ls.close()
            raise
        self.listener = ls
        asyncio.create_task(self._accepting())
        asyncio.create_task(self._looking())
        log.info("raw telegram stream on tcp port %d", self.port)

    async def _accepting(self):
        ls = self.listener
        while True:
            try:
                await sockets.readable(ls)  # pyright: ignore
                self._accept(ls)
            except Exception as e:  # out of memory, EMFILE: the next one may fare better
                log.warn("raw stream accept: %r", e)
                await asyncio.sleep_ms(100)

    def _accept(self, ls):
        try:
            sock, _ = ls.accept()
        except OSError as e:
            sockets.refused("raw stream", e)  # (ENFILE: lwIP has dropped that client; others: it went)
            return
        if len(self.clients) >= self.max_clients:
            self.make_room()
        try:
            sock.setblocking(False)
            platform.small_send_buffer(sock)
            self.add(sock)
        except BaseException:
            sock.close()
            raise

    async def _looking(self):
        while True:
            try:
                self.look()
            except Exception as e:
                log.warn("raw stream: %r", e)
            await asyncio.sleep_ms(_POLL_MS)

    def look(self):
        """Reads and drops what clients sent, lets go of the ones that closed. Allocates
        nothing while none did either (ipoll(): one tuple, the poll's own, reused)."""
        scrap = self.scrap
        for sock, ev in self.poll.ipoll(0):
            i = self.clients.index(sock)
            if ev & _POLLERR_HUP:
                self.behind[i] = _GONE
                continue
            for _ in range(64):  # (4 KB at most per look)
                try:
                    n = sock.readinto(scrap)
                except OSError:
                    n = 0
                if not n:
                    if n == 0:  # (None: nothing more now)
                        self.behind[i] = _GONE
                    break
        for i in range(len(self.clients) - 1, -1, -1):  # (not while ipoll() iterates)
            if self.behind[i] == _GONE:
                self._forget(i)

    def make_room(self):
        """Drops the stalest client: most telegrams missed in a row, of equals the oldest."""
        stalest = 0
        for i in range(1, len(self.clients)):  # (in the order they came)
            if self.behind[i] > self.behind[stalest]:
                stalest = i
        self.dropped += 1
        self._forget(stalest)

    def add(self, sock):
        """A client from now on: its socket, non-blocking."""
        self.clients.append(sock)
        self.behind.append(0)
        self.poll.register(sock, _POLLIN)

    def _forget(self, i):
        """Drops client i and closes its socket."""
        sock = self.clients.pop(i)
        self.behind.pop(i)
        try:
            self.poll.unregister(sock)
        except (KeyError, OSError):
            pass
        try:
            sock.close()
        except OSError:
            pass

    def send(self, p):
        """Called by the P1 reader with the parser after each new telegram. Allocates
        nothing: write(buf, n) takes the telegram in place, and a full socket answers
        None rather than raising."""
        n = p.length
        clients = self.clients
        for i in range(len(clients) - 1, -1, -1):  # (backwards: _forget() may remove it)
            sock = clients[i]
            try:
                k = sock.write(p.buf, n)
            except OSError:
                k = -1
            if k is None:  # EAGAIN: its socket is full
                self.missed += 1
                self.behind[i] += 1
                if self.behind[i] < MAX_BEHIND:
                    continue
            elif k == n:
                self.sent += 1
                self.behind[i] = 0
                continue
            self.dropped += 1
            log.warn("raw stream: dropped a client that fell behind")
            self._forget(i)

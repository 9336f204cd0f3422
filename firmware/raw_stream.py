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
"""

import asyncio

from . import log, platform

MAX_BEHIND = 3  # telegrams in a row a client may miss before it is dropped


class RawStream:
    def __init__(self, port, max_clients=3):
        self.port = port
        self.max_clients = max_clients
        self.clients = []
        self.behind = []  # for each client: telegrams missed since it last took one
        self.tasks = []  # for each client: the task reading from it
        self.sent = 0
        self.missed = 0
        self.dropped = 0
        self.server = None

    async def start(self):
        self.server = await asyncio.start_server(self._client, "0.0.0.0", self.port)
        log.info("raw telegram stream on tcp port %d", self.port)

    async def _client(self, reader, writer):
        sock = writer.s
        if len(self.clients) >= self.max_clients:
            self.make_room()
        try:
            platform.small_send_buffer(sock)
        except OSError:
            pass
        self.add(sock, asyncio.current_task())
        try:
            while True:  # whatever the client sends is read and ignored; b"" is its close
                data = await reader.read(64)
                if not data:
                    break
        except OSError:
            pass
        finally:
            if sock in self.clients:
                self._forget(self.clients.index(sock))

    def make_room(self):
        """Drops the stalest client: most telegrams missed in a row, of equals the oldest."""
        stalest = 0
        for i in range(1, len(self.clients)):  # (in the order they came)
            if self.behind[i] > self.behind[stalest]:
                stalest = i
        self.dropped += 1
        self._forget(stalest)

    def add(self, sock, task):
        """A client from now on: its non-blocking socket and the task that reads it (or None)."""
        self.clients.append(sock)
        self.behind.append(0)
        self.tasks.append(task)

    def _forget(self, i):
        """Drops client i: its task stops waiting on the socket, then the socket closes."""
        sock = self.clients.pop(i)
        self.behind.pop(i)
        task = self.tasks.pop(i)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
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

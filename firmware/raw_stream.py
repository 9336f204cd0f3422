"""The raw telegram stream: every CRC-valid telegram, byte for byte, to every TCP client.

What Home Assistant's DSMR integration (network mode) and DSMR-reader read
from a ser2net-style P1 server: no banner, no negotiation, the telegram as
the meter sent it (CRLF, CRC). Port `raw_port` (0 turns it off).

At most `raw_max_clients` at once (more are closed at once). A telegram is
handed to each client's socket without waiting: a client whose socket cannot
take it whole right now misses it (counted); one that took only part of it
would see a broken stream, so it is dropped. Nothing is queued, so a slow or
stuck client costs no memory and never delays the others or the meter.
"""

import asyncio

from . import log, platform


class RawStream:
    def __init__(self, port, max_clients=3):
        self.port = port
        self.max_clients = max_clients
        self.clients = []
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
            sock.close()
            self.dropped += 1
            return
        try:
            platform.small_send_buffer(sock)
        except OSError:
            pass
        self.clients.append(sock)
        try:
            while True:  # whatever the client sends is read and ignored; b"" is its close
                data = await reader.read(64)
                if not data:
                    break
        except OSError:
            pass
        finally:
            self._forget(sock)

    def _forget(self, sock):
        if sock in self.clients:
            self.clients.remove(sock)
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
            elif k == n:
                self.sent += 1
            else:
                self.dropped += 1
                log.warn("raw stream: dropped a client that fell behind")
                self._forget(sock)

"""Sets the dongle's clock from NTP, now and then, never holding up anything else.

Optional (`ntp_server`, empty = off): without it /api/v1/dev/time takes the
time from the meter's own timestamp. As soon as Wi-Fi is up, then once an
hour (a minute after a failure), one SNTP query: a non-blocking UDP socket, polled for at most
two seconds, so the event loop keeps running. The server's name is looked
up by resolve.py (cached, right after a telegram: the platform's lookup blocks).
"""

import asyncio
import socket
import struct

from . import log, resolve, sockets

_NTP_TO_UNIX = 2208988800  # seconds from 1900 to 1970


async def query(host, port=123, timeout_ms=2000, reader=None):
    """Unix time from the NTP server `host`; OSError when it does not answer."""
    ip = await resolve.address(host, reader)
    addr = socket.getaddrinfo(ip, port, 0, socket.SOCK_DGRAM)[0][-1]  # (an address: no lookup)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setblocking(False)
        req = bytearray(48)
        req[0] = 0x1B  # client, version 3
        s.sendto(req, addr)
        waited = 0
        while True:
            try:
                data = s.recv(48)
                break
            except OSError:  # nothing yet
                if waited >= timeout_ms:
                    raise OSError("no answer from %s" % host)
                await asyncio.sleep_ms(50)
                waited += 50
        if len(data) < 48:
            raise OSError("short answer from %s" % host)
        return struct.unpack("!I", data[40:44])[0] - _NTP_TO_UNIX
    finally:
        s.close()


class Ntp:
    def __init__(self, settings, platform, online, app=None):
        self.server = settings["ntp_server"]
        port = platform.env("DSMR_NTP_PORT")  # tests point it at their own server
        self.port = int(port) if port else 123
        self.platform = platform
        self.online = online  # callable: is the network up?
        self.app = app  # its P1 reader (a name is looked up right after a telegram) and the
        # parts that hold sockets: NTP borrows one only while one is free (sockets.py)
        self.synced = 0  # how often

    async def run(self):
        if not self.server:
            return
        while True:
            wait = 2  # until the network is up
            if self.online() and self.app is not None and sockets.held(self.app) >= sockets.LWIP:
                wait = 60
                sockets.refused("NTP")  # all taken: the clock can wait a minute
            elif self.online():
                wait = 60
                try:
                    t = await query(self.server, self.port, reader=self.app.reader if self.app else None)
                    self.platform.set_time(t)
                    self.synced += 1
                    wait = 3600
                    log.info("NTP: clock set from %s", self.server)
                except Exception as e:  # a bad answer or a bad clock call: try later
                    if not sockets.refused("NTP", e):
                        log.warn("NTP: %r", e)
            await asyncio.sleep(wait)

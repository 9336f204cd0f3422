"""Sets the dongle's clock from NTP, now and then, never holding up anything else.

Optional (`ntp_server`, empty = off): without it /api/v1/dev/time takes the
time from the meter's own timestamp. As soon as Wi-Fi is up, then once an
hour (a minute after a failure), one SNTP query: a non-blocking UDP socket, polled for at most
two seconds, so the event loop keeps running. The server's name is looked
up by resolve.py (cached, right after a telegram: the platform's lookup blocks).
The query is ntp_query.py, loaded for it and dropped after: this module, the
hourly loop, is what stays.
"""

import asyncio

from . import log, resolve, sockets
from .lazy import load, unload


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
                    # the address first: the query's code is loaded for the exchange only
                    ip = await resolve.address(self.server, self.app.reader if self.app else None)
                    t = await _query(ip, self.port)
                    self.platform.set_time(t)
                    self.synced += 1
                    wait = 3600
                    log.info("NTP: clock set from %s", self.server)
                except Exception as e:  # a bad answer or a bad clock call: try later
                    if not sockets.refused("NTP", e):
                        log.warn("NTP: %r", e)
            await asyncio.sleep(wait)


async def _query(ip, port):
    try:
        return await load("ntp_query").query(ip, port)
    finally:
        unload("ntp_query")

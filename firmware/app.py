"""Wiring: settings, the P1 reader task and the HTTP server on one asyncio loop."""

import asyncio
import sys

from . import log, platform
from .http_server import HttpServer
from .p1_reader import P1Reader
from .routes import Router

VERSION = "0.1.0"


class App:
    def __init__(self, settings):
        self.settings = settings
        self.reader = P1Reader(settings)
        self.router = Router(self)
        s = settings
        self.http = HttpServer(
            self.router,
            s["http_port"],
            max_conn=s["http_max_conn"],
            backlog=s["http_backlog"],
            timeout=s["http_timeout"],
            keepalive=s["http_keepalive"],
            out_size=max(4096, s["p1_buffer"]),
        )

    async def run(self):
        self.http.listen()
        log.info(
            "dsmr-api %s on %s (MicroPython %s): http://%s:%d/ , P1 from %s"
            % (
                VERSION,
                platform.NAME,
                ".".join(str(x) for x in sys.implementation.version[:3]),
                "127.0.0.1" if platform.NAME == "unix" else self.settings["hostname"] + ".local",
                self.settings["http_port"],
                self.settings["p1"],
            )
        )
        asyncio.create_task(self.reader.run())
        await self.http.serve()


def main():
    from .settings import Settings

    app = App(Settings(platform))
    try:
        asyncio.run(app.run())
    finally:
        asyncio.new_event_loop()

"""Wiring: settings, the P1 reader task and the HTTP server on one asyncio loop.

Start-up order matters for memory: the P1 reader (with its two 4 KB
telegram buffers) is loaded and built first, then the HTTP server's and the
routes' code, then the server's buffers, with the compiler's garbage
collected in between. Loading all code
first would leave the heap full of small holes and no room for a 4 KB
buffer; other orders measured worse (tools/bench/min_heap.py).
"""

import asyncio
import gc
import sys

from . import log, platform

VERSION = "0.1.0"


class App:
    VERSION = VERSION

    def __init__(self, settings):
        self.settings = settings
        s = settings
        from .p1_reader import P1Reader

        self.reader = P1Reader(settings)
        gc.collect()
        from .http_server import HttpServer
        from .routes import Router

        gc.collect()
        self.http = HttpServer(
            s["http_port"],
            max_conn=s["http_max_conn"],
            backlog=s["http_backlog"],
            timeout=s["http_timeout"],
            keepalive=s["http_keepalive"],
            out_size=s["http_buffer"],
        )
        self.http.responder.router = Router(self)
        gc.collect()

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

    gc.collect()
    app = App(Settings(platform))
    try:
        asyncio.run(app.run())
    finally:
        asyncio.new_event_loop()

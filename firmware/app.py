"""Wiring: settings, the P1 reader task and the HTTP server on one asyncio loop.

Start-up order matters for memory: main() reads the settings, allocates all
big buffers (buffers.py) while the heap is still in one piece, and only then
loads the rest of the code.
"""

import asyncio
import gc
import sys

from . import log, platform

VERSION = "0.1.0"


class App:
    VERSION = VERSION

    def __init__(self, settings, bufs):
        from .http_server import HttpServer
        from .p1_reader import P1Reader
        from .routes import Router

        s = settings
        self.settings = settings
        self.wifi = None  # set in run() on the dongle
        self.watchdog = None
        self.raw = None
        self.mqtt = None
        self.reader = P1Reader(settings, bufs)
        from .samples import Samples

        self.samples = Samples()
        self.reader.listeners.append(self.samples.update)
        self.history = None
        self.ntp = None
        if s["hist_hours"] and s["hist_days"] and s["hist_months"]:
            from .history import History

            self.history = History(s, platform)
            self.reader.listeners.append(self.history.update)
        self.http = HttpServer(
            s["http_port"],
            bufs,
            Router(self),  # (handlers look at self.http only when asked)
            backlog=s["http_backlog"],
            timeout=s["http_timeout"],
            keepalive=s["http_keepalive"],
        )
        gc.collect()

    async def run(self):
        if platform.NAME == "esp32":
            from .wifi import WiFi

            self.wifi = WiFi(self.settings)  # pyright: ignore[reportAttributeAccessIssue]
            self.wifi.start()  # the hostname first, so mDNS answers it
        try:
            self.http.listen()
        except OSError as e:
            log.error("cannot listen on port %d (in use? %r)" % (self.settings["http_port"], e))
            raise
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
        if self.settings["raw_port"]:
            from .raw_stream import RawStream

            self.raw = RawStream(self.settings["raw_port"], self.settings["raw_max_clients"])
            try:
                await self.raw.start()
                self.reader.listeners.append(self.raw.send)
            except OSError as e:
                log.error("raw telegram stream on port %d: %r" % (self.settings["raw_port"], e))
        if self.settings["mqtt_url"]:
            from .mqtt import MqttPublisher

            self.mqtt = MqttPublisher(self)
            asyncio.create_task(self.mqtt.run())
        asyncio.create_task(self.reader.run())
        if self.wifi is not None:
            asyncio.create_task(self.wifi.run())
            if self.settings["ntp_server"]:
                from .ntp import Ntp

                wifi = self.wifi
                self.ntp = Ntp(self.settings, platform, lambda: wifi.mode == "station")  # pyright: ignore
                asyncio.create_task(self.ntp.run())
        if self.settings["wdt_timeout"] and platform.NAME == "esp32":
            from .watchdog import Watchdog

            self.watchdog = Watchdog(self.reader, self.settings["wdt_timeout"], platform)  # pyright: ignore
            asyncio.create_task(self.watchdog.run())
        await self.http.serve()


def main():
    """Runs the firmware; if it ever stops on an error, the dongle restarts rather
    than sit in the REPL (on a PC the process ends with the error logged)."""
    from .buffers import Buffers
    from .lazy import load, unload

    try:
        settings = load("settings").read(platform)
        unload("settings")  # loaded again only to change a setting
        gc.collect()
        bufs = Buffers(settings)
        app = App(settings, bufs)
        asyncio.run(app.run())
    except KeyboardInterrupt:
        raise
    except Exception as e:
        log.error("firmware stopped: %r" % e)
        platform.restart()
    finally:
        asyncio.new_event_loop()

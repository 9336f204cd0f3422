"""Wiring: settings, the P1 reader task and the HTTP server on one asyncio loop.

Start-up order matters for memory (see buffers.py): main() reads the
settings, App loads (compiles, from sources) the code it needs with the
collector running every few KB, and only then allocates the big buffers.
"""

import asyncio
import gc
import sys

from . import log, platform

VERSION = "0.1.0"
_START_GC_BYTES = 2048
_RUN_GC_SHARE = 8  # then every 1/8 of the heap (12 KB of the dongle's 100 KB)


class App:
    VERSION = VERSION

    def __init__(self, settings):
        from .lazy import load, load_with, unload_all

        s = settings
        esp32 = platform.NAME == "esp32"
        # Code first, the buffers after it (buffers.py). From sources, loading a
        # module needs room for its parse tree on top of what is loaded so far,
        # so the order is: what is only passing through, then the biggest.
        # The endpoints loaded per request are loaded once now and dropped:
        # their names are interned while the heap is tidy (a new qstr pool is
        # one big block), and one that does not compile shows at start.
        for name in ("api_dev", "api_hist", "api_settings", "api_setup" if esp32 else ""):
            if name:
                unload_all(load_with(name)[1])
        for name, wanted in (
            ("mqtt", s["mqtt_url"]),
            ("wifi", esp32),
            ("ntp", esp32 and s["ntp_server"]),
            ("watchdog", esp32 and s["wdt_timeout"]),
            ("raw_stream", s["raw_port"]),
        ):
            if wanted:
                load(name)  # the optional parts' code; started in run()
        from .http_server import HttpServer
        from .routes import Router
        from .p1_reader import P1Reader
        from .samples import Samples
        from .buffers import Buffers

        self.settings = settings
        self.wifi = None  # set in run() on the dongle
        self.watchdog = None
        self.raw = None
        self.mqtt = None
        self.ntp = None
        self.history = None
        if s["hist_hours"] and s["hist_days"] and s["hist_months"]:
            from .history import History

            self.history = History(s, platform)  # (checks its files: code loaded for it, dropped)
        self.samples = Samples()
        gc.collect()
        bufs = Buffers(settings)
        self.reader = P1Reader(settings, bufs)
        self.reader.listeners.append(self.samples.update)
        if self.history is not None:
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
        s = self.settings
        if s["raw_port"]:
            try:
                from .raw_stream import RawStream

                self.raw = RawStream(s["raw_port"], s["raw_max_clients"])
                await self.raw.start()
                self.reader.listeners.append(self.raw.send)
            except Exception as e:  # port in use, out of memory: the rest runs on
                self.raw = None
                _not_started("raw telegram stream on port %d" % s["raw_port"], e)
        if s["mqtt_url"]:
            try:
                from .mqtt import MqttPublisher

                self.mqtt = MqttPublisher(self)
                asyncio.create_task(self.mqtt.run())
            except Exception as e:
                self.mqtt = None
                _not_started("MQTT", e)
        asyncio.create_task(self.reader.run())
        if self.wifi is not None:
            asyncio.create_task(self.wifi.run())
            if s["ntp_server"]:
                try:
                    from .ntp import Ntp

                    wifi = self.wifi
                    self.ntp = Ntp(s, platform, lambda: wifi.mode == "station")  # pyright: ignore
                    asyncio.create_task(self.ntp.run())
                except Exception as e:
                    self.ntp = None
                    _not_started("NTP", e)
        if s["wdt_timeout"] and platform.NAME == "esp32":
            try:
                from .watchdog import Watchdog

                self.watchdog = Watchdog(self.reader, s["wdt_timeout"], platform)  # pyright: ignore
                asyncio.create_task(self.watchdog.run())
            except Exception as e:
                self.watchdog = None
                _not_started("watchdog", e)
        await self.http.serve()


def _not_started(what, e):
    """An optional part that cannot start (out of memory, port in use) is logged
    and left off: the meter reading and the API run on without it."""
    gc.collect()
    log.error("%s not started: %r" % (what, e))


def main():
    """Runs the firmware; if it ever stops on an error, the dongle restarts rather
    than sit in the REPL (on a PC the process ends with the error logged)."""
    from .lazy import load, unload

    # Garbage is collected every few KB, before objects that stay settle in
    # among it: while code is compiled at start (its parse trees), and after,
    # so the holes stay few and the code loaded per request finds room. (A
    # collection costs time in proportion to the heap; a large heap needs
    # this least, so the share keeps the cost flat.)
    gc.threshold(_START_GC_BYTES)
    try:
        settings = load("settings").read(platform)
        unload("settings")  # loaded again only to change a setting
        app = App(settings)
        gc.threshold(max(_START_GC_BYTES, (gc.mem_free() + gc.mem_alloc()) // _RUN_GC_SHARE))
        asyncio.run(app.run())
    except KeyboardInterrupt:
        raise
    except Exception as e:
        log.error("firmware stopped: %r" % e)
        platform.restart()
    finally:
        asyncio.new_event_loop()

"""Boot: reads the settings, builds the firmware's parts and starts them.

Loaded once by app.main() and dropped when everything runs: nothing here is
needed after boot. The order is for memory. From sources, loading a module
needs room for its parse tree on top of what is loaded so far, so the code
that only passes through (settings) and the
biggest parts load first, the core after, and the big buffers (buffers.py)
last, with the collector running every 2 KB meanwhile (app.main()).

Safe mode (app.safe: the boots before failed, bootguard.py) starts the least
that lets a person fix the settings: factory defaults but for the Wi-Fi,
hostname and admin password (settings.py), none of the meter's code (P1
reader and sources, samples), no history, MQTT, raw stream, NTP or watchdog,
only the setup, settings, info and restart endpoints (routes.py).
"""

import asyncio
import gc
import sys

from . import log, platform, uptime
from .lazy import load, unload


def _load_code(s, safe):
    esp32 = platform.NAME == "esp32"
    on = not safe
    # (The endpoints loaded per request are not loaded here: doing so interned
    # their names at boot, which made the boot need 4 KB more heap on the
    # yardstick and no endpoint serve from less.)
    for name, wanted in (
        ("mqtt", on and s["mqtt_url"]),
        ("watchdog", on),  # (the boot's health check too)
        ("raw_stream", on and s["raw_port"]),
    ):
        if wanted:
            try:
                load(name)  # the optional parts, started (or said not to be) below
            except Exception as e:
                log.error("%s could not be loaded: %r", name, e)
    for name, wanted in (("wifi", esp32), ("http_server", True), ("routes", True),
                         ("p1_reader", on), ("samples", on), ("peaks", on)):
        if wanted:
            load(name)  # the core: without it there is no dongle


async def start(app):
    """Fills in `app` (app.App) and starts every part; returns once they run."""
    safe = bool(app.safe)
    if safe:
        log.error("SAFE MODE: %s", app.safe)
    s = load("settings").read(platform, app, safe)
    unload("settings")  # loaded again only to change a setting
    app.settings = s
    _load_code(s, safe)
    from .http_server import HttpServer
    from .routes import Router

    if s["hist_hours"] and s["hist_days"] and s["hist_months"] and not safe:
        try:
            from .history import History

            app.history = History(s, platform)  # (checks its files: code loaded for it, dropped)
        except Exception as e:  # a flash that will not open or write: the rest runs on
            app.history = None
            _not_started("history", e)
    gc.collect()
    bufs = load("buffers").Buffers(s)
    if not safe:  # (safe mode needs none of the meter's code: a fault there cannot stop it)
        from .p1_reader import P1Reader
        from .samples import Samples

        app.samples = Samples()
        app.reader = P1Reader(s, bufs)
        app.reader.listeners.append(app.samples.update)
        from .peaks import Peaks

        app.peaks = Peaks(platform.data_path("peaks.bin"))
        app.reader.listeners.append(app.peaks.update)
        if app.history is not None:
            app.reader.listeners.append(app.history.update)
    router = Router(app)
    app.http = HttpServer(
        s["http_port"],
        bufs,
        router,
        backlog=s["http_backlog"],
        timeout=s["http_timeout"],
        keepalive=s["http_keepalive"],
    )
    unload("buffers")
    if platform.NAME == "esp32":
        from .wifi import WiFi

        app.wifi = WiFi(s)  # pyright: ignore[reportAttributeAccessIssue]
        app.wifi.start()  # the hostname first, so mDNS answers it
        asyncio.create_task(app.wifi.run())  # (safe mode too: the saved network, or the setup AP)
    try:
        app.http.listen()
    except OSError as e:
        log.error("cannot listen on port %d (in use? %r)", s["http_port"], e)
        raise
    log.info(
        "dsmr-api %s on %s (MicroPython %s): http://%s:%d/ , P1 from %s",
        app.VERSION,
        platform.NAME,
        ".".join(str(x) for x in sys.implementation.version[:3]),
        "127.0.0.1" if platform.NAME == "unix" else s["hostname"] + ".local",
        s["http_port"],
        s["p1"],
    )
    asyncio.create_task(uptime.run())
    _trial(app)  # (in safe mode too: it never becomes healthy there, and goes back)
    if safe:
        return
    await _start_optional(app, s)
    app.reader.task = asyncio.create_task(app.reader.run())  # pyright: ignore[reportAttributeAccessIssue]
    try:
        from .watchdog import Watchdog

        app.watchdog = Watchdog(app, s["wdt_timeout"], platform)  # pyright: ignore
        asyncio.create_task(app.watchdog.run())
    except Exception as e:
        app.watchdog = None
        _not_started("watchdog", e)


def _trial(app):
    """The first boot of an update runs its trial (trial.py)."""
    import os

    try:
        os.stat("ota")  # (versions.DIR: none before the first update)
    except OSError:
        return
    v = load("versions")
    s = v.read()
    if s:
        app.update = [s.get("state", "none"), s.get("note", "")]  # (for /api/v1/dev/info)
    on = s.get("trial") == 1 and s.get("run", "") == v.running()
    unload("versions")
    if on:
        asyncio.create_task(load("trial").run(app))


async def _start_optional(app, s):
    """Each optional part that cannot start (out of memory, port in use) is
    logged and left off: the meter reading and the API run on without it."""
    if s["raw_port"]:
        try:
            from .raw_stream import RawStream

            app.raw = RawStream(s["raw_port"], s["raw_max_clients"])
            await app.raw.start()
            app.reader.listeners.append(app.raw.send)
        except Exception as e:
            app.raw = None
            _not_started("raw telegram stream on port %d" % s["raw_port"], e)
    if s["mqtt_url"]:
        try:
            from .mqtt import MqttPublisher

            app.mqtt = MqttPublisher(app)
            asyncio.create_task(app.mqtt.run())
        except Exception as e:
            app.mqtt = None
            _not_started("MQTT", e)
    wifi = app.wifi
    if wifi is not None:
        if s["ntp_server"]:
            from .lazy import every

            app.ntp = 0  # (ntp.py counts the clock's settings here)
            asyncio.create_task(every("ntp", app, wifi.online))  # (ntp.py is loaded for each try)


def _not_started(what, e):
    gc.collect()
    log.error("%s not started: %r", what, e)

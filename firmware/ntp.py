"""Sets the dongle's clock from NTP: one try, loaded for it and dropped after.

Optional (`ntp_server`, empty = off): without it /api/v1/dev/time takes the
time from the meter's own timestamp. As soon as Wi-Fi is up, then once an
hour (a minute after a failure), one SNTP query: a non-blocking UDP socket,
polled for at most two seconds, so the event loop keeps running. Between
tries none of this is in the heap: lazy.every() waits, and loads this
module for `run()`, which says when to try next. The server's name is
looked up by resolve.py (cached, right after a telegram: the platform's
lookup blocks). The query is ntp_query.py, loaded after the lookup: not
held while the lookup waits for a telegram. app.ntp counts the clock's
settings (dev/info: ntpsyncs).
"""

from . import log, platform, resolve, sockets
from .lazy import load, unload


async def run(app):
    """One try to set the clock; the seconds until the next."""
    if sockets.held(app) >= sockets.LWIP:
        sockets.refused("NTP")  # all taken: the clock can wait a minute
        return 60
    server = app.settings["ntp_server"]
    port = platform.env("DSMR_NTP_PORT")  # tests point it at their own server
    try:
        ip = await resolve.address(server, app.reader)
        t = await _query(ip, int(port) if port else 123)
        platform.set_time(t)
    except Exception as e:  # no answer, a bad one, or a bad clock call: try later
        if not sockets.refused("NTP", e):
            log.warn("NTP: %r", e)
        return 60
    app.ntp += 1
    log.info("NTP: clock set from %s", server)
    return 3600


async def _query(ip, port):
    try:
        return await load("ntp_query").query(ip, port)
    finally:
        unload("ntp_query")

"""The trial of a new version after an update (versions.py): it stays once healthy, else it goes.

Started by start.py on a trial boot only. Healthy is the boot guard's notion
(watchdog.py): HTTP served and the P1 reader task running for HEALTHY_S
seconds (5 minutes; DSMR_HEALTHY_S on a PC) without a break. A trial version
that is not healthy within that and 2 minutes more (DSMR_OTA_TRIAL seconds
on a PC) tells the boot guard why and restarts, and the next boot goes back
to the previous version; one that restarts or stops before (or is reset, or
loses power) goes back the same way (main.py, versions.py).
"""

import asyncio

from . import log, platform, uptime
from .lazy import guard, load, unload

HEALTHY_S = 300  # as watchdog.py (not imported: safe mode runs without it)


def running(app):
    """HTTP is listening and the P1 reader's task has not ended (watchdog.py's test)."""
    t = getattr(app.reader, "task", None)
    return app.http is not None and app.http.listener is not None and t is not None and not t.done()


async def run(app):
    need = int(platform.env("DSMR_HEALTHY_S") or HEALTHY_S)
    limit = int(platform.env("DSMR_OTA_TRIAL") or need + 120)
    log.info("update on trial: healthy within %d s, or back to the previous version", limit)
    good = 0
    while good < need:
        await asyncio.sleep(1)
        good = good + 1 if running(app) else 0
        if good < need and uptime.seconds() >= limit:
            why = "not healthy within %d s (HTTP served and P1 read for %d s)" % (limit, need)
            log.error("update on trial: %s: back to the previous version", why)
            guard("failed", why)
            platform.restart()
    versions = load("versions")
    s = versions.read()
    if s.get("trial") == 1 and s.get("run", "") == versions.running():  # (not when another update switched meanwhile)
        versions.confirm(s)
        app.update = [s["state"], s["note"]]
        log.info("update on trial: healthy, %s stays", s.get("vrun"))
    unload("versions")
    unload("trial")

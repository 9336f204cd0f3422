"""The setup page: join the dongle to a Wi-Fi network (first boot, or a moved router).

While the dongle runs its setup access point, `/` shows a form for SSID,
Wi-Fi password, hostname and the admin password, or the explicit choice of
none (routes.py); `/setup` shows it always. The form is www/setup.html,
streamed from flash (no heap for it). Its script POSTs JSON to
/api/v1/dev/setup (`{"ssid", "password", "hostname", "admin_password",
"writes_open"}`), a write like any other (api_write.refuse(): the dongle's
own page, the admin password once one is set, and always on the fallback
access point), validated and saved as /api/v1/dev/settings does
(settings_save.py, loaded for the save only); then the dongle restarts a
moment later to join the network (api_restart.py). In safe mode the page's
script says why, from /api/v1/dev/info.
"""

import asyncio
import json

from .lazy import call, load, unload

_MISSING = b"""<!doctype html><title>dsmr-api setup</title><p>www/setup.html is missing: POST JSON
{"ssid", "password", "hostname", "admin_password"} to /api/v1/dev/setup.
"""


class SetupApi:
    def __init__(self, app):
        self.app = app

    def page(self, req, w):
        """The form (www/setup.html, streamed from flash like the web page); in safe
        mode its script says why from /api/v1/dev/info."""
        try:
            load("static").Static(self.app).serve(req, w, "setup.html", b"text/html; charset=utf-8")
        finally:
            unload("static")  # (the file is open: the server sends it)
        if req.file is None:
            w.reset()
            w.raw(_MISSING)
        return 200

    def save(self, req, w):
        return _save(self.app, req, w)


def api(fn, *args):
    return call("api_write", fn, *args)  # (the gate's code, for its call only)


def _save(app, req, w):
    """POST /api/v1/dev/setup: the form's fields saved as settings, then a restart."""
    try:
        doc = json.loads(bytes(req.body or b""))
    except ValueError:
        doc = None
    ok = isinstance(doc, dict)
    pw = doc.get("admin_password") if ok else None
    opened = ok and doc.get("writes_open") is True
    status = api("refuse", app, req, w, bool(pw) or opened)
    if status:
        return status
    if not ok:
        return api("error", w, 400, 'send JSON: {"ssid": .., "password": .., "hostname": .., "admin_password": ..}')
    if not doc.get("ssid"):
        return api("error", w, 400, "ssid is required")
    changes = {"wifi_ssid": doc["ssid"], "wifi_password": doc.get("password", "")}
    if doc.get("hostname"):
        changes["hostname"] = doc["hostname"]
    if pw:
        changes["admin_password"] = pw
    if opened:
        changes["writes_open"] = True
    try:
        call("settings_save", "save", app, changes)  # (loaded after the gate: not with it)
    except ValueError as e:
        return api("invalid", w, e)
    w.raw('{"saved": ')
    w.raw(json.dumps(sorted(changes)).encode())
    w.raw(', "restart": true}\n')
    from .api_restart import restart_soon

    asyncio.create_task(restart_soon())
    return 200

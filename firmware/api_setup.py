"""The setup page: join the dongle to a Wi-Fi network (first boot, or a moved router).

While the dongle runs its setup access point, `/` shows a form for SSID,
password and hostname (routes.py); `/setup` shows it always. POST /api/v1/dev/setup
(form fields or JSON: ssid, password, hostname) validates and saves them
like /api/v1/dev/settings does (behind the admin password once one is set),
answers, and restarts the dongle a moment later so it joins the network
(api_restart.py). In safe mode the page says why it is in safe mode.
"""

import asyncio
import json

from .api_write import authorized, error, save

_FORM = b"""<!doctype html><meta charset=utf-8><meta name=viewport content="width=device-width">
<title>dsmr-api setup</title><body style="font-family:sans-serif;max-width:26em;margin:2em auto">
<h1>dsmr-api setup</h1><form method=post action=/api/v1/dev/setup>
<p><label>Wi-Fi network (SSID)<br><input name=ssid required maxlength=32></label>
<p><label>Password<br><input name=password type=password maxlength=64></label>
<p><label>Name on the network<br><input name=hostname value=dsmr-api maxlength=32 pattern="[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"></label> .local
<p><button>Save and restart</button></form>
"""
_DONE = b"""<!doctype html><meta charset=utf-8><title>dsmr-api</title>
<body style="font-family:sans-serif;max-width:26em;margin:2em auto"><h1>Saved</h1>
<p>The dongle restarts and joins your network. Then browse to <b>http://%s.local/</b></p>
"""


def unquote(b):
    """Decodes application/x-www-form-urlencoded bytes."""
    b = b.replace(b"+", b" ")
    out = bytearray()
    i = 0
    while i < len(b):
        if b[i] == 0x25 and i + 2 < len(b):
            try:
                out.append(int(b[i + 1 : i + 3], 16))
                i += 3
                continue
            except ValueError:
                pass
        out.append(b[i])
        i += 1
    return bytes(out).decode()


def form(body):
    out = {}
    for part in bytes(body).split(b"&"):
        k, _, v = part.partition(b"=")
        if k:
            out[unquote(k)] = unquote(v)
    return out


class SetupApi:
    def __init__(self, app):
        self.app = app

    def page(self, req, w):
        req.ctype = b"text/html; charset=utf-8"
        w.raw(_FORM)
        if self.app.safe:
            w.raw(b"<h2>Safe mode</h2><p>")
            w.raw(_escape(self.app.safe))
            w.raw(b"<p>Fix the settings (/api/v1/dev/settings), then POST /api/v1/dev/restart.\n")
        return 200

    def save(self, req, w):
        s = self.app.settings
        if not authorized(req, s["admin_password"]):
            req.extra = b'WWW-Authenticate: Basic realm="dsmr-api"\r\n'
            return error(w, 401, "admin password required")
        body = bytes(req.body or b"")
        try:
            doc = json.loads(body) if body[:1] == b"{" else form(body)
        except (ValueError, UnicodeError):
            return error(w, 400, "send the form fields ssid, password and hostname")
        if not isinstance(doc, dict) or not doc.get("ssid"):
            return error(w, 400, "ssid is required")
        changes = {"wifi_ssid": doc["ssid"], "wifi_password": doc.get("password", "")}
        if doc.get("hostname"):
            changes["hostname"] = doc["hostname"]
        try:
            save(self.app, changes)
        except ValueError as e:
            return error(w, 400, e.args[0])
        req.ctype = b"text/html; charset=utf-8"
        w.raw(_DONE % changes.get("hostname", s["hostname"]).encode())
        from .api_restart import restart_soon

        asyncio.create_task(restart_soon())
        return 200


def _escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").encode()

"""What the write endpoints share: the one gate every write passes, JSON errors.

Used by settings_change.py, api_setup.py, api_restart.py and hist_correct.py
(all loaded per request; a change of settings is saved by settings_save.py,
loaded with it). `refuse()` is the
gate (README "Security"); a write passes only
- as POST or PUT (HEAD never writes);
- with `Content-Type: application/json`, which a page on another site cannot
  send without a CORS preflight, and write routes never grant one
  (http_response.py), and with no `Origin` (curl, scripts) or the dongle's
  own (its name, name.local, its IP; 127.0.0.1 and localhost on a PC);
- with the admin password once one is set (api_auth.py, loaded for it:
  wrong ones are slowed down per client address, in bounded memory);
- with none set: only once `writes_open` was chosen, or when the write makes
  that choice (sets admin_password or writes_open: the setup form does);
- on the fallback access point (a network saved but not joined): the admin
  password, always.
"""

from . import platform
from .http_request import header
from .lazy import load, unload


def error(w, status, msg):
    """Writes {"error": msg}; returns the status (a handler's answer)."""
    w.raw('{"error": ')
    w.string(msg.encode())
    w.raw("}\n")
    return status


def invalid(w, e):
    """Answers save()'s ValueError: 400, or 403 for a setting the environment holds."""
    return error(w, 403 if len(e.args) > 1 else 400, e.args[0])


def refuse(app, req, w, claim=False):
    """0 when the request may write; else its answer is written and the status returned.
    `claim`: the write chooses how writes are guarded (a password, or none)."""
    if req.method not in (b"POST", b"PUT"):
        return error(w, 405, "only POST and PUT write")
    ct = header(req, b"content-type")
    if ct is None or ct.partition(b";")[0].strip().lower() != b"application/json":
        return error(w, 415, "writes take Content-Type: application/json")
    if foreign(app, req):
        return error(w, 403, FOREIGN)
    s = app.settings
    wifi = app.wifi
    on_ap = wifi is not None and wifi.mode == "setup" and s["wifi_ssid"]
    if not s["admin_password"]:
        if on_ap:
            return error(w, 403, "no admin password is set: nothing can be changed on the access point")
        if claim or s["writes_open"]:
            return 0
        return error(w, 403, 'no admin password chosen yet: set admin_password, or choose none with writes_open')
    try:
        return load("api_auth").check(app, req, w)  # (only where a password is set)
    finally:
        unload("api_auth")


FOREIGN = "writes are taken only from the dongle's own page"


def foreign(app, req):
    """True when the request's Origin is another site's (absent: a script, fine)."""
    origin = header(req, b"origin")
    return origin is not None and not _own(app.settings, origin)


def _own(s, origin):
    """True when `origin` (bytes) is this dongle's: http://<name>[.local] or its IP, its port."""
    o = origin.decode().lower()
    if not o.startswith("http://"):
        return False
    host, _, port = o[7:].partition(":")
    if (int(port) if port.isdigit() else 80 if not port else -1) != s["http_port"]:
        return False
    name = s["hostname"].lower()
    ip = platform.network_info()[0]
    return host in (name, name + ".local", ip) or host == "localhost" and ip == "127.0.0.1"

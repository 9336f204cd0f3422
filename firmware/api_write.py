"""What the write endpoints share: the admin password check, JSON errors, saving settings.

Used by api_settings.py, api_setup.py and api_hist.py (all loaded per
request), so none of them has to load another to write.
"""

from . import platform
from .http_request import header
from .lazy import load, unload


def save(app, changes):
    """Checks and saves changes to the settings (settings.py, loaded for it) and
    hands the ones that apply live to the running parts that hold a copy.
    Returns the names that need a restart."""
    try:
        restart = load("settings").update(platform, app.settings, changes)
    finally:
        unload("settings")
    s = app.settings
    if app.http is not None:
        app.http.timeout_ms = s["http_timeout"] * 1000
        app.http.keepalive_ms = s["http_keepalive"] * 1000
    if app.reader is not None:
        app.reader.parser.require_crc = s["p1_require_crc"]
    return restart  # (admin_password is read where it is used)


def error(w, status, msg):
    """Writes {"error": msg}; returns the status (a handler's answer)."""
    w.raw('{"error": ')
    w.string(msg.encode())
    w.raw("}\n")
    return status


def authorized(req, password):
    """True when no admin password is set, or the request carries it."""
    if not password:
        return True
    got = header(req, b"authorization")
    if got is None:
        return False
    kind, _, cred = got.partition(b" ")
    kind = kind.lower()
    if kind == b"basic":
        import binascii

        try:
            cred = binascii.a2b_base64(cred).partition(b":")[2]
        except ValueError:
            return False
    elif kind != b"bearer":
        return False
    return _same(cred, password.encode())


def _same(a, b):
    """Compares in time that does not depend on where they differ."""
    diff = len(a) ^ len(b)
    for i in range(len(b)):
        diff |= (a[i] if i < len(a) else 0) ^ b[i]
    return diff == 0

"""The admin password check of a write (api_write.refuse(), where one is set), slowed down.

HTTP Basic with any user name, or `Authorization: Bearer <password>`,
compared in time that does not depend on where they differ. After _FREE
wrong passwords from a client address, 1, 2, 4 .. 64 s must pass between
tries (429 with Retry-After, whatever the request carries); the addresses
share a fixed table of _SLOTS buckets (app.auth, with the total of wrong
passwords last: dev/info's `authfailures`), so memory stays bounded however
many addresses knock, and together they get at most _SLOTS tries per pause.
A bucket forgets after _FORGET_S s without a failure; the right password
empties it. Loaded for the check and dropped after it (the table is on app).
"""

from . import uptime
from .api_write import error
from .http_request import header

_FREE = 3  # wrong passwords before the pauses start
_SLOTS = 8  # buckets of client addresses
_FORGET_S = 900  # a bucket without a failure this long starts again


def check(app, req, w):
    """0 when the request carries the admin password; else its answer (401, 429) is written."""
    v = verdict(app, req)
    return error(w, v[0], v[1]) if v else 0


def verdict(app, req):
    """0 when the request carries the admin password, else (status, message) with
    req.extra set (for a handler that answers in its own way: api_update.py)."""
    t = app.auth
    if t is None:
        t = app.auth = [0] * (2 * _SLOTS + 1)  # failures and second of the last, per slot; total
    i = 2 * (hash(_client(req.conn.addr)) % _SLOTS)
    now = uptime.seconds()
    if now - t[i + 1] > _FORGET_S:
        t[i] = 0
    wait = t[i + 1] + (1 << min(t[i] - _FREE, 6)) - now if t[i] >= _FREE else 0
    if wait > 0:
        req.extra = b"Retry-After: %d\r\n" % wait
        return 429, "too many wrong passwords: try again in %d s" % wait
    got = header(req, b"authorization")
    if got is not None and _same(_credential(got), app.settings["admin_password"].encode()):
        t[i] = 0
        return 0
    if got is not None:
        t[i] += 1
        t[i + 1] = now
        t[-1] += 1
    if header(req, b"origin") is None:  # (a page's fetch carries one: a challenge would make the browser prompt)
        req.extra = b'WWW-Authenticate: Basic realm="dsmr-api"\r\n'
    return 401, "admin password required"


def _client(addr):
    """The client's IP from accept()'s address: a tuple (ip, port) on the ESP32,
    a struct sockaddr_in (bytes) on the unix port."""
    return addr[0] if isinstance(addr, tuple) else bytes(addr[4:8])


def _credential(got):
    """The password in an Authorization header value (Basic or Bearer), or None."""
    kind, _, cred = got.partition(b" ")
    kind = kind.lower()
    if kind == b"basic":
        import binascii

        try:
            return binascii.a2b_base64(cred).partition(b":")[2]
        except ValueError:
            return None
    return cred if kind == b"bearer" else None


def _same(a, b):
    """Compares in time that does not depend on where they differ."""
    if a is None:
        return False
    diff = len(a) ^ len(b)
    for i in range(len(b)):
        diff |= (a[i] if i < len(a) else 0) ^ b[i]
    return diff == 0

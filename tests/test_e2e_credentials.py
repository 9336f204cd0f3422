"""End to end: the admin password guards every write endpoint and method, and
only the exact password opens it (firmware/api_write.py), under MicroPython.

Each write is sent with a body the endpoint refuses (400): with the right
password the request gets past the check and no setting changes, with any other
credential it stops at 401. So the setup endpoint never restarts the firmware here.
After 3 wrong passwords from an address the dongle pauses between tries (429,
test_e2e_writes.py); the right one starts the count again, so each near miss
here is followed by the right password and every one of them is compared.
"""

import ast
import base64
import json
import time
import os

import pytest


# (method, path, a body the endpoint answers 400 once the password is right, or
# None where the right password acts at once: only wrong ones are sent there)
WRITES = [
    ("POST", "/api/v1/dev/settings", b'{"nope": 1}'),
    ("PUT", "/api/v1/dev/settings", b'{"nope": 1}'),
    ("POST", "/api/v1/dev/setup", b'{"password": "no-ssid"}'),
    ("POST", "/api/v1/dev/restart", None),
    ("POST", "/api/v1/dev/update", b"not a bundle\n"),
    ("POST", "/api/v1/hist/months", b'{"edt1": 1}'),
    ("POST", "/api/v1/hist/months/asc", b'{"edt1": 1}'),
]
ROUTES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "firmware", "routes.py")


def _write_routes():
    """(method, path) of each write routes.py routes: Router.resolve()'s `if path
    == b"..."` (or `.startswith`) and the methods of what it returns there."""
    tree = ast.parse(open(ROUTES).read())
    named = {}  # _POST = (b"POST",), and the like; self.update = (Lazy(..), _GET_POST)
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Tuple):
            for t in n.targets:
                key = t.id if isinstance(t, ast.Name) else "self." + t.attr  # pyright: ignore
                named[key] = n.value
    def methods(v):
        if isinstance(v, ast.Attribute):  # self.update
            v = named["self." + v.attr].elts[1]  # pyright: ignore
        return [e.value.decode() for e in named[v.id].elts] if isinstance(v, ast.Name) else []  # pyright: ignore
    routed = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.If):
            test = n.test
            arg = test.comparators[0] if isinstance(test, ast.Compare) else test.args[0] if isinstance(test, ast.Call) else None  # pyright: ignore
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, bytes) and arg.value.startswith(b"/")):
                continue
            for r in ast.walk(ast.Module(body=n.body, type_ignores=[])):
                if isinstance(r, ast.Return) and r.value is not None:
                    v = r.value.elts[1] if isinstance(r.value, ast.Tuple) else r.value  # pyright: ignore
                    routed |= {(m, arg.value.decode()) for m in methods(v) if m in ("POST", "PUT", "PATCH", "DELETE")}
    return routed


def test_every_write_route_is_tested_here():
    """A write endpoint added to routes.py fails here until WRITES has it."""
    routed = _write_routes()
    tested = {(m, p if not p.startswith("/api/v1/hist/") else "/api/v1/hist/") for m, p, _ in WRITES}
    assert routed and routed == tested


def bearer(cred):
    return b"Bearer " + cred


def basic(cred, user=b"admin"):
    return b"Basic " + base64.b64encode(user + b":" + cred)


def wrong_credentials(pw):
    """Every near miss of the password `pw` (bytes), as Authorization header values."""
    near = {
        "empty": b"",
        "prefix": pw[:-1],
        "first byte": pw[:1],
        "longer": pw + b"x",
        "doubled": pw + pw,
        "wrong case": pw.swapcase(),
        "non-ASCII, same length": pw[:-1] + b"\xe9",
        "non-ASCII, longer": pw + "é".encode(),
        "NUL after it": pw + b"\x00",
    }
    out = {"no header": None, "bare Bearer": b"Bearer", "bare Basic": b"Basic",
           "other scheme": b"Digest " + pw, "Basic not base64": b"Basic !!" + pw,
           "Basic without a colon": b"Basic " + base64.b64encode(pw)}
    for what, cred in near.items():
        out["Bearer " + what] = bearer(cred)
        out["Basic " + what] = basic(cred)
    return out


def send(fw, method, path, body, auth):
    headers = {"Content-Type": "application/json"}  # (writes take nothing else)
    if auth is not None:
        headers["Authorization"] = auth  # bytes: sent as they are
    for _ in range(10):  # a 503 (out of memory for a moment) asks to try again, as a client would
        r = fw.get(path, method=method, body=body, headers=headers)
        if r.status != 503:
            return r
        time.sleep(0.2)
    return r


def settings(fw):
    return {e["name"]: e for e in fw.get("/api/v1/dev/settings").json()["settings"]}


@pytest.mark.parametrize("password", ["s3cret-pw", "geheim w0rd: ~!"])
def test_only_the_exact_password_opens_every_write(fw, password):
    assert send(fw, "POST", "/api/v1/dev/settings", json.dumps({"admin_password": password}).encode(), None).status == 200
    assert settings(fw)["admin_password"]["set"] is True
    pw = password.encode()
    before = settings(fw)
    for method, path, body in WRITES:
        for right in (bearer(pw), basic(pw), basic(pw, user=b"")) if body is not None else ():
            r = send(fw, method, path, body, right)
            assert r.status == 400, (method, path, right, r.status, r.body)
        for what, auth in wrong_credentials(pw).items():
            r = send(fw, method, path, body, auth)
            assert r.status == 401, (method, path, what, r.status, r.body)
            assert r.json() == {"error": "admin password required"}
            assert r.headers["www-authenticate"] == 'Basic realm="dsmr-api"', (method, path, what)
            # the right password (where it changes nothing) starts the count of wrong ones again
            if body is not None:
                assert send(fw, method, path, body, bearer(pw)).status == 400
            else:
                assert send(fw, "POST", "/api/v1/dev/settings", b"[]", bearer(pw)).status == 400
    assert settings(fw) == before and fw.alive()
    assert "Traceback" not in fw.log(), fw.log()


def test_setup_needs_the_admin_password_once_set(fw):
    # a complete, valid setup: without the password it must change nothing and not restart
    form = b'{"ssid": "intruder", "password": "hunter22", "hostname": "evil"}'
    assert send(fw, "POST", "/api/v1/dev/settings", b'{"admin_password": "s3cret-pw"}', None).status == 200
    for auth in (None, bearer(b"wrong"), basic(b"")):
        r = send(fw, "POST", "/api/v1/dev/setup", form, auth)
        assert r.status == 401 and r.headers["www-authenticate"].startswith("Basic"), (auth, r.status, r.body)
    by = settings(fw)
    assert by["wifi_ssid"]["value"] == "" and by["hostname"]["value"] == "dsmr-api"
    assert fw.alive()
    # and with it, the same form is saved and the firmware restarts (on a PC: ends)
    r = send(fw, "POST", "/api/v1/dev/setup", form, bearer(b"s3cret-pw"))
    assert r.status == 200 and r.json() == {"saved": ["hostname", "wifi_password", "wifi_ssid"], "restart": True}
    assert fw.exited() != 0


def test_restart_needs_the_admin_password_and_then_restarts(fw):
    assert send(fw, "POST", "/api/v1/dev/settings", b'{"admin_password": "s3cret-pw"}', None).status == 200
    assert send(fw, "POST", "/api/v1/dev/restart", b"", bearer(b"s3cret-p")).status == 401
    assert fw.alive()
    r = send(fw, "POST", "/api/v1/dev/restart", b"", basic(b"s3cret-pw"))
    assert r.status == 200 and r.json() == {"restart": True}
    assert fw.exited() != 0  # (on a PC the firmware ends where the dongle reboots)

"""OTA update: POST /api/v1/dev/update takes a bundle (tools/ota.py); GET says how updates went.

The bundle goes from the socket to flash a chunk at a time through the
connection's own 1 KB buffer, never whole in RAM (http_server.py lets this
handler read the body itself). This module holds the answers and the checks
before the body; the write gate's code (api_write.py, api_auth.py) is loaded
for the gate and dropped, then ota_receive.py for the body, so that neither
is in the heap with the other. The bundle's format (tools/ota.py writes it):

  {"bundle": 1, "version": "0.2.0", "mpy": 1798, "files": 49, "size": 111376}\n
  then for each file a line "<sha-256, hex> <size> <path>\n" and its bytes.

mpy is the `sys.implementation._mpy` the .mpy files need (.mpy version,
sub-version, native code architecture); size counts the files' bytes. The
files go to the version folder not running (versions.py), after a check
that flash has room; every hash and every .mpy header is checked as the
bytes pass, and only when all matched does ota/state.json switch to the new
version, for a trial boot: the dongle restarts into it a moment later.
Refused, the running version untouched: no admin password set (403), a
request from another site's page (403, api_write.py), a wrong password (401;
after a few, 429: api_auth.py), an update already coming in (409), a bundle for another
MicroPython, cut short, with a wrong hash or an unsafe path (400), no room
(507). The body is read to its end either way, so the client gets the answer.
"""

import asyncio
import json
import sys
import time

from . import log, platform


class Refused(Exception):
    pass


class UpdateApi:
    def __init__(self, app):
        self.app = app
        self.c = None  # the upload's connection; its buffer: c.buf[s:e] read, not yet used
        self.s = self.e = self.left = 0  # left: bytes still on the way

    def handle(self, req, w, end=-1):
        """GET: the versions and the last update; a POST's answer. With `end`, the
        POST's body first: `w` is then the connection (receive())."""
        if end >= 0:
            return self.receive(req, w, end)
        from .lazy import load, unload

        app = self.app
        versions = load("versions")  # (not in the heap while a bundle comes in: ota_receive loads it then)
        try:
            s = versions.read()
            run = versions.running()
            prev = None
            if s.get("run", "") == run and s.get("prev") is not None:  # (else a switch waits for the restart)
                prev = {"version": s.get("vprev"), "folder": "/" + versions.folder(s["prev"])}
            here = "/" + versions.folder(run)
        finally:
            versions = s = unload("versions")
        state, note = app.update or ("none", "")  # (start.py read it from the file)
        w.raw(json.dumps({"running": {"version": app.VERSION, "folder": here},
                          "previous": prev, "update": {"state": state, "message": note},
                          "mpy": sys.implementation._mpy}))  # pyright: ignore[reportAttributeAccessIssue]
        w.raw("\n")
        if req.method == b"POST":
            asyncio.create_task(_restart_soon())
        return 200

    async def fill(self):
        """Reads more after what is buffered; False at the body's end or when the client stops."""
        c = self.c
        n = self.e - self.s
        if self.s and n:
            c.buf[:n] = c.buf[self.s : self.e]
        self.s, self.e = 0, n
        want = min(len(c.buf) - n, self.left)
        while want > 0:
            n = await c.stream.readinto(memoryview(c.buf)[self.e : self.e + want])
            if n:
                self.e += n
                self.left -= n
                c.deadline = time.ticks_add(time.ticks_ms(), self.app.http.timeout_ms)  # (the sweep)
                return True
            if n == 0:
                break
        return False

    async def line(self):
        """The next line without its newline, or None (none in 1 KB, or the end)."""
        buf = self.c.buf
        while True:
            i = buf.find(b"\n", self.s, self.e)
            if i >= 0:
                i, self.s = self.s, i + 1
                return bytes(buf[i : self.s - 1])
            if self.e - self.s == len(buf) or not await self.fill():
                return None

    async def receive(self, req, c, end):
        """Reads, checks and stages the bundle (ota_stage.py, ota_receive.py); 0 when it switched
        (handle() answers), else an error status with req.error. Reads the body to its end."""
        app = self.app
        self.c = c
        self.s, self.e = end, min(c.n, end + req.length)
        self.left = req.length - (self.e - end)
        last = app.update
        busy = last is not None and last[0] == "receiving"
        password = app.settings["admin_password"]
        from .lazy import unload_all

        plan = None
        try:
            if busy:
                raise Refused(409, "an update is already coming in")
            if not password:
                raise Refused(403, "set an admin password first (setting admin_password)")
            refused = _gate(app, req)
            if refused:  # (a 401 challenges scripts only: api_auth.verdict())
                raise Refused(*refused)
            app.update = ["receiving", ""]
            plan = _step("begin", app, await self.line())  # (ota_stage.py, one step at a time)
            brought = []
            try:
                await _receiver(brought)(self, plan)
            finally:
                unload_all(brought)
            _step("switch", app, plan)
            return 0
        except Refused as e:
            status, req.error = e.args
            app.update = ["refused", req.error] if status not in (401, 409) else last
            log.warn("update refused: %s", req.error)
            e = None
            if plan:
                _step("wipe", plan[3])
            self.s = self.e
            while self.left < 1 << 21 and await self.fill():  # the rest, so the client hears the answer
                self.s = self.e
            return status
        except BaseException as e:  # the client went away, a flash error, ...
            if not busy:
                app.update = ["failed", repr(e)]
            raise
        finally:
            self.c = None
            c.n = 0  # (all read)
            req.keep_alive = False


def _gate(app, req):
    """The write gate's Origin check, then the password, slowed down (api_write.py,
    api_auth.py; the body is a bundle, not JSON): None, or (status, message). Their
    code is loaded by _foreign() and _verdict() and dropped after each, before the
    body is read: loaded in a frame that ends (a coroutine's frame, as receive()'s,
    keeps what it once held in reach of the collector)."""
    from .lazy import unload, unload_all

    try:
        bad = _foreign(app, req)
    finally:
        unload("api_write")
    if bad:
        return 403, bad
    try:
        return _verdict(app, req)
    finally:
        unload_all(("api_auth", "api_write"))  # (api_auth imports api_write's error())


def _foreign(app, req):
    from .lazy import load

    gate = load("api_write")
    return gate.FOREIGN if gate.foreign(app, req) else None


def _verdict(app, req):
    from .lazy import load

    return load("api_auth").verdict(app, req)


def _step(fn, *args):
    """ota_stage.<fn>(*args), loaded with versions.py for the call and dropped after it."""
    from .lazy import load_with, unload_all

    brought = []
    try:
        code, brought = load_with("ota_stage")
        return getattr(code, fn)(*args)
    finally:
        unload_all(brought)


def _receiver(brought):
    """ota_receive.run, loaded (its names added to `brought`, to drop them after the files)."""
    from .lazy import load_with

    code, names = load_with("ota_receive")
    brought.extend(names)
    return code.run


async def _restart_soon():
    from .lazy import guard

    await asyncio.sleep_ms(1500)  # let the answer reach the client
    guard("healthy")  # a restart asked for: not a failed boot (the trial counts from 0)
    platform.restart()

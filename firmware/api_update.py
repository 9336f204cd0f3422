"""OTA update: POST /api/v1/dev/update takes a bundle (tools/ota.py); GET says how updates went.

The bundle goes from the socket to flash a chunk at a time through the
connection's own 1 KB buffer, never whole in RAM (http_server.py lets this
handler read the body itself). Its format (tools/ota.py writes it):

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
import binascii
import hashlib
import json
import os
import sys
import time

from . import log, platform, versions

_RESERVE = 16384  # flash left free for the settings and history files


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
        app = self.app
        s = versions.read()
        run = versions.running()
        state, note = app.update or ("none", "")  # (start.py read it from the file)
        prev = None
        if s.get("run", "") == run and s.get("prev") is not None:  # (else a switch waits for the restart)
            prev = {"version": s.get("vprev"), "folder": "/" + versions.folder(s["prev"])}
        w.raw(json.dumps({"running": {"version": app.VERSION, "folder": "/" + versions.folder(run)},
                          "previous": prev, "update": {"state": state, "message": note},
                          "mpy": sys.implementation._mpy}))  # pyright: ignore[reportAttributeAccessIssue]
        w.raw("\n")
        if req.method == b"POST":
            asyncio.create_task(_restart_soon())
        return 200

    # -- the body, read from the socket through the connection's buffer ----------

    async def _fill(self):
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

    async def _line(self):
        """The next line without its newline, or None (none in 1 KB, or the end)."""
        buf = self.c.buf
        while True:
            i = buf.find(b"\n", self.s, self.e)
            if i >= 0:
                i, self.s = self.s, i + 1
                return bytes(buf[i : self.s - 1])
            if self.e - self.s == len(buf) or not await self._fill():
                return None

    async def _chunk(self, most):
        """Up to `most` bytes (a view of the buffer, valid until the next call); empty at the end."""
        if self.s == self.e and not await self._fill():
            return b""
        n = min(most, self.e - self.s)
        self.s += n
        return memoryview(self.c.buf)[self.s - n : self.s]

    # -- the update --------------------------------------------------------------

    async def receive(self, req, c, end):
        """Reads, checks and stages the bundle; 0 when it switched (handle()
        answers), else an error status with req.error. Reads the body to its end."""
        app = self.app
        self.c = c
        self.s, self.e = end, min(c.n, end + req.length)
        self.left = req.length - (self.e - end)
        last = app.update
        busy = last is not None and last[0] == "receiving"
        password = app.settings["admin_password"]
        f = target = None
        try:
            if busy:
                raise Refused(409, "an update is already coming in")
            if not password:
                raise Refused(403, "set an admin password first (setting admin_password)")
            from .lazy import load, unload_all  # the write gate's Origin check and password,
            # slowed down (api_write.py, api_auth.py; the body is a bundle, not JSON)
            try:
                gate = load("api_write")
                refused = (403, gate.FOREIGN) if gate.foreign(app, req) else load("api_auth").verdict(app, req)
            finally:
                unload_all(("api_auth", "api_write"))
            if refused:  # (a 401 challenges scripts only: api_auth.verdict())
                raise Refused(*refused)
            app.update = ["receiving", ""]
            try:
                m = json.loads(await self._line())
                version, mpy, files, size = str(m["version"])[:24], m["mpy"], m["files"], m["size"]
                files + size + mpy + 0  # (numbers)
            except Exception:
                raise Refused(400, "not an update bundle (tools/ota.py makes them)")
            need = sys.implementation._mpy  # pyright: ignore[reportAttributeAccessIssue]
            if mpy != need:
                raise Refused(400, "the bundle is for MicroPython's sys.implementation._mpy %d, this one"
                              " has %d: build it for this one (tools/ota.py --arch)" % (mpy, need))
            run = versions.running()
            target = "a" if run != "a" else "b"
            folder = versions.folder(target)
            self._room(folder, files, size)
            self._forget(target, run)
            walk(folder, True)
            log.info("update %s: %d files, %d bytes into %s", version, files, size, folder)
            made = ""
            while files:
                line = await self._line()
                parts = line.split(b" ", 2) if line else ()
                if len(parts) != 3 or len(parts[0]) != 64 or not parts[1].isdigit():
                    raise Refused(400, "bundle cut short or malformed")
                path = str(parts[2], "ascii")  # (UnicodeError: a 500, as for any bundle made by hand)
                if ".." in path or path.split("/")[0] not in ("firmware", "lib", "www"):
                    raise Refused(400, "bundle has a file outside the firmware: " + path)
                n = left = int(parts[1])
                size -= n
                p = folder + "/" + path
                d = p.rsplit("/", 1)[0]
                if d != made:
                    q = ""
                    for part in d.split("/"):
                        q = q + "/" + part if q else part
                        try:
                            os.mkdir(q)
                        except OSError:
                            pass
                    made = d
                h = hashlib.sha256()
                first = b""
                f = _flash(open, p, "wb")
                while left:
                    b = await self._chunk(left)
                    if not b:
                        raise Refused(400, "bundle cut short in %s (%d of %d bytes)" % (path, n - left, n))
                    if len(first) < 3:
                        first += bytes(b[: 3 - len(first)])
                    h.update(b)
                    _flash(f.write, b)
                    left -= len(b)
                _flash(f.close)
                f = None
                if binascii.hexlify(h.digest()) != parts[0]:
                    raise Refused(400, "SHA-256 of %s does not match: the bundle is damaged" % path)
                if path[-4:] == ".mpy" and not (first[:2] == b"M" + bytes((need & 255,))
                                                and first[2] in (0, (need >> 10) << 2 | (need >> 8) & 3)):
                    raise Refused(400, "%s is not a .mpy for this MicroPython" % path)
                files -= 1
            if size or self.left or self.s != self.e:
                raise Refused(400, "bundle size does not match its header")
            try:
                os.stat(folder + "/firmware/app.mpy")
            except OSError:
                raise Refused(400, "bundle has no firmware/app.mpy: it would not start")
            versions.write({"run": target, "prev": run, "vrun": version, "vprev": app.VERSION, "trial": 0,
                            "state": "trial", "note": "%s on trial (was %s)" % (version, app.VERSION)})
            app.update = ["switched", version + " is checked and starts after the restart"]
            log.info("update %s: every hash matched; restarting into it", version)
            return 0
        except Refused as e:
            status, req.error = e.args
            app.update = ["refused", req.error] if status not in (401, 409) else last
            log.warn("update refused: %s", req.error)
            if f is not None:
                f.close()
            if target is not None:
                walk(versions.folder(target), True)  # what came of it: flash is scarce
            self.s = self.e
            while self.left < 1 << 21 and await self._fill():  # the rest, so the client hears the answer
                self.s = self.e
            return status
        except BaseException as e:  # the client went away, a flash error, ...
            if f is not None:
                f.close()
            if not busy:
                app.update = ["failed", repr(e)]
            raise
        finally:
            self.c = None
            c.n = 0  # (all read)
            req.keep_alive = False

    def _room(self, folder, files, size):
        try:
            os.mkdir(versions.DIR)
        except OSError:
            pass
        st = os.statvfs(versions.DIR)
        bs = st[1]
        free = bs * st[4] + walk(folder, False, bs) - _RESERVE  # (the folder's old files go)
        cap = platform.env("DSMR_OTA_BUDGET")  # a PC's test stands in for a small flash
        if cap:
            free = min(free, int(cap))
        need = size + files * bs  # (at worst, part of a block per file)
        if need > free:
            raise Refused(507, "no room on flash: the update needs %d KB, %d KB are free"
                          % (need >> 10, max(0, free) >> 10))

    def _forget(self, target, run):
        """The state must not point at the folder about to be written (a power cut meanwhile)."""
        s = versions.read()
        if s.get("prev") == target:
            s["prev"] = s["vprev"] = None
        elif s.get("run") == target:
            s["run"], s["vrun"] = run, self.app.VERSION
            s.pop("trial", None)
        else:
            return
        versions.write(s)


def walk(path, rm, bs=1):
    """The flash (whole blocks of bs) the files under `path` take; deletes them all if rm."""
    n = 0
    try:
        names = [(e[0], e[1]) for e in os.ilistdir(path)]
    except OSError:
        return 0
    for name, kind in names:
        p = path + "/" + name
        if kind == 0x4000:
            n += walk(p, rm, bs)
        else:
            n += (os.stat(p)[6] + bs - 1) // bs * bs
            if rm:
                os.remove(p)
    if rm:
        os.rmdir(path)
    return n


def _flash(fn, *args):
    """fn(*args), a flash operation: its OSError (full, worn) refuses the update."""
    try:
        return fn(*args)
    except OSError as e:
        raise Refused(507, "writing to flash failed: %r" % e)


async def _restart_soon():
    from .lazy import guard

    await asyncio.sleep_ms(1500)  # let the answer reach the client
    guard("healthy")  # a restart asked for: not a failed boot (the trial counts from 0)
    platform.restart()

"""An update's bundle (api_update.py) read from the socket, checked and staged, then switched to.

Loaded after the write gate's code is dropped (api_update.py), so the two are
never in the heap together, and dropped when the upload ends. The bundle goes
to flash a chunk at a time through the connection's own buffer: every hash
and every .mpy header is checked as the bytes pass; only when all matched
does ota/state.json switch to the new version. A refusal raises
api_update.Refused after deleting what was written.
"""

import binascii
import hashlib
import json
import os
import sys

from . import log, platform, versions
from .api_update import Refused

_RESERVE = 16384  # flash left free for the settings and history files


async def run(u, app):
    """Reads the bundle after its gate (u: api_update.UpdateApi, the body's reader)."""
    f = target = None
    try:
        try:
            m = json.loads(await _line(u))
            version, mpy, files, size = str(m["version"])[:24], m["mpy"], m["files"], m["size"]
            files + size + mpy + 0  # (numbers)
        except Exception:
            raise Refused(400, "not an update bundle (tools/ota.py makes them)")
        m = None
        need = sys.implementation._mpy  # pyright: ignore[reportAttributeAccessIssue]
        if mpy != need:
            raise Refused(400, "the bundle is for MicroPython's sys.implementation._mpy %d, this one"
                          " has %d: build it for this one (tools/ota.py --arch)" % (mpy, need))
        run = versions.running()
        target = "a" if run != "a" else "b"
        folder = versions.folder(target)
        _room(folder, files, size)
        _forget(app, target, run)
        walk(folder, True)
        log.info("update %s: %d files, %d bytes into %s", version, files, size, folder)
        made = ""
        while files:
            line = await _line(u)
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
                b = await _chunk(u, left)
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
        if size or u.left or u.s != u.e:
            raise Refused(400, "bundle size does not match its header")
        try:
            os.stat(folder + "/firmware/app.mpy")
        except OSError:
            raise Refused(400, "bundle has no firmware/app.mpy: it would not start")
        versions.write({"run": target, "prev": run, "vrun": version, "vprev": app.VERSION, "trial": 0,
                        "state": "trial", "note": "%s on trial (was %s)" % (version, app.VERSION)})
        app.update = ["switched", version + " is checked and starts after the restart"]
        log.info("update %s: every hash matched; restarting into it", version)
    except Refused:
        if f is not None:
            f.close()
        if target is not None:
            walk(versions.folder(target), True)  # what came of it: flash is scarce
        raise
    except BaseException:  # the client went away, a flash error, ...
        if f is not None:
            f.close()
        raise


async def _line(u):
    """The next line without its newline, or None (none in 1 KB, or the end)."""
    buf = u.c.buf
    while True:
        i = buf.find(b"\n", u.s, u.e)
        if i >= 0:
            i, u.s = u.s, i + 1
            return bytes(buf[i : u.s - 1])
        if u.e - u.s == len(buf) or not await u.fill():
            return None


async def _chunk(u, most):
    """Up to `most` bytes (a view of the buffer, valid until the next call); empty at the end."""
    if u.s == u.e and not await u.fill():
        return b""
    n = min(most, u.e - u.s)
    u.s += n
    return memoryview(u.c.buf)[u.s - n : u.s]


def _room(folder, files, size):
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


def _forget(app, target, run):
    """The state must not point at the folder about to be written (a power cut meanwhile)."""
    s = versions.read()
    if s.get("prev") == target:
        s["prev"] = s["vprev"] = None
    elif s.get("run") == target:
        s["run"], s["vrun"] = run, app.VERSION
        s.pop("trial", None)
    else:
        return
    versions.write(s)


def walk(path, rm, bs=1):
    """The flash (whole blocks of bs) the files under `path` take; deletes them all if rm.
    One directory entry at a time, never a list of them (a folder holds ~75 files):
    deleting, the listing starts again after each entry, as it changed."""
    n = 0
    again = True
    while again:
        again = False
        try:
            entries = os.ilistdir(path)
        except OSError:
            return n
        for e in entries:
            p = path + "/" + e[0]
            if e[1] == 0x4000:
                n += walk(p, rm, bs)
            else:
                n += (os.stat(p)[6] + bs - 1) // bs * bs
                if rm:
                    os.remove(p)
            if rm:
                again = True
                break
        entries = None
    if rm:
        os.rmdir(path)
    return n


def _flash(fn, *args):
    """fn(*args), a flash operation: its OSError (full, worn) refuses the update."""
    try:
        return fn(*args)
    except OSError as e:
        raise Refused(507, "writing to flash failed: %r" % e)

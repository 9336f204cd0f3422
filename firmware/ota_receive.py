"""An update's files (api_update.py), read from the socket and written to flash a chunk at a
time through the connection's own buffer, each one's SHA-256 and .mpy header checked as
its bytes pass.

Loaded for the files alone (ota_stage.py, with versions.py, before and after them is
not in the heap meanwhile). Refusals raise api_update.Refused; the caller deletes
what was written (ota_stage.wipe).
"""

import binascii
import hashlib
import os

from .api_update import Refused


async def run(u, plan):
    """Every file of the bundle into plan's folder (u: api_update.UpdateApi, the body's reader)."""
    _, files, size, _, _, folder, need = plan
    f = None
    made = ""
    try:
        while files:
            line = await u.line()
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
    finally:
        if f is not None:
            f.close()


async def _chunk(u, most):
    """Up to `most` bytes (a view of the buffer, valid until the next call); empty at the end."""
    if u.s == u.e and not await u.fill():
        return b""
    n = min(most, u.e - u.s)
    u.s += n
    return memoryview(u.c.buf)[u.s - n : u.s]


def _flash(fn, *args):
    """fn(*args), a flash operation: its OSError (full, worn) refuses the update."""
    try:
        return fn(*args)
    except OSError as e:
        raise Refused(507, "writing to flash failed: %r" % e)

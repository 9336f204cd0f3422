"""An update's steps before and after its files (api_update.py): the header checked, room on
flash, the target folder emptied; at the end the switch to the new version, or what a
refused bundle left deleted.

Loaded with versions.py for one step and dropped after it, so that neither is in
the heap while the files come in (ota_receive.py). Refusals raise api_update.Refused.
"""

import json
import os
import sys

from . import log, platform, versions
from .api_update import Refused

_RESERVE = 16384  # flash left free for the settings and history files


def begin(app, line):
    """Checks the header line; makes room in the folder not running. Returns the
    plan: [version, files, size, target slot, running slot, folder, mpy]."""
    try:
        m = json.loads(line)
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
    _room(folder, files, size)  # (507: nothing written yet, the folder's version stays)
    _forget(app, target, run)
    walk(folder, True)
    log.info("update %s: %d files, %d bytes into %s", version, files, size, folder)
    return [version, files, size, target, run, folder, need]


def switch(app, plan):
    """Every file matched: ota/state.json points at the new version, on trial."""
    version, _, _, target, run, folder, _ = plan
    try:
        os.stat(folder + "/firmware/app.mpy")
    except OSError:
        raise Refused(400, "bundle has no firmware/app.mpy: it would not start")
    versions.write({"run": target, "prev": run, "vrun": version, "vprev": app.VERSION, "trial": 0,
                    "state": "trial", "note": "%s on trial (was %s)" % (version, app.VERSION)})
    app.update = ["switched", version + " is checked and starts after the restart"]
    log.info("update %s: every hash matched; restarting into it", version)


def wipe(target):
    walk(versions.folder(target), True)  # what came of a refused bundle: flash is scarce


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

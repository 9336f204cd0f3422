"""Which firmware version boots: the one put in / by USB, or an OTA update in ota/a or ota/b.

main.py (next to this folder, never replaced by an update) calls `choose()`
before it imports the firmware. The choice is one small file, ota/state.json,
always replaced whole (written to state.new, then renamed over it), so a
power cut leaves the old choice or the new one, never half of one:

  {"run": "b", "prev": "a", "vrun": "0.2.0", "vprev": "0.1.0",
   "trial": 1, "state": "trial", "note": "..."}

run, prev: the running and the previous version's folder ("" is /, the USB
one); vrun, vprev: their versions; trial: 0 after an update switched (not
booted yet), 1 once its first boot began; absent when it was found healthy.
A boot that finds trial 1 means the trial version restarted (or was reset,
or stopped) before it was healthy: boot() switches back to prev, and says
why in state and note (the reason the failed boot gave the boot guard, if it
could). The format is read by older and newer versions alike: only add keys.
"""

import json
import os

DIR = "ota"  # next to main.py (the working directory)
_STATE = DIR + "/state.json"
_NEW = DIR + "/state.new"


def read():
    """The state (a dict; {} when there is none or it cannot be read)."""
    for p in (_STATE, _NEW):  # state.new alone: a rename cut half-way (FAT)
        try:
            with open(p) as f:
                s = json.load(f)
            if isinstance(s, dict):
                return s
        except Exception:  # missing, corrupt, too big: the USB version boots
            pass
    return {}


def write(s):
    try:
        os.mkdir(DIR)
    except OSError:
        pass
    with open(_NEW, "w") as f:
        json.dump(s, f)
    os.rename(_NEW, _STATE)


def folder(slot):
    """The folder a version's files are in: "" for /, ota/<slot> otherwise."""
    return DIR + "/" + slot if slot else ""


def running():
    """The slot of the code running now: "a", "b", or "" (/), from where this file is."""
    p = __file__
    i = p.rfind("/firmware/")
    head = p[:i] if i >= 0 else ""
    if head[-5:-1] == DIR + "/" and (len(head) == 5 or head[-6] == "/"):
        return head[-1]
    return ""


def choose(bootguard):
    """For main.py: puts the version to run first on the path, and forgets this
    folder's firmware package (this module too), so the chosen one is imported."""
    import sys

    d = boot(bootguard.reason if bootguard.before else "")
    for m in [m for m in sys.modules if m == "firmware" or m.startswith("firmware.")]:
        del sys.modules[m]
    if d:
        sys.path.insert(0, d + "/lib")
        sys.path.insert(0, d)


def boot(why=""):
    """The folder of the version to run ("" for /). Rolls back a trial that did
    not become healthy (`why`: what the failed boot said, from bootguard.py); a
    version whose files are missing is skipped."""
    s = read()
    t = s.get("trial")
    if t == 1:
        rollback(s, why or "it restarted before it was healthy")
    elif t == 0:
        s["trial"] = 1  # from now on, a restart before healthy means it failed
        write(s)
    run = s.get("run", "")
    try:
        os.stat(folder(run) + "/firmware")
    except OSError:
        return ""
    return folder(run)


def rollback(s, why):
    failed = s.get("vrun", "?")
    s["run"], s["prev"] = s.get("prev") or "", s.get("run", "")  # (no previous: the USB one)
    s["vrun"], s["vprev"] = s.get("vprev", "?"), failed
    s["state"] = "rolledback"
    s["note"] = "%s was rolled back: %s" % (failed, why)
    s.pop("trial", None)
    write(s)
    print("dsmr-api: " + s["note"])


def confirm(s):
    """The trial version is healthy: it stays."""
    s.pop("trial", None)
    s["state"] = "ok"
    s["note"] = "%s passed its trial (was %s)" % (s.get("vrun"), s.get("vprev"))
    write(s)

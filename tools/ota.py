"""Builds an update bundle from tools/build.py's output and sends it to a dongle over Wi-Fi.

    python tools/ota.py --host dsmr-api.local              # make ota HOST=dsmr-api.local [PASSWORD=..]
    python tools/ota.py --arch x86 --out update.bundle     # the bundle only (no dongle)

The bundle (firmware/api_update.py reads it) is one header line of JSON,
{"bundle": 1, "version": .., "mpy": .., "files": .., "size": ..}, then for
each file a line "<sha-256 hex> <size> <path>" and the file's bytes. mpy is
the sys.implementation._mpy a MicroPython must have to load the .mpy files
(read from their headers: .mpy version, sub-version, native architecture).
Everything the build holds goes in but main.py, boot.py and bootguard.py,
which an update never replaces. The admin password comes from --password,
the environment (PASSWORD, DSMR_PASSWORD) or a prompt. After the upload this
waits until the dongle answers with the new version. Standard library only.
"""

import argparse
import base64
import getpass
import hashlib
import http.client
import json
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import build  # noqa: E402


def source_version():
    with open(os.path.join(ROOT, "firmware", "app.py")) as f:
        return re.search(r'^VERSION = "([^"]+)"', f.read(), re.M).group(1)


def bundle_files(out):
    files = []
    for d, dirs, names in os.walk(out):
        dirs.sort()
        for n in sorted(names):
            rel = os.path.relpath(os.path.join(d, n), out).replace(os.sep, "/")
            if rel not in ("main.py", "boot.py") and rel.split("/")[0] in ("firmware", "lib", "www"):
                files.append(rel)
    return files


def mpy_of(out, files):
    """The sys.implementation._mpy that loads these .mpy files (from their headers)."""
    version, flags = None, 0
    for rel in files:
        if rel.endswith(".mpy"):
            with open(os.path.join(out, rel), "rb") as f:
                head = f.read(3)
            if head[:1] != b"M" or (version is not None and head[1] != version):
                raise SystemExit("%s: not a .mpy of the same version as the others" % rel)
            version = head[1]
            if head[2]:
                if flags and head[2] != flags:
                    raise SystemExit("%s: native code for another architecture" % rel)
                flags = head[2]
    if version is None:
        raise SystemExit("no .mpy files in " + out)
    return version | ((flags & 3) << 8) | ((flags >> 2) << 10)


def write_bundle(out, path, version=None):
    """Writes the bundle of build folder `out` to `path`; returns its header."""
    files = bundle_files(out)
    sizes = [os.path.getsize(os.path.join(out, rel)) for rel in files]
    head = {"bundle": 1, "version": version or source_version(), "mpy": mpy_of(out, files),
            "files": len(files), "size": sum(sizes)}
    with open(path, "wb") as b:
        b.write(json.dumps(head).encode() + b"\n")
        for rel in files:
            with open(os.path.join(out, rel), "rb") as f:
                data = f.read()
            b.write(b"%s %d %s\n" % (hashlib.sha256(data).hexdigest().encode(), len(data), rel.encode()))
            b.write(data)
    return head


def _conn(host, timeout):
    name, _, port = host.partition(":")
    return http.client.HTTPConnection(name, int(port or 80), timeout=timeout)


def upload(host, path, password, timeout=60):
    """POSTs the bundle; (status, answer as a dict)."""
    c = _conn(host, timeout)
    auth = base64.b64encode(b"admin:" + password.encode()).decode()
    try:
        with open(path, "rb") as f:
            c.request("POST", "/api/v1/dev/update", body=f, headers={
                "Authorization": "Basic " + auth, "Content-Type": "application/octet-stream",
                "Content-Length": str(os.path.getsize(path))})
            r = c.getresponse()
            body = r.read()
    finally:
        c.close()
    try:
        return r.status, json.loads(body)
    except ValueError:
        return r.status, {"error": body.decode("utf-8", "replace")}


def status(host, timeout=5):
    c = _conn(host, timeout)
    try:
        c.request("GET", "/api/v1/dev/update")
        r = c.getresponse()
        return json.loads(r.read()) if r.status == 200 else None
    finally:
        c.close()


def wait_running(host, version, seconds):
    """Polls until the dongle answers with `version` running; its status, or None."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(1)
        try:
            s = status(host)
        except (OSError, ValueError, http.client.HTTPException):
            continue  # restarting
        if s and (s["running"]["version"] == version or s["update"]["state"] == "rolledback"):
            return s
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", help="the dongle, e.g. dsmr-api.local or 192.168.1.50:80")
    ap.add_argument("--arch", default="xtensawin", help="xtensawin (the dongle), x86, x64 (PC builds)")
    ap.add_argument("--build", help="an existing build folder (default: build it in build/<arch>)")
    ap.add_argument("--out", help="where to write the bundle (default build/update-<arch>.bundle)")
    ap.add_argument("--version", help="the version to announce (default: firmware/app.py's)")
    ap.add_argument("--password", help="the admin password (default: $PASSWORD, $DSMR_PASSWORD or a prompt)")
    ap.add_argument("--wait", type=float, default=90, help="seconds to wait for the dongle to come back")
    a = ap.parse_args(argv)
    out = a.build
    if out is None:
        out = os.path.join(ROOT, "build", a.arch)
        build.build(a.arch, out)
    path = a.out or os.path.join(ROOT, "build", "update-%s.bundle" % a.arch)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    head = write_bundle(out, path, a.version)
    print("bundle %s: version %s, %d files, %d bytes, .mpy %d.%d arch %d" % (
        path, head["version"], head["files"], os.path.getsize(path),
        head["mpy"] & 255, (head["mpy"] >> 8) & 3, head["mpy"] >> 10))
    if not a.host:
        return 0
    password = a.password or os.environ.get("PASSWORD") or os.environ.get("DSMR_PASSWORD")
    if not password:
        password = getpass.getpass("admin password of %s: " % a.host)
    try:
        code, answer = upload(a.host, path, password)
    except (OSError, http.client.HTTPException) as e:
        print("upload to %s failed: %s" % (a.host, e))
        return 1
    if code != 200:
        print("refused (%d): %s" % (code, answer.get("error", answer)))
        return 1
    print("accepted: %s; the dongle restarts into it" % answer["update"]["message"])
    s = wait_running(a.host, head["version"], a.wait)
    if s is None:
        print("the dongle did not come back with %s within %d s" % (head["version"], a.wait))
        return 1
    if s["update"]["state"] == "rolledback":
        print("rolled back: " + s["update"]["message"])
        return 1
    print("running %s (%s): %s" % (s["running"]["version"], s["update"]["state"], s["update"]["message"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

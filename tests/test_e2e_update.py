"""OTA updates end to end: the .mpy build in a folder of its own (the dongle's flash), run by
real MicroPython and started again whenever it ends the way a reset would (exit code 75) or is
killed (a power cut); bundles made by tools/ota.py; real sockets.

On the 64-bit unix port (.venv/bin/micropython) the build is for x64; in `make test`'s second
run, on the yardstick (DSMR_TEST_TARGET=esp32like: ../shared/tools/micropython-esp32like), for
x86 at the yardstick's heap (harness.py).
"""

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from harness import HEAP, MICROPYTHON, ON_YARDSTICK, ROOT, TcpMeter, fixture, free_port, get, recv_all, wait_for

sys.path.insert(0, os.path.join(ROOT, "tools"))
import build  # noqa: E402
import ota  # noqa: E402

RESTART = 75  # bootstate.RESTART
PASSWORD = "s3cret-pw"  # (8..63: it is the fallback access point's WPA2 key too)
NEW = "0.9.0-test"
OLD = ota.source_version()
ARCH, OTHER = ("x86", "x64") if ON_YARDSTICK else ("x64", "x86")
MPY = {"x86": 1798, "x64": 2822}  # sys.implementation._mpy: .mpy 6, sub-version 3, arch << 10


@pytest.fixture(scope="module")
def kind():
    if not os.path.exists(MICROPYTHON):
        pytest.skip("no interpreter at %s" % MICROPYTHON)
    return ARCH


@pytest.fixture(scope="module")
def builds(kind, tmp_path_factory):
    """The build, and variants of it made into bundles: {name: path}."""
    arch = kind
    base = str(tmp_path_factory.mktemp("build-" + arch))
    build.build(arch, base)
    out = {"base": base}

    def variant(name, version, **patches):
        d = str(tmp_path_factory.mktemp(name + "-" + arch))
        shutil.rmtree(d)
        shutil.copytree(base, d)
        for rel, (old, new) in patches.items():
            with open(os.path.join(ROOT, rel)) as f:
                src = f.read()
            assert old in src, (rel, old)
            patched = os.path.join(d, "patched.py")
            with open(patched, "w") as f:
                f.write(src.replace(old, new, 1))
            subprocess.run(build.mpy_cross_cmd(arch, rel, patched, os.path.join(d, rel[:-3] + ".mpy")), check=True)
            os.remove(patched)
        path = d + ".bundle"
        ota.write_bundle(d, path, version)
        out[name] = path
        return d

    app_version = ('VERSION = "%s"' % OLD, 'VERSION = "%s"' % NEW)
    out["good_dir"] = variant("good", NEW, **{"firmware/app.py": app_version})
    variant("import_fails", "0.9.1-import", **{"firmware/app.py": ("import asyncio\n", "raise ImportError('boom at import')\n")})
    variant("main_raises", "0.9.2-main", **{"firmware/app.py": (
        'async def _run(app):\n', 'async def _run(app):\n    raise RuntimeError("boom in main")\n')})
    variant("no_p1", "0.9.3-nop1", **{"firmware/p1_reader.py": ("    async def run(self):\n", "    async def run(self):\n        return\n")})
    other = str(tmp_path_factory.mktemp("other"))
    build.build(OTHER, other)
    out["other_arch"] = other + ".bundle"
    ota.write_bundle(other, out["other_arch"], NEW)
    return out


class Board:
    """The dongle: the build in a folder, the firmware started in it, and started again when it
    exits with 75 (where the dongle resets) or is killed (a power cut, then power again)."""

    def __init__(self, tmp, kind, builds, meter, flash=None, **settings):
        self.dir = str(tmp / "flash")
        shutil.copytree(builds["base"], self.dir)
        if flash is not None:
            flash(self.dir)  # what else is on the flash before the first boot
        self.port = free_port()
        self.cmd = [MICROPYTHON, "-X", "heapsize=" + HEAP, "main.py"]
        self.env = dict(os.environ, DSMR_P1="tcp:127.0.0.1:%d" % meter.port, DSMR_HTTP_PORT=str(self.port),
                        DSMR_DATA_DIR=str(tmp), DSMR_RAW_PORT="0", DSMR_HEALTHY_S="2", DSMR_OTA_TRIAL="8",
                        DSMR_ADMIN_PASSWORD=PASSWORD)
        for k, v in settings.items():
            self.env["DSMR_" + k.upper()] = str(v)
        self.log_path = str(tmp / "firmware.log")
        self.boots = 0
        self.exits = []
        self.proc = None
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        self.wait_up(1)

    def _run(self):
        with open(self.log_path, "a") as log:
            while not self._stop and self.boots < 20:
                self.boots += 1
                log.write("---- boot %d\n" % self.boots)
                log.flush()
                self.proc = subprocess.Popen(self.cmd, cwd=self.dir, env=self.env, stdout=log, stderr=subprocess.STDOUT)
                code = self.proc.wait()
                self.exits.append(code)
                if code not in (RESTART, -signal.SIGKILL):
                    return  # a PC's process that ends otherwise: the dongle would sit at the REPL

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_up(self, boots, timeout=30):
        def up():
            if self.boots < boots or self.proc is None or self.proc.poll() is not None:
                if not self._t.is_alive():
                    raise AssertionError("the firmware ended with %r:\n%s" % (self.exits, self.log()))
                return False
            try:
                return get(self.port, "/api/v1/dev/update", timeout=2).status == 200
            except OSError:
                return False

        try:
            wait_for(up, timeout, "boot %d to serve HTTP" % boots)
        except AssertionError as e:
            raise AssertionError("%s; the log:\n%s" % (e, self.log()))

    def power_cut(self):
        """SIGKILL, and power comes back (the next boot)."""
        n = self.boots
        self.proc.send_signal(signal.SIGKILL)
        self.wait_up(n + 1)

    def wait_healthy(self):
        """Until this boot is healthy (bootguard.py; DSMR_HEALTHY_S=2): a power cut before
        that counts as a failed boot, and three make safe mode."""
        wait_for(lambda: "boot: healthy" in self.log().rsplit("---- boot", 1)[-1], 20, "a healthy boot")

    def status(self):
        return get(self.port, "/api/v1/dev/update").json()

    def info(self):
        return {e["name"]: e["value"] for e in get(self.port, "/api/v1/dev/info").json()["devinfo"]}

    def state_file(self):
        try:
            with open(os.path.join(self.dir, "ota", "state.json")) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def stop(self):
        self._stop = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._t.join(10)


@pytest.fixture
def board(request, tmp_path, kind, builds):
    meter = TcpMeter()
    boards = []

    def make(**settings):
        b = Board(tmp_path, kind, builds, meter, **settings)
        boards.append(b)
        threading.Thread(target=_feed, args=(meter, b), daemon=True).start()
        return b

    yield make
    for b in boards:
        b.stop()
    meter.close()


def _feed(meter, b):
    """The meter sends a telegram every second while the board runs."""
    t = fixture("dsmr50_spec")
    while not b._stop:
        if meter.client is not None:
            try:
                meter.send(t)
            except OSError:
                pass
        time.sleep(1)


def upload(port, body, password=PASSWORD, timeout=30, origin=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Length": str(len(body))}
    if origin:
        headers["Origin"] = origin
    if password is not None:
        import base64

        headers["Authorization"] = "Basic " + base64.b64encode(b"admin:" + password.encode()).decode()
    try:
        c.request("POST", "/api/v1/dev/update", body=body, headers=headers)
        r = c.getresponse()
        return r.status, json.loads(r.read())
    finally:
        c.close()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def untouched(b):
    s = b.status()
    assert s["running"] == {"version": OLD, "folder": "/"}, s
    assert b.state_file().get("run", "") == "" and "trial" not in b.state_file()
    return s


# -- a good update -------------------------------------------------------------


def test_a_good_bundle_updates_keeps_the_old_version_and_passes_its_trial(board, builds):
    b = board()
    s = b.status()
    assert s["running"] == {"version": OLD, "folder": "/"} and s["previous"] is None
    assert s["update"]["state"] == "none"
    code, answer = upload(b.port, read(builds["good"]))
    assert code == 200, answer
    assert answer["update"]["state"] == "switched" and NEW in answer["update"]["message"]
    b.wait_up(2)  # it restarted by itself into the new version
    s = b.status()
    assert s["running"] == {"version": NEW, "folder": "/ota/a"}, s
    assert s["previous"] == {"version": OLD, "folder": "/"}
    assert s["update"]["state"] == "trial"
    wait_for(lambda: b.status()["update"]["state"] == "ok", 20, "the trial passed")
    assert b.info()["fwversion"] == NEW and b.info()["update"] == "ok"
    assert os.path.exists(os.path.join(b.dir, "firmware", "app.mpy"))  # the old version stays
    r = get(b.port, "/api/v1/sm/actual")
    assert r.status == 200 and r.json()["actual"]
    assert get(b.port, "/").status == 200  # the page, from the new version's www/
    # and the next update goes to the other folder, the running one staying the previous
    code, answer = upload(b.port, read(builds["good"]))
    assert code == 200, answer
    b.wait_up(3)
    s = b.status()
    assert s["running"] == {"version": NEW, "folder": "/ota/b"}
    assert s["previous"] == {"version": NEW, "folder": "/ota/a"}
    assert b.exits == [RESTART, RESTART]


# -- refused, the running version untouched -----------------------------------


def _damaged(bundle):
    """The bundle with one byte of one file's data changed (its hash line as it was)."""
    lines = bundle.split(b"\n", 3)  # header, first file's line, its data...
    i = len(lines[0]) + len(lines[1]) + 2 + 5
    return bundle[:i] + bytes([bundle[i] ^ 1]) + bundle[i + 1:]


def _with_header(bundle, **changes):
    head, rest = bundle.split(b"\n", 1)
    h = json.loads(head)
    h.update(changes)
    return json.dumps(h).encode() + b"\n" + rest


def _one_file(bundle, path, data):
    head, rest = bundle.split(b"\n", 1)
    h = json.loads(head)
    h.update(files=1, size=len(data))
    line = b"%s %d %s\n" % (hashlib.sha256(data).hexdigest().encode(), len(data), path)
    return json.dumps(h).encode() + b"\n" + line + data


def test_bad_bundles_are_refused_with_a_clear_4xx_and_the_version_untouched(board, builds, kind):
    b = board()
    good = read(builds["good"])
    mine, other = MPY[ARCH], MPY[OTHER]
    cases = [
        (_damaged(good), 400, "SHA-256 of firmware/__init__.mpy does not match"),
        (good[: good.index(b" firmware/app.mpy\n") + 100], 400, "bundle cut short in firmware/app.mpy (82 of "),
        (good[:300], 400, "cut short"),
        (read(builds["other_arch"]), 400, "_mpy %d, this one has %d: build it for this one" % (other, mine)),
        (_with_header(read(builds["other_arch"]), mpy=json.loads(good.split(b"\n", 1)[0])["mpy"]),
         400, "is not a .mpy for this MicroPython"),
        (_one_file(good, b"../main.py", b"print('pwned')\n"), 400, "outside the firmware: ../main.py"),
        (_one_file(good, b"firmware/../../main.py", b"print('pwned')\n"), 400, "outside the firmware: firmware/../../"),
        (_one_file(good, b"www/index.html", b"hi"), 400, "no firmware/app.mpy"),
        (good + b"trailing", 400, "size does not match"),
        (b"GIF89a" + b"\0" * 5000, 400, "not an update bundle"),
    ]
    for body, status, msg in cases:
        code, answer = upload(b.port, body)
        assert (code, msg in answer.get("error", "")) == (status, True), (msg, code, answer)
        s = untouched(b)
        assert s["update"] == {"state": "refused", "message": answer["error"]}
    assert b.info()["update"] == "refused"
    code, answer = upload(b.port, good, password=None)
    assert code == 401 and answer == {"error": "admin password required"}
    code, answer = upload(b.port, good, password="wrong")
    assert code == 401
    untouched(b)
    # nothing refused was left on flash, and a restart boots the same version
    assert not os.path.exists(os.path.join(b.dir, "ota", "a", "firmware"))
    b.power_cut()
    untouched(b)
    assert b.boots == 2


def _in_a_file(bundle, near):
    """An offset near `near` inside a file's bytes, not in a file's line: where the
    lines fall depends on the build (what modules it has, how big)."""
    i = bundle.index(b"\n") + 1  # after the bundle's own line
    while True:
        j = bundle.index(b"\n", i) + 1
        n = int(bundle[i:j].split(b" ")[1])
        if i <= near < j:
            return j + n // 2
        if near < j + n:
            return near
        i = j + n


def test_a_truncated_upload_is_refused(board, builds):
    b = board()
    good = read(builds["good"])
    cut = _in_a_file(good, 40000)
    s = socket.create_connection(("127.0.0.1", b.port), timeout=10)
    auth = __import__("base64").b64encode(b"admin:" + PASSWORD.encode())
    s.sendall(b"POST /api/v1/dev/update HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + auth
              + b"\r\nContent-Length: %d\r\n\r\n" % len(good) + good[:cut])
    s.shutdown(socket.SHUT_WR)  # the client gives up half-way
    answer = recv_all(s)
    s.close()
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert b"bundle cut short in" in answer
    untouched(b)


def test_a_refusal_is_sent_once_the_body_is_read(board, builds):
    """A client sends the whole body before it reads (http.client, curl): answered and closed
    while it still sends, it would get a reset instead of the answer (lwIP's buffers are small)."""
    b = board()
    good = read(builds["good"])
    s = socket.create_connection(("127.0.0.1", b.port), timeout=10)
    s.sendall(b"POST /api/v1/dev/update HTTP/1.1\r\nHost: x\r\nAuthorization: Basic eDp5\r\n"
              b"Content-Length: %d\r\n\r\n" % len(good) + good[:5000])
    s.settimeout(1.0)
    with pytest.raises(socket.timeout):
        s.recv(100)  # no answer while the body is still coming
    s.settimeout(10)
    s.sendall(good[5000:])
    answer = s.recv(4096)
    s.close()
    assert answer.startswith(b"HTTP/1.1 401 ") and b"admin password required" in answer, answer


def test_no_room_on_flash_is_a_507_before_anything_is_written(board, builds):
    b = board(ota_budget=60000)  # DSMR_OTA_BUDGET: a PC's stand-in for a small flash
    code, answer = upload(b.port, read(builds["good"]))
    assert code == 507 and answer["error"].startswith("no room on flash: the update needs "), answer
    untouched(b)
    assert not os.path.exists(os.path.join(b.dir, "ota", "a"))


def test_no_room_keeps_the_previous_version_in_the_folder_it_would_have_used(board, builds):
    # running from ota/b with ota/a the previous version, the one a failed trial goes back to:
    # a bundle refused for want of room must leave it as it was (nothing was written yet)
    def two_versions(d):
        for slot in ("a", "b"):
            shutil.copytree(builds["good_dir"], os.path.join(d, "ota", slot))
        with open(os.path.join(d, "ota", "state.json"), "w") as f:
            json.dump({"run": "b", "prev": "a", "vrun": NEW, "vprev": NEW, "state": "ok", "note": ""}, f)

    b = board(ota_budget=60000, flash=two_versions)
    assert b.status()["running"] == {"version": NEW, "folder": "/ota/b"}
    code, answer = upload(b.port, read(builds["good"]))
    assert code == 507, answer
    assert os.path.exists(os.path.join(b.dir, "ota", "a", "firmware", "app.mpy"))
    state = b.state_file()
    assert (state["run"], state["prev"], state["vprev"]) == ("b", "a", NEW)
    assert b.status()["previous"] == {"version": NEW, "folder": "/ota/a"}


def test_without_an_admin_password_updates_are_refused(board, builds):
    b = board(admin_password="")
    code, answer = upload(b.port, read(builds["good"]), password=None)
    assert code == 403 and "set an admin password first" in answer["error"], answer
    untouched(b)


def test_an_update_from_another_site_or_by_guessing_is_refused(board, builds):
    # the write gate's Origin check and its pause after wrong passwords (api_write.py, api_auth.py)
    b = board()
    code, answer = upload(b.port, read(builds["good"]), origin="http://evil.example")
    assert code == 403 and answer == {"error": "writes are taken only from the dongle's own page"}, answer
    codes = [upload(b.port, b"x\n", password="guess-%d" % i)[0] for i in range(5)]
    assert codes == [401, 401, 401, 429, 429], codes
    untouched(b)


# -- trials that fail roll back by themselves ----------------------------------


@pytest.mark.parametrize("variant,why", [
    ("import_fails", "boom at import"),
    ("main_raises", "boom in main"),
    ("no_p1", "not healthy within 8 s"),
])
def test_an_update_that_fails_its_trial_goes_back_by_itself(board, builds, variant, why):
    b = board()
    code, answer = upload(b.port, read(builds[variant]))
    assert code == 200, answer
    wait_for(lambda: b.boots >= 3, 40, "the trial boot, then the next")
    b.wait_up(3)
    s = b.status()
    assert s["running"] == {"version": OLD, "folder": "/"}, s
    assert s["update"]["state"] == "rolledback" and why in s["update"]["message"], s
    assert s["update"]["message"].startswith("0.9.")
    info = b.info()
    assert info["update"] == "rolledback" and why in info["updatenote"]
    assert b.boots == 3  # no more: the old version is healthy
    time.sleep(3)
    assert b.boots == 3 and b.status()["running"]["folder"] == "/"


# -- power cuts ---------------------------------------------------------------


def _slow_upload(port, body, upto):
    """Sends the head and the first `upto` bytes of the body, and keeps the socket open."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    auth = __import__("base64").b64encode(b"admin:" + PASSWORD.encode())
    s.sendall(b"POST /api/v1/dev/update HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + auth
              + b"\r\nContent-Length: %d\r\n\r\n" % len(body))
    for i in range(0, upto, 4096):
        s.sendall(body[i:min(upto, i + 4096)])
        time.sleep(0.01)
    return s


def test_a_power_cut_at_every_stage_leaves_a_bootable_version(board, builds):
    b = board()
    good = read(builds["good"])
    first = good.index(b"\n") + 1
    # staging: in the header, after it, in the first file, in the middle, all sent
    for upto in (20, first, first + 200, len(good) // 2, len(good)):
        b.wait_healthy()
        s = _slow_upload(b.port, good, upto)
        time.sleep(0.5)
        b.power_cut()
        s.close()
        st = b.status()
        assert st["running"]["folder"] in ("/", "/ota/a"), (upto, st)
        if upto < len(good):
            assert st["running"] == {"version": OLD, "folder": "/"}, (upto, st)
        elif st["running"]["folder"] == "/ota/a":  # it had switched: a cut in the trial goes back
            b.power_cut()
            b.wait_healthy()
            assert b.status()["running"]["folder"] == "/" and b.status()["update"]["state"] == "rolledback"
    # switching: the state file written whole and renamed over the old one; a cut leaves either
    st = b.state_file()
    new = os.path.join(b.dir, "ota", "state.new")
    with open(new, "w") as f:
        f.write('{"run": "a", "prev": "", "tri')  # cut while writing: the old state stands
    b.wait_healthy()
    b.power_cut()
    assert b.status()["running"]["folder"] == "/"
    # a good update, then a cut in its trial boot (before it is healthy): back to the old one
    code, answer = upload(b.port, good)
    assert code == 200, answer
    n = b.boots
    b.wait_up(n + 1)
    assert b.status()["running"]["folder"] == "/ota/a" and b.status()["update"]["state"] == "trial"
    b.power_cut()  # (the trial boot: before it is healthy)
    s = b.status()
    assert s["running"] == {"version": OLD, "folder": "/"}, s
    assert s["update"]["message"] == NEW + " was rolled back: it restarted before it was healthy"
    # a rename cut half-way on FAT (the old state.json removed, state.new not yet renamed)
    st = b.state_file()
    st.update(run="a", prev="", vrun=NEW, vprev=OLD, trial=0)
    os.remove(os.path.join(b.dir, "ota", "state.json"))
    with open(new, "w") as f:
        json.dump(st, f)
    b.wait_healthy()
    b.power_cut()
    assert b.status()["running"] == {"version": NEW, "folder": "/ota/a"}
    # a state that points at a folder with missing files, or that is garbage: the USB version
    shutil.rmtree(os.path.join(b.dir, "ota", "a", "firmware"))
    b.power_cut()  # (in a trial: the next boot goes back to /, which is there)
    assert b.status()["running"]["folder"] == "/"
    # a trial whose previous folder was being overwritten by the next update (forgotten): /
    b.wait_healthy()
    with open(os.path.join(b.dir, "ota", "state.json"), "w") as f:
        json.dump({"run": "b", "prev": None, "vrun": NEW, "vprev": None, "trial": 1}, f)
    b.power_cut()
    assert b.status()["running"]["folder"] == "/" and b.status()["update"]["state"] == "rolledback"
    b.wait_healthy()
    with open(os.path.join(b.dir, "ota", "state.json"), "w") as f:
        f.write("\0\0\0garbage")
    b.wait_healthy()
    b.power_cut()
    assert b.status()["running"]["folder"] == "/"
    # and after all that, an update still works
    code, answer = upload(b.port, good)
    assert code == 200, answer
    b.wait_up(b.boots + 1)
    wait_for(lambda: b.status()["update"]["state"] == "ok", 20, "the trial passed")
    assert b.status()["running"]["version"] == NEW


# -- make ota / tools/ota.py ---------------------------------------------------


def test_tools_ota_builds_uploads_and_waits_for_the_new_version(board, builds, kind, tmp_path):
    b = board()
    arch = ARCH
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "ota.py"), "--host", "127.0.0.1:%d" % b.port,
         "--arch", arch, "--build", builds["good_dir"], "--version", NEW, "--out", str(tmp_path / "u.bundle"),
         "--wait", "30"], env=dict(os.environ, PASSWORD=PASSWORD), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "running %s (trial)" % NEW in out.stdout or "running %s (ok)" % NEW in out.stdout, out.stdout
    assert b.status()["running"]["version"] == NEW
    # a refusal says why and fails
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "ota.py"), "--host", "127.0.0.1:%d" % b.port,
         "--build", builds["good_dir"], "--out", str(tmp_path / "u.bundle"), "--password", "wrong"],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "refused (401): admin password required" in out.stdout, out.stdout


@pytest.mark.cpython_only
def test_make_ota_runs_tools_ota_with_the_host_and_arch():
    out = subprocess.run(["make", "-n", "ota", "HOST=10.0.0.7", "PASSWORD=x"], cwd=ROOT,
                         capture_output=True, text=True, timeout=30)
    assert "tools/ota.py --host 10.0.0.7 --arch xtensawin" in out.stdout, out.stdout + out.stderr

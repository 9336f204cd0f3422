"""The boot guard (bootguard.py): boot loops end in safe mode, bad settings files boot with
defaults, a firmware that cannot be imported does not loop, and the watchdog never resets a
board someone has interrupted (Ctrl-C, mpremote, a deploy).

The firmware runs as a real MicroPython process; where the dongle would reset
(platform.restart(), machine.reset()) it exits with code 75 (bootguard.RESTART),
and `Dongle.boot()` starts it again with the same data folder, counting boots,
as a reset would. Each brick from issue 12 is first shown to happen (the boots
that die, and why), then shown caught. Run on the ESP32-like interpreter with
96k and the .mpy build (as on the dongle) when ../shared/tools has it, and on
the 64-bit unix port from the sources.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import MICROPYTHON, built_for
from harness import ESP32LIKE, ROOT, fixture, free_port, get, wait_for

# These tests pick their interpreters themselves (the `target` fixture: the yardstick and the
# unix port), so the yardstick pass of `make test` does not run them a second time.
pytestmark = pytest.mark.cpython_only

RESTART = 75
UNIX_HEAP = os.environ.get("DSMR_TEST_HEAP", "192k")  # (the unix port from sources: tests/harness.py)

built = built_for("x86")  # the fixture `built`: the .mpy tree for the ESP32-like interpreter


@pytest.fixture(params=["esp32like-96k", "unix"])
def target(request):
    """(interpreter, device files, heap): the yardstick with the .mpy build, or the unix port."""
    if request.param == "unix":
        return MICROPYTHON, ROOT, UNIX_HEAP
    if not os.path.exists(ESP32LIKE):
        pytest.skip("no ESP32-like interpreter (../shared/tools/micropython-esp32like)")
    return ESP32LIKE, request.getfixturevalue("built"), "96k"


class Dongle:
    """The firmware in `root`, started again after each reset (exit code 75) like a dongle."""

    def __init__(self, tmp_path, target, env=None):
        self.mp, self.root, self.heap = target
        self.data = tmp_path
        self.port = free_port()
        self.log_path = str(tmp_path / "firmware.log")
        self.env = dict(os.environ, DSMR_P1="tcp:127.0.0.1:9",  # (no meter: the simulator needs more heap)
                        DSMR_HTTP_PORT=str(self.port), DSMR_DATA_DIR=str(tmp_path),
                        DSMR_RAW_PORT="0")
        self.env.update(env or {})
        self.boots = 0
        self.proc = None
        self.codes = []  # each ended boot's exit code

    def _spawn(self):
        self.boots += 1
        with open(self.log_path, "a") as log:
            log.write("--- boot %d\n" % self.boots)
            log.flush()
            self.proc = subprocess.Popen([self.mp, "-X", "heapsize=" + self.heap, "main.py"], cwd=self.root,
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def boot(self, max_boots=8, timeout=20):
        """Starts it (again after each reset) until it serves HTTP or stops for good.
        True when it serves; False when it ended with another exit code than a reset."""
        if self.proc is None or self.proc.poll() is not None:
            self._spawn()
        end = time.monotonic() + timeout * max_boots
        while time.monotonic() < end:
            rc = self.proc.poll()
            if rc is not None:
                self.codes.append(rc)
                if rc != RESTART:
                    return False
                assert self.boots < max_boots, "still looping after %d boots:\n%s" % (self.boots, self.log())
                self._spawn()
                continue
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                time.sleep(0.05)
        raise AssertionError("neither serving nor stopped:\n" + self.log())

    def restarted(self, timeout=10):
        """Waits for the running boot to end in a reset."""
        rc = self.proc.wait(timeout)
        self.codes.append(rc)
        assert rc == RESTART, rc

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def get(self, path, **kw):
        return get(self.port, path, **kw)

    def info(self):
        """/api/v1/dev/info as a dict; None while it answers 503 (at 96k the device page may find
        no room under the firmware's normal load: a memory matter, not the boot guard's)."""
        for _ in range(10):
            r = self.get("/api/v1/dev/info")
            if r.status != 503:
                return {e["name"]: e["value"] for e in r.json()["devinfo"]}
            time.sleep(0.3)
        assert self.mp != MICROPYTHON, "dev/info stays 503 on the unix port"
        return None

    def mode(self):
        """How the running boot started, from its log: "safe" or "run"."""
        last = self.log().rsplit("--- boot ", 1)[-1]
        assert "dsmr-api " in last, last
        return "safe" if "SAFE MODE" in last else "run"

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)


@pytest.fixture
def dongle(tmp_path, target):
    made = []

    def make(**env):
        d = Dongle(tmp_path, target, env)
        made.append(d)
        return d

    yield make
    for d in made:
        d.stop()


def _device_copy(target, tmp_path):
    """A copy of the device files to break, like a deploy cut half-way."""
    mp, root, heap = target
    dst = str(tmp_path / "device")
    shutil.copytree(root, dst, ignore=shutil.ignore_patterns(".git", ".venv", ".stubs", "build", "data", "tests",
                                                             "tools", "docs", "node_modules", "__pycache__", ".*"))
    return (mp, dst, heap), dst


def _break(dst, module, aside):
    """Replaces firmware/<module> by one that raises at import; returns a function that puts it back."""
    base = os.path.join(dst, "firmware", module)
    ext = ".mpy" if os.path.exists(base + ".mpy") else ".py"
    os.rename(base + ext, aside)
    with open(base + ".py", "w") as f:
        f.write("raise ImportError('half copied')\n")  # a set of files that do not import together

    def restore():
        os.remove(base + ".py")
        os.rename(aside, base + ext)

    return restore


def test_three_failed_boots_then_safe_mode_is_served(tmp_path, target, meter):
    t, dst = _device_copy(target, tmp_path)
    restore = _break(dst, "p1_reader", str(tmp_path / "p1_reader.aside"))
    data = tmp_path / "data"
    data.mkdir()
    saved = {"wifi_ssid": "home", "admin_password": "owner-pw", "hostname": "meterkast", "http_timeout": 9}
    (data / "settings.json").write_text(json.dumps(saved))
    d = Dongle(data, t, {"DSMR_P1": "tcp:127.0.0.1:%d" % meter.port})
    try:
        assert d.boot()
        # the brick: each boot stops on the broken module and resets, again and again
        assert d.boots == 4 and d.codes == [RESTART] * 3
        assert d.log().count("firmware stopped: ImportError('half copied'") == 3
        info = d.info()
        assert info["safemode"] is True and info["bootfails"] == 3
        assert "3 boots in a row failed" in info["safemodereason"] and "half copied" in info["safemodereason"]
        # no meter is read in safe mode: its rows are left out, the rest is there in its order
        assert "telegramcount" not in info and "p1connected" not in info and "p1sourceerrors" not in info
        assert list(info).index("p1source") + 1 == list(info).index("httprequests")
        # factory defaults in memory, but the saved network, name and password; the file untouched
        by = {e["name"]: e for e in d.get("/api/v1/dev/settings").json()["settings"]}
        assert by["http_timeout"]["value"] == 5 and by["hostname"]["value"] == "meterkast"
        assert by["admin_password"]["set"] is True
        assert json.loads((data / "settings.json").read_text()) == saved
        # only what fixing it takes: no meter reading or data, no history; the setup page says why
        assert meter.connections == 0
        for path in ("/api/v1/sm/actual", "/api/v1/hist/hours", "/index.html", "/api/v1/dev/time"):
            assert d.get(path).status == 404, path
        page = d.get("/")  # (its script shows dev/info's safemodereason, as the browser test sees)
        assert page.status == 200 and b"Safe mode" in page.body and b"safemodereason" in page.body
        # leaving it: fix what is wrong (here: the files), then an authenticated restart
        auth = {"Authorization": "Bearer owner-pw", "Content-Type": "application/json"}
        restore()
        assert d.get("/api/v1/dev/restart", method="POST", headers={"Content-Type": "application/json"}).status == 401
        r = d.get("/api/v1/dev/settings", method="POST", body=b'{"name": "http_timeout", "value": 7}', headers=auth)
        assert r.status == 200
        assert d.get("/api/v1/dev/restart", method="POST", headers=auth).json() == {"restart": True}
        d.restarted()
        assert d.boot() and d.boots == 5 and d.mode() == "run"
        assert (data / "boots").read_bytes() == b"BG1 1 0 "  # (the count had gone to 0: this boot's 1)
        assert json.loads((data / "settings.json").read_text()) == dict(saved, http_timeout=7)  # the fix, kept
        meter.wait_client()
        t = fixture("dsmr50_spec")
        meter.send(t)
        wait_for(lambda: d.get("/api/v1/sm/telegram").body == t, 15, "meter data again")
    finally:
        d.stop()


def test_a_boot_that_stays_healthy_sets_the_count_back(dongle, tmp_path):
    (tmp_path / "boots").write_bytes(b"BG1 2 0 stopped: MemoryError()")  # two failed boots before
    d = dongle(DSMR_HEALTHY_S="2")
    assert d.boot() and d.boots == 1
    assert d.mode() == "run" and (tmp_path / "boots").read_bytes().startswith(b"BG1 3 ")
    wait_for(lambda: "boot: healthy for 2 s" in d.log(), 10, "healthy")
    assert (tmp_path / "boots").read_bytes() == b"BG1 0 0 "
    d.stop()  # then a kill: the next boot is a plain one, not safe mode's
    d2 = dongle()
    assert d2.boot() and d2.mode() == "run"


JUNK = {
    "40 KB of valid JSON": json.dumps({"hostname": "x", "junk": [0] * 13000}),
    "a 60 KB string": json.dumps("x" * 60000),
    "3000 levels deep": "[" * 3000 + "]" * 3000,
}


@pytest.mark.parametrize("what", sorted(JUNK))
def test_a_settings_file_that_cannot_be_read_boots_with_defaults_and_is_kept_aside(dongle, tmp_path, target, what):
    bad = JUNK[what].encode()
    (tmp_path / "settings.json").write_bytes(bad)
    # the brick: with the dongle's 96k, loading it raises what the old code did not catch
    # (only OSError and ValueError)
    r = subprocess.run([target[0], "-X", "heapsize=96k", "-c", "import json\ntry:\n json.load(open(%r))\n"
                        "except Exception as e:\n print(type(e).__name__)" % str(tmp_path / "settings.json")],
                       capture_output=True, text=True, timeout=30)
    assert r.stdout.strip() in ("MemoryError", "RuntimeError"), r.stdout + r.stderr
    d = dongle()
    assert d.boot() and d.boots == 1 and d.mode() == "run"  # no loop, no safe mode: defaults
    assert (tmp_path / "settings.json.bad").read_bytes() == bad and not (tmp_path / "settings.json").exists()
    assert "settings file is corrupt (settings.json: " in d.log() and "kept as settings.json.bad" in d.log()
    info = d.info()
    if info is not None:
        assert info["safemode"] is False and info["hostname"] == "dsmr-api"
        assert "settings.json" in info["settingserror"] and "settings.json.bad" in info["settingserror"]
    if target[0] == MICROPYTHON:  # (at 96k a settings change may find no room: a 503, "try again")
        r = d.get("/api/v1/dev/settings", method="POST", body=b'{"writes_open": true, "http_timeout": 9}',
                  headers={"Content-Type": "application/json"})
        assert r.status == 200
        assert json.loads((tmp_path / "settings.json").read_text()) == {"writes_open": True, "http_timeout": 9}


def test_a_firmware_that_cannot_be_imported_is_counted_and_stops_looping(tmp_path, target):
    t, dst = _device_copy(target, tmp_path)
    restore = _break(dst, "app", str(tmp_path / "app.aside"))  # (the package's first module)
    data = tmp_path / "data"
    data.mkdir()
    d = Dongle(data, t)
    try:
        assert d.boot() is False  # it stopped by itself: no endless loop
        # three plain boots, two in safe mode, each a reset; then nothing is started
        assert d.codes == [RESTART] * 5 + [0] and d.boots == 6
        assert d.log().count("the firmware cannot be imported: ImportError('half copied'") == 5
        assert "5 boots failed, safe mode too" in d.log()
        assert b"firmware import: ImportError('half copied'" in (data / "boots").read_bytes()
        # whole files again (a deploy that finished) and a power cycle: it runs
        restore()
        (data / "boots").unlink()  # (RTC memory does not survive a power cut)
        assert d.boot() and d.mode() == "run"
    finally:
        d.stop()


def test_a_cut_deploy_leaves_the_previous_version_and_a_whole_one_is_switched_at_boot(tmp_path, target):
    mp, root, heap = target
    t, dst = _device_copy(target, tmp_path)
    compiled = os.path.exists(os.path.join(dst, "firmware", "app.mpy"))
    name = "firmware/api_dev." + ("mpy" if compiled else "py")
    with open(os.path.join(dst, name), "rb") as f:
        whole = f.read()
    # the brick: a file cut short by a deploy. A truncated .mpy hangs MicroPython's import for
    # good (its reader returns 0xff at the end, which reads as "more bytes follow")
    if compiled:
        os.makedirs(str(tmp_path / "cut" / "firmware"))
        shutil.copy(os.path.join(dst, "firmware", "__init__.mpy"), str(tmp_path / "cut" / "firmware"))
        with open(str(tmp_path / "cut" / name), "wb") as f:
            f.write(whole[:100])
        with pytest.raises(subprocess.TimeoutExpired):
            subprocess.run([mp, "-c", "import firmware.api_dev"], cwd=str(tmp_path / "cut"), timeout=3,
                           capture_output=True)
    # a deploy cut while staging: the new files only in .deploy/, no MANIFEST
    stage = os.path.join(dst, ".deploy", "firmware")
    os.makedirs(stage)
    with open(os.path.join(stage, os.path.basename(name)), "wb") as f:
        f.write(whole[:100])
    data = tmp_path / "data"
    data.mkdir()
    d = Dongle(data, t)
    try:
        assert d.boot() and d.boots == 1 and d.mode() == "run"  # the previous version
        d.stop()
        # a whole deploy: staged, MANIFEST last; the boot guard switches before any import
        new = whole.replace(b"fwversion", b"fwversiox") if not compiled else whole
        with open(os.path.join(stage, os.path.basename(name)), "wb") as f:
            f.write(new)
        with open(os.path.join(dst, ".deploy", "MANIFEST"), "w") as f:
            f.write(name + "\n")
        assert d.boot() and d.boots == 2
        assert "deploy finished: 1 files" in d.log()
        assert not os.path.exists(os.path.join(dst, ".deploy", "MANIFEST"))
        assert not os.path.exists(os.path.join(stage, os.path.basename(name)))
        with open(os.path.join(dst, name), "rb") as f:
            assert f.read() == new
        if not compiled:
            assert "fwversiox" in d.info()
    finally:
        d.stop()


def test_the_maintenance_flag_starts_nothing_once(dongle, tmp_path):
    (tmp_path / "maintenance").write_text("")
    d = dongle()
    assert d.boot() is False and d.codes == [0]
    assert "maintenance" in d.log() and not (tmp_path / "maintenance").exists()
    assert not (tmp_path / "boots").exists() or (tmp_path / "boots").read_bytes().startswith(b"BG1 0 ")
    assert d.boot() and d.mode() == "run"  # the next boot runs


def test_a_restart_the_user_asks_for_is_not_a_failed_boot(dongle, tmp_path):
    (tmp_path / "settings.json").write_text('{"writes_open": true}')  # the owner's choice: no admin password
    d = dongle()
    js = {"Content-Type": "application/json"}
    for i in range(4):
        assert d.boot()
        assert d.get("/api/v1/dev/restart", method="POST", headers=js).status == 200
        d.restarted()
    assert d.boot() and d.mode() == "run" and (tmp_path / "boots").read_bytes() == b"BG1 1 0 "


def _serves(port):
    try:
        return get(port, "/api/v1/dev/info", timeout=2).status == 200
    except OSError:
        return False


class Board:
    """tests/fakes/board.py: the ESP32's boot.py, main.py and REPL around the fakes of
    machine and network, from the sources on the unix port; lines sent are typed at the REPL."""

    def __init__(self, tmp_path, meter, settings, healthy_s):
        (tmp_path / "settings.json").write_text(json.dumps(settings))
        self.hw = str(tmp_path / "hardware.log")
        self.out = str(tmp_path / "board.log")
        self.port = free_port()
        env = dict(os.environ, DSMR_PLATFORM="esp32", MICROPYPATH=os.path.join(ROOT, "tests", "fakes") + ":.frozen",
                   FAKE_LOG=self.hw, FAKE_UART_TCP="127.0.0.1:%d" % meter.port, FAKE_WIFI="ok",
                   DSMR_DATA_DIR=str(tmp_path), DSMR_HTTP_PORT=str(self.port), DSMR_RAW_PORT="0",
                   DSMR_HEALTHY_S=str(healthy_s))
        # (a heap to spare: a soft reset here cannot start a fresh heap as the dongle's does)
        self.proc = subprocess.Popen([MICROPYTHON, "-X", "heapsize=1m", "tests/fakes/board.py"], cwd=ROOT,
                                     env=env, stdin=subprocess.PIPE, stdout=open(self.out, "w"),
                                     stderr=subprocess.STDOUT)

    def type(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def log(self):
        with open(self.out) as f:
            return f.read()

    def events(self, kind=None):
        try:
            with open(self.hw) as f:
                ev = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []
        return [e for e in ev if kind is None or e["event"] == kind]

    def alive_for(self, seconds):
        """True if the board was not reset within `seconds`."""
        try:
            self.proc.wait(seconds)
            return False
        except subprocess.TimeoutExpired:
            return not self.events("reset")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def board(tmp_path, meter):
    made = []

    def make(settings, healthy_s):
        b = Board(tmp_path, meter, settings, healthy_s)
        made.append(b)
        return b

    yield make
    for b in made:
        b.stop()


def test_the_fake_watchdog_resets_a_board_nobody_feeds(board):
    """The control for the tests below: tests/fakes/machine.py's WDT is as unforgiving as the port's."""
    b = board({"wifi_ssid": "home"}, 300)
    wait_for(lambda: "P1 source uart open" in b.log(), 15, "the firmware")
    b.proc.send_signal(signal.SIGINT)
    wait_for(lambda: "KeyboardInterrupt" in b.log(), 10, "the REPL")
    assert b.alive_for(2)  # no watchdog before the boot was healthy: nothing to fear at the REPL
    assert not b.events("wdt_init")
    b.type("import machine; w = machine.WDT(timeout=1000)")
    b.proc.wait(5)  # the board is reset a second later
    assert b.events()[-1]["event"] == "reset" and b.events()[-1]["cause"] == "wdt"


def test_ctrl_c_mpremote_and_soft_resets_never_let_the_watchdog_reset_the_board(board):
    b = board({"wifi_ssid": "home", "wdt_timeout": 2}, 1)
    wait_for(lambda: b.events("wdt_init"), 15, "the watchdog started once the boot was healthy")
    wait_for(lambda: b.events("wdt_feed"), 5, "the firmware feeding it")
    # Ctrl-C: the firmware ends, the watchdog (which cannot be stopped) runs on, a timer feeds it
    b.proc.send_signal(signal.SIGINT)
    wait_for(lambda: "KeyboardInterrupt" in b.log(), 10, "the REPL")
    assert "a timer feeds it" in b.log()
    assert b.alive_for(6)  # three timeouts at the REPL
    # mpremote: raw REPL and a soft reset, which stops the timer; boot.py starts it again
    b.type("raw-soft-reset")
    wait_for(lambda: b.log().count("a timer feeds it") == 2, 10, "boot.py")
    assert b.alive_for(6)
    b.type("print('repl', 6 * 7)")
    wait_for(lambda: "repl 42" in b.log(), 5, "the REPL to answer")
    # Ctrl-D: boot.py and main.py; the firmware serves, becomes healthy and feeds it itself again
    feeds = len(b.events("wdt_feed"))
    b.type("soft-reset")
    wait_for(lambda: _serves(b.port), 15, "the firmware again")
    wait_for(lambda: b.events()[-1]["event"] == "wdt_feed" and len(b.events("timer_deinit")) >= 3, 10,
             "the firmware feeding the watchdog")
    assert len(b.events("wdt_feed")) > feeds and b.alive_for(3)


@pytest.mark.parametrize("wifi", ["ok", "fail"])
def test_safe_mode_on_the_dongle_joins_the_saved_network_or_opens_the_setup_access_point(tmp_path, meter, wifi):
    from harness import Firmware

    hw = str(tmp_path / "hardware.log")
    with open(hw + ".rtc", "wb") as f:  # the fake's RTC memory: three boots failed before this one
        f.write(b"BG1 3 0 stopped: MemoryError()")
    # (an admin password, kept in safe mode: without one no fallback access point opens at all)
    (tmp_path / "settings.json").write_text(json.dumps({"wifi_ssid": "home", "wifi_password": "password1",
                                                        "admin_password": "s3cret-pw", "wdt_timeout": 2}))
    env = {"DSMR_PLATFORM": "esp32", "MICROPYPATH": os.path.join(ROOT, "tests", "fakes") + ":.frozen",
           "FAKE_LOG": hw, "FAKE_UART_TCP": "127.0.0.1:%d" % meter.port, "FAKE_WIFI": wifi, "DSMR_HEALTHY_S": "1",
           "DSMR_WIFI_TIMEOUT": "5"}  # (safe mode: the default 30 s, save for a PC's overrides)
    fw = Firmware(tmp_path, "uart", heap=UNIX_HEAP, root=ROOT, env=env)
    try:
        def events(kind):
            with open(hw) as f:
                return [e for e in (json.loads(x) for x in f if x.strip()) if e["event"] == kind]

        assert "SAFE MODE: 3 boots in a row failed; the last: stopped: MemoryError()" in fw.log()
        wait_for(lambda: events("connect"), 10, "the station tried")
        assert events("connect")[0]["ssid"] == "home"  # the saved network, kept in safe mode
        if wifi == "fail":
            wait_for(lambda: events("config"), 15, "the setup access point")
            assert events("config")[0]["essid"].startswith("dsmr-api-")
        else:
            wait_for(lambda: "joined home" in fw.log(), 10, "joined")
            assert not events("config")
        page = fw.get("/")
        assert page.status == 200 and b"Safe mode" in page.body and b"safemodereason" in page.body
        info = {e["name"]: e["value"] for e in fw.get("/api/v1/dev/info").json()["devinfo"]}
        assert info["safemode"] is True and "MemoryError()" in info["safemodereason"]  # what the page shows
        time.sleep(2.5)  # past DSMR_HEALTHY_S: safe mode neither reads the meter nor starts a watchdog
        assert not events("uart") and not events("wdt_init") and meter.connections == 0
        with open(hw + ".rtc", "rb") as f:
            assert f.read().startswith(b"BG1 4 ")  # and is not healthy: only a restart asked for leaves it
    finally:
        fw.stop()

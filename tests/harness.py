"""End-to-end harness: the real firmware under `micropython`, a TCP meter, HTTP helpers.

`Firmware` starts `micropython -X heapsize=.. main.py` as a subprocess with
DSMR_* environment (its log goes to a file the test can read). `TcpMeter` is
a raw telegram server on 127.0.0.1 that the firmware connects to
(DSMR_P1=tcp:127.0.0.1:PORT); the test decides which bytes it sends.
`get()` speaks HTTP with the standard library; `raw()` sends exact bytes.
"""

import http.client
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROPYTHON = os.path.join(os.path.dirname(sys.executable), "micropython")
# The heap the firmware gets in the end-to-end tests (64-bit unix port, code
# compiled from the sources at start-up and, for the endpoints loaded per
# request, while serving): a little above the smallest at which the whole
# suite passes (160k when last measured, in 4k steps), so a change that needs
# much more memory fails here. The issues ask for 96k; tools/bench/min_heap.py
# measures the smallest heap that serves.
HEAP = os.environ.get("DSMR_TEST_HEAP", "168k")


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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
            c.shutdown(socket.SHUT_RDWR)
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
    def __init__(self, tmp_path, p1, heap=HEAP, root=ROOT, env=None, script="main.py", **settings):
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

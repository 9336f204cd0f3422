"""Finds the smallest MicroPython heap at which the firmware still serves.

Starts `micropython -X heapsize=N main.py` fed by a TCP meter, sends a
telegram, then asks every endpoint 10 times, 4 clients at once; N passes
when every answer is right and the process is alive. N goes up from 64k in
4k steps (fragmentation makes bisection unreliable) until it passes three
times in a row. Done twice: from the sources (compiled at start-up, as in
the tests) and from the .mpy build (tools/build.py --arch x64, compiled
ahead as on the dongle). Prints `min_heap_kb_*=` lines. Run by tools/bench.py.
"""

import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "tests"), os.path.join(ROOT, "lib")]

from harness import Firmware, TcpMeter, wait_for  # noqa: E402

PATHS = ["/api/v1/sm/actual", "/api/v0/sm/actual", "/api/v1/sm/info", "/api/v1/sm/fields",
         "/api/v1/sm/fields/power_delivered", "/api/v1/sm/telegram", "/nope"]


def serves(heap_kb, telegram, root=None):
    meter = TcpMeter()
    fw = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                fw = Firmware(tmp, "tcp:127.0.0.1:%d" % meter.port, heap="%dk" % heap_kb, root=root or ROOT)
                meter.wait_client(timeout=5)
                meter.send(telegram)
                wait_for(lambda: fw.get("/api/v1/sm/telegram").body == telegram, 5)
            except Exception as e:
                if os.environ.get("DEBUG"):
                    print("heap %dk: %r" % (heap_kb, e), file=sys.stderr)
                return False

            def one(path):
                try:
                    r = fw.get(path)
                    return r.status == (404 if path == "/nope" else 200)
                except Exception as e:
                    if os.environ.get("DEBUG"):
                        print("heap %dk %s: %r" % (heap_kb, path, e), file=sys.stderr)
                    return False

            with ThreadPoolExecutor(4) as ex:
                ok = all(ex.map(one, PATHS * 10))
            return ok and fw.alive() and "MemoryError" not in fw.log()
    finally:
        if fw:
            fw.stop()
        meter.close()


def smallest(telegram, root=None):
    heap = 64
    while heap <= 256:
        if all(serves(heap + k * 4, telegram, root) for k in range(3)):
            return heap
        heap += 4
    return None


def main():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import build

    with open(os.path.join(ROOT, "tests", "fixtures", "dsmr50_multi_mbus.txt"), "rb") as f:
        telegram = f.read()
    print("min_heap_kb_from_sources=%s  (target 64; e2e tests need 96)" % smallest(telegram))
    out = os.path.join(ROOT, "build", "x64")
    build.build("x64", out)
    print("min_heap_kb_from_mpy=%s" % smallest(telegram, out))


if __name__ == "__main__":
    main()

"""Finds the smallest MicroPython heap at which the firmware still serves.

Starts `micropython -X heapsize=N main.py` (from the sources) fed by a TCP
meter, sends a telegram, then asks every endpoint 10 times, 4 clients at
once; N passes when every answer is right and the process is alive. Bisects
N in 2 KB steps and prints `min_heap_kb=...`. Run by tools/bench.py.
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


def serves(heap_kb, telegram):
    meter = TcpMeter()
    fw = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                fw = Firmware(tmp, "tcp:127.0.0.1:%d" % meter.port, heap="%dk" % heap_kb)
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


def main():
    with open(os.path.join(ROOT, "tests", "fixtures", "dsmr50_multi_mbus.txt"), "rb") as f:
        telegram = f.read()
    lo, hi = 32, 256  # lo fails, hi serves
    if not serves(hi, telegram):
        print("min_heap_kb=>%d" % hi)
        return
    while hi - lo > 2:
        mid = (lo + hi) // 2 // 2 * 2
        if serves(mid, telegram):
            hi = mid
        else:
            lo = mid
    print("min_heap_kb=%d" % hi)
    print("serves_at_96k=%s" % serves(96, telegram))


if __name__ == "__main__":
    main()

"""Finds the smallest MicroPython heap at which the firmware still starts and serves.

Starts `<micropython> -X heapsize=N main.py` fed by a TCP meter that sends a
telegram every 0.2 s, then asks every endpoint of the chosen parts 6 times,
4 clients at once; N passes when every answer is right, the process is alive
and its log has no MemoryError (a P1 reader or a part that ran out of memory
fails N even if every answer was right). N goes up in 4k steps
(fragmentation makes bisection unreliable) until it passes three runs in a
row at N.

Parts:
  core  P1, the spec endpoints (/api/v1/sm/*, /api/v0/sm/actual) and the web page;
        history, MQTT and the raw stream off
  full  every feature on: the above plus history (its rings full, as after two
        years), MQTT (to a mosquitto started here, when installed), the raw
        stream with a client attached, device info and time, settings, history,
        quarter-hour peaks and Prometheus endpoints

Both run the dongle's platform layer over the fakes of machine, network and
socket (tests/fakes). Those are C modules in the dongle's flash but Python
compiled into the heap here (16 KB on the yardstick, measured per run): each run gets
that much more heap than the figure it counts for (`fakes_kb_*`). On the yardstick (../shared/tools/micropython-esp32like,
32-bit, the ESP32's split heap) the build is `tools/build.py --arch x86`:
.mpy files compiled ahead, as on the dongle.

    python tools/bench/min_heap.py [--micropython PATH] [--arch x86|x64|src] [core] [full]

Prints `min_heap_kb_<arch>_<parts>=N  (target T)` lines; exits 1 when a
figure misses its target. Run by tools/bench.py.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "tests"), os.path.join(ROOT, "lib")]

import harness  # noqa: E402
from harness import MOSQUITTO, Broker, Firmware, TcpMeter, free_port, wait_for  # noqa: E402

FAKES = os.path.join(ROOT, "tests", "fakes")  # compiled to .mpy for a build (compiled_fakes())
YARDSTICK = os.environ.get("DSMR_ESP32LIKE") or os.path.join(os.path.dirname(ROOT), "shared", "tools", "micropython-esp32like")

CORE_PATHS = ["/api/v1/sm/actual", "/api/v0/sm/actual", "/api/v1/sm/info", "/api/v1/sm/fields",
              "/api/v1/sm/fields/power_delivered", "/api/v1/sm/telegram", "/", "/nope"]
FULL_PATHS = CORE_PATHS + ["/api/v1/sm/samples", "/api/v1/sm/peaks", "/api/v1/dev/info", "/api/v1/dev/time",
                           "/api/v1/dev/settings", "/api/v1/hist/hours", "/api/v1/hist/usage/days",
                           "/api/v1/hist/months/asc", "/metrics"]
# The targets (issue #11): the whole firmware at 80k, the core at 64k, on the yardstick.
TARGETS = {"core": 64, "full": 80}


class Ticker:
    """Sends the telegram every 0.2 s while the firmware is asked."""

    def __init__(self, meter, telegram):
        self.meter, self.telegram = meter, telegram
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop.wait(0.2):
            try:
                self.meter.send(self.telegram)
            except Exception:
                pass

    def close(self):
        self.stop.set()
        self.t.join()


def full_history(tmp, telegram):
    """Rings full of records up to the telegram's period (48 hours, 14 days, 24
    months), as a dongle has after two years: the history pages list them all."""
    import struct

    from dsmr import timestamp
    from dsmr.crc16 import crc16

    at = telegram.index(b"0-0:1.0.0(") + 10
    t = timestamp.parse(telegram[at : at + 13])
    y, m, d = timestamp.civil_from_days(t // 86400)
    for name, now, slots in (("hist_hours.bin", t // 3600, 48), ("hist_days.bin", t // 86400, 14),
                             ("hist_months.bin", y * 12 + m - 1, 24)):
        recs = bytearray(26 * slots)
        for k in range(now - slots, now):
            n = k - now + slots  # counters that grow (thousandths)
            v = [1000000 + 300 * n, 2000000 + 200 * n, 3000 + 50 * n, 4000 + 10 * n, 5000 + 20 * n]
            rec = struct.pack("<I5i", k, *v)
            rec += struct.pack("<H", crc16(rec))
            recs[(k % slots) * 26 : (k % slots) * 26 + 26] = rec
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(recs)


def serves(heap_kb, telegram, root, mp, parts, broker=None, why=None, extra=None):
    """True when the firmware started at heap_kb serves every endpoint of `parts`."""
    meter = TcpMeter()
    fw = ticker = raw = None
    harness.MICROPYTHON, saved = mp, harness.MICROPYTHON
    try:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                with open(os.path.join(tmp, "settings.json"), "w") as f:
                    f.write('{"wifi_ssid": "home"}')
                # as tests/test_e2e_esp32.py runs the dongle: the ESP32's errno (esp32_main.py),
                # without which MQTT's connect took the fakes' EINPROGRESS (newlib's 119) for
                # an error and never connected; NTP's server found (one that does not answer)
                env = {"DSMR_PLATFORM": "esp32", "MICROPYPATH": FAKES + ":.frozen",
                       "FAKE_LOG": os.path.join(tmp, "hardware.log"),
                       "FAKE_UART_TCP": "127.0.0.1:%d" % meter.port, "FAKE_WIFI": "ok",
                       "FAKE_DNS": "pool.ntp.org=127.0.0.1", "DSMR_NTP_PORT": "9"}
                settings = {}
                if parts == "core":
                    settings.update(hist_hours=0, mqtt_url="")
                else:
                    full_history(tmp, telegram)
                    settings["raw_port"] = free_port()
                    if broker is not None:
                        settings["mqtt_url"] = "mqtt://127.0.0.1:%d" % broker.port
                        settings["mqtt_interval"] = 1
                settings.update(extra or {})
                fw = Firmware(tmp, "uart", heap="%dk" % heap_kb, root=root, env=env,
                              script=os.path.join(FAKES, "esp32_main.py"), **settings)
                meter.wait_client(timeout=10)
                # a client reaches a dongle over its Wi-Fi: none comes while the join's code is loaded
                wait_for(lambda: "joined home" in fw.log(), 10)
                meter.send(telegram)
                wait_for(lambda: fw.get("/api/v1/sm/telegram").body == telegram, 10)
                ticker = Ticker(meter, telegram)
                if parts == "full":
                    raw = socket.create_connection(("127.0.0.1", settings["raw_port"]), timeout=5)
            except Exception as e:
                if why is not None:
                    why.append("heap %dk: did not start: %r" % (heap_kb, e))
                return False

            def one(path):
                try:
                    r = fw.get(path, timeout=20)
                    ok = r.status == (404 if path == "/nope" else 200)
                    if not ok and why is not None:
                        why.append("heap %dk %s: %d %s" % (heap_kb, path, r.status, r.body[:80]))
                    return ok
                except Exception as e:
                    if why is not None:
                        why.append("heap %dk %s: %r" % (heap_kb, path, e))
                    return False

            paths = CORE_PATHS if parts == "core" else FULL_PATHS
            with ThreadPoolExecutor(4) as ex:
                ok = all(list(ex.map(one, paths * 6)))
            if raw is not None:  # the raw client got whole telegrams all along
                raw.settimeout(2)
                got = b""
                try:
                    while len(got) < 2 * len(telegram):
                        d = raw.recv(65536)
                        if not d:
                            break
                        got += d
                except OSError:
                    pass
                if telegram not in got:
                    ok = False
                    if why is not None:
                        why.append("heap %dk: the raw stream's client got no telegram" % heap_kb)
            log = fw.log()
            if "MemoryError" in log or not fw.alive():
                if why is not None:
                    why.append("heap %dk: %s" % (heap_kb, "MemoryError in the log" if fw.alive() else "exited")
                               + "\n" + "\n".join(l for l in log.splitlines() if "Error" in l)[:600])
                return False
            return ok
    finally:
        harness.MICROPYTHON = saved
        if ticker:
            ticker.close()
        if raw:
            raw.close()
        if fw:
            fw.stop()
        meter.close()


YARDSTICK_TOP = 112  # KB in all: two areas of 56 (see figures())


def compiled_fakes(arch, out):
    """tests/fakes compiled for `arch` into `out` (harness.compile_fakes), used from there."""
    global FAKES
    import harness

    harness.compile_fakes(arch, out)
    FAKES = out


def fakes_kb(mp):
    """KB of heap the fakes (tests/fakes, compiled) take on `mp`: the dongle has those
    modules in flash, not in its heap. Measured as the tests measure it (harness.fakes_heap_k)."""
    import harness

    return harness.fakes_heap_k(mp, FAKES)


def smallest(telegram, root, mp, parts, start=48, top=256, extra_kb=0):
    """The smallest heap (KB, 4k steps) that serves three runs in a row, or None.
    Each run gets extra_kb more (the fakes' share, which the figure leaves out)."""
    broker = None
    tmp = tempfile.mkdtemp()
    why = [] if os.environ.get("DEBUG") else None
    try:
        if parts == "full" and MOSQUITTO:
            broker = Broker(tmp)
        heap = start
        while heap <= top:
            if all(serves(heap + extra_kb, telegram, root, mp, parts, broker, why) for _ in range(3)):
                return heap
            heap += 4
        return None
    finally:
        if why:
            print("\n".join(why), file=sys.stderr)
        if broker:
            broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def figures(mp, arch, which, out=None):
    """[(name, kb, target)] for each of `which` (core, full) on interpreter `mp`, build `arch`."""
    with open(os.path.join(ROOT, "tests", "fixtures", "dsmr50_multi_mbus.txt"), "rb") as f:
        telegram = f.read()
    root = ROOT
    if arch != "src":
        sys.path.insert(0, os.path.join(ROOT, "tools"))
        import build

        root = out or os.path.join(ROOT, "build", arch)
        build.build(arch, root)
        compiled_fakes(arch, root + "-fakes")
    extra = fakes_kb(mp)
    # On the yardstick a heap above 112k in all (56 + 56) is not a bigger heap: an area a
    # collection empties is freed and not given back to -X heapsize (README "Still a
    # proxy"), and the less a firmware keeps, the likelier that is. So every run stays
    # within 112k with the fakes (a figure N passes three runs at N); beyond, the
    # figure is None (not measurable there).
    top = YARDSTICK_TOP - extra if arch == "x86" else 256
    return extra, [("min_heap_kb_%s_%s" % (arch, parts), smallest(telegram, root, mp, parts, top=top, extra_kb=extra),
                    TARGETS[parts]) for parts in which]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--micropython", default=YARDSTICK if os.path.exists(YARDSTICK) else harness.MICROPYTHON)
    ap.add_argument("--arch", default=None, help="x86 (the yardstick's), x64 (the PyPI unix port's) or src")
    ap.add_argument("parts", nargs="*", default=["core", "full"])
    a = ap.parse_args(argv)
    arch = a.arch or ("x86" if a.micropython == YARDSTICK else "x64")
    missed = 0
    extra, found = figures(a.micropython, arch, a.parts)
    print("fakes_kb_%s=%d  (machine, network and socket faked in Python: in flash on the dongle, so "
          "each run below gets this much more heap than the figure says)" % (arch, extra))
    for name, kb, target in found:
        if arch == "x86":  # the targets are the yardstick's; the 64-bit figures are for comparison
            miss = kb is None or kb > target
            print("%s=%s  (target %d, on %s%s)%s" % (name, kb, target, os.path.basename(a.micropython),
                                                   "; none up to %dk: above, the yardstick cannot tell"
                                                   % (YARDSTICK_TOP - extra) if kb is None else "",
                                                   "  MISSED" if miss else ""))
            missed += miss
        else:
            print("%s=%s  (64-bit unix port, for comparison)" % (name, kb))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

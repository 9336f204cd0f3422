"""`make bench`: prints the project's speed and memory figures as name=value lines.

Runs each benchmark body under the real MicroPython unix port and, where a
comparison is asked for, the reference on the same machine in the same run,
then prints the ratios. Targets live here, not in the tests:
  parser: >= 10x faster than dsmr_parser on CPython, 0 bytes per telegram.
  http:   >= 2x microdot's requests/s at <= 1/3 of its heap; no leak
          (heap after 10,000 requests equal to heap after 100).
  heap:   the smallest -X heapsize that starts and serves, on the yardstick
          (../shared/tools/micropython-esp32like, .mpy x86 build): core <= 64k,
          everything on <= 80k; exits 1 when a target is missed.

  page:   the web page's size, plain and gzip-compressed as the dongle serves it.

  suite:  the smallest heap at which the whole test suite passes on the
          yardstick (target 80k; 96k is the most a dongle may count on).
  names:  the names (qstrs) the firmware interns once every module was loaded,
          and how many more fit before the heap's name pools take their next
          step (on the yardstick a step of about 9 KB at about 1260 names:
          pools double as they fill, and names are never dropped); target:
          room for 100 more.

    python tools/bench.py [parser] [http] [heap] [page] [suite] [names]     (all by default)
"""

import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MP = os.path.join(os.path.dirname(sys.executable), "micropython")
MISSED = []  # targets missed by the figures below that print theirs with target()


def target(name, value, met, goal):
    """Prints `name=value  (target goal)`, and remembers it when not met."""
    print("%s=%s  (target %s)%s" % (name, value, goal, "" if met else "  MISSED"))
    if not met:
        MISSED.append(name)
# the ESP32-like interpreter (../shared/tools/README.md): 32-bit, float32, the split heap
YARDSTICK = os.environ.get("DSMR_ESP32LIKE") or os.path.join(os.path.dirname(ROOT), "shared", "tools",
                                                             "micropython-esp32like")


def run_mp(script, *args, heap=None):
    import tempfile

    cmd = [MP] + (["-X", "heapsize=" + heap] if heap else []) + [script] + list(args)
    with tempfile.TemporaryDirectory() as data:  # files a benchmark writes (history), not the repo's data/
        env = dict(os.environ, DSMR_DATA_DIR=data)
        out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if out.returncode:
        raise SystemExit("benchmark failed: %s\n%s%s" % (script, out.stdout, out.stderr))
    return dict(line.split("=", 1) for line in out.stdout.split() if "=" in line)


def dsmr_parser_us(path, n=500):
    from dsmr_parser import telegram_specifications
    from dsmr_parser.parsers import TelegramParser

    text = open(path, "rb").read().decode()
    p = TelegramParser(telegram_specifications.V5)
    for _ in range(20):
        p.parse(text)
    t0 = time.perf_counter()
    for _ in range(n):
        p.parse(text)
    return (time.perf_counter() - t0) / n * 1e6


def bench_parser():
    r = run_mp(os.path.join(ROOT, "tools", "bench", "parser_mp.py"))
    for k, v in r.items():
        print("%s=%s" % (k, v))
    ref = dsmr_parser_us(os.path.join(ROOT, "tests", "fixtures", "dsmr50_multi_mbus.txt"))
    print("dsmr_parser_cpython_us_per_telegram=%.1f" % ref)
    ratio = ref / float(r["parser_us_per_telegram"])
    target("parser_speedup_vs_dsmr_parser", "%.1f" % ratio, ratio >= 10, ">= 10")
    alloc = float(r["parser_bytes_allocated_per_telegram"])
    target("parser_bytes_allocated_per_telegram", "%g" % alloc, alloc == 0, "0")


def bench_page():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import build

    with open(os.path.join(ROOT, "www", "index.html"), "rb") as f:
        data = f.read()
    print("page_bytes=%d  (www/index.html)" % len(data))
    print("page_gzip_bytes=%d  (what a browser that takes gzip gets)" % len(build.gzipped(data)))


def _heap_sampler(url_port, path, key, stop, out):
    import json

    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from harness import get

    while not stop.is_set():
        try:
            r = get(url_port, path, timeout=10)
            doc = json.loads(r.body)
            if "devinfo" in doc:
                doc = {e["name"]: e["value"] for e in doc["devinfo"]}
            out.append(doc[key])
        except Exception:
            pass
        time.sleep(0.05)


def _used(port, path):
    import json

    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from harness import get

    doc = json.loads(get(port, path).body)
    if "devinfo" in doc:
        doc = {e["name"]: e["value"] for e in doc["devinfo"]}
    return doc["usedheap"]


def _settled_used(port, path):
    """Heap in use once the load's connections have closed: the least of a few reads."""
    time.sleep(0.5)
    return min(_used(port, path) for _ in range(5))


def _load_with_peak(port, heap_path, **kw):
    import threading

    sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
    import http_load

    stop = threading.Event()
    peaks = []
    t = threading.Thread(target=_heap_sampler, args=(port, heap_path, "usedheap", stop, peaks))
    t.start()
    try:
        rps, fails = http_load.run(port, "/api/v1/sm/actual", **kw)
    finally:
        stop.set()
        t.join()
    return rps, fails, max(peaks) if peaks else -1


def _keepalive_ms(port, path, n):
    """Mean ms of `n` requests for `path` one after the other on one keep-alive connection."""
    import http.client

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        t0 = time.perf_counter()
        for _ in range(n):
            c.request("GET", path)
            c.getresponse().read()
        return (time.perf_counter() - t0) * 1000 / n
    finally:
        c.close()


def bench_http():
    import subprocess as sp
    import tempfile

    sys.path[:0] = [os.path.join(ROOT, "tests"), os.path.join(ROOT, "tools", "bench")]
    import http_load
    from harness import Firmware, TcpMeter, free_port, wait_for

    telegram_path = os.path.join(ROOT, "tests", "fixtures", "dsmr50_spec.txt")
    telegram = open(telegram_path, "rb").read()
    meter = TcpMeter()
    tmp = tempfile.mkdtemp()
    fw = Firmware(tmp, "tcp:127.0.0.1:%d" % meter.port, heap=None)
    md = None
    try:
        meter.wait_client()
        meter.send(telegram)
        wait_for(lambda: fw.get("/api/v1/sm/telegram").body == telegram, 10)
        ours_start = _settled_used(fw.port, "/api/v1/dev/info")
        devinfo_ms = _keepalive_ms(fw.port, "/api/v1/dev/info", 100)
        rps_close, fails_close, ours_peak = _load_with_peak(fw.port, "/api/v1/dev/info", total=3000, concurrency=8)
        rps_keep, fails_keep = http_load.run(fw.port, "/api/v1/sm/actual", total=5000, concurrency=8, keep_alive=True)
        # leak check: exact request counts, so the asyncio client
        http_load.run(fw.port, "/api/v1/sm/actual", total=100, concurrency=4, client="python")
        after_100 = _settled_used(fw.port, "/api/v1/dev/info")
        http_load.run(fw.port, "/api/v1/sm/actual", total=9900, concurrency=8, client="python")
        after_10k = _settled_used(fw.port, "/api/v1/dev/info")
        http_load.run(fw.port, "/api/v1/sm/actual", total=10000, concurrency=8, client="python")
        after_20k = _settled_used(fw.port, "/api/v1/dev/info")

        import microdot

        port = free_port()
        md = sp.Popen([os.path.join(os.path.dirname(sys.executable), "micropython"),
                       os.path.join(ROOT, "tools", "bench", "microdot_app.py"), str(port),
                       os.path.dirname(os.path.dirname(microdot.__file__)), telegram_path],
                      cwd=ROOT, stdout=sp.DEVNULL, stderr=sp.STDOUT)
        wait_for(lambda: _try_used(port), 10, "microdot")
        md_start = _settled_used(port, "/heap")
        md_rps, md_fails, md_peak = _load_with_peak(port, "/heap", total=3000, concurrency=8)
    finally:
        fw.stop()
        meter.close()
        if md:
            md.terminate()
            md.wait()
    print("http_load_client=%s" % http_load.CLIENT)
    print("http_actual_rps_new_connection=%.0f  (failures %d)" % (rps_close, len(fails_close)))
    print("http_actual_rps_keep_alive=%.0f  (failures %d)" % (rps_keep, len(fails_keep)))
    print("microdot_actual_rps_new_connection=%.0f  (failures %d)" % (md_rps, len(md_fails)))
    target("http_speedup_vs_microdot", "%.2f" % (rps_close / md_rps), rps_close / md_rps >= 2, ">= 2")
    target("http_devinfo_keepalive_ms", "%.1f" % devinfo_ms, devinfo_ms <= 10,
           "<= 10: device info is more than one send, and none may wait for the client's delayed ACK")
    print("heap_used_after_start=%d" % ours_start)
    print("heap_used_peak_under_load=%d" % ours_peak)
    print("microdot_heap_used_after_start=%d" % md_start)
    print("microdot_heap_used_peak_under_load=%d" % md_peak)
    base = int(run_mp(os.path.join(ROOT, "tools", "bench", "baseline_mp.py"), telegram_path)["baseline"])
    print("shared_baseline_heap=%d  (runtime + asyncio + parser with a telegram)" % base)
    print("heap_ratio_vs_microdot=%.2f  (whole process, peak vs peak)" % (ours_peak / md_peak))
    ratio = (ours_peak - base) / (md_peak - base)
    target("heap_ratio_vs_microdot_above_baseline", "%.2f" % ratio, ratio <= 0.33,
           "<= 0.33; ours is the whole firmware, microdot one route")
    print("heap_after_100_requests=%d" % after_100)
    print("heap_after_10000_requests=%d" % after_10k)
    print("heap_after_20000_requests=%d" % after_20k)
    growth = after_20k - after_10k
    target("heap_growth_10000_to_20000", growth, growth <= 4096, "0; up to 4 KB is the collector, not a leak")


def _try_used(port):
    try:
        return _used(port, "/heap") > 0
    except Exception:
        return False


def bench_per_telegram():
    """Bytes allocated per telegram by the P1 reader and each listener (tests/cases_per_telegram.py),
    on the yardstick and the 64-bit port. False when one is not 0."""
    code = ("import sys\nsys.path[:0] = ['.', 'lib', 'tests']\nimport cases_per_telegram as c\n"
            "for k, v in c.per_telegram().items(): print('%s=%s' % (k, v))\n"
            "print('read_loop=%s' % c.reader_loop())\nprint('mqtt_round=%s' % c.mqtt_round())\n")
    ok = True
    for name, mp in (("yardstick", YARDSTICK), ("unix64", MP)):
        if not os.path.exists(mp):
            print("note: %s is missing: no %s figures" % (mp, name))
            continue
        heap = "256k" if mp == YARDSTICK else "1024k"  # (64-bit objects are twice the size)
        out = subprocess.run([mp, "-X", "heapsize=" + heap, "-c", code], cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
        got = dict(line.split("=", 1) for line in out.stdout.split() if "=" in line)
        if out.returncode or not got:
            print("bytes_per_telegram_%s failed: %s%s" % (name, out.stdout, out.stderr))
            ok = False
            continue
        for k, v in got.items():
            print("bytes_per_telegram_%s_%s=%s  (target 0)" % (name, k, v))
            ok = ok and float(v) == 0
    return ok


def bench_heap():
    """The smallest heap that starts and serves (tools/bench/min_heap.py): on the
    yardstick (32-bit, the ESP32's split heap, the .mpy build) for the core and the
    whole firmware, then the 64-bit .mpy build beside them. False when a target is missed."""
    ok = True
    runs = []
    if os.path.exists(YARDSTICK):
        runs.append(["--micropython", YARDSTICK, "--arch", "x86", "core", "full"])
    else:
        print("note: %s is missing: no yardstick heap figures" % YARDSTICK)
    runs.append(["--micropython", MP, "--arch", "x64", "core"])
    for args in runs:
        out = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "bench", "min_heap.py")] + args,
                             cwd=ROOT, capture_output=True, text=True, timeout=1800)
        print(out.stdout.strip())
        MISSED.extend(line.split("=")[0] for line in out.stdout.splitlines() if line.endswith("MISSED"))
        if out.returncode:
            ok = False
            if out.returncode != 1:
                print(out.stderr.strip())
    return ok


def _suite_passes(heap_kb):
    """Whether the whole suite passes on the yardstick at `heap_kb`."""
    env = dict(os.environ, DSMR_TEST_TARGET="esp32like", DSMR_YARDSTICK_HEAP="%dk" % heap_kb,
               DSMR_ESP32LIKE=YARDSTICK)
    cmd = [os.path.join(os.path.dirname(sys.executable), "pytest"), "-q", "-x", "-p", "no:cacheprovider",
           "-m", "not cpython_only", os.path.join(ROOT, "tests")]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    return out.returncode == 0


def bench_suite_heap():
    """The smallest heap at which the whole suite passes on the yardstick (the .mpy
    build on the esp32like interpreter): down from 96k in 8k steps while it passes,
    or up from 104k to 136k until it does. Each step is a run of the suite (minutes)."""
    if not os.path.exists(YARDSTICK):
        print("note: %s is missing: no suite heap figure" % YARDSTICK)
        return
    best = None
    for kb in (96, 88, 80, 72, 64):
        if not _suite_passes(kb):
            break
        best = kb
    if best is None:
        for kb in (104, 112, 120, 128, 136):
            if _suite_passes(kb):
                best = kb
                break
    target("suite_min_heap_kb_yardstick", best, best is not None and best <= 80,
           "<= 80; 96 is the most a dongle may count on")


_NAMES = """
import sys, micropython
sys.path[:0] = ["", "lib"]
for m in sys.argv[1:]:
    __import__(m)
micropython.qstr_info()
import gc
for i in range(4000):  # new names until the pools take a step
    getattr(gc, "zz%d" % i, None)
    if i % 10 == 9:
        micropython.qstr_info()
"""


def bench_names():
    """Names the firmware interns with every module loaded (the PC's platform layer,
    the .mpy build on the yardstick), and how many more fit before the name pools
    grow again. False when the room is under the target."""
    if not os.path.exists(YARDSTICK):
        print("note: %s is missing: no names figure" % YARDSTICK)
        return True
    import re

    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import build

    out_dir = os.path.join(ROOT, "build", "x86")
    build.build("x86", out_dir)
    mods = ["bootguard", "bootstate", "firmware.platform.unix"]
    for top in ("firmware", os.path.join("lib", "dsmr")):
        for n in sorted(os.listdir(os.path.join(out_dir, top))):
            if n.endswith(".mpy") and n != "simulator.mpy":  # (the simulator is a PC's)
                pkg = "dsmr" if top != "firmware" else "firmware"
                mods.append(pkg if n == "__init__.mpy" else pkg + "." + n[:-4])
    with open(os.path.join(out_dir, "_names.py"), "w") as f:
        f.write(_NAMES)
    try:
        out = subprocess.run([YARDSTICK, "-X", "heapsize=1m", "_names.py"] + mods, cwd=out_dir,
                             env=dict(os.environ, DSMR_PLATFORM="unix"), capture_output=True, text=True, timeout=120)
    finally:
        os.remove(os.path.join(out_dir, "_names.py"))
    info = [tuple(int(x) for x in m) for m in re.findall(r"n_pool=(\d+), n_qstr=(\d+)", out.stdout)]
    if not info:
        print("names: could not measure: " + (out.stdout + out.stderr)[-300:])
        return False
    pools, names = info[0]
    room = next((q - names for p, q in info[1:] if p > pools), None)
    print("names_interned_all_modules=%d  (%d name pools)" % (names, pools))
    target("names_room_before_next_pool", room, room is not None and room >= 100,
           ">= 100: the next pool costs about 9 KB for good")
    return True


if __name__ == "__main__":
    which = sys.argv[1:] or ["parser", "http", "heap", "page", "suite", "names"]
    if "page" in which:
        bench_page()
    if "parser" in which:
        bench_parser()
    if "http" in which:
        bench_http()
    missed = False
    if "parser" in which:
        missed |= not bench_per_telegram()
    if "heap" in which:
        missed |= not bench_heap()
    if "suite" in which:
        bench_suite_heap()
    if "names" in which:
        missed |= not bench_names()
    if MISSED:
        print("targets missed: " + ", ".join(MISSED))
    sys.exit(1 if missed or MISSED else 0)

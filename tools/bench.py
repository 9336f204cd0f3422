"""`make bench`: prints the project's speed and memory figures as name=value lines.

Runs each benchmark body under the real MicroPython unix port and, where a
comparison is asked for, the reference on the same machine in the same run,
then prints the ratios. Targets live here, not in the tests:
  parser: >= 10x faster than dsmr_parser on CPython, 0 bytes per telegram.
"""

import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MP = os.path.join(os.path.dirname(sys.executable), "micropython")


def run_mp(script, *args, heap=None):
    cmd = [MP] + (["-X", "heapsize=" + heap] if heap else []) + [script] + list(args)
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
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
    print("parser_speedup_vs_dsmr_parser=%.1f  (target >= 10)" % ratio)
    print("parser_alloc_target_met=%s  (target 0 bytes)" % (float(r["parser_bytes_allocated_per_telegram"]) == 0))


if __name__ == "__main__":
    which = sys.argv[1:] or ["parser"]
    if "parser" in which:
        bench_parser()

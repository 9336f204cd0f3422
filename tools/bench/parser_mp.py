"""Parser benchmark body, run under the MicroPython unix port by tools/bench.py.

Feeds one ~1 KB DSMR 5 telegram repeatedly (as UART-sized chunks and whole)
and prints name=value lines: microseconds per telegram for feed + CRC + index,
and heap bytes allocated per telegram after warm-up.
"""

import gc
import sys
import time

root = __file__.rsplit("/", 3)[0] if __file__.count("/") >= 3 else "."
sys.path.insert(0, root + "/lib")

from dsmr import P1Parser  # noqa: E402

N = 2000
with open(root + "/tests/fixtures/dsmr50_multi_mbus.txt", "rb") as f:
    tele = bytearray(f.read())
p = P1Parser()
for _ in range(20):
    p.feed(tele, len(tele))

t0 = time.ticks_us()
for _ in range(N):
    p.feed(tele, len(tele))
dt = time.ticks_diff(time.ticks_us(), t0)
assert p.telegrams == N + 20 and p.crc_errors == 0

# the same stream as 128-byte reads into one reused buffer, as the UART task does
chunk = bytearray(128)
mv = memoryview(tele)
t0 = time.ticks_us()
for _ in range(N // 4):
    i = 0
    while i < len(tele):
        n = min(128, len(tele) - i)
        chunk[:n] = mv[i : i + n]
        p.feed(chunk, n)
        i += n
dt_chunks = time.ticks_diff(time.ticks_us(), t0)

gc.collect()
gc.disable()
a0 = gc.mem_alloc()
for _ in range(N):
    p.feed(tele, len(tele))
a1 = gc.mem_alloc()
gc.enable()

print("telegram_bytes=%d" % len(tele))
print("parser_us_per_telegram=%.1f" % (dt / N))
print("parser_us_per_telegram_128B_chunks=%.1f" % (dt_chunks / (N // 4)))
print("parser_bytes_allocated_per_telegram=%.2f" % ((a1 - a0) / N))

# JSON rendering of /api/v1/sm/actual and /api/v1/sm/fields, as the HTTP server does it
sys.path.insert(0, root)
from dsmr.jsonw import JsonWriter  # noqa: E402
from firmware.api_sm import SmartMeterApi  # noqa: E402


class _Reader:
    parser = p


class _Req:
    extra = b""
    ctype = b""


api = SmartMeterApi(_Reader())
w = JsonWriter(4096 + 512, 512)
req = _Req()
for _ in range(10):
    w.reset()
    api.actual(req, w)
gc.collect()
gc.disable()
a0 = gc.mem_alloc()
t0 = time.ticks_us()
for _ in range(N // 4):
    w.reset()
    api.actual(req, w)
dt = time.ticks_diff(time.ticks_us(), t0)
a1 = gc.mem_alloc()
gc.enable()
print("render_actual_bytes=%d" % w.length())
print("render_actual_us=%.1f" % (dt / (N // 4)))
print("render_actual_bytes_allocated_per_render=%.2f" % ((a1 - a0) / (N // 4)))
gc.collect()
gc.disable()
a0 = gc.mem_alloc()
for _ in range(100):
    w.reset()
    api.fields(req, w)
a1 = gc.mem_alloc()
gc.enable()
print("render_fields_bytes=%d" % w.length())
print("render_fields_bytes_allocated_per_render=%.2f" % ((a1 - a0) / 100))

# what the P1 reader does per telegram besides parsing: history (its files in
# DSMR_DATA_DIR, which tools/bench.py points at a folder of its own) and the samples ring
from firmware import platform  # noqa: E402
from firmware.history import History  # noqa: E402
from firmware.samples import Samples  # noqa: E402

hist = History({"hist_hours": 48, "hist_days": 14, "hist_months": 24}, platform)
samples = Samples()
for _ in range(5):
    p.feed(tele, len(tele))
    hist.update(p)
    samples.update(p)
gc.collect()
gc.disable()
a0 = gc.mem_alloc()
t0 = time.ticks_us()
for _ in range(N // 4):
    p.feed(tele, len(tele))
    hist.update(p)
    samples.update(p)
dt = time.ticks_diff(time.ticks_us(), t0)
a1 = gc.mem_alloc()
gc.enable()
print("telegram_with_history_and_samples_us=%.1f" % (dt / (N // 4)))
print("telegram_with_history_and_samples_bytes_allocated=%.2f" % ((a1 - a0) / (N // 4)))

"""The heap both benchmarked servers share: runtime, asyncio, the parser with a telegram.

Run by tools/bench.py under MicroPython; prints `baseline=<bytes>`. The same
steps as the top of tools/bench/microdot_app.py, so subtracting it leaves
what each server itself costs.
"""

import gc
import sys

root = __file__.rsplit("/", 3)[0] if __file__.count("/") >= 3 else "."
sys.path[:0] = [root + "/lib"]

import asyncio  # noqa: E402,F401

from dsmr import P1Parser, fields, values  # noqa: E402,F401

p = P1Parser()
with open(sys.argv[1], "rb") as f:
    p.feed(f.read())
gc.collect()
print("baseline=%d" % gc.mem_alloc())

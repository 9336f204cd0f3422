"""The reference for the HTTP benchmark: /api/v1/sm/actual served by microdot.

Runs under the same MicroPython unix port as the firmware:
    micropython tools/bench/microdot_app.py PORT MICRODOT_DIR TELEGRAM_FILE
It parses the same telegram with lib/dsmr and answers with the same JSON, the
way a microdot app is written: a dict of lists, returned for microdot to
encode. /heap answers the heap in use after a collection, for the bench.
"""

import gc
import sys

root = __file__.rsplit("/", 3)[0] if __file__.count("/") >= 3 else "."
sys.path[:0] = [root + "/lib", sys.argv[2]]

import asyncio  # noqa: E402,F401

from dsmr import P1Parser, fields, values  # noqa: E402

ACTUAL = ("timestamp", "energy_delivered_tariff1", "energy_delivered_tariff2", "energy_returned_tariff1",
          "energy_returned_tariff2", "power_delivered", "power_returned", "voltage_l1", "voltage_l2",
          "voltage_l3", "current_l1", "current_l2", "current_l3", "power_delivered_l1", "power_delivered_l2",
          "power_delivered_l3", "power_returned_l1", "power_returned_l2", "power_returned_l3")

p = P1Parser()
with open(sys.argv[3], "rb") as f:
    p.feed(f.read())
gc.collect()
BASELINE = gc.mem_alloc()  # runtime + asyncio + parser with its telegram: what both servers share

from microdot import Microdot  # noqa: E402

app = Microdot()


@app.route("/api/v1/sm/actual")
async def actual(request):
    out = []
    for name in ACTUAL:
        f = fields.index(name)
        if not p.present(f):
            continue
        if fields.KINDS[f] == fields.NUM:
            e = {"name": name, "value": values.number(p, f)}
            if values.unit(p, f):
                e["unit"] = values.unit(p, f)
        else:
            e = {"name": name, "value": values.text(p, f)}
        out.append(e)
    g = p.gas_field()
    if g >= 0:
        out.append({"name": "gas_delivered", "value": values.number(p, g), "unit": values.unit(p, g)})
    return {"actual": out}


@app.route("/heap")
async def heap(request):
    gc.collect()
    return {"usedheap": gc.mem_alloc(), "baseline": BASELINE}


gc.collect()
app.run(host="127.0.0.1", port=int(sys.argv[1]))

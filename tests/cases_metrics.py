"""/metrics renders without allocating, and the same bytes on both passes (under MicroPython:
tests/test_metrics.py runs these on the PyPI unix port and on the yardstick)."""

import gc

from dsmr.jsonw import JsonWriter
from firmware.api_metrics import MetricsApi
from firmware.app import App
from firmware.buffers import Buffers
from firmware.http_server import HttpServer
from firmware.p1_reader import P1Reader

_HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."


def _app(fixture):
    s = {"hostname": "dsmr-api", "p1": "tcp:127.0.0.1:1", "p1_buffer": 2048, "p1_require_crc": False,
         "http_buffer": 512, "http_max_conn": 1}
    a = App()
    a.settings = s
    bufs = Buffers(s)
    a.reader = P1Reader(s, bufs)
    a.http = HttpServer(0, bufs, None)
    with open(_HERE + "/fixtures/" + fixture + ".txt", "rb") as f:
        a.reader.parser.feed(f.read())
    assert a.reader.parser.telegrams == 1
    return a


class _Req:
    ctype = b""


def _render(api, w, req):
    w.reset()
    api.metrics(req, w)
    return w.length()


def _no_allocation(fixture):
    app = _app(fixture)
    w = JsonWriter(8192)
    req = _Req()
    _render(MetricsApi(app), w, req)  # warm up
    api = MetricsApi(app)
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        n = _render(api, w, req)
        n2 = _render(api, w, req)
        after = gc.mem_alloc()
    finally:
        gc.enable()
    body = bytes(w.buf[:n])
    assert after == before, (fixture, after - before)
    assert n == n2 and n > 1000, (n, n2)
    return body


def case_rendering_allocates_nothing_dutch_meter():
    body = _no_allocation("dsmr50_multi_mbus")
    assert b'\ndsmr_gas_delivered_m3_total 2963.380\n' in body, body


def case_rendering_allocates_nothing_belgian_meter():
    body = _no_allocation("fluvius")
    assert b'\ndsmr_demand_average_kw 2.351\n' in body, body


def case_untyped_gas_channel_allocates_nothing():
    body = _no_allocation("dsmr22")
    assert b"dsmr_gas_delivered_m3_total " in body, body


def case_both_passes_give_the_same_bytes():
    # a body bigger than the buffer is counted, then sent: what changes by itself
    # (uptime, heap) is taken once per request
    app = _app("fluvius")
    api = MetricsApi(app)
    out = []
    for _ in range(2):
        w = JsonWriter(8192)
        api.metrics(_Req(), w)
        out.append(bytes(w.buf[: w.length()]))
        junk = [bytearray(100) for _ in range(50)]
        del junk
    assert out[0] == out[1] and b"dsmr_heap_used_bytes" in out[0], out


def all_cases():
    return sorted(k for k in globals() if k.startswith("case_"))

"""Answers bigger than the response buffer are rendered twice, counted and
then sent (firmware/http_response.py): both passes must give the same bytes,
or Content-Length lies. The device endpoints report values that change by
themselves (heap, uptime); run under the MicroPython unix port
(tests/test_streamed.py)."""

import time

from dsmr.jsonw import JsonWriter
from firmware import api_dev
from firmware.app import App
from firmware.buffers import Buffers
from firmware.http_server import HttpServer
from firmware.p1_reader import P1Reader


def _app():
    s = {"hostname": "dsmr-api", "p1": "tcp:127.0.0.1:1", "p1_buffer": 1024, "p1_require_crc": False,
         "http_buffer": 512, "http_max_conn": 1, "admin_password": "", "writes_open": False}
    a = App()
    a.settings = s
    bufs = Buffers(s)
    a.reader = P1Reader(s, bufs)
    a.http = HttpServer(0, bufs, None)
    return a


def _twice(handler, pause_ms=0):
    out = []
    for _ in range(2):  # as http_response.py does for an answer that does not fit
        w = JsonWriter(8192)
        handler(None, w)
        out.append(bytes(w.buf[: w.length()]))
        junk = [bytearray(100) for _ in range(50)]  # the heap changes between the passes
        del junk
        time.sleep_ms(pause_ms)  # (and the clock, where asked)
    return out


def case_device_info_renders_the_same_bytes_both_passes():
    first, second = _twice(api_dev.DeviceApi(_app()).info)
    assert b'"usedheap"' in first and first == second, (first, second)


def case_device_time_renders_the_same_bytes_both_passes():
    first, second = _twice(api_dev.DeviceApi(_app()).time, 1100)  # uptime ticks on
    assert b'"epoch"' in first and first == second, (first, second)


def all_cases():
    return sorted(k for k in globals() if k.startswith("case_"))

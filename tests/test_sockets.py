"""The socket budget (firmware/sockets.py, issue #14.3) under MicroPython: the defaults with
everything on take 9 of the dongle's 10 sockets at full load, which leaves NTP the tenth;
NTP only borrows a free one, and waits while none is."""

import subprocess

from harness import MICROPYTHON, ROOT

CODE = """
import sys, asyncio
sys.path[:0] = ['lib', '.']
from firmware import sockets, settings, platform
s = settings.read(platform)
s.update({'raw_port': 2001, 'mqtt_url': 'mqtt://broker', 'p1': 'uart', 'ntp_server': '127.0.0.1'})
print(sockets.needed(s))
from firmware import lazy
class Full:  # the defaults at full load: HTTP 1 + 3, raw 1 + 3, MQTT 1
    settings = s
    reader = None
    http = type('H', (), {'conns': [0] * s['http_max_conn']})()
    raw = type('R', (), {'clients': [0] * s['raw_max_clients']})()
    mqtt = 1
    ntp = 0
async def tries(seconds):
    try:
        await asyncio.wait_for(lazy.every("ntp", Full, lambda: True), seconds)
    except asyncio.TimeoutError:
        pass
print(sockets.held(Full))
asyncio.run(tries(0.3))  # (its query goes out, nobody answers: cut short)
print(sockets.count)
Full.http.conns.append(0)  # one more connection (http_max_conn 4): all ten held
print(sockets.held(Full))
asyncio.run(tries(0.3))
print(sockets.count, Full.ntp, 'firmware.ntp' in sys.modules)
"""


def test_defaults_leave_ntp_its_socket_and_ntp_waits_while_all_ten_are_held(tmp_path):
    import os

    env = dict(os.environ, DSMR_DATA_DIR=str(tmp_path), DSMR_NTP_PORT="9")  # (nobody answers there)
    out = subprocess.run([MICROPYTHON, "-c", CODE], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    lines = [l for l in out.stdout.splitlines() if not l.startswith(" ")]  # (not the log's lines)
    assert lines[:3] == ["9", "9", "0"], out.stdout + out.stderr  # needed, held, refused: none
    assert lines[3] == "10", out.stdout
    assert "sockets: NTP was refused a socket" in out.stdout
    assert lines[-1] == "1 0 False"  # (one try refused; its code dropped after it)

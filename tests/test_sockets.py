"""The socket budget (firmware/sockets.py, issue #14.3) under MicroPython: the defaults with
everything on take the dongle's 10 sockets; NTP only borrows a free one."""

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
class Full:  # every socket held: HTTP 1 + 4, raw 1 + 3, MQTT 1
    settings = s
    reader = None
    http = type('H', (), {'conns': [0] * 4})()
    raw = type('R', (), {'clients': [0] * 3})()
    mqtt = 1
    ntp = 0
async def main():
    try:
        await asyncio.wait_for(lazy.every("ntp", Full, lambda: True), 0.3)
    except asyncio.TimeoutError:
        pass
asyncio.run(main())
print(sockets.count, Full.ntp, 'firmware.ntp' in sys.modules)
"""


def test_defaults_take_all_ten_and_ntp_waits_for_a_free_one(tmp_path):
    import os

    env = dict(os.environ, DSMR_DATA_DIR=str(tmp_path), DSMR_NTP_PORT="9")  # (nobody answers there)
    out = subprocess.run([MICROPYTHON, "-c", CODE], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    lines = out.stdout.splitlines()
    assert lines[0] == "10", out.stdout + out.stderr
    assert "sockets: NTP was refused a socket" in out.stdout
    assert lines[-1] == "1 0 False"  # (one try; its code dropped after it)

"""firmware/resolve.py under MicroPython with the ESP32 fakes (a lookup blocks, as
on the dongle): addresses need none, answers and failures are kept."""

import json

from test_fakes import mp

CODE = """
import sys, time, asyncio
sys.path[:0] = ['lib', '.']
from firmware import resolve
async def main():
    print(await resolve.address('10.1.2.3'))
    print(await resolve.address('broker.lan'), await resolve.address('broker.lan'))
    for _ in range(2):
        t0 = time.ticks_ms()
        try:
            await resolve.address('gone.lan')
        except OSError as e:
            print('OSError', time.ticks_diff(time.ticks_ms(), t0) >= 300)
    print(resolve.lookups, resolve.failures, resolve.longest_ms >= 300)
asyncio.run(main())
"""


def test_addresses_answers_and_failures(tmp_path):
    log = tmp_path / "fake.log"
    out = mp(CODE, FAKE_DNS="broker.lan=10.0.0.7", FAKE_DNS_FAIL_MS=300, FAKE_LOG=log)
    lines = [x for x in out.splitlines() if "WARN" not in x]
    assert lines == ["10.1.2.3", "10.0.0.7 10.0.0.7", "OSError True", "OSError False", "2 1 True"]
    looked = [json.loads(x)["host"] for x in log.read_text().splitlines()]
    assert looked == ["broker.lan", "gone.lan"]  # once each

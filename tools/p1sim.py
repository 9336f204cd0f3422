"""A simulated smart meter as a TCP server, so any P1 client can be tested.

    python tools/p1sim.py --port 2001              # DSMR 5 meter, 1 telegram/s
    python tools/p1sim.py --port 2001 --speed 3600 # an hour of meter time per second
    python tools/p1sim.py --port 2001 --replay tests/fixtures/dsmr42.txt ...

Every connected client gets the same telegrams, byte for byte as a meter's P1
port sends them (CRLF, CRC). --replay sends the telegrams found in the given
files in turn, forever. Runs on CPython; the meter model is firmware/simulator.py.
"""

import argparse
import asyncio
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "lib"), ROOT]

from firmware.simulator import Meter  # noqa: E402


def split_telegrams(data):
    """The telegrams ('/' ... '!' CRC CRLF) in a file's bytes."""
    out = []
    start = data.find(b"/")
    while start >= 0:
        bang = data.find(b"!", start)
        if bang < 0:
            break
        end = data.find(b"\n", bang)
        end = len(data) if end < 0 else end + 1
        out.append(data[start:end])
        start = data.find(b"/", end)
    return out


class Broadcaster:
    def __init__(self):
        self.clients = set()

    async def handle(self, reader, writer):
        self.clients.add(writer)
        try:
            await reader.read()  # until the client goes away
        finally:
            self.clients.discard(writer)
            writer.close()

    def send(self, data):
        for w in list(self.clients):
            if w.transport.get_write_buffer_size() > 1 << 16:
                continue  # a client that does not read misses telegrams
            w.write(data)


async def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=2001)
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between telegrams")
    ap.add_argument("--speed", type=float, default=1.0, help="meter seconds per telegram interval second")
    ap.add_argument("--replay", nargs="*", help="telegram files to send instead of the simulated meter")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args(argv)
    b = Broadcaster()
    server = await asyncio.start_server(b.handle, args.host, args.port)
    print("p1sim: telegrams on tcp://%s:%d" % (args.host, server.sockets[0].getsockname()[1]), flush=True)
    replay = []
    for path in args.replay or []:
        with open(path, "rb") as f:
            replay += split_telegrams(f.read())
    meter = Meter(args.seed)
    t0 = time.time()
    n = 0
    while True:
        n += 1
        data = replay[(n - 1) % len(replay)] if replay else meter.telegram(t0 + n * args.interval * args.speed)
        b.send(data)
        await asyncio.sleep(args.interval)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass

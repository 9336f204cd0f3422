"""HTTP load for tools/bench.py: wrk when installed, else a small asyncio client.

`run(port, path, total, concurrency, keep_alive)` sends about `total` GET
requests from `concurrency` clients at once, each either reusing its
connection (keep-alive) or opening one per request, and returns
(requests/s, failures). The asyncio client (CPython) tops out near 3-4k
requests/s on new connections, below what the servers manage, so wrk
(Debian package `wrk`) is used when it is there; `CLIENT` says which.
"""

import asyncio
import re
import shutil
import subprocess
import time

CLIENT = "wrk" if shutil.which("wrk") else "python-asyncio"


def _wrk(port, path, total, concurrency, keep_alive):
    seconds = max(2, min(10, total // 2000))
    cmd = ["wrk", "-t2", "-c%d" % concurrency, "-d%ds" % seconds, "http://127.0.0.1:%d%s" % (port, path)]
    if not keep_alive:
        cmd[1:1] = ["-H", "Connection: close"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    fails = []
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        fails += ["non-2xx"] * int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        # with Connection: close wrk counts the server's close as a read "error"
        fails += ["socket"] * (int(m.group(1)) + int(m.group(3)) + int(m.group(4)))
    return rps, fails


async def _one_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    body = await (reader.readexactly(length) if length is not None else reader.read())
    return status, body


async def _client(port, req, n, keep_alive, fails):
    r = w = None
    for _ in range(n):
        try:
            if r is None:
                r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(req)
            await w.drain()
            status, _ = await asyncio.wait_for(_one_response(r), 30)
            if status != 200:
                fails.append(status)
            if not keep_alive:
                w.close()
                r = w = None
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
            fails.append(repr(e))
            if w is not None:
                w.close()
            r = w = None
    if w is not None:
        w.close()


async def _run(port, path, total, concurrency, keep_alive):
    conn = b"keep-alive" if keep_alive else b"close"
    req = b"GET " + path.encode() + b" HTTP/1.1\r\nHost: bench\r\nConnection: " + conn + b"\r\n\r\n"
    fails = []
    t0 = time.perf_counter()
    await asyncio.gather(*[_client(port, req, total // concurrency, keep_alive, fails) for _ in range(concurrency)])
    dt = time.perf_counter() - t0
    return (total // concurrency * concurrency) / dt, fails


def run(port, path, total=2000, concurrency=8, keep_alive=False, client=None):
    if (client or CLIENT) == "wrk":
        return _wrk(port, path, total, concurrency, keep_alive)
    return asyncio.run(_run(port, path, total, concurrency, keep_alive))

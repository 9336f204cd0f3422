"""The socket budget: who may hold how many of the dongle's sockets. The one place that knows.

lwIP on the ESP32 has 10 sockets in all (CONFIG_LWIP_MAX_SOCKETS; MicroPython
does not raise it), listening ones included. Past them socket() and accept()
fail with ENFILE (23; lwIP then drops the waiting connection). So:

  HTTP     1 listening + http_max_conn connections
  raw      1 listening + raw_max_clients clients (when raw_port is set)
  MQTT     1 (when mqtt_url is set)
  P1       1 when it is read over TCP (a PC; the dongle's UART is no socket)
  NTP      1 for up to 2 s an hour, only while one of the 10 is free (it waits
           otherwise: counted and logged as refused)

The defaults with everything on take 9 at full load: NTP has the tenth.
settings_budget.check_sockets()
refuses settings that would need more (loaded with the settings only);
refused() says so (a log line and `socketsrefused` in
/api/v1/dev/info) when a part is refused a socket all the same. readable()
is the wait for a socket that both servers use (HTTP, raw stream).
"""

from asyncio import core  # pyright: ignore  (asyncio's internals: readable() below says why)

from . import log

LWIP = 10
ENFILE = 23  # (not in MicroPython's errno module; newlib's and Linux's alike)
count = 0  # sockets refused (dev/info: socketsrefused)


def needed(v):
    """Sockets the settings `v` ask for at full load (NTP borrows a free one)."""
    return (1 + v["http_max_conn"] + (1 + v["raw_max_clients"] if v["raw_port"] else 0)
            + (1 if v["mqtt_url"] else 0) + (1 if v["p1"].startswith("tcp:") else 0))


def held(app):
    """Sockets the running parts hold now."""
    n = 0
    if app.http is not None:
        n += 1 + len(app.http.conns)
    if app.raw is not None:
        n += 1 + len(app.raw.clients)
    if app.mqtt is not None:
        n += 1
    return n + (1 if app.settings["p1"].startswith("tcp:") else 0)


def refused(part, e=None):
    """Counts and logs that `part` was refused a socket; with an OSError `e`, only if it
    is ENFILE (returns whether it was)."""
    global count
    if e is not None and not (e.args and e.args[0] == ENFILE):
        return False
    count += 1
    log.warn("sockets: %s was refused a socket: all %d are in use (README: sockets)", part, LWIP)
    return True


# The one piece of asyncio's internals the firmware uses (the rest is its public
# API: current_task(), CancelledError, StreamWriter). readable() waits until a
# socket has bytes to read (a listening one: a connection to accept) without
# reading them. MicroPython's asyncio does this only inside: Stream.read() and
# readinto() wait this way and then read, and start_server() accepts every
# connection as it comes, giving each a task and a Stream. The HTTP server needs
# the wait alone: to accept only when it chooses (with every slot taken it first
# picks a connection to drop, or leaves the newcomer in the listen backlog),
# and to read a connection into its own buffer with a non-blocking recv first,
# waiting only when nothing is there and marking it `waiting` meanwhile (whom to
# drop): readinto() would read, but not say when it waits. CPython has
# loop.sock_accept() and sock_recv_into() for this; MicroPython has neither.
# The raw stream accepts with it too: its clients need no task and no Stream
# each (raw_stream.py). `core._io_queue` is a name in MicroPython's asyncio/core.py (1.19 to 1.29 at
# least): should it change, this is the one line to change, and every e2e test
# fails at once.
async def readable(sock):  # pyright: ignore  (a generator-based awaitable, as asyncio's Stream.read)
    yield core._io_queue.queue_read(sock)

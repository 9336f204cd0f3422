"""The settings that size buffers and hold sockets, checked together against the dongle's budgets.

The settings that size buffers (p1_buffer, http_buffer, http_max_conn,
raw_max_clients) share one heap budget, `BUDGET`: what the defaults take,
the combination the whole firmware is measured to start and serve with
(README, Memory). A change may trade one for another, never ask for more
(`check_budget`): the next boot must not run out of memory. check_sockets():
the same for the dongle's 10 sockets (sockets.py says who holds how many).
Loaded by settings.py at boot and by settings_save.py for a change (after
the values are checked: settings_check.py is dropped by then), and dropped
after.
"""

# Heap each memory setting costs, in bytes (measured on the ESP32-like interpreter)
_REQUEST = 1024  # a connection's request buffer (buffers.py REQ_SIZE)
_FIXED = 512 + 256  # the response header room (buffers.py HEAD_ROOM), the P1 chunk
_RAW_CLIENT = 128  # a raw stream client: its socket and its place in the poll (raw_stream.py)
# (History slots cost flash, not heap: the rings are on flash and their pages are
# rendered one record at a time.)


def heap_needed(v):
    """Bytes of heap the settings `v` (a dict of every setting) ask for."""
    return (2 * v["p1_buffer"] + v["http_buffer"] + _FIXED + _REQUEST * v["http_max_conn"]
            + (_RAW_CLIENT * v["raw_max_clients"] if v["raw_port"] else 0))


# heap_needed() of settings_table.py's defaults: the most any combination may ask for
# (a constant, so that a change's check needs no table; tests/cases_settings.py keeps it true)
BUDGET = 10368


def check_budget(v):
    """ValueError saying why, when the settings `v` ask for more heap than the budget."""
    need = heap_needed(v)
    have = BUDGET
    if need > have:
        raise ValueError(
            "these settings need %d bytes of heap for buffers (2 x p1_buffer %d, http_buffer %d, "
            "http_max_conn %d x %d, raw_max_clients %d x %d) and the dongle has %d for them: "
            "lower one of them"
            % (need, v["p1_buffer"], v["http_buffer"], v["http_max_conn"], _REQUEST,
               v["raw_max_clients"] if v["raw_port"] else 0, _RAW_CLIENT, have))


def check_sockets(v):
    """ValueError saying why, when the settings `v` need more sockets than there are."""
    from . import sockets

    n = sockets.needed(v)
    if n > sockets.LWIP:
        raise ValueError(
            "these settings need %d sockets (HTTP 1 + http_max_conn %d, raw stream 1 + raw_max_clients %d, "
            "MQTT %d, P1 over TCP %d) and the dongle has %d: lower http_max_conn or raw_max_clients"
            % (n, v["http_max_conn"], v["raw_max_clients"] if v["raw_port"] else -1,
               1 if v["mqtt_url"] else 0, 1 if v["p1"].startswith("tcp:") else 0, sockets.LWIP))

"""The settings table: every setting's type, default, limits and flags, and validation.

Loaded by settings.py to read the settings and to check a change, and
dropped in between (lazy.py): nothing here has to stay in the heap.

Types: s string, i integer, b boolean, c one of a list. Limits are lengths
for strings. Flags: R = takes effect after a restart, S = secret (never
shown, only whether it is set), H = a host name (what mDNS and DNS take:
letters, digits and inner hyphens), U = empty or an MQTT URL
(mqtt://[user:password@]host[:port]). The platform may change defaults
(platform.DEFAULTS).

The settings that size buffers (p1_buffer, http_buffer, http_max_conn,
raw_max_clients, hist_*) share one heap budget, `budget()`: what the
defaults take, the combination the whole firmware is measured to start and
serve with (README, Memory). A change may trade one for another, never ask
for more (`check_budget`): the next boot must not run out of memory.
"""

_TABLE = """\
hostname|s|dsmr-api|1|32|RH
http_port|i|80|1|65535|R
http_max_conn|i|4|1|8|R
http_backlog|i|8|1|128|R
http_timeout|i|5|1|120|
http_keepalive|i|15|0|600|
http_buffer|i|2048|512|8192|R
p1|s|uart|1|64|R
p1_baud|i|115200|300|921600|R
p1_format|c|8N1|8N1,7E1||R
p1_uart|i|2|1|2|R
p1_rx_pin|i|16|0|39|R
p1_request_pin|i|-1|-1|33|R
p1_buffer|i|4096|256|8192|R
p1_require_crc|b|false|||
wifi_ssid|s||0|32|R
wifi_password|s||0|64|RS
wifi_timeout|i|30|5|600|R
ntp_server|s|pool.ntp.org|0|64|R
wdt_timeout|i|120|0|3600|R
admin_password|s||0|64|S
mqtt_url|s||0|128|RSU
mqtt_prefix|s|dsmr-api|1|64|R
mqtt_interval|i|10|1|3600|R
hist_hours|i|48|0|168|R
hist_days|i|14|0|92|R
hist_months|i|24|0|120|R
raw_port|i|2001|0|65535|R
raw_max_clients|i|3|1|8|R
sim_speed|i|1|1|86400|R
"""


def rows():
    """(name, type, default, lo, hi, flags) per setting, one at a time (a list of
    them all would be a few KB at once: the settings page's peak)."""
    i = 0
    while True:
        j = _TABLE.find("\n", i)
        if j < 0:
            return
        yield tuple(_TABLE[i:j].split("|"))
        i = j + 1


# Heap each memory setting costs, in bytes (measured on the ESP32-like interpreter)
_REQUEST = 1024  # a connection's request buffer (buffers.py REQ_SIZE)
_FIXED = 1024 + 256  # the response header room and head buffer, the P1 chunk
_RAW_CLIENT = 512  # a raw stream client's socket, streams and task
_HIST_RECORD = 64  # a history record while a history endpoint lists its ring (history_file.newest)


def heap_needed(v):
    """Bytes of heap the settings `v` (a dict of every setting) ask for."""
    return (2 * v["p1_buffer"] + v["http_buffer"] + _FIXED + _REQUEST * v["http_max_conn"]
            + (_RAW_CLIENT * v["raw_max_clients"] if v["raw_port"] else 0)
            + _HIST_RECORD * max(v["hist_hours"], v["hist_days"], v["hist_months"]))


def budget():
    """heap_needed() of the defaults: the most any combination may ask for."""
    d = {}
    for r in rows():
        if r[1] == "i":
            d[r[0]] = int(r[2])
    return heap_needed(d)


def check_budget(v):
    """ValueError saying why, when the settings `v` ask for more heap than the budget."""
    need = heap_needed(v)
    have = budget()
    if need > have:
        raise ValueError(
            "these settings need %d bytes of heap for buffers (2 x p1_buffer %d, http_buffer %d, "
            "http_max_conn %d x %d, raw_max_clients %d x %d, the longest history %d x %d) and the "
            "dongle has %d for them: lower one of them"
            % (need, v["p1_buffer"], v["http_buffer"], v["http_max_conn"], _REQUEST,
               v["raw_max_clients"] if v["raw_port"] else 0, _RAW_CLIENT,
               max(v["hist_hours"], v["hist_days"], v["hist_months"]), _HIST_RECORD, have))


def row(name):
    """The row of setting `name`, or None."""
    if not name or "\n" in name or "|" in name:
        return None
    i = 0 if _TABLE.startswith(name + "|") else _TABLE.find("\n" + name + "|") + 1
    if i < 0 or i == 0 and not _TABLE.startswith(name + "|"):
        return None
    return tuple(_TABLE[i : _TABLE.find("\n", i)].split("|"))


def _convert(kind, raw):
    """A value of the setting's type from JSON or text; raises ValueError."""
    if kind == "b":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            return raw.lower() in ("1", "true", "yes", "on")
        if raw in (0, 1):
            return bool(raw)
        raise ValueError("must be true or false")
    if kind == "i":
        try:
            if isinstance(raw, bool) or not isinstance(raw, (int, str)):
                raise ValueError
            return int(raw)
        except ValueError:
            raise ValueError("must be a whole number")
    if not isinstance(raw, str):
        raise ValueError("must be a string")
    return raw


def check(row, raw):
    """The validated value for setting `row`, or ValueError saying what is wrong."""
    name, kind, _, lo, hi, flags = row
    try:
        v = _convert(kind, raw)
    except ValueError as e:
        raise ValueError("%s %s" % (name, e.args[0]))
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        if not int(lo) <= v <= int(hi):
            raise ValueError("%s must be %s..%s" % (name, lo, hi))
    elif kind == "c":
        if v not in lo.split(","):
            raise ValueError("%s must be one of %s" % (name, lo))
    elif not int(lo) <= len(v) <= int(hi):
        raise ValueError("%s must be %s..%s characters" % (name, lo, hi))
    elif "H" in flags and not _host_name(v):
        raise ValueError("%s may hold only letters, digits and hyphens (not first or last)" % name)
    elif "U" in flags and v:
        from .mqtt_url import parse  # (only when an address is set)

        if parse(v) is None:
            raise ValueError("%s must look like mqtt://[user:password@]host[:port]" % name)
    return v


def _host_name(v):
    if v[0] == "-" or v[-1] == "-":
        return False
    for c in v:
        if not ("a" <= c <= "z" or "A" <= c <= "Z" or "0" <= c <= "9" or c == "-"):
            return False
    return True

"""The settings table: every setting's type, default, limits and flags.

Loaded by settings.py to read the settings and to check a change, and by
the settings page, and dropped in between (lazy.py): nothing here has to
stay in the heap.

Types: s string, i integer, b boolean, c one of a list. Limits are lengths
for strings, in bytes of UTF-8. Flags: R = takes effect after a restart,
S = secret (never shown, only whether it is set); for strings (strings.py
checks them): H = a host name (mDNS), U = empty or an MQTT URL, W = empty or
a WPA2 passphrase, A = printable ASCII only, T = an MQTT topic prefix; G = a GPIO of the ESP32 that
can be used (not the flash's 6-11, none of 20, 24, 28-31 that the ESP32 lacks;
34-39 are input only: the upper limit keeps them from outputs). The platform may change defaults
(platform.DEFAULTS).

Validation is settings_check.py, the heap budget settings_budget.py: the settings page
(a GET) loads only this table. The sockets are a budget too (sockets.py: 10
on the dongle): raw_max_clients is at most 10 - HTTP's listener and one
connection - the raw listener = 7.
"""

_TABLE = (  # (in parts: no block of 800 bytes for one string, which a fragmented heap may lack)
    """\
hostname|s|dsmr-api|1|32|RH
http_port|i|80|1|65535|R
http_max_conn|i|3|1|8|R
http_backlog|i|8|1|128|R
http_timeout|i|5|1|120|
http_keepalive|i|15|0|600|
http_buffer|i|2048|512|4096|R
p1|s|uart|1|64|R
""",
    """\
p1_baud|i|115200|300|921600|R
p1_format|c|8N1|8N1,7E1||R
p1_uart|i|2|1|2|R
p1_rx_pin|i|16|0|39|RG
p1_tx_pin|i|23|-1|33|RG
p1_request_pin|i|-1|-1|33|RG
p1_buffer|i|2048|256|4096|R
p1_require_crc|b|false|||
""",
    """\
wifi_ssid|s||0|32|R
wifi_password|s||0|63|RSW
wifi_timeout|i|30|5|600|R
ntp_server|s|pool.ntp.org|0|64|R
wdt_timeout|i|120|0|3600|R
admin_password|s||0|63|SWA
writes_open|b|false|||
mqtt_url|s||0|128|RSU
""",
    """\
mqtt_prefix|s|dsmr-api|1|64|RT
mqtt_interval|i|10|1|3600|R
hist_hours|i|48|0|168|R
hist_days|i|14|0|92|R
hist_months|i|24|0|120|R
raw_port|i|2001|0|65535|R
raw_max_clients|i|3|1|7|R
sim_speed|i|1|1|86400|R
""",
)


def rows():
    """(name, type, default, lo, hi, flags) per setting, one at a time (a list of
    them all would be a few KB at once: the settings page's peak)."""
    for t in _TABLE:
        i = 0
        while True:
            j = t.find("\n", i)
            if j < 0:
                break
            yield tuple(t[i:j].split("|"))
            i = j + 1


def row(name):
    """The row of setting `name`, or None."""
    if not name or "\n" in name or "|" in name:
        return None
    for t in _TABLE:
        i = 0 if t.startswith(name + "|") else t.find("\n" + name + "|") + 1
        if i > 0 or t.startswith(name + "|"):
            return tuple(t[i : t.find("\n", i)].split("|"))
    return None

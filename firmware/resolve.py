"""Name lookups that never cost a telegram: cached, rare, and made right after one.

On the ESP32 socket.getaddrinfo() holds up the whole interpreter (modsocket.c;
asyncio's open_connection calls it too): an unanswered DNS query waits
seconds, and a `*.local` name first waits up to 5 s for mDNS. Meanwhile
nothing reads the P1 UART, whose 2 KB buffer holds about 0.18 s of a
telegram at 115200 baud, and HTTP stands still. So here:
- an IP address is used as it is, without a lookup;
- a name is looked up right after a telegram has been read: the meter is
  then quiet for most of a second (DSMR 5 sends every second, older meters
  every 10 s; with no meter, after 11 s of waiting);
- an answer is kept for 10 minutes; after a failure the name is not looked
  up again for 60 s, doubling to an hour, and asking meanwhile raises at once;
- lookups, failures and the milliseconds they took are counted (dev/info).
This module keeps the answers and the counters, and stays loaded while anything
asks for names (NTP, MQTT), and waits for the telegram; the lookup itself,
rare, is resolve_lookup.py, loaded for it and dropped after.
"""

import asyncio

from . import uptime
from .lazy import load, unload

lookups = 0
failures = 0
total_ms = 0
longest_ms = 0
cache = {}  # name -> [address or None, valid until (uptime s), retry wait after a failure (s)]


def _is_ip(host):
    parts = host.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p.isdigit() or int(p) > 255:
            return False
    return True


async def address(host, reader=None):
    """The IP address of `host` (itself if it is one); OSError if it has none."""
    if _is_ip(host):
        return host
    now = uptime.seconds()
    entry = cache.get(host)
    if entry is not None and now < entry[1]:
        if entry[0] is None:
            raise OSError("%s did not resolve; next lookup in %d s" % (host, entry[1] - now))
        return entry[0]
    await _after_telegram(reader)  # (before the lookup's code is loaded: not held while it waits)
    try:
        return load("resolve_lookup").lookup(host, entry)
    finally:
        unload("resolve_lookup")


async def _after_telegram(reader):
    if reader is None:
        return
    seen = reader.parser.telegrams
    for _ in range(550):  # 11 s, in steps of 20 ms
        if reader.parser.telegrams != seen:
            return
        await asyncio.sleep_ms(20)

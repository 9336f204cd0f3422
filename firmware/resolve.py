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
"""

import asyncio
import socket
import time

from micropython import const

from . import log, uptime

_KEEP_S = const(600)
_RETRY_S = const(60)
_RETRY_MAX_S = const(3600)

lookups = 0
failures = 0
total_ms = 0
longest_ms = 0
_cache = {}  # name -> [address or None, valid until (uptime s), retry wait after a failure (s)]


def _is_ip(host):
    parts = host.split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p.isdigit() or int(p) > 255:
            return False
    return True


async def _after_telegram(reader):
    if reader is None:
        return
    seen = reader.parser.telegrams
    for _ in range(550):  # 11 s, in steps of 20 ms
        if reader.parser.telegrams != seen:
            return
        await asyncio.sleep_ms(20)


async def address(host, reader=None):
    """The IP address of `host` (itself if it is one); OSError if it has none."""
    global lookups, failures, total_ms, longest_ms
    if _is_ip(host):
        return host
    now = uptime.seconds()
    entry = _cache.get(host)
    if entry is not None and now < entry[1]:
        if entry[0] is None:
            raise OSError("%s did not resolve; next lookup in %d s" % (host, entry[1] - now))
        return entry[0]
    await _after_telegram(reader)
    t0 = time.ticks_ms()
    try:
        a = socket.getaddrinfo(host, 0)[0][-1]
        ip = a[0] if isinstance(a, tuple) else "%d.%d.%d.%d" % (a[4], a[5], a[6], a[7])  # (ESP32; unix)
    except OSError as e:
        failures += 1
        wait = _RETRY_S if entry is None or entry[0] is not None else min(entry[2] * 2, _RETRY_MAX_S)
        _cache[host] = [None, uptime.seconds() + wait, wait]
        log.warn("lookup of %s failed (%r); next try in %d s", host, e, wait)
        raise
    finally:
        ms = time.ticks_diff(time.ticks_ms(), t0)
        lookups += 1
        total_ms += ms
        longest_ms = max(longest_ms, ms)
    _cache[host] = [ip, uptime.seconds() + _KEEP_S, 0]
    return ip

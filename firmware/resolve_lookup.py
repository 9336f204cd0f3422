"""A name lookup for resolve.py, loaded for it and dropped after: timed, its answer
or failure kept in resolve.py's cache."""

import socket
import time

from micropython import const

from . import log, resolve, uptime

_KEEP_S = const(600)
_RETRY_S = const(60)
_RETRY_MAX_S = const(3600)


def lookup(host, entry):
    """Looks `host` up (its cache entry is `entry`, or None); its address, or OSError.
    It blocks the interpreter (modsocket.c): resolve.py calls it right after a telegram."""
    t0 = time.ticks_ms()
    try:
        a = socket.getaddrinfo(host, 0)[0][-1]
        ip = a[0] if isinstance(a, tuple) else "%d.%d.%d.%d" % (a[4], a[5], a[6], a[7])  # (ESP32; unix)
    except OSError as e:
        resolve.failures += 1
        wait = _RETRY_S if entry is None or entry[0] is not None else min(entry[2] * 2, _RETRY_MAX_S)
        resolve.cache[host] = [None, uptime.seconds() + wait, wait]
        log.warn("lookup of %s failed (%r); next try in %d s", host, e, wait)
        raise
    finally:
        ms = time.ticks_diff(time.ticks_ms(), t0)
        resolve.lookups += 1
        resolve.total_ms += ms
        resolve.longest_ms = max(resolve.longest_ms, ms)
    resolve.cache[host] = [ip, uptime.seconds() + _KEEP_S, 0]
    return ip

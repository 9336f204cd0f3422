"""Meter time: DSMR timestamps `YYMMDDhhmmssX` in Dutch/Belgian local time.

X is `S` (summer, CEST = UTC+2) or `W` (winter, CET = UTC+1). EU rules:
summer time runs from the last Sunday of March 01:00 UTC to the last Sunday
of October 01:00 UTC. Everything here works on Unix seconds (1970 epoch)
with its own calendar arithmetic, so it gives the same answer on CPython,
the unix port and the ESP32 (whose `time` counts from 2000).
"""


def days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    """(year, month, day) of a day number from days_from_civil."""
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def _last_sunday(y, m):
    """Days since 1970 of the last Sunday of month m (31 days)."""
    d31 = days_from_civil(y, m, 31)
    return d31 - (d31 + 4) % 7


def is_summer(unix):
    y = civil_from_days(unix // 86400)[0]
    return _last_sunday(y, 3) * 86400 + 3600 <= unix < _last_sunday(y, 10) * 86400 + 3600


def is_summer_hour(h):
    """is_summer() of the UTC hour h (hours since 1970), in small ints: a Unix time
    is a heap-allocated big int on a 32-bit MicroPython."""
    y = civil_from_days(h // 24)[0]
    return _last_sunday(y, 3) * 24 + 1 <= h < _last_sunday(y, 10) * 24 + 1


def local(unix):
    """(year, month, day, hour, minute, second, weekday 0=Monday, summer) in NL/BE time."""
    summer = is_summer(unix)
    t = unix + (7200 if summer else 3600)
    days = t // 86400
    s = t % 86400
    y, m, d = civil_from_days(days)
    return y, m, d, s // 3600, s % 3600 // 60, s % 60, (days + 3) % 7, summer


def format(unix):
    """The DSMR timestamp of Unix time `unix`, as bytes: b'YYMMDDhhmmssS'."""
    y, mo, d, h, mi, s, _, summer = local(unix)
    return b"%02d%02d%02d%02d%02d%02d%s" % (y % 100, mo, d, h, mi, s, b"S" if summer else b"W")


def parse(ts):
    """Unix seconds of a DSMR timestamp (bytes/str, 13 chars), or None if malformed.

    The S/W flag decides the offset, so the repeated autumn hour is unambiguous.
    """
    if isinstance(ts, str):
        ts = ts.encode()
    t = parse_at(ts, 0, len(ts))
    return None if t < 0 else t


# Day 0 of minutes_at(): 1999-12-31, so that every valid DSMR timestamp (years 2000-2099) counts >= 0
DAY0 = 10956


def parse_at(buf, s, e):
    """As parse(), for buf[s:e] in place, without allocating; -1 if malformed.
    (A Unix time is a heap-allocated big int on a 32-bit MicroPython past 2004:
    per telegram, use minutes_at().)"""
    m = minutes_at(buf, s, e)
    if m < 0:
        return -1
    return (m + DAY0 * 1440) * 60 + (buf[s + 10] - 0x30) * 10 + buf[s + 11] - 0x30


def minutes_at(buf, s, e):
    """UTC minutes since DAY0 of the timestamp in buf[s:e] (its seconds are
    buf[s + 10:s + 12]), or -1 if malformed. A small int on 32 bits for the next
    two thousand years, and allocates nothing."""
    if e - s != 13:
        return -1
    flag = buf[s + 12]
    if flag != 0x53 and flag != 0x57:  # S, W
        return -1
    v0 = v1 = v2 = v3 = v4 = v5 = 0
    for i in range(6):
        a = buf[s + 2 * i] - 0x30
        b = buf[s + 2 * i + 1] - 0x30
        if a < 0 or a > 9 or b < 0 or b > 9:
            return -1
        n = a * 10 + b
        if i == 0:
            v0 = n
        elif i == 1:
            v1 = n
        elif i == 2:
            v2 = n
        elif i == 3:
            v3 = n
        elif i == 4:
            v4 = n
        else:
            v5 = n
    if not (1 <= v1 <= 12 and 1 <= v2 <= 31 and v3 < 24 and v4 < 60 and v5 < 60):
        return -1
    offset = 120 if flag == 0x53 else 60
    return ((days_from_civil(2000 + v0, v1, v2) - DAY0) * 24 + v3) * 60 + v4 - offset

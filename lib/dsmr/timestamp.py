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


def _last_sunday_utc1(y, m):
    """Unix seconds of 01:00 UTC on the last Sunday of month m (31 days)."""
    d31 = days_from_civil(y, m, 31)
    return (d31 - (d31 + 4) % 7) * 86400 + 3600


def is_summer(unix):
    y = civil_from_days(unix // 86400)[0]
    return _last_sunday_utc1(y, 3) <= unix < _last_sunday_utc1(y, 10)


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
    if len(ts) != 13 or ts[12] not in b"SW":
        return None
    try:
        v = [int(ts[i : i + 2]) for i in range(0, 12, 2)]
    except ValueError:
        return None
    y, mo, d, h, mi, s = v
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 60):
        return None
    offset = 7200 if ts[12] == ord("S") else 3600
    return days_from_civil(2000 + y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset

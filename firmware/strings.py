"""String settings as their consumers take them (settings_table.py's flags), in bytes of UTF-8.

Loaded by settings_check.check() for a string and dropped with it
(settings.py); a change loads it instead of settings_check.py for a string
(settings_save.py). Every string must be well-formed UTF-8 without control
characters: MicroPython's json turns an escaped surrogate ("\\ud83d\\ude00", an
emoji as Python's json.dumps sends it) into 3-byte halves (CESU-8), which
Wi-Fi, MQTT and the settings file would not take: refused, as are overlong
forms and code points past U+10FFFF (send such characters as they are). Lengths are bytes (what Wi-Fi, MQTT and mDNS count). Flags:
H a host name (mDNS: letters, digits, inner hyphens), U empty or an MQTT
URL (mqtt_url.py), W empty or a WPA2 passphrase (8..63 bytes), A printable
ASCII only (the admin password: HTTP Basic from browsers and the fallback
access point's WPA2 key take no other), T an MQTT topic prefix (no + #, no /
first or last, no $ first: a broker refuses those topics).
"""


def value(row, raw):
    """The value `raw` for the string setting of table row `row` (settings_check.check()
    for a string: a change of strings loads only this), or ValueError."""
    name, _, _, lo, hi, flags = row
    if not isinstance(raw, str):
        raise ValueError("%s must be a string" % name)
    return check(name, flags, raw, lo, hi)


def check(name, flags, v, lo, hi):
    """The string `v` for setting `name` as it is to be saved, or ValueError."""
    b = v.encode()
    if not int(lo) <= len(b) <= int(hi):
        raise ValueError("%s must be %s..%s bytes" % (name, lo, hi))
    if not _text(b):
        raise ValueError("%s must be UTF-8 text without control characters or escaped surrogates" % name)
    if "W" in flags and 0 < len(b) < 8:
        raise ValueError("%s must be empty or 8..63 bytes (a WPA2 passphrase)" % name)
    if "A" in flags and b and max(b) > 0x7E:
        raise ValueError("%s may hold only ASCII letters, digits, punctuation and spaces" % name)
    if "H" in flags and not _host_name(v):
        raise ValueError("%s may hold only letters, digits and hyphens (not first or last)" % name)
    if "U" in flags and v:
        from .mqtt_url import parse  # (only when an address is set)

        if parse(v) is None:
            raise ValueError("%s must look like mqtt://[user:password@]host[:port]" % name)
    if "T" in flags and ("+" in v or "#" in v or v[0] in "/$" or v[-1] == "/"):
        raise ValueError("%s must be an MQTT topic prefix: no + or #, no / first or last, no $ first" % name)
    return v


def _text(b):
    """True when b is well-formed UTF-8 (no surrogates, overlong forms or code
    points past U+10FFFF) without ASCII control characters. decode() checks
    the structure (MicroPython's not the rest); the rest shows in lead bytes
    and the byte after them (a continuation byte is never one of those)."""
    try:
        b.decode()
    except UnicodeError:
        return False
    for i in range(len(b)):
        c = b[i]
        n = b[i + 1] if c >= 0xC0 else 0
        if (c < 0x20 or c == 0x7F or c in (0xC0, 0xC1) or c > 0xF4 or c == 0xE0 and n < 0xA0
                or c == 0xED and n > 0x9F or c == 0xF0 and n < 0x90 or c == 0xF4 and n > 0x8F):
            return False
    return True


def _host_name(v):
    if v[0] == "-" or v[-1] == "-":
        return False
    for c in v:
        if not ("a" <= c <= "z" or "A" <= c <= "Z" or "0" <= c <= "9" or c == "-"):
            return False
    return True

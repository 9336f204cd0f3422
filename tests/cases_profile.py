"""The Belgian monthly-peak profile 0-0:98.1.0 (lib/dsmr/profile.py) and the month's
peak 1-0:1.6.0, under CPython and MicroPython (tests/test_profile.py): the fixtures
fluvius (3 entries), fluvius_peaks_1 (one entry, winter time) and fluvius_peaks_13
(13 entries, summer and winter time stamps, one on the day summer time began)."""

import gc
import sys
from array import array

from dsmr import P1Parser, fields, profile, timestamp

_HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
_PROFILE = fields.index("active_energy_import_maximum_demand_last_13_months")
_PEAK = fields.index("active_energy_import_maximum_demand_running_month")
MICROPYTHON_ONLY = ("case_reading_the_profile_allocates_nothing",)


def _parser(name):
    p = P1Parser()
    with open(_HERE + "/fixtures/" + name + ".txt", "rb") as f:
        p.feed(f.read())
    assert p.telegrams == 1 and p.crc_errors == 0, name
    return p


def _entries(p, cap=13):
    out = array("H", bytes(2 * profile.ENTRY * cap))
    k = _PROFILE * 6
    n = profile.entries(p.buf, p.idx[k], p.idx[k + 1], out)
    b = p.buf
    return [tuple(bytes(b[out[i * 6 + 2 * j] : out[i * 6 + 2 * j + 1]]).decode() for j in range(3)) for i in range(n)]


def case_the_three_entry_profile():
    assert _entries(_parser("fluvius")) == [
        ("200501000000S", "200423192538S", "03.695"),
        ("200401000000S", "200305122139S", "05.980"),
        ("200301000000S", "200210035421W", "04.318"),
    ]


def case_the_one_entry_profile_in_winter_time():
    p = _parser("fluvius_peaks_1")
    assert _entries(p) == [("230101000000W", "221212190000W", "04.329")]
    k = _PEAK * 6
    assert bytes(p.buf[p.idx[k] : p.idx[k + 1]]) == b"03.120"
    assert bytes(p.buf[p.idx[k + 2] : p.idx[k + 3]]) == b"kW"
    assert bytes(p.buf[p.idx[k + 4] : p.idx[k + 5]]) == b"230109181500W"


def case_the_thirteen_entry_profile_with_summer_and_winter_stamps():
    e = _entries(_parser("fluvius_peaks_13"))
    assert len(e) == 13
    assert e[0] == ("240401000000S", "240312183000W", "05.980")  # a month that ends in summer time
    assert e[5] == ("231101000000W", "231001204500S", "06.250")  # and one that ends in winter time
    assert e[12] == ("230401000000S", "230326101500S", "04.444")  # summer time since 02:00 that day
    # each peak is in the month before its period's start, and its flag is right for its moment
    for start, at, value in e:
        y, m = int(start[:2]), int(start[2:4]) - 1
        if m == 0:
            y, m = y - 1, 12
        assert (int(at[:2]), int(at[2:4])) == (y, m), (start, at)
        t = timestamp.parse(at)
        assert t is not None and timestamp.format(t).decode() == at, at
        assert value.count(".") == 1 and value.replace(".", "").isdigit()


def case_more_entries_than_room_fills_what_fits():
    assert len(_entries(_parser("fluvius_peaks_13"), cap=4)) == 4


def _raw(line):
    b = line.encode()
    out = array("H", bytes(2 * profile.ENTRY * 13))
    return profile.entries(b, 0, len(b), out)


def case_empty_and_malformed_profiles():
    assert _raw("(0)(1-0:1.6.0)(1-0:1.6.0)") == 0
    assert _raw("(0)(1-0:1.6.0)(1-0:1.6.0)()") == 0  # (an empty group some meters send)
    assert _raw("(1)(1-0:1.6.0)(1-0:1.6.0)(230101000000W)(221212190000W)(04.329*kW)") == 1
    assert _raw("(2)(1-0:1.6.0)(1-0:1.6.0)(230101000000W)(221212190000W)(04.329*kW)") == -1  # count too high
    assert _raw("(1)(1-0:1.6.0)(1-0:1.6.0)(230101000000W)(221212190000W)") == -1  # an entry cut short
    assert _raw("(1)(1-0:1.6.0)(1-0:1.6.0)(230101000000W)(221212190000W)(04.3") == -1  # a group not closed
    assert _raw("(x)(1-0:1.6.0)(1-0:1.6.0)") == -1
    assert _raw("") == -1


def case_reading_the_profile_allocates_nothing():
    p = _parser("fluvius_peaks_13")
    out = array("H", bytes(2 * profile.ENTRY * 13))
    k = _PROFILE * 6
    s, e = p.idx[k], p.idx[k + 1]
    profile.entries(p.buf, s, e, out)
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        n = profile.entries(p.buf, s, e, out)
        after = gc.mem_alloc()
    finally:
        gc.enable()
    assert n == 13 and after == before, (n, after - before)


def all_cases():
    return sorted(k for k in globals() if k.startswith("case_"))



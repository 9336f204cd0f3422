"""Parser cases that run under both CPython and the MicroPython unix port.

Plain functions named case_*, plain asserts, no pytest: `test_parser.py`
runs each one in-process under CPython and, through `mp_cases.py`, under the
real `micropython` binary, where the viper loops are what gets tested.
"""

import gc
import sys

from dsmr import P1Parser, crc16, fields, values
from dsmr.jsonw import JsonWriter
from firmware.simulator import Rng  # xorshift32: the same bytes on both interpreters

_HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."

MICROPYTHON = sys.implementation.name == "micropython"
# cases that measure MicroPython itself (gc.mem_alloc): skipped under CPython
MICROPYTHON_ONLY = ("case_steady_state_allocates_nothing",)
FIXTURES = ("dsmr22", "dsmr42", "dsmr50_spec", "fluvius", "dsmr50_multi_mbus")


def load(name):
    with open(_HERE + "/fixtures/" + name + ".txt", "rb") as f:
        return f.read()


def field(p, name):
    return values.text(p, fields.index(name))


def render(p, name):
    """A field's value as the API renders it."""
    f = fields.index(name)
    w = JsonWriter(256)
    s, e = values.span(p, f)
    if fields.KINDS[f] in (fields.NUM, fields.DBL):
        w.number(p.buf, s, e)
    else:
        w.string(p.buf, s, e)
    return bytes(w.buf[: w.w[0]]).decode()


def rand_bytes(rng, n):
    return bytes(rng.next() & 0xFF for _ in range(n))


def case_crc_check_value():
    assert crc16(b"123456789") == 0xBB3D


def case_every_fixture_is_accepted_verbatim():
    for name in FIXTURES:
        t = load(name)
        p = P1Parser()
        assert p.feed(t) == 1, name
        assert (p.telegrams, p.crc_errors, p.framing_errors) == (1, 0, 0), name
        assert bytes(p.telegram()) == t, name
        assert p.has_crc == (name != "dsmr22"), name


def case_anonymised_spec_telegram_fails_crc_and_keeps_last_good():
    good, bad = load("dsmr50_spec"), load("spec_anonymised_badcrc")
    p = P1Parser()
    p.feed(bad)
    assert (p.telegrams, p.crc_errors) == (0, 1)
    assert not p.present(fields.index("timestamp"))
    p.feed(good)
    p.feed(bad)
    assert (p.telegrams, p.crc_errors) == (1, 2)
    assert bytes(p.telegram()) == good
    assert field(p, "power_delivered") == "00.037"


def case_any_chunk_size_gives_the_same_telegrams():
    stream = b"".join(load(n) for n in FIXTURES)
    for size in list(range(1, 40)) + [64, 100, 511, 997, len(stream)]:
        p = P1Parser()
        seen = []
        n = 0
        for i in range(0, len(stream), size):
            got = p.feed(stream[i : i + size])
            n += got
            if got == 1:
                seen.append(bytes(p.telegram()))
        assert n == len(FIXTURES), size
        assert bytes(p.telegram()) == load(FIXTURES[-1]), size
        if size < 400:  # at most one telegram completes per chunk
            assert seen == [load(n) for n in FIXTURES], size
        assert p.crc_errors == p.framing_errors == p.oversize == 0


def case_feed_takes_a_length_into_a_reused_buffer():
    t = load("dsmr42")
    buf = bytearray(64)
    p = P1Parser()
    for i in range(0, len(t), 64):
        chunk = t[i : i + 64]
        buf[: len(chunk)] = chunk
        p.feed(buf, len(chunk))
    assert bytes(p.telegram()) == t


def case_garbage_and_half_telegrams_between_good_ones():
    rng = Rng(1234)
    good = [load(n) for n in FIXTURES]
    stream = b""
    for t in good:
        # noise without '/' (any byte whose low 7 bits are 0x2F starts a telegram)
        noise = bytes(b if b & 0x7F != 0x2F else 0x78 for b in rand_bytes(rng, 200))
        stream += noise + b"\x00" * 10 + t[: len(t) // 2] + t
    p = P1Parser()
    n = 0
    for i in range(0, len(stream), 37):
        n += p.feed(stream[i : i + 37])
    assert n == len(good)
    assert bytes(p.telegram()) == good[-1]
    # every half telegram was cut short by the next '/'
    assert p.framing_errors == len(good), p.framing_errors


def case_crc_error_is_counted_and_ignored():
    t = bytearray(load("dsmr50_multi_mbus"))
    p = P1Parser()
    p.feed(load("dsmr42"))
    i = t.find(b"01.234")
    t[i] = ord("9")
    p.feed(t)
    assert (p.telegrams, p.crc_errors) == (1, 1)
    assert field(p, "power_delivered") == "02.027"


def case_oversize_telegram_is_dropped_and_framing_recovers():
    big, small = load("dsmr50_spec"), load("dsmr22")
    p = P1Parser(size=len(small) + 8)
    p.feed(big + small)
    assert p.oversize == 1
    assert p.telegrams == 1
    assert bytes(p.telegram()) == small
    assert len(p.buf) == len(small) + 8


def case_bad_trailer_is_a_framing_error():
    t = load("dsmr42")
    cut = t[: t.index(b"!") + 3] + b"\r\n"  # two CRC digits only
    p = P1Parser()
    p.feed(cut + t)
    assert p.framing_errors == 1 and p.telegrams == 1


def case_once_a_meter_sent_a_crc_a_telegram_without_one_is_corrupt():
    good = load("dsmr42")
    cut = good[: good.index(b"0-0:96.7.21")] + b"!\r\n"  # noise made a '!' mid-telegram
    p = P1Parser()
    p.feed(cut)
    assert p.telegrams == 1  # unknown meter: could be DSMR 2.2
    p = P1Parser()
    p.feed(good + cut)
    assert (p.telegrams, p.crc_errors) == (1, 1)
    assert bytes(p.telegram()) == good


def case_crc_may_be_required():
    p = P1Parser(require_crc=True)
    p.feed(load("dsmr22"))
    assert (p.telegrams, p.crc_errors) == (0, 1)
    p.feed(load("dsmr42"))
    assert p.telegrams == 1


def case_7e1_bytes_read_at_8n1_are_accepted():
    t = load("dsmr50_multi_mbus")
    parity = bytearray(t)
    for i, b in enumerate(parity):
        ones = 0
        for k in range(7):
            ones += (b >> k) & 1
        if ones & 1:
            parity[i] = b | 0x80
    p = P1Parser()
    p.feed(parity)
    assert p.telegrams == 1 and bytes(p.telegram()) == t


def case_values_follow_the_rendering_rules():
    p = P1Parser()
    p.feed(load("dsmr50_spec"))
    assert render(p, "power_delivered") == "0.037"
    assert render(p, "voltage_l1") == "238.000"
    assert render(p, "current_l1") == "2"
    assert render(p, "energy_delivered_tariff1") == "4491.266"
    assert render(p, "electricity_failures") == "11"
    assert render(p, "mbus1_device_type") == "3"
    assert render(p, "electricity_tariff") == '"0002"'
    assert render(p, "timestamp") == '"210610104031S"'
    assert render(p, "message_long") == '""'
    assert render(p, "electricity_failure_log") == '"(1)(0-0:96.7.19)(200210104719W)(0000014540*s)"'
    assert values.unit(p, fields.index("mbus1_delivered")) == "m3"
    assert values.unit(p, fields.index("electricity_failures")) == ""
    p = P1Parser()
    p.feed(load("fluvius"))
    assert render(p, "current_l1") == "0.000"
    assert render(p, "identification") == '"FLU5\\\\253769484_A"'
    assert render(p, "voltage_l2") == "234.700"
    assert render(p, "active_energy_import_current_average_demand") == "2.351"
    assert render(p, "active_energy_import_maximum_demand_running_month") == "2.589"
    f = fields.index("active_energy_import_maximum_demand_running_month")
    s, e = values.stamp_span(p, f)
    assert bytes(p.buf[s:e]) == b"200509134558S"


def case_number_rendering_edge_cases():
    cases = (
        (b"001.32", b"1.320"),
        (b"0000", b"0"),
        (b"000.0", b"0.000"),
        (b"12.34567", b"12.34567"),
        (b"-01.5", b"-1.500"),
        (b"1.2.3", b'"1.2.3"'),
        (b"", b'""'),
        (b".5", b'".5"'),
        (b"12a", b'"12a"'),
    )
    for src, want in cases:
        w = JsonWriter(64)
        w.number(src, 0, len(src))
        assert bytes(w.buf[: w.w[0]]) == want, (src, want)


def case_strings_are_escaped():
    w = JsonWriter(64)
    s = b'a"b\\c\x01\x1f'
    w.string(s)
    assert bytes(w.buf[: w.w[0]]) == b'"a\\"b\\\\c\\u0001\\u001f"'


def case_writer_flushes_in_pieces_without_losing_bytes():
    out = []
    w = JsonWriter(7)
    w.reset(lambda b, s, e: out.append(bytes(b[s:e])))
    w.raw(b"[")
    for i in range(20):
        w.integer(i * 1001)
        w.number(b"0042.5", 0, 6)
        w.string(b'x"y')
    w.raw(b"]")
    w.flush()
    want = b"[" + b"".join(b'%d42.500"x\\"y"' % (i * 1001) for i in range(20)) + b"]"
    assert b"".join(out) == want
    assert w.length() == len(want)


def case_gas_comes_from_the_gas_channel():
    for name, want, value, unit in (
        ("dsmr50_spec", "mbus1_delivered", "03845.376", "m3"),
        ("dsmr50_multi_mbus", "mbus2_delivered", "02963.380", "m3"),
        ("fluvius", "mbus1_delivered_ntc", "00112.384", "m3"),
        ("dsmr22", "mbus1_delivered_dbl", "00144.199", "m3"),
        ("dsmr42", "mbus1_delivered", "00981.443", "m3"),
    ):
        p = P1Parser()
        p.feed(load(name))
        g = p.gas_field()
        assert g == fields.index(want), (name, g)
        assert values.text(p, g) == value and values.unit(p, g) == unit, name
    p = P1Parser()
    p.feed(load("dsmr50_multi_mbus"))
    assert values.unit(p, fields.index("mbus3_delivered")) == "GJ"
    assert render(p, "mbus3_delivered") == "12.345"
    assert render(p, "mbus1_device_type") == "7"


def case_unknown_and_malformed_lines_are_ignored():
    from dsmr.crc16 import seal

    body = (
        b"/TST5 test\r\n\r\n"
        b"1-0:99.99.99(1)\r\n"
        b"9-9:1.8.1(5*kWh)\r\n"
        b"1-0:1.8.1(000001.000*kWh\r\n"
        b"1-0:1.7.0(01.500*kW)\r\n"
        b"garbage line (((\r\n"
        b"1-0:2.7.0(00.250*kW)\r\n!"
    )
    p = P1Parser()
    p.feed(seal(body))
    assert p.telegrams == 1
    assert field(p, "power_delivered") == "01.500"
    assert field(p, "power_returned") == "00.250"
    assert field(p, "energy_delivered_tariff1") is None


def case_random_bytes_never_raise_nor_replace_the_good_telegram():
    rng = Rng(99)
    good = load("dsmr42")
    p = P1Parser(size=1024)
    p.feed(good)
    for _ in range(200):
        p.feed(rand_bytes(rng, rng.next() % 300))
        p.feed(b"/" + rand_bytes(rng, rng.next() % 50) + b"!ABCD\r\n")
    assert p.telegrams == 1 and bytes(p.telegram()) == good
    assert len(p.buf) == 1024


def case_steady_state_allocates_nothing():
    assert MICROPYTHON, "measures MicroPython's heap: MicroPython only"
    stream = load("dsmr50_spec")
    buf = bytearray(stream)
    p = P1Parser()
    w = JsonWriter(256)
    f = fields.index("power_delivered")
    p.feed(buf)
    gc.collect()
    gc.disable()
    try:
        before = gc.mem_alloc()
        for _ in range(50):
            p.feed(buf, len(buf))
            w.reset()
            w.number(p.buf, p.idx[f * 6], p.idx[f * 6 + 1])
            w.string(p.buf, 1, 10)
        after = gc.mem_alloc()
    finally:
        gc.enable()
    assert p.telegrams == 51
    assert after - before == 0, after - before


def all_cases():
    g = globals()
    return sorted(k for k in g if k.startswith("case_"))

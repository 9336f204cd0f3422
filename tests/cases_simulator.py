"""The simulated meter's counters add up, on every interpreter: under CPython,
the 64-bit MicroPython port and the yardstick (float32, as on the dongle, where
a counter carried in a float grew by whole half Wh or not at all). Run by
tests/test_simulator.py."""

from firmware.simulator import Meter


def _value(t, obis):
    i = t.index(obis) + len(obis) + 1
    return t[i : t.index(b"*", i)]


def _milli(v):
    whole, frac = v.split(b".")
    return int(whole) * 1000 + int(frac)


def case_energy_counters_grow_by_the_power_the_meter_shows():
    m = Meter(seed=5)
    t0 = 1764500000  # a Sunday at noon: tariff 1, solar on L1
    first = m.telegram(t0)
    due_in = due_out = 0  # Wh x 3600 (W for a second each), from the powers the telegrams show
    t = first
    for k in range(1, 601):
        t = m.telegram(t0 + k)
        due_in += _milli(_value(t, b"1-0:1.7.0"))  # (kW in thousandths: W)
        due_out += _milli(_value(t, b"1-0:2.7.0"))
    got_in = _milli(_value(t, b"1-0:1.8.1")) - _milli(_value(first, b"1-0:1.8.1"))  # Wh
    got_out = _milli(_value(t, b"1-0:2.8.1")) - _milli(_value(first, b"1-0:2.8.1"))
    assert due_in > 3600 * 50 and abs(got_in - due_in // 3600) <= 1, (got_in, due_in // 3600)
    assert abs(got_out - due_out // 3600) <= 1, (got_out, due_out // 3600)


def all_cases():
    return sorted(k for k in globals() if k.startswith("case_"))

"""Property-based tests of the framer and parser (hypothesis, CPython).

The same source runs as viper on MicroPython; tests/cases_parser.py repeats
the deterministic versions of these there.
"""

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsmr import P1Parser
import pytest  # noqa: E402

pytestmark = pytest.mark.cpython_only  # host-side only: not run again on the yardstick

FIX = os.path.join(os.path.dirname(__file__), "fixtures")
NAMES = ["dsmr22", "dsmr42", "dsmr50_spec", "fluvius", "dsmr50_multi_mbus"]
TELEGRAMS = [open(os.path.join(FIX, n + ".txt"), "rb").read() for n in NAMES]
STREAM = b"".join(TELEGRAMS)
common = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def feed_chunks(p, data, cuts):
    cuts = sorted(set(c % (len(data) + 1) for c in cuts))
    last = 0
    seen = []
    for c in cuts + [len(data)]:
        n = p.feed(data[last:c])
        if n:
            seen.append((n, bytes(p.telegram())))
        last = c
    return seen


@common
@given(st.lists(st.integers(min_value=0), max_size=60))
def test_any_chunking_gives_the_same_telegrams(cuts):
    p = P1Parser()
    feed_chunks(p, STREAM, cuts)
    assert p.telegrams == len(TELEGRAMS)
    assert bytes(p.telegram()) == TELEGRAMS[-1]
    assert p.crc_errors == p.framing_errors == p.oversize == 0


@common
@given(st.binary(max_size=3000), st.lists(st.integers(min_value=0), max_size=20))
def test_random_bytes_never_raise_nor_replace_the_good_telegram(noise, cuts):
    p = P1Parser(size=1024)
    p.feed(TELEGRAMS[1])
    size = len(p.buf)
    feed_chunks(p, noise, cuts)
    # after a CRC-checked telegram, only another CRC-valid one could replace it:
    # random bytes do not hold one (1 in 65536 per candidate, and a candidate needs
    # '/' ... '!' + 4 hex digits + CRLF)
    assert p.telegrams == 1
    assert bytes(p.telegram()) == TELEGRAMS[1]
    assert len(p.buf) == size


@common
@given(
    st.sampled_from(range(len(TELEGRAMS))),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_mutated_telegrams_never_replace_the_good_one(which, flips):
    good = TELEGRAMS[1]
    bad = bytearray(TELEGRAMS[which])
    for pos, val in flips:
        bad[pos % len(bad)] = val
    p = P1Parser()
    p.feed(good)
    p.feed(bytes(bad))
    if bytes(bad) != TELEGRAMS[which] and TELEGRAMS[which] != TELEGRAMS[0]:
        # a CRC-protected telegram with changed bytes is never accepted
        # (unless the change only touched the bytes after the CRC's LF)
        cur = bytes(p.telegram())
        assert cur == good or cur == TELEGRAMS[which]


@common
@given(st.binary(max_size=2000), st.sampled_from(range(len(TELEGRAMS))))
def test_a_valid_telegram_after_any_garbage_is_found(garbage, which):
    p = P1Parser()
    p.feed(garbage)
    got = p.feed(TELEGRAMS[which])
    assert got == 1
    assert bytes(p.telegram()) == TELEGRAMS[which]

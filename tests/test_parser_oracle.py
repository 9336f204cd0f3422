"""dsmr-parser (PyPI) as an independent oracle: for every fixture, our values are its values.

For each OBIS line that both parsers know, the value we index (as a Decimal,
or as text) and its unit must equal what dsmr_parser makes of the same line.
Its checksum check also confirms every fixture's CRC independently.
"""

import re
from decimal import Decimal

import pytest
from dsmr_parser import telegram_specifications as specs
from dsmr_parser.parsers import TelegramParser

from dsmr import P1Parser, fields, values

pytestmark = pytest.mark.cpython_only  # host-side only: not run again on the yardstick

SPECS = {
    "dsmr22": specs.V2_2,
    "dsmr42": specs.V4,
    "dsmr50_spec": specs.V5,
    "fluvius": specs.BELGIUM_FLUVIUS,
    "dsmr50_multi_mbus": specs.V5,
}
OBIS_RE = re.compile(r"^(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)\(")


def our_field_by_obis():
    out = {}
    for i in range(fields.COUNT):
        if fields.KEYS[i] >= 0:
            out[fields.KEYS[i]] = i
    return out


def oracle(spec, text):
    """{(A,B,C,D,E): (value, unit)} for each line dsmr_parser parsed."""
    t = TelegramParser(spec, apply_checksum_validation=spec["checksum_support"]).parse(text)
    result = {}
    for obj in spec["objects"]:
        ref = obj["obis_reference"]
        if not isinstance(ref, str):
            continue
        for m in re.finditer(ref, text, re.M):
            code = tuple(int(x) for x in OBIS_RE.match(m.group(0)).groups())
            a, b = code[0], code[1]
            holder = t.get_mbus_device_by_channel(b) if a == 0 and b != 0 else t
            dobj = getattr(holder, obj["value_name"], None)
            if dobj is not None and hasattr(dobj, "value"):
                result[code] = (dobj.value, dobj.unit)
    return result


@pytest.mark.parametrize("name", sorted(SPECS))
def test_values_equal_dsmr_parser(name, fixture_bytes):
    raw = fixture_bytes(name)
    theirs = oracle(SPECS[name], raw.decode("ascii"))
    p = P1Parser()
    assert p.feed(raw) == 1
    by_key = our_field_by_obis()
    compared = 0
    for code, (value, unit) in theirs.items():
        key = fields.obis_key(*code)
        if key not in by_key:
            continue
        f = by_key[key]
        assert p.present(f), (name, code)
        ours = values.text(p, f)
        if isinstance(value, (Decimal, int)):
            assert Decimal(ours) == Decimal(value), (name, code, ours, value)
            assert values.unit(p, f) == (unit or ""), (name, code, values.unit(p, f), unit)
        elif isinstance(value, str):
            assert ours == value, (name, code)
        # datetimes: dsmr_parser converts them; presence is what we check
        compared += 1
    assert compared >= 8, (name, compared)


def test_oracle_rejects_the_anonymised_spec_crc(fixture_bytes):
    from dsmr_parser.exceptions import InvalidChecksumError

    with pytest.raises(InvalidChecksumError):
        TelegramParser(specs.V5).parse(fixture_bytes("spec_anonymised_badcrc").decode())

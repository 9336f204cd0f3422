"""The parser's index is read by name: every module that reads p.idx names its
slots (`_SLOTS`, `_UNIT`, `_STAMP`) with the values lib/dsmr/index.py gives
them, and no slot arithmetic is left in numbers (`f * 6`, `idx[18]`).

`const()` is folded only in the module that defines it, so each module
declares the ones it uses (no heap, no lookup per telegram); this test is what
keeps those copies equal. The same for the indexes of peaks.py's state that
mqtt.py and api_metrics.py read without importing it.
"""

import os
import re
import sys

import pytest

pytestmark = pytest.mark.cpython_only  # reads the sources: host-side only

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "lib"))

from dsmr import index  # noqa: E402

CONST = re.compile(r"^(_?[A-Z_]+) = const\((\d+)\)", re.M)


def _sources():
    for top in ("firmware", os.path.join("lib", "dsmr")):
        for n in sorted(os.listdir(os.path.join(ROOT, top))):
            if n.endswith(".py") and n != "index.py":
                p = os.path.join(ROOT, top, n)
                yield os.path.relpath(p, ROOT), open(p).read()


def test_each_module_names_the_slots_as_index_py_does():
    names = dict(CONST.findall(open(index.__file__).read()))
    want = {"_SLOTS": index.SLOTS, "_UNIT": int(names["_UNIT"]), "_STAMP": int(names["_STAMP"])}
    seen = 0
    for path, src in _sources():
        for name, value in CONST.findall(src):
            if name in want and not (path.endswith("index.py")):
                seen += 1
                assert int(value) == want[name], (path, name)
    assert seen >= 10


def test_no_slot_arithmetic_in_numbers():
    bad = []
    for path, src in _sources():
        if ".idx" not in src and "idx[" not in src:
            continue
        for i, line in enumerate(src.split("\n"), 1):
            code = line.split("#")[0]
            if re.search(r"\*\s*6\b", code) or re.search(r"idx\[(?:[2-9]|\d\d+)\]", code) \
                    or re.search(r"idx\[\w+ \+ [2-5]\]", code):
                bad.append("%s:%d %s" % (path, i, line.strip()))
    assert bad == []


def test_field_numbers_named_without_importing_fields_are_fields_pys():
    from dsmr import fields, profile

    want = {"_TIMESTAMP": fields.TIMESTAMP, "_ENTRY": profile.ENTRY}
    seen = 0
    for path, src in _sources():
        for name, value in CONST.findall(src):
            if name in want:
                seen += 1
                assert int(value) == want[name], (path, name)
    assert seen >= 2


def test_the_peaks_state_indexes_read_elsewhere_are_peaks_pys():
    peaks = dict(CONST.findall(open(os.path.join(ROOT, "firmware", "peaks.py")).read()))
    seen = 0
    for path, src in _sources():
        for name, value in CONST.findall(src):
            if name.startswith("_P_"):
                seen += 1
                assert peaks["_" + name[3:]] == value, (path, name)
    assert seen >= 6

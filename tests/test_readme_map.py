"""The README's "Where things are" is the one file map: it lists every module
of the device code and the tools, one line each, and nothing that is not there.

(firmware/__init__.py and the module docstrings point to it instead of
carrying copies that drift.)
"""

import os
import re

import pytest

pytestmark = pytest.mark.cpython_only  # reads the sources: host-side only

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIP = {"__init__.py"}  # package markers: their folder's line stands for them


def _map():
    text = open(os.path.join(ROOT, "README.md")).read()
    block = text.split("## Where things are", 1)[1].split("```", 2)[1]
    return block


def _modules():
    out = [n for n in os.listdir(ROOT) if n.endswith(".py")]
    for top in ("firmware", "lib", "tools"):
        for d, _, names in os.walk(os.path.join(ROOT, top)):
            if "__pycache__" in d:
                continue
            out += [os.path.relpath(os.path.join(d, n), ROOT) for n in names if n.endswith(".py") and n not in SKIP]
    return sorted(out)


def test_every_module_is_in_the_file_map():
    names = set(re.findall(r"[\w.]+\.py\b", _map()))
    missing = [m for m in _modules() if os.path.basename(m) not in names]
    assert missing == [], "add these to README.md, Where things are: %s" % missing


def test_the_file_map_names_only_modules_that_exist():
    have = {os.path.basename(m) for m in _modules()}
    have |= {n for n in os.listdir(os.path.join(ROOT, "tests", "fakes")) if n.endswith(".py")}
    stale = sorted(n for n in set(re.findall(r"[\w.]+\.py\b", _map())) if n not in have)
    assert stale == [], "README.md, Where things are, names what is gone: %s" % stale


def test_the_package_docstring_carries_no_copy_of_the_map():
    doc = open(os.path.join(ROOT, "firmware", "__init__.py")).read()
    assert len(re.findall(r"\w+\.py", doc)) <= 1  # (README.md only)

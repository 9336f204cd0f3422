"""Checks without a board: every device file compiles for the ESP32, and deploy copies
only what changed."""

import os
import sys


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import build  # noqa: E402
from conftest import built_for  # noqa: E402
import deploy  # noqa: E402
import pytest  # noqa: E402

pytestmark = pytest.mark.cpython_only  # host-side only: not run again on the yardstick


built = built_for("xtensawin")


def test_every_device_file_compiles_with_mpy_cross_for_the_esp32(built):
    sources = build.device_files()
    assert "main.py" in sources and "firmware/platform/esp32.py" in sources
    for rel in sources:
        if rel in ("main.py", "boot.py"):
            assert os.path.exists(os.path.join(built, rel))
            continue
        with open(os.path.join(built, rel[:-3] + ".mpy"), "rb") as f:
            head = f.read(4)
        # 'M', version 6; with native (viper) code the next byte is the arch in the top
        # 6 bits, 10 = xtensawin, and sub-version 3 (MicroPython 1.23+); else 0
        assert head[0:2] == b"M\x06", rel
        with open(os.path.join(ROOT, rel)) as f:
            viper = "\n@micropython.viper\n" in f.read()
        assert head[2] == ((10 << 2) | 3 if viper else 0), (rel, head)


def test_deploy_copies_only_what_changed(built, tmp_path):
    manifest = str(tmp_path / "deployed.json")
    files, now = deploy.plan(built, manifest)
    assert "main.py" in files and "lib/dsmr/framer.mpy" in files and len(files) == len(now)
    import json

    with open(manifest, "w") as f:
        json.dump(now, f)
    assert deploy.plan(built, manifest)[0] == []
    with open(os.path.join(built, "boot.py"), "a") as f:
        f.write("\n# changed\n")
    assert deploy.plan(built, manifest)[0] == ["boot.py"]
    assert len(deploy.plan(built, manifest, force=True)[0]) == len(now)


def test_deploy_dry_run_needs_no_board(capsys):
    assert deploy.main(["--port", "/dev/nonexistent-test-port", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would copy main.py" in out or "up to date" in out


def test_the_readme_gives_the_page_size_make_bench_prints(built):
    import re

    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        said = re.search(r"no CDN\), ([\d.]+) KB, ([\d.]+) KB gzip-compressed", f.read()).groups()
    with open(os.path.join(built, "www", "index.html.gz"), "rb") as f:
        packed = len(f.read())  # what the dongle serves
    plain = os.path.getsize(os.path.join(ROOT, "www", "index.html"))
    for kb, size, name in zip(said, (plain, packed), ("page_bytes", "page_gzip_bytes")):
        decimals = len(kb.partition(".")[2])
        assert round(size / 1000, decimals) == float(kb), "README says %s KB; make bench: %s=%d" % (kb, name, size)

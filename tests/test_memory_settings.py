"""No setting can ask for more heap than there is (issues #11.5, #12.2).

The settings that size buffers share one budget (firmware/settings_table.py):
a value beyond a setting's own limit, or a combination that asks for more
heap than the defaults take, is refused with a 400 that says why, and nothing
is saved. Each accepted maximal combination starts and serves on the
yardstick (../shared/tools/micropython-esp32like, the .mpy build) where the
defaults do, and a file over the budget boots with the buffer defaults there
(without that check the boot dies of MemoryError). A history
ring file is never read whole: a 2000-slot file left over from before does
not keep history off.
"""

import json
import os

import pytest

import harness
from conftest import ROOT, built_for
from harness import Firmware, fixture, wait_for

YARDSTICK = harness.ESP32LIKE  # (../shared/tools/micropython-esp32like, or DSMR_ESP32LIKE)
# The heap for the restarts: the yardstick suite's (tests/harness.py), 96k, where the
# defaults serve every endpoint. A maximal combination must need no more than they do.
YARD_HEAP = "96k"

built = built_for("x86")


def post(fw, doc):
    doc = dict(doc, writes_open=True)  # (the owner's choice of no admin password comes with it)
    r = fw.get("/api/v1/dev/settings", "POST", {"Content-Type": "application/json"}, json.dumps(doc))
    return r.status, r.json()


@pytest.mark.parametrize("doc, says", [
    ({"p1_buffer": 16384}, "p1_buffer must be 256..4096"),
    ({"http_buffer": 8192}, "http_buffer must be 512..4096"),
    ({"http_max_conn": 16}, "http_max_conn must be 1..8"),
    ({"hist_hours": 2000}, "hist_hours must be 0..168"),
    ({"p1_buffer": 4096}, "need 14080 bytes of heap"),  # each within its limit, not with the others
    ({"http_max_conn": 8}, "need 15104 bytes of heap"),
    ({"http_buffer": 4096, "p1_buffer": 3072}, "need 14080 bytes of heap"),
])
def test_a_setting_beyond_the_heap_is_refused_and_nothing_saved(fw, tmp_path, doc, says):
    status, body = post(fw, doc)
    assert status == 400 and says in body["error"], body
    assert not os.path.exists(tmp_path / "settings.json")


MAXIMAL = [  # each within the budget (10368 bytes) with one setting at the most it can have (raw stream off)
    {"p1_buffer": 4032, "http_buffer": 512, "http_max_conn": 1, "raw_max_clients": 1},
    {"p1_buffer": 2048, "http_buffer": 4096, "http_max_conn": 1, "raw_max_clients": 1},
    {"p1_buffer": 896, "http_buffer": 512, "http_max_conn": 7, "raw_max_clients": 1},
    {"p1_buffer": 2048, "http_buffer": 1024, "http_max_conn": 2, "raw_max_clients": 7},
    {"hist_hours": 168, "hist_days": 92, "hist_months": 120},  # (history slots cost flash, not heap)
    {},  # the defaults, for comparison
]


@pytest.mark.parametrize("combo", MAXIMAL)
def test_each_maximal_combination_is_accepted_and_the_firmware_restarts_with_it(tmp_path, meter, built, combo):
    if combo:
        fw = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port)
        try:
            status, body = post(fw, combo)
            assert status == 200, body
        finally:
            fw.stop()
    if not os.path.exists(YARDSTICK):
        pytest.skip("no yardstick at %s: the restart at %s is not checked" % (YARDSTICK, YARD_HEAP))
    saved, harness.MICROPYTHON = harness.MICROPYTHON, YARDSTICK
    try:
        fw = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, heap=YARD_HEAP, root=built, raw_port=0)
    finally:
        harness.MICROPYTHON = saved
    try:
        meter.wait_client(2 if combo else 1)
        t = fixture("dsmr50_spec")  # (888 bytes: fits a p1_buffer of 1024)
        meter.send(t)
        wait_for(lambda: fw.get("/api/v1/sm/telegram").body == t, 10, "the telegram")
        for path in ("/api/v1/sm/actual", "/api/v1/sm/fields", "/api/v1/hist/hours", "/api/v1/dev/settings"):
            assert fw.get(path).status == 200, path
        assert fw.alive() and "MemoryError" not in fw.log(), fw.log()
    finally:
        fw.stop()


def test_a_history_file_of_2000_slots_is_never_read_whole(tmp_path, meter, built):
    if not os.path.exists(YARDSTICK):
        pytest.skip("no yardstick at %s: a 52 KB read fits the 64-bit test heap" % YARDSTICK)
    (tmp_path / "hist_hours.bin").write_bytes(bytes(2000 * 26))  # left by a hist_hours of 2000
    saved, harness.MICROPYTHON = harness.MICROPYTHON, YARDSTICK
    try:
        fw = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, heap=YARD_HEAP, root=built)
    finally:
        harness.MICROPYTHON = saved
    try:
        meter.wait_client()
        assert "history not started" not in fw.log(), fw.log()
        assert fw.get("/api/v1/hist/hours").status == 200
        assert os.path.getsize(tmp_path / "hist_hours.bin") == 48 * 26
    finally:
        fw.stop()


def test_a_settings_file_over_the_budget_boots_with_the_buffer_defaults(tmp_path, meter, built):
    """A file written before the budget (or by hand) cannot make the boot run out of memory."""
    if not os.path.exists(YARDSTICK):
        pytest.skip("no yardstick at %s" % YARDSTICK)
    (tmp_path / "settings.json").write_text(json.dumps({"p1_buffer": 6144, "http_buffer": 8192, "http_max_conn": 8,
                                                        "hostname": "kept"}))
    saved, harness.MICROPYTHON = harness.MICROPYTHON, YARDSTICK
    try:
        fw = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, heap=YARD_HEAP, root=built)
    finally:
        harness.MICROPYTHON = saved
    try:
        meter.wait_client()
        t = fixture("dsmr50_spec")
        meter.send(t)
        wait_for(lambda: fw.get("/api/v1/sm/telegram").body == t, 10, "the telegram")
        assert "the buffer settings are back to their defaults" in fw.log()
        s = {e["name"]: e["value"] for e in fw.get("/api/v1/dev/settings").json()["settings"]}
        assert (s["p1_buffer"], s["http_buffer"], s["http_max_conn"], s["hostname"]) == (2048, 2048, 3, "kept")
    finally:
        fw.stop()

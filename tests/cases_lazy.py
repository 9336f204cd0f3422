"""firmware/lazy.py under MicroPython (tests/test_lazy.py): code loaded for a while and let go."""

import gc
import os
import sys

import firmware
from firmware import lazy

_DIR = os.getenv("DSMR_CASES_TMP") + "/lazy"  # (the runner makes a folder for the cases)


def _with_module(name, text, run):
    """Runs run() with firmware.<name> loadable from `text` (a folder of its own, for
    this case only: the firmware package looks there while run() runs)."""
    try:
        os.mkdir(_DIR)
    except OSError:
        pass
    path = _DIR + "/" + name + ".py"
    with open(path, "w") as f:
        f.write(text)
    home = firmware.__path__
    firmware.__path__ = _DIR
    try:
        return run()
    finally:
        firmware.__path__ = home
        os.remove(path)


def _failed_load_cost(name):
    def run():
        gc.collect()
        before = gc.mem_alloc()
        try:
            lazy.load(name)
        except ValueError:
            pass
        gc.collect()
        return gc.mem_alloc() - before

    return run


def case_a_module_that_fails_to_load_leaves_nothing_behind():
    # MicroPython keeps a module that failed to load in sys.modules' table slot (its
    # value is not cleared), and with it everything it had made: here 16 KB
    text = "big = bytearray(16000)\nraise ValueError('on purpose')\n"
    held = _with_module("zz_fails", text, _failed_load_cost("zz_fails"))
    assert held < 2000, held
    assert "firmware.zz_fails" not in sys.modules


def _use(name):
    # (a function of its own: a slot of the caller's frame, scanned whole by the
    # collector, would hold the module while the caller runs)
    assert len(lazy.load(name).big) == 16000


def case_a_module_that_loads_is_let_go_by_unload():
    def run():
        gc.collect()
        before = gc.mem_alloc()
        _use("zz_loads")
        lazy.unload("zz_loads")
        gc.collect()
        return gc.mem_alloc() - before

    held = _with_module("zz_loads", "big = bytearray(16000)\n", run)
    assert held < 2000, held


def all_cases():
    return sorted(k for k in globals() if k.startswith("case_"))

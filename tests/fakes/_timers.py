"""The fake machine.WDT and machine.Timer (tests/fakes/machine.py loads this when they are used)."""

import os
import time

from _record import record

# The ESP32's watchdog, as ports/esp32/machine_wdt.c has it: one per chip (a
# second WDT() reconfigures the same one), no deinit(), and a soft reset
# (tests/fakes/board.py) leaves it running. Not fed within its timeout, it
# resets the board: the process is killed outright, like a hardware reset.
_wdt = {"deadline": None, "timeout": 0}


def _watch():
    while True:
        time.sleep_ms(20)
        d = _wdt["deadline"]
        if d is not None and time.ticks_diff(time.ticks_ms(), d) > 0:
            record("reset", cause="wdt")
            os.system("kill -9 $PPID")  # (the shell's parent: this process)
            time.sleep(10)


class WDT:
    def __init__(self, id=0, timeout=5000):
        record("wdt_init", timeout=timeout)
        started = _wdt["deadline"] is not None
        _wdt["timeout"] = timeout
        _wdt["deadline"] = time.ticks_add(time.ticks_ms(), timeout)
        if not started:
            import _thread

            _thread.start_new_thread(_watch, ())

    def feed(self):
        record("wdt_feed")
        _wdt["deadline"] = time.ticks_add(time.ticks_ms(), _wdt["timeout"])


# Hardware timers: the callback runs every `period` ms until deinit() or a soft
# reset (which deinitialises every timer, as ports/esp32/main.c does). On the
# ESP32 the callback is scheduled and also runs while the REPL waits for input:
# here a thread calls it.
_timers = {}


class Timer:
    PERIODIC = 1

    def __new__(cls, id=0, **kw):
        t = _timers.get(id)
        if t is None:
            t = object.__new__(cls)
            t.id = id
            t.gen = 0
            _timers[id] = t
        return t

    def init(self, mode=1, period=1000, callback=None):
        record("timer_init", id=self.id, period=period)
        self.gen += 1
        import _thread

        _thread.start_new_thread(self._run, (self.gen, period, callback))

    def _run(self, gen, period, callback):
        while True:
            time.sleep_ms(period)
            if self.gen != gen:
                return
            callback(self)

    def deinit(self):
        self.gen += 1
        record("timer_deinit", id=self.id)


def soft_reset():
    for t in _timers.values():
        t.deinit()

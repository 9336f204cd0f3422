"""Log lines: `<uptime s> <LEVEL> <message>` on stdout (the REPL on the dongle)."""

import time

_T0 = time.ticks_ms()
DEBUG = False


def _out(level, msg):
    try:
        print("%9.3f %s %s" % (time.ticks_diff(time.ticks_ms(), _T0) / 1000, level, msg))
    except MemoryError:
        print(level, msg)  # no room to format: the line without its time, never an error


def info(msg):
    _out("INFO", msg)


def warn(msg):
    _out("WARN", msg)


def error(msg):
    _out("ERROR", msg)


def debug(msg):
    if DEBUG:
        _out("DEBUG", msg)

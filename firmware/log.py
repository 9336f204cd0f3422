"""Log lines: `<uptime s> <LEVEL> <message>` on stdout (the REPL on the dongle)."""

import time

_T0 = time.ticks_ms()
DEBUG = False


def _out(level, msg):
    print("%9.3f %s %s" % (time.ticks_diff(time.ticks_ms(), _T0) / 1000, level, msg))


def info(msg):
    _out("INFO", msg)


def warn(msg):
    _out("WARN", msg)


def error(msg):
    _out("ERROR", msg)


def debug(msg):
    if DEBUG:
        _out("DEBUG", msg)

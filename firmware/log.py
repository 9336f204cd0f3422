"""Log lines: `<uptime s> <LEVEL> <message>` on stdout (the REPL on the dongle)."""

from . import uptime

DEBUG = False


def _out(level, msg):
    try:
        s = uptime.seconds()
        print("%5d.%03d %s %s" % (s, uptime.millis_part(), level, msg))
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

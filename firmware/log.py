"""Log lines: `<uptime s> <LEVEL> <message>` on stdout (the REPL on the dongle).

Call as `log.warn("P1 source %s: %r", spec, e)`: the message is formatted
here, so logging never raises: not out of memory (then the bare format and
level are printed), not when the format and its arguments do not match (then
the format and the arguments' reprs). An error handler in a long-running task logs and
carries on; were the logging itself to raise there, the task would end.
"""

from . import uptime

DEBUG = False


def _out(level, msg, args):
    try:
        if args:
            msg = msg % args
        s = uptime.seconds()
        print("%5d.%03d %s %s" % (s, uptime.millis_part(), level, msg))
    except MemoryError:
        print(level, msg)  # no room to format: what we have, never an error
    except Exception:  # a format that does not fit its arguments (TypeError, ValueError)
        try:
            print(level, "bad log format:", msg, args)
        except Exception:  # an argument whose repr raises
            print(level, msg)


def info(msg, *args):
    _out("INFO", msg, args)


def warn(msg, *args):
    _out("WARN", msg, args)


def error(msg, *args):
    _out("ERROR", msg, args)


def debug(msg, *args):
    if DEBUG:
        _out("DEBUG", msg, args)

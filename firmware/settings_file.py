"""A settings file that cannot be read, found at boot: checked before it is parsed, put aside.

Loaded by settings.py at boot only (where a file that stops the boot would
stop every boot) and dropped after. `check()` raises ValueError for a file
over MAX_FILE bytes or with a container inside its outer object (deep
nesting would take the whole heap to parse), reading it in small pieces;
`aside()` renames a bad file to settings.json.bad (the last one kept), logs
it and notes it for /api/v1/dev/info (`settingserror`).
"""

import os

from . import log

MAX_FILE = 8192  # the largest valid file is about 4 KB (every string at its longest)


def check(path):
    size = os.stat(path)[6]
    if size > MAX_FILE:
        raise ValueError("%d bytes, more than %d" % (size, MAX_FILE))
    with open(path, "rb") as f:
        if _nested(f):
            raise ValueError("not one flat object")


def _nested(f):
    """True if a JSON file has a container inside its outer one (strings skipped)."""
    opened = text = esc = False
    buf = bytearray(128)
    while True:
        n = f.readinto(buf)
        if not n:
            return False
        for i in range(n):
            c = buf[i]
            if text:
                if esc:
                    esc = False
                elif c == 92:  # backslash
                    esc = True
                elif c == 34:
                    text = False
            elif c == 34:  # "
                text = True
            elif c == 123 or c == 91:  # { [
                if opened:
                    return True
                opened = True


def aside(path, app, e):
    msg = "%s: %r" % (path.rsplit("/", 1)[-1], e)
    try:
        try:
            os.remove(path + ".bad")
        except OSError:
            pass
        os.rename(path, path + ".bad")
        msg += "; kept as " + path.rsplit("/", 1)[-1] + ".bad"
    except OSError as e2:
        msg += "; could not be put aside: %r" % e2
    log.error("settings file is corrupt (%s): using defaults", msg)
    if app is not True:
        app.settings_error = msg

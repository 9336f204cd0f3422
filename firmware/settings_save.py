"""A change of settings checked and saved (POST /api/v1/dev/settings, the setup form), and the settings file read back.

Loaded with the handler that makes a change (settings_change.py,
api_setup.py: `save()`) and dropped with it; settings.py loads it at boot for
`saved()`, the file's values each checked. A change loads only this, then
one after the other the table (settings_table.py, for the changes' rows),
the check (settings_check.py, or strings.py for a string) and the budgets
(settings_budget.py): not settings.py's boot-only code, and never two of
those at once. The file is written atomically: a temporary
file, then a rename (`_write`).
"""

import json
import os

from . import log, platform
from .lazy import load, unload, unload_all

FILENAME = "settings.json"
# what check_budget() and check_sockets() read: a change is checked with these only
_SIZED = ("p1_buffer", "http_buffer", "http_max_conn", "raw_port", "raw_max_clients", "mqtt_url", "p1")


def save(app, changes):
    """Checks and saves changes to the settings and hands the ones that apply live to
    the running parts that hold a copy. Returns the names that need a restart."""
    restart = update(platform, app.settings, changes)
    s = app.settings
    if app.http is not None:
        app.http.timeout_ms = s["http_timeout"] * 1000
        app.http.keepalive_ms = s["http_keepalive"] * 1000
    if app.reader is not None:
        app.reader.parser.require_crc = s["p1_require_crc"]
    return restart  # (admin_password is read where it is used)


def update(platform, values, changes):
    """Validates and saves {name: value} into the file; all or nothing.

    Changes that apply live are put into `values` too. Returns the names
    that need a restart to take effect; raises ValueError with a message
    for the first invalid one, with 403 as its second argument for a
    setting that DSMR_<NAME> overrides: such a write would be saved but not
    apply (and an overridden admin_password would be gone until a restart).

    Each step is a function of its own and loads its code for itself: the
    garbage collector scans a running function's stack slots whole, so a
    function of the table's or the check's, left in a slot of this one, would
    keep that module's code in the heap through the steps after it (on the
    yardstick, 1.2 KB of the check's held through the save).
    """
    rows, stop = _rows(platform, changes)
    new, restart = _checked(rows, changes, values)
    if stop is not None:
        raise stop  # (after the values before it are checked: the first error is the one said)
    rows = None
    saved_ = saved(platform, False, values)
    _budgets(new, values)
    saved_.update(new)
    _write(platform.data_path(FILENAME), saved_)
    for k, v in new.items():
        if k not in restart:
            values[k] = v  # live now; the others after a restart
    return restart


def _rows(platform, changes):
    """The changes' rows of the table, and the error that stops at the first that has
    none or cannot be changed here (the table is dropped before the checks come)."""
    tab = load("settings_table")
    try:
        rows = []
        for k in changes:
            row = tab.row(k) if isinstance(k, str) else None
            if row is None:
                return rows, ValueError("unknown setting: %s" % k)
            if platform.env("DSMR_" + k.upper()) is not None:
                return rows, ValueError("%s is set by DSMR_%s in the environment: it cannot be changed here" % (k, k.upper()), 403)
            rows.append(row)
        return rows, None
    finally:
        unload("settings_table")


def _checked(rows, changes, values):
    """The changed values checked ({name: value}), and the names that need a restart."""
    new = {}
    restart = []
    t = None  # the check of the row's kind: strings.py for a string, else settings_check.py
    try:
        for row in rows:
            k = row[0]
            t = _checker(t, row)
            new[k] = (t.value if row[1] == "s" else t.check)(row, changes[k])
            if "R" in row[5] and new[k] != values[k]:
                restart.append(k)
        return new, restart
    finally:
        t = None
        unload_all(("settings_check", "strings"))


def _budgets(new, values):
    """ValueError unless the next boot has the heap and the sockets the settings ask for."""
    after = {}  # (the budgets read these only: no copy of every setting)
    for k in _SIZED:
        after[k] = new[k] if k in new else values[k]
    b = load("settings_budget")
    try:
        b.check_budget(after)  # the next boot must have the heap these ask for
        b.check_sockets(after)  # and the sockets (sockets.py)
    finally:
        unload("settings_budget")


def saved(platform, warn, live=None):
    """What the settings file holds, each value checked (bad ones dropped; one
    the same as in `live`, the settings in use, was checked already: a change
    loads the table, then the check, only for values that differ). At boot
    (`warn`: the app) a file that cannot be read is put aside first."""
    path = platform.data_path(FILENAME)
    try:
        os.stat(path)
    except OSError:
        path += ".tmp"  # a power cut between remove and rename (FAT only)
    try:
        if warn:  # (settings_file.py: only at boot, where a failure would loop)
            try:
                load("settings_file").check(path)
            finally:
                unload("settings_file")
        with open(path) as f:
            got = json.load(f)
        if not isinstance(got, dict):
            raise ValueError("not an object")
    except OSError as e:
        if e.args[0] == 2:  # ENOENT: no file yet: defaults
            return {}
        got = e
    except Exception as e:  # anything at all (MemoryError, RuntimeError): defaults
        got = e
    if not isinstance(got, dict):
        if warn:
            load("settings_file").aside(path, warn, got)
            unload("settings_file")
        return {}
    good = {}
    todo = []  # the names whose values are to be checked
    for k, raw in got.items():
        if live is not None and k in live and type(raw) is type(live[k]) and raw == live[k]:
            good[k] = raw  # (a setting's name, its value in use: checked)
        else:
            todo.append(k)
    if not todo:
        return good
    tab = load("settings_table")  # their rows, then the table goes before the check comes
    try:
        rows = [tab.row(k) if isinstance(k, str) else None for k in todo]
    finally:
        unload("settings_table")
        tab = None
    t = None
    for i in range(len(todo)):
        k = todo[i]
        row = rows[i]
        try:
            if row is None:
                raise ValueError("unknown setting %s" % k)
            t = _checker(t, row)
            good[k] = (t.value if row[1] == "s" else t.check)(row, got[k])
        except Exception as e:
            if warn:
                log.warn("settings file: %s: ignored", e)
    t = None
    unload_all(("settings_check", "strings"))
    return good


def _checker(t, row):
    """The check for `row`'s kind, `t` if it is that already: strings.py for a string
    (strings.value), else settings_check.py (check): one of the two in the heap at a time."""
    want = "strings" if row[1] == "s" else "settings_check"
    if t is None or t.__name__[9:] != want:
        t = None
        unload_all(("settings_check", "strings"))
        t = load(want)
    return t


def _write(final, saved):
    tmp = final + ".tmp"
    with open(tmp, "w") as f:
        json.dump(saved, f)
    try:
        os.rename(tmp, final)  # atomic on LittleFS (the ESP32's) and POSIX
    except OSError:
        os.remove(final)  # FAT cannot rename over a file; saved() then finds the .tmp
        os.rename(tmp, final)

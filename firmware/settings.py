"""Settings: the table of every setting, the settings file, host overrides, validation.

One JSON file (`settings.json` in the platform's data folder) holds the
settings that differ from their defaults. It is written atomically: a
temporary file, then a rename, so a power cut mid-write leaves the old file.
A missing file means defaults. A file that cannot be read for any reason
(not JSON, too big, nested too deep, out of memory, ...: settings_file.py) means
defaults plus a log line, never a failed boot: it is renamed to
`settings.json.bad` for inspection and /api/v1/dev/info says why
(`settingserror`). In safe mode (bootguard.py) only the Wi-Fi, hostname and
admin password come from the file: everything else is the default. On the host every setting can be overridden by
`DSMR_<NAME>` (e.g. `DSMR_HTTP_PORT=8081`); overrides are never saved.

The settings are a plain dict (`read()`); this module and settings_table.py
(the whole truth about a setting: type, default, limits, flags) are loaded
to read them at start and to check and save a change (`update()`), and
dropped in between: the code stays out of the heap.
"""

import json
import os

from . import log
from .lazy import load, unload, unload_all

FILENAME = "settings.json"
_MEMORY = ("p1_buffer", "http_buffer", "http_max_conn", "raw_max_clients")
SAFE_KEEP = ("wifi_ssid", "wifi_password", "hostname", "admin_password")


def read(platform, app=None, safe=False):
    """The settings: defaults, then the file, then (on a PC) DSMR_<NAME> overrides.
    A file that cannot be read is put aside and its error noted in app.settings_error."""
    t = load("settings_check")  # (and the table it checks against)
    try:
        values = {}
        for row in t.rows():
            values[row[0]] = t.check(row, row[2])
        for k, v in platform.DEFAULTS.items():
            values[k] = v
        saved = _saved(platform, t, app or True)
        for k in saved:
            if not safe or k in SAFE_KEEP:
                values[k] = saved[k]
        try:
            t.check_budget(values)
        except ValueError as e:  # a file from before the budget: the memory settings' defaults
            log.error("settings file: %s: the buffer settings are back to their defaults", e)
            for r in t.rows():
                if r[0] in _MEMORY:
                    values[r[0]] = t.check(r, r[2])
        try:
            t.check_sockets(values)
        except ValueError as e:  # a file from before the socket budget: the clients' defaults
            log.error("settings file: %s: http_max_conn and raw_max_clients are back to their defaults", e)
            for r in t.rows():
                if r[0] in ("http_max_conn", "raw_max_clients"):
                    values[r[0]] = t.check(r, r[2])
        for row in t.rows():
            raw = platform.env("DSMR_" + row[0].upper())
            if raw is None:
                continue
            try:
                values[row[0]] = t.check(row, raw)
            except ValueError as e:
                log.warn("DSMR_%s: %s: ignored", row[0].upper(), e)
        return values
    finally:
        unload_all(("settings_check", "settings_table", "strings"))  # (strings: loaded by the check)


def _saved(platform, t, warn):
    """What the settings file holds, each value checked (bad ones dropped). At
    boot (`warn`: the app) a file that cannot be read is put aside first."""
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
            saved = json.load(f)
        if not isinstance(saved, dict):
            raise ValueError("not an object")
    except OSError as e:
        if e.args[0] == 2:  # ENOENT: no file yet: defaults
            return {}
        saved = e
    except Exception as e:  # anything at all (MemoryError, RuntimeError): defaults
        saved = e
    if not isinstance(saved, dict):
        if warn:
            load("settings_file").aside(path, warn, saved)
            unload("settings_file")
        return {}
    good = {}
    for k, raw in saved.items():
        try:
            row = t.row(k) if isinstance(k, str) else None
            if row is None:
                raise ValueError("unknown setting %s" % k)
            good[k] = t.check(row, raw)
        except Exception as e:
            if warn:
                log.warn("settings file: %s: ignored", e)
    return good


def update(platform, values, changes):
    """Validates and saves {name: value} into the file; all or nothing.

    Changes that apply live are put into `values` too. Returns the names
    that need a restart to take effect; raises ValueError with a message
    for the first invalid one, with 403 as its second argument for a
    setting that DSMR_<NAME> overrides: such a write would be saved but not
    apply (and an overridden admin_password would be gone until a restart).
    """
    t = load("settings_check")
    try:
        new = {}
        restart = []
        for k, raw in changes.items():
            row = t.row(k) if isinstance(k, str) else None
            if row is None:
                raise ValueError("unknown setting: %s" % k)
            if platform.env("DSMR_" + k.upper()) is not None:
                raise ValueError("%s is set by DSMR_%s in the environment: it cannot be changed here" % (k, k.upper()), 403)
            new[k] = t.check(row, raw)
            if "R" in row[5] and new[k] != values[k]:
                restart.append(k)
        after = dict(values)
        after.update(new)
        t.check_budget(after)  # the next boot must have the heap these ask for
        t.check_sockets(after)  # and the sockets (sockets.py)
        saved = _saved(platform, t, False)
    finally:
        unload_all(("settings_check", "settings_table", "strings"))  # (strings: loaded by the check)
    saved.update(new)
    _write(platform.data_path(FILENAME), saved)
    for k, v in new.items():
        if k not in restart:
            values[k] = v  # live now; the others after a restart
    return restart


def _write(final, saved):
    tmp = final + ".tmp"
    with open(tmp, "w") as f:
        json.dump(saved, f)
    try:
        os.rename(tmp, final)  # atomic on LittleFS (the ESP32's) and POSIX
    except OSError:
        os.remove(final)  # FAT cannot rename over a file; _saved() then finds the .tmp
        os.rename(tmp, final)

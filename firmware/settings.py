"""Settings: the table of every setting, the settings file, host overrides, validation.

One JSON file (`settings.json` in the platform's data folder) holds the
settings that differ from their defaults. It is written atomically: a
temporary file, then a rename, so a power cut mid-write leaves the old file
(settings_save.py).
A missing file means defaults. A file that cannot be read for any reason
(not JSON, too big, nested too deep, out of memory, ...: settings_file.py) means
defaults plus a log line, never a failed boot: it is renamed to
`settings.json.bad` for inspection and /api/v1/dev/info says why
(`settingserror`). In safe mode (bootguard.py) only the Wi-Fi, hostname and
admin password come from the file: everything else is the default. On the host every setting can be overridden by
`DSMR_<NAME>` (e.g. `DSMR_HTTP_PORT=8081`); overrides are never saved.

The settings are a plain dict (`read()`); this module, settings_save.py (the
file's values, checked) and settings_table.py (the whole truth about a
setting: type, default, limits, flags) are loaded to read them at start and
dropped after: the code stays out of the heap. A change is settings_save.py
(`update()`, loaded without this module).
"""

from . import log
from .lazy import load, unload, unload_all

_MEMORY = ("p1_buffer", "http_buffer", "http_max_conn", "raw_max_clients")
SAFE_KEEP = ("wifi_ssid", "wifi_password", "hostname", "admin_password")


def read(platform, app=None, safe=False):
    """The settings: defaults, then the file, then (on a PC) DSMR_<NAME> overrides.
    A file that cannot be read is put aside and its error noted in app.settings_error."""
    t = load("settings_check")
    tab = load("settings_table")
    try:
        values = {}
        for row in tab.rows():
            values[row[0]] = t.check(row, row[2])
        for k, v in platform.DEFAULTS.items():
            values[k] = v
        try:
            saved = load("settings_save").saved(platform, app or True)
        finally:
            unload("settings_save")
        for k in saved:
            if not safe or k in SAFE_KEEP:
                values[k] = saved[k]
        b = load("settings_budget")
        try:
            b.check_budget(values)
        except ValueError as e:  # a file from before the budget: the memory settings' defaults
            log.error("settings file: %s: the buffer settings are back to their defaults", e)
            for r in tab.rows():
                if r[0] in _MEMORY:
                    values[r[0]] = t.check(r, r[2])
        try:
            b.check_sockets(values)
        except ValueError as e:  # a file from before the socket budget: the clients' defaults
            log.error("settings file: %s: http_max_conn and raw_max_clients are back to their defaults", e)
            for r in tab.rows():
                if r[0] in ("http_max_conn", "raw_max_clients"):
                    values[r[0]] = t.check(r, r[2])
        for row in tab.rows():
            raw = platform.env("DSMR_" + row[0].upper())
            if raw is None:
                continue
            try:
                values[row[0]] = t.check(row, raw)
            except ValueError as e:
                log.warn("DSMR_%s: %s: ignored", row[0].upper(), e)
        return values
    finally:
        unload_all(("settings_check", "settings_budget", "settings_table", "strings"))  # (strings: by the check)


"""Settings: the table of every setting, the settings file, host overrides, validation.

One JSON file (`settings.json` in the platform's data folder) holds the
settings that differ from their defaults. It is written atomically: a
temporary file, then a rename, so a power cut mid-write leaves the old file.
A missing file means defaults; a corrupt one means defaults plus a log line,
never a failed boot. On the host every setting can be overridden by
`DSMR_<NAME>` (e.g. `DSMR_HTTP_PORT=8081`); overrides are never saved.

The table below is the whole truth about a setting: its type (s string,
i integer, b boolean, c one of a list), default, limits (length for
strings), and flags: R = takes effect after a restart, S = secret (never
shown, only whether it is set). The platform may change defaults
(platform.DEFAULTS).
"""

import json
import os

from . import log

FILENAME = "settings.json"

_TABLE = """\
hostname|s|dsmr-api|1|32|R
http_port|i|80|1|65535|R
http_max_conn|i|4|1|16|R
http_backlog|i|8|1|128|R
http_timeout|i|5|1|120|
http_keepalive|i|15|0|600|
http_buffer|i|2048|512|16384|R
p1|s|uart|1|64|R
p1_baud|i|115200|300|921600|R
p1_format|c|8N1|8N1,7E1||R
p1_uart|i|2|1|2|R
p1_rx_pin|i|16|0|39|R
p1_request_pin|i|-1|-1|33|R
p1_buffer|i|4096|256|16384|R
p1_require_crc|b|false|||
wifi_ssid|s||0|32|R
wifi_password|s||0|64|RS
wifi_timeout|i|30|5|600|R
ntp_server|s|pool.ntp.org|0|64|
wdt_timeout|i|120|0|3600|R
admin_password|s||0|64|S
sim_speed|i|1|1|86400|
"""


def rows():
    """(name, type, default, lo, hi, flags) per setting, parsed from the table (allocates)."""
    out = []
    for line in _TABLE.split("\n"):
        if line:
            out.append(tuple(line.split("|")))
    return out


def _convert(kind, raw):
    """A value of the setting's type from JSON or text; raises ValueError."""
    if kind == "b":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            return raw.lower() in ("1", "true", "yes", "on")
        if raw in (0, 1):
            return bool(raw)
        raise ValueError("must be true or false")
    if kind == "i":
        try:
            if isinstance(raw, bool) or not isinstance(raw, (int, str)):
                raise ValueError
            return int(raw)
        except ValueError:
            raise ValueError("must be a whole number")
    if not isinstance(raw, str):
        raise ValueError("must be a string")
    return raw


def check(row, raw):
    """The validated value for setting `row`, or ValueError saying what is wrong."""
    name, kind, _, lo, hi, _ = row
    try:
        v = _convert(kind, raw)
    except ValueError as e:
        raise ValueError("%s %s" % (name, e.args[0]))
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        if not int(lo) <= v <= int(hi):
            raise ValueError("%s must be %s..%s" % (name, lo, hi))
    elif kind == "c":
        if v not in lo.split(","):
            raise ValueError("%s must be one of %s" % (name, lo))
    elif not int(lo) <= len(v) <= int(hi):
        raise ValueError("%s must be %s..%s characters" % (name, lo, hi))
    return v


class Settings:
    def __init__(self, platform):
        self._platform = platform
        self.values = {}
        for row in rows():
            self.values[row[0]] = check(row, row[2])
        for k, v in platform.DEFAULTS.items():
            self.values[k] = v
        self.saved = {}  # what the file holds
        self._load()
        self._apply_env()

    def __getitem__(self, name):
        return self.values[name]

    def path(self):
        return self._platform.data_path(FILENAME)

    def _load(self):
        path = self.path()
        try:
            os.stat(path)
        except OSError:
            path += ".tmp"  # a power cut between remove and rename (FAT only)
        try:
            with open(path) as f:
                saved = json.load(f)
            if not isinstance(saved, dict):
                raise ValueError("not an object")
        except OSError:
            return  # no file yet: defaults
        except ValueError as e:
            log.warn("settings file is corrupt (%s): using defaults" % e)
            return
        by_name = {r[0]: r for r in rows()}
        for k, raw in saved.items():
            try:
                if k not in by_name:
                    raise ValueError("unknown setting " + k)
                self.values[k] = self.saved[k] = check(by_name[k], raw)
            except ValueError as e:
                log.warn("settings file: %s: ignored" % e)

    def _apply_env(self):
        for row in rows():
            raw = self._platform.env("DSMR_" + row[0].upper())
            if raw is None:
                continue
            try:
                self.values[row[0]] = check(row, raw)
            except ValueError as e:
                log.warn("DSMR_%s: %s: ignored" % (row[0].upper(), e))

    def update(self, changes):
        """Validates and saves {name: value}; all or nothing.

        Returns the names that need a restart to take effect; raises
        ValueError with a message for the first invalid one.
        """
        by_name = {r[0]: r for r in rows()}
        new = {}
        restart = []
        for k, raw in changes.items():
            if k not in by_name:
                raise ValueError("unknown setting: %s" % k)
            new[k] = check(by_name[k], raw)
            if "R" in by_name[k][5] and new[k] != self.values[k]:
                restart.append(k)
        saved = dict(self.saved)
        saved.update(new)
        self._write(saved)
        self.saved = saved
        for k, v in new.items():
            if k not in restart:
                self.values[k] = v  # live now; the others after a restart
        return restart

    def _write(self, saved):
        final = self.path()
        tmp = final + ".tmp"
        with open(tmp, "w") as f:
            json.dump(saved, f)
        try:
            os.rename(tmp, final)  # atomic on LittleFS (the ESP32's) and POSIX
        except OSError:
            os.remove(final)  # FAT cannot rename over a file; _load() then finds the .tmp
            os.rename(tmp, final)

"""Settings: the table of every setting, the settings file, host overrides, validation.

One JSON file (`settings.json` in the platform's data folder) holds the
settings that differ from their defaults. It is written atomically: a
temporary file, then a rename, so a power cut mid-write leaves the old file.
A missing file means defaults; a corrupt one means defaults plus a log line,
never a failed boot. On the host every setting can be overridden by
`DSMR_<NAME>` (e.g. `DSMR_HTTP_PORT=8081`); overrides are never saved.

settings_table.py is the whole truth about a setting (type, default,
limits, flags); it is loaded to read the settings and to check a change,
and dropped in between.
"""

import json
import os

from . import log
from .lazy import load, unload

FILENAME = "settings.json"

class Settings:
    def __init__(self, platform):
        self._platform = platform
        self.values = {}
        t = load("settings_table")
        for row in t.rows():
            self.values[row[0]] = t.check(row, row[2])
        for k, v in platform.DEFAULTS.items():
            self.values[k] = v
        self.saved = {}  # what the file holds
        self._load(t)
        self._apply_env(t)
        unload("settings_table")

    def __getitem__(self, name):
        return self.values[name]

    def path(self):
        return self._platform.data_path(FILENAME)

    def _load(self, t):
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
        by_name = {r[0]: r for r in t.rows()}
        for k, raw in saved.items():
            try:
                if k not in by_name:
                    raise ValueError("unknown setting " + k)
                self.values[k] = self.saved[k] = t.check(by_name[k], raw)
            except ValueError as e:
                log.warn("settings file: %s: ignored" % e)

    def _apply_env(self, t):
        for row in t.rows():
            raw = self._platform.env("DSMR_" + row[0].upper())
            if raw is None:
                continue
            try:
                self.values[row[0]] = t.check(row, raw)
            except ValueError as e:
                log.warn("DSMR_%s: %s: ignored" % (row[0].upper(), e))

    def update(self, changes):
        """Validates and saves {name: value}; all or nothing.

        Returns the names that need a restart to take effect; raises
        ValueError with a message for the first invalid one.
        """
        t = load("settings_table")
        try:
            by_name = {r[0]: r for r in t.rows()}
        finally:
            unload("settings_table")
        new = {}
        restart = []
        for k, raw in changes.items():
            if k not in by_name:
                raise ValueError("unknown setting: %s" % k)
            new[k] = t.check(by_name[k], raw)
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

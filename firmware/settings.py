"""Settings: defaults, the settings file, and host overrides by environment.

Every setting has a default here, with its type taken from the default. On
the host any setting can be overridden by `DSMR_<NAME>` (upper case), e.g.
`DSMR_HTTP_PORT=8081`; `DSMR_P1` and `DSMR_DATA_DIR` are read by the unix
platform itself. A missing or corrupt settings file means defaults plus a log
line, never a failed boot.
"""

import json

from . import log

# name: default. The platform may replace some defaults (see platform.DEFAULTS).
DEFAULTS = {
    "hostname": "dsmr-api",
    "http_port": 80,
    "http_max_conn": 4,  # connections served at once; more wait in the listen backlog
    "http_backlog": 8,
    "http_timeout": 5,  # seconds a client may take to send a whole request
    "http_keepalive": 15,  # seconds an idle keep-alive connection is kept
    "http_buffer": 2048,  # response buffer; larger bodies are rendered twice (count, send)
    "p1": "uart",  # uart | sim | tcp:HOST:PORT | /dev/ttyUSB0 (host)
    "p1_baud": 115200,  # 9600 for DSMR 2.2/3 (then 7E1)
    "p1_buffer": 4096,  # largest telegram accepted, bytes
    "p1_require_crc": False,  # reject CRC-less (DSMR 2.2/3) telegrams
    "sim_speed": 1,  # simulated meter: seconds of meter time per real second
}

FILENAME = "settings.json"


class Settings:
    def __init__(self, platform):
        self._platform = platform
        self.values = dict(DEFAULTS)
        self.values.update(platform.DEFAULTS)
        self._load()
        self._apply_env()

    def __getitem__(self, name):
        return self.values[name]

    def _path(self):
        return self._platform.data_path(FILENAME)

    def _load(self):
        try:
            with open(self._path()) as f:
                saved = json.load(f)
        except OSError:
            return  # no file yet: defaults
        except ValueError as e:
            log.warn("settings file is corrupt (%s): using defaults" % e)
            return
        if not isinstance(saved, dict):
            log.warn("settings file is not an object: using defaults")
            return
        for k, v in saved.items():
            if k in self.values and type(v) is type(self.values[k]):
                self.values[k] = v
            else:
                log.warn("settings file: ignoring %s" % k)

    def _apply_env(self):
        for k, default in self.values.items():
            raw = self._platform.env("DSMR_" + k.upper())
            if raw is None:
                continue
            try:
                if isinstance(default, bool):
                    if raw.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                        raise ValueError(raw)
                    v = raw.lower() in ("1", "true", "yes", "on")
                elif isinstance(default, int):
                    v = int(raw)
                else:
                    v = raw
            except ValueError:
                log.warn("DSMR_%s=%r is not a valid %s: ignored" % (k.upper(), raw, type(default).__name__))
                continue
            self.values[k] = v

"""A fake `network` (Wi-Fi) for the dongle's layer on the unix port; see machine.py.

$FAKE_WIFI says how the station behaves: `ok` joins half a second after
connect(), `fail` never joins, `flaky` raises OSError from isconnected() the
first two times (as the ESP32 driver can) and then is `ok`. Every call that
changes something is recorded.
"""

import os
import time

from _record import record

STA_IF = 0
AP_IF = 1
AUTH_OPEN = 0
_state = {"hostname": "espressif"}


def hostname(name=None):
    if name is None:
        return _state["hostname"]
    record("hostname", name=name)
    _state["hostname"] = name


class WLAN:
    def __init__(self, iface=STA_IF):
        self.iface = iface
        self.key = "if%d" % iface

    def _get(self, k, default=None):
        return _state.get(self.key + k, default)

    def _set(self, k, v):
        _state[self.key + k] = v

    def active(self, on=None):
        if on is None:
            return self._get("active", False)
        record("active", iface=self.iface, on=bool(on))
        self._set("active", bool(on))

    def connect(self, ssid, password=""):
        record("connect", ssid=ssid)
        self._set("since", time.ticks_ms())

    def disconnect(self):
        self._set("since", None)

    def isconnected(self):
        mode = os.getenv("FAKE_WIFI") or "ok"
        if mode == "flaky" and _state.get("raised", 0) < 2:
            _state["raised"] = _state.get("raised", 0) + 1
            raise OSError("Wifi Internal Error")
        since = self._get("since")
        return mode in ("ok", "flaky") and since is not None and time.ticks_diff(time.ticks_ms(), since) > 500

    def config(self, *args, **kw):
        if kw:
            record("config", iface=self.iface, **kw)
            for k, v in kw.items():
                self._set(k, v)
            return None
        if args[0] == "mac":
            return b"\x24\x0a\xc4\x12\xab\xcd"
        return self._get(args[0], "")

    def ifconfig(self):
        ip = "192.168.4.1" if self.iface == AP_IF else "192.168.1.50"
        return ip, "255.255.255.0", ip, ip

    def status(self, key=None):
        return -61 if key == "rssi" else 0

"""A fake `network` (Wi-Fi) for the dongle's layer on the unix port; see machine.py.

$FAKE_WIFI says how the station behaves: `ok` joins half a second after
connect(), `fail` never joins, `flaky` raises OSError from isconnected() the
first two times (as the ESP32 driver can) and then is `ok`. Every call that
changes something is recorded.

No kinder than ports/esp32/network_wlan.c: connect() on a station that is not
active raises OSError("Wifi Not Started"), and again while a connect is still
under way OSError("Wifi Internal Error") (ESP_ERR_WIFI_CONN); config() with a
name the port does not know is ValueError("unknown config param");
status("rssi") off-line is OSError("Wifi Not Connected"). The access point's
isconnected() is whether a phone is on it: the number of stations is read
from the file $FAKE_AP_STATIONS (none if it is missing), so a test can come
and go.
"""

import os
import time

from _record import record

STA_IF = 0
AP_IF = 1
AUTH_OPEN = 0
AUTH_WPA2_PSK = 3
_state = {"hostname": "espressif"}
_CONFIG = ("mac", "ssid", "essid", "hidden", "security", "authmode", "key", "password", "channel",
           "bandwidth", "hostname", "dhcp_hostname", "max_clients", "reconnects", "txpower",
           "protocol", "pm")


def hostname(name=None):
    if name is None:
        return _state["hostname"]
    record("hostname", name=name)
    _state["hostname"] = name


def _stations():
    path = os.getenv("FAKE_AP_STATIONS")
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, TypeError, ValueError):
        return 0


class WLAN:
    def __init__(self, iface=STA_IF):
        if iface not in (STA_IF, AP_IF):
            raise ValueError("invalid WLAN interface identifier")
        self.iface = iface
        self.key = "if%d" % iface

    def _get(self, k, default=None):
        return _state.get(self.key + k, default)

    def _set(self, k, v):
        _state[self.key + k] = v

    def active(self, on=None):
        if on is None:
            return self._get("active", False)
        import sys

        # (how much of the firmware was imported by then: main.py starts Wi-Fi first)
        record("active", iface=self.iface, on=bool(on), firmware=len([m for m in sys.modules if m[:9] == "firmware."]))
        self._set("active", bool(on))

    def connect(self, ssid=None, password=None, bssid=None):
        if self.iface != STA_IF or not self.active():
            raise OSError("Wifi Not Started" if self.iface == STA_IF else "Wifi Invalid Mode")
        if self._get("since") is not None and not self.isconnected():
            raise OSError("Wifi Internal Error")  # a connect already under way
        record("connect", ssid=ssid)
        self._set("since", time.ticks_ms())

    def disconnect(self):
        self._set("since", None)

    def isconnected(self):
        if self.iface == AP_IF:
            return self.active() and _stations() > 0
        mode = os.getenv("FAKE_WIFI") or "ok"
        if mode == "flaky" and _state.get("raised", 0) < 2:
            _state["raised"] = _state.get("raised", 0) + 1
            raise OSError("Wifi Internal Error")
        since = self._get("since")
        return mode in ("ok", "flaky") and since is not None and time.ticks_diff(time.ticks_ms(), since) > 500

    def config(self, *args, **kw):
        if args and kw:
            raise TypeError("either pos or kw args are allowed")
        for k in list(kw) + list(args):
            if k not in _CONFIG:
                raise ValueError("unknown config param")
        if kw:
            if kw.get("authmode") == AUTH_WPA2_PSK and not 8 <= len(kw.get("password", "")) <= 63:
                raise OSError("Wifi Invalid Password")  # (esp_wifi_set_config refuses it)
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
        if key == "rssi":
            if self.iface != STA_IF:
                raise OSError("STA required")
            if not self.isconnected():
                raise OSError("Wifi Not Connected")
            return -61
        if key == "stations":
            if self.iface != AP_IF:
                raise OSError("AP required")
            return [(b"\x00" * 6, "192.168.4.2")] * _stations()
        if key is not None:
            raise ValueError("unknown status param")
        return None if self.iface == AP_IF else (1010 if self.isconnected() else 1001)

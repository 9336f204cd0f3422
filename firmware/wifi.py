"""Wi-Fi on the dongle: station from saved settings, a setup access point otherwise.

- `start()` sets `network.hostname()` before the station's first connect():
  the port hands it to DHCP at connect() and to mDNS at the first address,
  so `<hostname>.local` answers. (main.py has activated the station already,
  before the firmware was imported: Wi-Fi's memory first.)
- `run()` (an asyncio task) joins the saved network, each attempt bounded by
  `wifi_timeout` seconds. With no saved network, or none joined within the
  first attempt, it opens the access point `dsmr-api-XXXX` (last MAC bytes)
  where the setup page (api_setup.py) takes SSID, password and hostname, and
  keeps trying the station every few minutes, but not while a phone is on
  the access point (the station's scan would take the AP's channel away).
  A dropped link is rejoined in the background with backoff. Nothing else
  ever waits for Wi-Fi.
- Once a network is saved, the access point is the owner's only (README
  "Security"): WPA2 with the admin password as its key (writes there need it
  too, api_write.py); a dongle without an admin password opens none, so no
  passer-by can join it, read the meter or change a setting.
"""

import asyncio
import time

from . import log, platform

_RETRY_WITH_AP_S = 300  # how often the station is tried again while the setup AP is up
_BACKOFF_MAX_S = 60


class WiFi:
    def __init__(self, settings, network=None):
        if network is None:
            import network
        self.net = network
        self.settings = settings
        self.sta = None
        self.ap = None
        self.mode = "off"  # off | connecting | station | setup
        self.reconnects = 0
        self.ever_connected = False

    def start(self):
        net = self.net
        net.hostname(self.settings["hostname"])  # first: mDNS uses it
        self.sta = net.WLAN(net.STA_IF)
        self.sta.active(True)

    def online(self):
        """True while joined to the home network (NTP asks before it sends)."""
        return self.mode == "station"

    def ap_name(self):
        mac = self.sta.config("mac")
        return "dsmr-api-%02X%02X" % (mac[-2], mac[-1])

    def _open_ap(self, why):
        """Opens the setup access point; False where there may be none (above)."""
        if self.ap is not None:
            return True
        s = self.settings
        key = s["admin_password"] if s["wifi_ssid"] else ""
        if s["wifi_ssid"] and not key:
            log.warn("Wi-Fi: %s; no setup access point without an admin password", why)
            return False
        net = self.net
        self.ap = net.WLAN(net.AP_IF)
        self.ap.active(True)
        self.ap.config(essid=self.ap_name(), authmode=net.AUTH_WPA2_PSK if key else net.AUTH_OPEN, password=key)
        self.mode = "setup"
        log.warn("Wi-Fi: %s; setup access point %s at http://%s/", why, self.ap_name(), self.ap.ifconfig()[0])
        return True

    def _close_ap(self):
        if self.ap is not None:
            self.ap.active(False)
            self.ap = None

    async def _join(self):
        """One bounded attempt to join the saved network; True when joined."""
        s = self.settings
        self.mode = "connecting" if self.ap is None else self.mode
        try:
            self.sta.connect(s["wifi_ssid"], s["wifi_password"])
        except OSError as e:
            log.warn("Wi-Fi: connect failed: %r", e)
            return False
        t0 = time.ticks_ms()
        while time.ticks_diff(time.ticks_ms(), t0) < s["wifi_timeout"] * 1000:
            if self.sta.isconnected():
                return True
            await asyncio.sleep_ms(250)
        try:
            self.sta.disconnect()
        except OSError:
            pass
        return self.sta.isconnected()

    async def run(self):
        if not self.settings["wifi_ssid"]:
            self._open_ap("no network saved yet")
            return  # nothing to join until the setup page saves one (and restarts)
        while True:
            try:
                await self._keep_joined()
            except Exception as e:  # the driver's odd moods ("Wifi Internal Error"): try again
                log.warn("Wi-Fi: %r", e)
                await asyncio.sleep(5)

    async def _while_ap_in_use(self):
        """Waits while a phone is on the setup access point: in STA+AP mode the AP follows
        the station's channel scan, so a join attempt (a 30 s scan) would drop the phone
        in the middle of the setup page."""
        said = False
        while True:
            try:
                if self.ap is None or not self.ap.isconnected():  # (the AP's: stations on it)
                    return
            except OSError:
                return
            if not said:
                log.info("Wi-Fi: a phone is on the setup access point: %s is not tried meanwhile",
                         self.settings["wifi_ssid"])
                said = True
            await asyncio.sleep(2)

    async def _keep_joined(self):
        backoff = 1
        while True:
            if self.sta.isconnected():
                await asyncio.sleep(2)
                continue
            if self.ever_connected and self.mode == "station":
                self.reconnects += 1
                log.warn("Wi-Fi: link lost, rejoining")
            if await self._join():
                self._close_ap()
                self.mode = "station"
                self.ever_connected = True
                backoff = 1
                log.info("Wi-Fi: joined %s as %s.local (%s)",
                         self.settings["wifi_ssid"], self.settings["hostname"], self.sta.ifconfig()[0])
                continue
            if not self.ever_connected and self._open_ap("could not join %s" % self.settings["wifi_ssid"]):
                await asyncio.sleep(int(platform.env("DSMR_WIFI_RETRY_S") or _RETRY_WITH_AP_S))
                await self._while_ap_in_use()
            else:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_S)

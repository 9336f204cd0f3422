"""Wi-Fi on the dongle: station from saved settings, a setup access point otherwise.

- `start()` sets `network.hostname()` before the station's first connect():
  the port hands it to DHCP at connect() and to mDNS at the first address,
  so `<hostname>.local` answers. (main.py has activated the station already,
  before the firmware was imported: Wi-Fi's memory first.)
- `run()` (an asyncio task) looks at the link every 2 s. While it is up,
  that is all this module does; when it is down (or was never up),
  wifi_join.py is loaded for one attempt and dropped after it: joining,
  the setup access point and the backoff are its (it says how); the wait
  before the next attempt, and while a phone is on the access point, are
  this module's, without it.
- Once a network is saved, the access point is the owner's only (README
  "Security"): WPA2 with the admin password as its key (writes there need it
  too, api_write.py); a dongle without an admin password opens none, so no
  passer-by can join it, read the meter or change a setting.
"""

import asyncio

from . import log
from .lazy import load, unload


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
        self.backoff = 1  # seconds before the next attempt after a failed one (wifi_join.py)

    def start(self):
        net = self.net
        net.hostname(self.settings["hostname"])  # first: mDNS uses it
        self.sta = net.WLAN(net.STA_IF)
        self.sta.active(True)

    def online(self):
        """True while joined to the home network (NTP asks before it sends)."""
        return self.mode == "station"

    async def run(self):
        if not self.settings["wifi_ssid"]:
            await _join("open_ap", self, "no network saved yet")
            return  # nothing to join until the setup page saves one (and restarts)
        while True:
            try:
                if self.sta.isconnected():
                    await asyncio.sleep(2)
                    continue
                wait = await _join("attempt", self)  # (0: joined)
                await asyncio.sleep(wait)  # (wifi_join.py is not in the heap meanwhile)
                if self.mode == "setup":
                    await self._while_ap_in_use()
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


async def _join(fn, *args):
    """wifi_join.<fn>(*args), its code loaded for the call and dropped after it."""
    try:
        r = getattr(load("wifi_join"), fn)(*args)
        if fn == "attempt":
            r = await r
        return r
    finally:
        unload("wifi_join")

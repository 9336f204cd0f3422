"""Joining the saved network, and the setup access point: wifi.py loads this while the link is down.

`attempt()` is one step: a join bounded by `wifi_timeout` seconds; a dropped
link is rejoined in the background with backoff (up to a minute). With no
saved network, or none joined within the first attempt, the access point
`dsmr-api-XXXX` (last MAC bytes) opens, where the setup page (api_setup.py)
takes SSID, password and hostname; the station is tried again every few
minutes, but not while a phone is on the access point (the station's scan
would take the AP's channel away: wifi.py waits for it). Nothing else ever
waits for Wi-Fi.
"""

import asyncio
import time

from . import log, platform

_RETRY_WITH_AP_S = 300  # how often the station is tried again while the setup AP is up
_BACKOFF_MAX_S = 60


def ap_name(w):
    mac = w.sta.config("mac")
    return "dsmr-api-%02X%02X" % (mac[-2], mac[-1])


def open_ap(w, why):
    """Opens the setup access point; False where there may be none (README "Security")."""
    if w.ap is not None:
        return True
    s = w.settings
    key = s["admin_password"] if s["wifi_ssid"] else ""
    if s["wifi_ssid"] and not key:
        log.warn("Wi-Fi: %s; no setup access point without an admin password", why)
        return False
    net = w.net
    w.ap = net.WLAN(net.AP_IF)
    w.ap.active(True)
    w.ap.config(essid=ap_name(w), authmode=net.AUTH_WPA2_PSK if key else net.AUTH_OPEN, password=key)
    w.mode = "setup"
    log.warn("Wi-Fi: %s; setup access point %s at http://%s/", why, ap_name(w), w.ap.ifconfig()[0])
    return True


def _close_ap(w):
    if w.ap is not None:
        w.ap.active(False)
        w.ap = None


async def _join(w):
    """One bounded attempt to join the saved network; True when joined."""
    s = w.settings
    w.mode = "connecting" if w.ap is None else w.mode
    try:
        w.sta.connect(s["wifi_ssid"], s["wifi_password"])
    except OSError as e:
        log.warn("Wi-Fi: connect failed: %r", e)
        return False
    t0 = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t0) < s["wifi_timeout"] * 1000:
        if w.sta.isconnected():
            return True
        await asyncio.sleep_ms(250)
    try:
        w.sta.disconnect()
    except OSError:
        pass
    return w.sta.isconnected()


async def attempt(w):
    """The link is down: one attempt to join. The seconds to wait before the next
    (0 when joined); in setup mode wifi.py then waits while a phone is on the AP."""
    if w.ever_connected and w.mode == "station":
        w.reconnects += 1
        log.warn("Wi-Fi: link lost, rejoining")
    if await _join(w):
        _close_ap(w)
        w.mode = "station"
        w.ever_connected = True
        w.backoff = 1
        log.info("Wi-Fi: joined %s as %s.local (%s)",
                 w.settings["wifi_ssid"], w.settings["hostname"], w.sta.ifconfig()[0])
        return 0
    if not w.ever_connected and open_ap(w, "could not join %s" % w.settings["wifi_ssid"]):
        return int(platform.env("DSMR_WIFI_RETRY_S") or _RETRY_WITH_AP_S)
    wait = w.backoff
    w.backoff = min(w.backoff * 2, _BACKOFF_MAX_S)
    return wait

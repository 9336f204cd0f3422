"""Platform layer for the dongle: an ESP32 running stock MicroPython (ESP32_GENERIC 1.23+).

- P1 on UART1 or UART2 (never UART0: the REPL), RX inverted in the UART
  itself (the P1 data line is an inverted open collector: pull it up), a
  2 KB receive buffer, timeout=0 so a read never blocks the event loop.
  115200 8N1 (DSMR 4/5) or 9600 7E1 (DSMR 2.2/3) by setting.
- The optional data-request pin is driven high while reading and released
  to high impedance afterwards; it is never driven low.
- The clock counts from 2000 on the ESP32; unix_time() gives 1970 seconds.
- Files live in /data (the working directory is / at boot).

On a PC this module runs against fakes of `machine` and `network`
(tests/fakes) with DSMR_PLATFORM=esp32; there `env()` still reads the
environment, which the dongle has none of.
"""

import os
import time

NAME = "esp32"
DEFAULTS = {"http_port": 80, "p1": "uart"}

_EPOCH = 946684800 if time.gmtime(0)[0] == 2000 else 0  # 2000-01-01 in Unix time
_request_pin = None
# this version's folder: "" for the one in / (USB), ota/a or ota/b for an update
_ROOT = __file__.rsplit("/", 3)[0] if __file__.count("/") >= 3 else ""


def env(name):
    getenv = getattr(os, "getenv", None)
    return getenv(name) if getenv else None


def www_path(filename):
    return (_ROOT + "/www/" if _ROOT else "www/") + filename  # /www, or the update's


def unix_time():
    return time.time() + _EPOCH


def set_time(unix):
    """Sets the RTC to Unix time `unix` (UTC)."""
    from machine import RTC

    t = time.gmtime(unix - _EPOCH)  # (8 fields on the ESP32, 9 on the unix port)
    RTC().datetime((t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0))


def open_uart(settings):
    """The P1 UART, configured from the settings; asyncio polls it.

    The TX pin is always given: left out, the port routes its default (UART2:
    GPIO 17, a WROVER's PSRAM clock, which crashes the board; UART1 on most
    builds: GPIO 10, a flash pin). p1_tx_pin -1 leaves TX unrouted, which
    MicroPython takes from 1.29 on."""
    global _request_pin
    from machine import UART, Pin

    rx, tx, req = settings["p1_rx_pin"], settings["p1_tx_pin"], settings["p1_request_pin"]
    if rx == tx or rx == req or (tx >= 0 and tx == req):
        raise ValueError("p1_rx_pin %d, p1_tx_pin %d and p1_request_pin %d must be different GPIOs" % (rx, tx, req))
    if req >= 0:
        _request_pin = Pin(req, Pin.OUT, value=1)
    seven = settings["p1_format"] == "7E1"
    try:
        return UART(
            settings["p1_uart"],
            baudrate=settings["p1_baud"],
            bits=7 if seven else 8,
            parity=0 if seven else None,
            stop=1,
            tx=tx,
            rx=rx,
            invert=UART.INV_RX,
            rxbuf=2048,
            timeout=0,
        )
    except ValueError:  # "invalid pin": not in this board's pin table
        raise ValueError("p1_rx_pin %d or p1_tx_pin %d is not a GPIO of this board (16 and 17 are the PSRAM's "
                         "on a WROVER; a p1_tx_pin of -1 needs MicroPython 1.29)" % (rx, tx))


def close_uart(uart):
    """Stops reading: the UART off, the request pin released (high impedance)."""
    global _request_pin
    try:
        uart.deinit()
    except (AttributeError, OSError):
        pass
    if _request_pin is not None:
        from machine import Pin

        _request_pin.init(Pin.IN)
        _request_pin = None


def open_serial(path, baud):
    raise OSError("no serial devices on the dongle: set p1 to uart")


def network_info():
    """(ip, mac, ssid, rssi) of the station link, or of the setup access point."""
    import binascii

    import network

    sta = network.WLAN(network.STA_IF)
    mac = binascii.hexlify(sta.config("mac"), ":").decode()
    if sta.isconnected():
        try:
            rssi = sta.status("rssi")
        except (OSError, ValueError):
            rssi = 0
        return sta.ifconfig()[0], mac, sta.config("essid"), rssi
    ap = network.WLAN(network.AP_IF)
    if ap.active():
        return ap.ifconfig()[0], mac, ap.config("essid"), 0
    return "", mac, "", 0


def idf_heap():
    """(free, largest free block, lowest free since boot) of the IDF heap: what Wi-Fi and
    lwIP live on, and what the GC heap grows from. Cheap: esp32.idf_heap_info."""
    import esp32

    free = big = low = 0
    for t in esp32.idf_heap_info(esp32.HEAP_DATA):  # (total, free, largest free, min free) per region
        free += t[1]
        big = max(big, t[2])
        low += t[3]
    return free, big, low


def small_send_buffer(sock):
    pass  # lwIP's send buffer is small already (TCP_SND_BUF, about 5.7 KB)


def watchdog(timeout_ms):
    from machine import WDT

    return WDT(timeout=timeout_ms)


def restart():
    import machine

    machine.reset()

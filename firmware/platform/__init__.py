"""The hardware layer: picks esp32.py on the dongle, unix.py anywhere else.

Both export the same names; nothing outside this package touches `machine`,
`network` or the filesystem layout directly:
  NAME, DEFAULTS          platform name, settings defaults it overrides
  env(name)               host environment override, None on the dongle
  data_path(filename)     where settings and data files live (defined here, for both)
  www_path(filename)      where the web page's files are
  unix_time()             seconds since 1970 (the ESP32 counts from 2000)
  set_time(unix)          set the clock (the dongle's RTC; a PC keeps its own)
  open_uart(settings)     the P1 UART as a pollable stream (dongle)
  close_uart(uart)        stop reading it, release the data-request pin
  open_serial(path, baud) a serial device or pty as a pollable stream (host)
  network_info()          (ip, mac, ssid, rssi) of the Wi-Fi link
  idf_heap()              (free, largest free block, lowest free) of the ESP-IDF heap
                          that Wi-Fi, lwIP and the GC heap's growth share (0s on a PC)
  small_send_buffer(sock) keep a socket's send buffer as small as the dongle's
  watchdog(timeout_ms)    a hardware watchdog (None on a PC)
  restart()               reboot (the dongle) or exit (a PC)

DSMR_PLATFORM=esp32 runs the dongle's layer on a PC, against the fakes of
`machine` and `network` in tests/fakes.
"""

import sys


def _forced():
    import os

    getenv = getattr(os, "getenv", None)
    return getenv is not None and getenv("DSMR_PLATFORM") == "esp32"


if sys.platform == "esp32" or _forced():
    from .esp32 import *  # noqa: F401,F403
else:
    from .unix import *  # noqa: F401,F403


def data_path(filename):
    """The path of a settings or data file: in DSMR_DATA_DIR, else data/ beside main.py
    (/data on the dongle), as the boot guard has it; makes the folder when it is missing."""
    was = "bootstate" in sys.modules
    import bootstate  # (the boot guard's: one rule for both)

    path = bootstate.data_path(filename)
    if not was:  # main.py dropped it after boot: loaded for this call only (1.6 KB)
        sys.modules.pop("bootstate", None)
    try:
        import os

        os.mkdir(path[: path.rfind("/")])
    except OSError:
        pass
    return path

"""Platform layer for the MicroPython unix port (a PC running the firmware).

P1 comes from the simulator, TCP or a serial device/pty; settings live in
DSMR_DATA_DIR (default: data/ in the repo, ignored by git).
"""

import os
import time

import termios

NAME = "unix"
DEFAULTS = {"http_port": 8080, "p1": "sim", "http_backlog": 128, "raw_port": 2002}  # 2001: tools/p1sim.py

_ROOT = __file__.rsplit("/", 3)[0] if __file__.count("/") >= 3 else "."


def env(name):
    return os.getenv(name)


def www_path(filename):
    return _ROOT + "/www/" + filename


def unix_time():
    return time.time()


def set_time(unix):
    pass  # the PC keeps its own clock


_VMIN = 6
_VTIME = 5
_BAUD = {9600: termios.B9600, 57600: termios.B57600, 115200: termios.B115200}


def open_serial(path, baud):
    """Opens a tty (or pty) raw at `baud`, reads never blocking (VMIN=VTIME=0)."""
    f = open(path, "rb")
    fd = f.fileno()
    termios.setraw(fd)
    attr = termios.tcgetattr(fd)
    cc = attr[6]
    cc[_VMIN] = 0
    cc[_VTIME] = 0
    speed = _BAUD.get(baud, termios.B115200)
    attr[4] = speed
    attr[5] = speed
    termios.tcsetattr(fd, termios.TCSANOW, attr)
    return f


def open_uart(settings):
    raise OSError("no UART on the unix port: set DSMR_P1 to sim, tcp:HOST:PORT or a device path")


def close_uart(uart):
    pass


def small_send_buffer(sock):
    """Keeps a socket's kernel send buffer small (8 KB), like lwIP's on the dongle,
    so a client that stops reading is noticed within a few telegrams."""
    sock.setsockopt(1, 7, 8192)  # SOL_SOCKET, SO_SNDBUF (Linux numbers)


def watchdog(timeout_ms):
    return None


def idf_heap():
    return 0, 0, 0  # no second heap on a PC


def network_info():
    """(ip, mac, ssid, rssi) of the network link; the host's is not ours to report."""
    return "127.0.0.1", "", "", 0


def restart():
    """A PC: the firmware ends with exit code 75 (bootguard.RESTART) where the
    dongle would reboot; the tests relaunch it (tests/harness.py: Board)."""
    raise SystemExit(75)

"""A fake `machine` for running the dongle's platform layer on the unix port.

On the path before the built-in (MICROPYPATH=tests/fakes) with
DSMR_PLATFORM=esp32. It records every use of the hardware in $FAKE_LOG
(tests/fakes/_record.py); the P1 UART is a TCP connection to the test's
meter at $FAKE_UART_TCP (host:port), non-blocking like a UART with timeout=0.
"""

import os
import socket

from _record import record


class Pin:
    IN = 1
    OUT = 3

    def __init__(self, n, mode=-1, value=None):
        self.n = n
        record("pin", pin=n, mode=mode, value=value)

    def init(self, mode=-1, value=None):
        record("pin", pin=self.n, mode=mode, value=value)


class UART:
    INV_RX = 4

    def __new__(cls, id, baudrate=115200, bits=8, parity=None, stop=1, rx=-1, invert=0, rxbuf=256, timeout=0, **kw):
        record("uart", id=id, baudrate=baudrate, bits=bits, parity=parity, stop=stop, rx=rx,
               invert=invert, rxbuf=rxbuf, timeout=timeout)
        host, port = os.getenv("FAKE_UART_TCP").rsplit(":", 1)
        s = socket.socket()
        s.connect(socket.getaddrinfo(host, int(port))[0][-1])
        s.setblocking(False)
        return s  # a socket: asyncio can poll it (a Python wrapper could not be)


class WDT:
    def __init__(self, id=0, timeout=5000):
        record("wdt_init", timeout=timeout)

    def feed(self):
        record("wdt_feed")


class RTC:
    def datetime(self, t=None):
        if t is not None:
            record("rtc", datetime=list(t))
        return (2000, 1, 1, 5, 0, 0, 0, 0)


def reset():
    record("reset")
    raise SystemExit(75)  # as the unix platform's restart(): the test harness relaunches

"""A fake `machine` for running the dongle's platform layer on the unix port.

On the path before the built-in (MICROPYPATH=tests/fakes) with
DSMR_PLATFORM=esp32. It records every use of the hardware in $FAKE_LOG
(tests/fakes/_record.py); the P1 UART is a TCP connection to the test's
meter at $FAKE_UART_TCP (host:port), non-blocking like a UART with timeout=0,
that loses what its buffer cannot hold when it is not read in time (_Uart).

No kinder than the esp32 port (ports/esp32/machine_uart.c, machine_pin.c):
- UART() takes only the port's keywords (TypeError otherwise), ids 0..2;
  a pin that is not in the port's pin table is ValueError("invalid pin"):
  24 and 28-31 never, 16 and 17 not on a SPIRAM build ($FAKE_SPIRAM=1, a
  WROVER); tx=-1 ("not routed") only from MicroPython 1.29 ($FAKE_MP_VERSION,
  default 1.29), before that it is an invalid pin too.
- A pin not given is routed to the port's default: UART2 TX 17 / RX 16, UART1
  TX 10 / RX 9 (5 / 4 on SPIRAM builds from 1.28). Routing a UART or driving
  a Pin on a flash pin (6-11) or, on a WROVER, on the PSRAM's 16/17 hangs the
  board: recorded as "crash" and the process ends.
- A TX pin on an input-only GPIO (34-39) is OSError (uart_set_pin: ESP_FAIL);
  Pin(34..39, Pin.OUT) is ValueError("pin can only be input").
"""

import io
import os
import time  # (the UART: when it was last read)

from _record import record

_path, __import__("sys").path = __import__("sys").path, []
import socket  # noqa: E402  (the built-in: the UART is not one of lwIP's sockets)

__import__("sys").path = _path
del _path


def _spiram():
    return os.getenv("FAKE_SPIRAM") == "1"


def _version():
    v = (os.getenv("FAKE_MP_VERSION") or "1.29").split(".")
    return int(v[0]), int(v[1])


def _pin_id(n):
    """machine_pin_get_id(): the GPIO number, or ValueError as the port raises it."""
    if isinstance(n, Pin):
        return n.n
    if not isinstance(n, int):
        raise TypeError("can't convert %s to int" % type(n).__name__)
    if n < 0 or n > 39 or n == 24 or 28 <= n <= 31 or (_spiram() and n in (16, 17)):
        raise ValueError("invalid pin")
    return n


def _crash_if_taken(n, what):
    if 6 <= n <= 11:
        why = "GPIO%d is the flash's" % n
    elif _spiram() and n in (16, 17):
        why = "GPIO%d is the PSRAM's" % n
    else:
        return
    record("crash", why="%s on %s" % (what, why))
    raise SystemExit("board crashed: %s on %s" % (what, why))


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 2
    PULL_DOWN = 1

    def __init__(self, n, mode=-1, pull=-1, value=None, drive=None, hold=None):
        self.n = _pin_id(n)
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, value=None, drive=None, hold=None):
        if mode != -1 and mode & 2 and self.n >= 34:
            raise ValueError("pin can only be input")
        if mode != -1 and mode & 2:
            _crash_if_taken(self.n, "Pin output")
        record("pin", pin=self.n, mode=mode, value=value)


_UART_KW = ("baudrate", "bits", "parity", "stop", "tx", "rx", "rts", "cts", "txbuf", "rxbuf",
            "timeout", "timeout_char", "invert", "flow")


class UART:
    INV_TX = 32
    INV_RX = 4
    INV_RTS = 64
    INV_CTS = 8
    RTS = 1
    CTS = 2

    def __new__(cls, id, *args, **kw):
        if not 0 <= id <= 2:
            raise ValueError("UART(%d) does not exist" % id)
        if len(args) > 4:
            raise TypeError("function takes at most 5 positional arguments")
        for k in kw:
            if k not in _UART_KW:
                raise TypeError("unexpected keyword argument '%s'" % k)
        for name, v in zip(_UART_KW, args):
            kw[name] = v
        if kw.get("bits", 0) not in (0, 5, 6, 7, 8):
            raise ValueError("invalid data bits")
        if kw.get("stop", 0) not in (0, 1, 2):
            raise ValueError("invalid stop bits")
        if kw.get("invert", 0) & ~(4 | 32 | 8 | 64):
            raise ValueError("invalid inversion mask")
        spiram_uart1 = _spiram() and _version() >= (1, 28)
        tx, rx = {0: (-1, -1), 1: (5, 4) if spiram_uart1 else (10, 9), 2: (17, 16)}[id]
        for name in ("tx", "rx"):
            if name in kw:
                v = kw[name]
                if v == -1 and _version() >= (1, 29):
                    v = -1  # UART_PIN_NO_CHANGE: not routed
                else:
                    v = _pin_id(v)
                if name == "tx":
                    tx = v
                else:
                    rx = v
        if tx >= 34:
            raise OSError("ESP_FAIL")  # uart_set_pin: tx_io_num error
        for n, what in ((tx, "UART%d TX" % id), (rx, "UART%d RX" % id)):
            if n >= 0:
                _crash_if_taken(n, what)
        record("uart", id=id, baudrate=kw.get("baudrate", 115200), bits=kw.get("bits", 8),
               parity=kw.get("parity"), stop=kw.get("stop", 1), rx=rx, tx=tx,
               invert=kw.get("invert", 0), rxbuf=kw.get("rxbuf", 256), timeout=kw.get("timeout", 0))
        host, port = os.getenv("FAKE_UART_TCP").rsplit(":", 1)
        s = socket.socket()
        s.connect(socket.getaddrinfo(host, int(port))[0][-1])
        s.setblocking(False)
        return _Uart(s, kw.get("rxbuf", 256), kw.get("baudrate", 115200))


class _Uart(io.IOBase):
    """The UART's receive side over a TCP socket (asyncio polls its descriptor), with the
    ESP32's limit: the driver's buffer (rxbuf) and the 128-byte FIFO hold what came in
    while nobody read; when a read comes later than it takes the line to fill them (178 ms
    for 2 KB at 115200 baud) and more is waiting, the excess is lost ("uart_overflow").
    (The port loses the latest bytes, this the earliest: the same loss at the other end.)"""

    def __init__(self, s, rxbuf, baud):
        self.s = s
        self.cap = rxbuf + 128
        self.fill_ms = self.cap * 10 * 1000 // baud  # 10 bits a byte on the line
        self.last = time.ticks_ms()

    def ioctl(self, req, arg):
        return self.s.fileno() if req == 10 else -1  # MP_STREAM_GET_FILENO: for select.poll

    def _overflow(self):
        now = time.ticks_ms()
        gap = time.ticks_diff(now, self.last)
        self.last = now
        if gap <= self.fill_ms:
            return
        # What waits beyond the driver's buffer is lost: it is counted in peeks of at most
        # cap + 256 bytes (a bigger peek would be a bigger block of the firmware's heap;
        # 64 KB met MemoryError at every late read) and dropped 256 bytes at a time.
        dropped = 0
        while True:
            try:
                over = len(self.s.recv(self.cap + 256, socket.MSG_PEEK)) - self.cap
                if over > 0:
                    dropped += len(self.s.recv(over))
            except OSError:
                break
            except MemoryError:  # the driver's buffer is not in the GC heap: no error of the firmware's
                record("uart_peek_no_room", gap_ms=gap)
                break
            if over < 256:
                break
        if dropped:
            record("uart_overflow", dropped=dropped, gap_ms=gap)

    def readinto(self, buf, n=-1):
        self._overflow()
        return self.s.readinto(buf) if n < 0 else self.s.readinto(buf, n)

    def read(self, n=-1):
        self._overflow()
        return self.s.read(n) if n >= 0 else self.s.read()

    def write(self, data):
        return len(data)  # (TX: nothing is wired)

    def deinit(self):
        self.s.close()

    def close(self):
        self.s.close()


def WDT(id=0, timeout=5000):
    """The ESP32's watchdog (tests/fakes/_timers.py: loaded when used, as it costs heap)."""
    from _timers import WDT

    return WDT(id, timeout)


def Timer(id=0, **kw):
    from _timers import Timer

    return Timer(id, **kw)


def _soft_reset():
    """What a soft reset does to the hardware (tests/fakes/board.py): timers stop."""
    import sys

    t = sys.modules.get("_timers")
    if t is not None:
        t.soft_reset()


class RTC:
    def datetime(self, t=None):
        if t is not None:
            record("rtc", datetime=list(t))
        return (2000, 1, 1, 5, 0, 0, 0, 0)

    def memory(self, data=None):
        """RTC memory: survives reset() (a new process), not a power cut (the
        test deletes $FAKE_RTC). Up to 2 KB, as on the ESP32."""
        path = os.getenv("FAKE_RTC") or (os.getenv("FAKE_LOG") or "/tmp/fake") + ".rtc"
        if data is None:
            try:
                with open(path, "rb") as f:
                    return f.read()
            except OSError:
                return b""
        if len(data) > 2048:
            raise ValueError("buffer too long")
        with open(path, "wb") as f:
            f.write(bytes(data))


def reset():
    record("reset")
    raise SystemExit(75)  # as the unix platform's restart(): the test harness relaunches

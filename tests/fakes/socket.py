"""A fake `socket`: the ESP32's lwIP sockets (ports/esp32/modsocket.c) on the unix port.

On the path before the built-in (MICROPYPATH=tests/fakes) with DSMR_PLATFORM=esp32.
Real sockets underneath, with what the dongle does differently:
- errno numbers are newlib's (ECONNABORTED 113, EINPROGRESS 119, ENOTCONN 128,
  ETIMEDOUT 116 ...), not Linux's: every OSError a socket raises is translated.
- lwIP has a fixed table of $FAKE_SOCKETS (10: CONFIG_LWIP_MAX_SOCKETS) sockets.
  socket() beyond it raises OSError(ENFILE, 23); accept() beyond it drops the
  waiting connection and raises ENFILE (lwip_accept does both).
- getaddrinfo() blocks the whole interpreter (as modsocket.c does, asyncio's
  open_connection included): an IP literal answers at once, a name from
  $FAKE_DNS ("name=ip,name=ip") after $FAKE_DNS_MS (50) ms; a `*.local` name is
  first asked of mDNS, which waits up to 5 s (MDNS_QUERY_TIMEOUT_MS) when
  nobody answers; a name that does not resolve costs $FAKE_DNS_FAIL_MS (5000)
  more and raises OSError(-202) (lwIP's EAI_FAIL). Each lookup is recorded.
- $FAKE_ACCEPT_ABORT ("2,5"): those accepts (counted from 1) find the
  connection reset while it waited, and raise ECONNABORTED as lwIP does.
"""

import io
import os
import sys
import time

from _record import record

_path, sys.path = sys.path, []
import socket as _real  # noqa: E402  (the built-in: nothing on the path now)

sys.path = _path
del _path

AF_INET = _real.AF_INET
AF_INET6 = _real.AF_INET6
SOCK_STREAM = _real.SOCK_STREAM
SOCK_DGRAM = _real.SOCK_DGRAM
SOCK_RAW = _real.SOCK_RAW
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_IP = 0
SOL_SOCKET = 0xFFF  # lwIP's numbers
SO_REUSEADDR = 4
SO_BROADCAST = 0x20
TCP_NODELAY = 1
MSG_PEEK = 1
MSG_DONTWAIT = 8
ENFILE = 23

# Linux errno -> newlib errno, for the numbers that differ
_NEWLIB = {103: 113, 115: 119, 110: 116, 107: 128, 113: 118, 98: 112, 114: 120, 106: 127,
           99: 125, 101: 114, 100: 115, 97: 106, 88: 108, 90: 122}
_open = [0]
_accepts = [0]


def _limit():
    return int(os.getenv("FAKE_SOCKETS") or 10)


def _newlib(e):
    n = e.args[0] if e.args else 0
    return OSError(_NEWLIB.get(n, n)) if isinstance(n, int) else e


def in_use():
    return _open[0]


class socket(io.IOBase):
    def __init__(self, af=AF_INET, kind=SOCK_STREAM, proto=0, _s=None):
        if _s is None:
            if _open[0] >= _limit():
                record("enfile", op="socket", open=_open[0])
                raise OSError(ENFILE)
            _s = _real.socket(af, kind, proto)
        self.s = _s
        self.closed = False
        _open[0] += 1

    def ioctl(self, req, arg):  # lets select.poll (and asyncio) poll the real socket
        if req == 10:  # MP_STREAM_GET_FILENO
            return self.s.fileno()
        return -1

    def fileno(self):
        return self.s.fileno()

    def close(self):
        if not self.closed:
            self.closed = True
            _open[0] -= 1
        self.s.close()

    def __del__(self):
        self.close()

    def _call(self, name, *args):
        try:
            return getattr(self.s, name)(*args)
        except OSError as e:
            raise _newlib(e)

    def accept(self):
        s, addr = self._call("accept")
        _accepts[0] += 1
        if str(_accepts[0]) in (os.getenv("FAKE_ACCEPT_ABORT") or "").split(","):
            s.close()  # the client reset it while it waited in the backlog: lwIP's ERR_ABRT
            raise OSError(113)  # ECONNABORTED
        if _open[0] >= _limit():
            record("enfile", op="accept", open=_open[0])
            s.close()  # lwip_accept deletes the new connection
            raise OSError(ENFILE)
        return socket(_s=s), addr

    def bind(self, addr):
        return self._call("bind", _addr(addr))

    def connect(self, addr):
        return self._call("connect", _addr(addr))

    def sendto(self, data, addr):
        return self._call("sendto", data, _addr(addr))

    def setsockopt(self, level, opt, value):
        if level == SOL_SOCKET and opt == SO_REUSEADDR:
            return self._call("setsockopt", _real.SOL_SOCKET, _real.SO_REUSEADDR, value)
        if level == SOL_SOCKET and opt == 0x1001:  # SO_SNDBUF: lwIP has no such option
            print("Warning: lwip.setsockopt() option not implemented")
            return None
        if level == IPPROTO_TCP:  # (TCP_NODELAY: the port takes it; recorded for the tests)
            record("setsockopt", level=level, opt=opt, value=value)
        return self._call("setsockopt", level, opt, value)

    def listen(self, *a):
        return self._call("listen", *a)

    def setblocking(self, flag):
        return self._call("setblocking", flag)

    def settimeout(self, t):
        return self._call("settimeout", t)

    def send(self, *a):
        return self._call("send", *a)

    def sendall(self, *a):
        return self._call("sendall", *a)

    def write(self, *a):
        return self._call("write", *a)

    def recv(self, *a):
        return self._call("recv", *a)

    def recvfrom(self, *a):
        return self._call("recvfrom", *a)

    def read(self, *a):
        return self._call("read", *a)

    def readinto(self, *a):
        return self._call("readinto", *a)

    def readline(self):
        return self._call("readline")


def _literal(host):
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def _addr(addr):
    """What modsocket.c does with an address tuple: getaddrinfo() on it (so a name
    blocks here too); the real socket gets the unix port's binary address."""
    if isinstance(addr, tuple):
        ip, port = getaddrinfo(addr[0], addr[1])[0][-1]
        return _real.getaddrinfo(ip, port)[0][-1]
    return addr


def getaddrinfo(host, port, af=0, kind=0, proto=0, flags=0):
    """[(family, type, proto, canonname, (ip, port))] as the ESP32 gives it."""
    host = host or "0.0.0.0"
    ip = host if _literal(host) else None
    if ip is None:
        at = time.time_ns()
        t0 = time.ticks_ms()
        table = {}
        for pair in (os.getenv("FAKE_DNS") or "").split(","):
            if "=" in pair:
                k, v = pair.split("=", 1)
                table[k] = v
        ip = table.get(host)
        if host.endswith(".local") and ip is None:
            time.sleep(5)  # mDNS: nobody answered
        time.sleep_ms(int(os.getenv("FAKE_DNS_MS") or 50) if ip else int(os.getenv("FAKE_DNS_FAIL_MS") or 5000))
        record("getaddrinfo", host=host, ok=ip is not None, took=time.ticks_diff(time.ticks_ms(), t0), at_ns=at)
        if ip is None:
            raise OSError(-202)
    return [(AF_INET, kind or SOCK_STREAM, proto, host, (ip, int(port)))]

"""One SNTP query (ntp.py loads this for it and drops it after): a non-blocking UDP
socket, polled for at most two seconds, so the event loop keeps running."""

import asyncio
import socket
import struct

_NTP_TO_UNIX = 2208988800  # seconds from 1900 to 1970


async def query(ip, port=123, timeout_ms=2000):
    """Unix time from the NTP server at `ip` (an address: ntp.py looks the name up);
    OSError when it does not answer."""
    addr = socket.getaddrinfo(ip, port, 0, socket.SOCK_DGRAM)[0][-1]  # (an address: no lookup)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setblocking(False)
        req = bytearray(48)
        req[0] = 0x1B  # client, version 3
        s.sendto(req, addr)
        waited = 0
        while True:
            try:
                data = s.recv(48)
                break
            except OSError:  # nothing yet
                if waited >= timeout_ms:
                    raise OSError("no answer from %s" % ip)
                await asyncio.sleep_ms(50)
                waited += 50
        if len(data) < 48:
            raise OSError("short answer from %s" % ip)
        return struct.unpack("!I", data[40:44])[0] - _NTP_TO_UNIX
    finally:
        s.close()

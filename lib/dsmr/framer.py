"""Finds telegrams in a P1 byte stream and checks their CRC, one chunk at a time.

`frame()` is the hot loop: a viper function on MicroPython (plain Python under
CPython, via `_compat`). It walks the chunk once, copies telegram bytes into
the caller's preallocated buffer and updates the CRC as it goes, so a
telegram is never assembled from bytes objects and nothing is allocated.

Every byte is masked to 7 bits first: P1 data is ASCII, and a meter that sends
7E1 read at 8N1 delivers its parity in bit 7, which this removes for free.

State lives in an int array `st` (see the ST_* slots) so the loop can stop at
any byte and resume with the next chunk. It returns an event:
  EV_MORE      chunk used up, telegram (if any) still open
  EV_DONE      dst[0:st[ST_LEN]] holds '/' ... '!' [CRC] CRLF
  EV_OVERSIZE  the open telegram outgrew the buffer and was dropped
  EV_RESTART   a '/' arrived inside an open telegram: the old one is dropped
               and framing restarts at this '/'
  EV_TRAILER   the bytes after '!' were not 0 or 4 hex digits and CRLF
After any event other than EV_MORE, call again to go on with the chunk.
"""

from array import array

from ._compat import const, micropython
from .crc16 import TABLE as _CRC_TABLE

EV_MORE = const(0)
EV_DONE = const(1)
EV_OVERSIZE = const(2)
EV_RESTART = const(3)
EV_TRAILER = const(4)

# slots of the state array
ST_STATE = const(0)  # 0 between telegrams, 1 in the body, 2 CRC digits, 3 after CR
ST_LEN = const(1)  # bytes in dst
ST_CRC = const(2)  # CRC computed so far
ST_DIGITS = const(3)  # CRC hex digits received after '!'
ST_RXCRC = const(4)  # their value
ST_POS = const(5)  # where in the chunk to go on
ST_CAP = const(6)  # size of dst
ST_BANG = const(7)  # offset of '!' in dst
ST_SIZE = const(8)

_IDLE = const(0)
_BODY = const(1)
_DIGITS = const(2)
_CR = const(3)


def new_state(capacity):
    st = array("i", bytes(4 * ST_SIZE))
    st[ST_CAP] = capacity
    return st


@micropython.viper
def frame(src: ptr8, n: int, dst: ptr8, st: ptr32) -> int:
    t = ptr16(_CRC_TABLE)
    s = int(st[0])
    w = int(st[1])
    crc = int(st[2])
    nd = int(st[3])
    rx = int(st[4])
    i = int(st[5])
    cap = int(st[6])
    ev = 0
    while i < n:
        c = int(src[i]) & 0x7F
        i += 1
        if s == _BODY:
            if c == 0x2F:  # '/': a new telegram starts inside this one
                dst[0] = c
                w = 1
                crc = int(t[c])
                ev = EV_RESTART
                break
            if w >= cap:
                s = _IDLE
                ev = EV_OVERSIZE
                break
            dst[w] = c
            w += 1
            crc = (crc >> 8) ^ int(t[(crc ^ c) & 0xFF])
            if c == 0x21:  # '!'
                s = _DIGITS
                nd = 0
                rx = 0
                st[7] = w - 1
        elif s == _IDLE:
            if c == 0x2F:
                dst[0] = c
                w = 1
                crc = int(t[c])
                s = _BODY
        else:
            if c == 0x2F:
                dst[0] = c
                w = 1
                crc = int(t[c])
                s = _BODY
                ev = EV_TRAILER
                break
            if w >= cap:
                s = _IDLE
                ev = EV_OVERSIZE
                break
            if s == _DIGITS:
                v = -1
                if c >= 0x30 and c <= 0x39:
                    v = c - 0x30
                elif c >= 0x41 and c <= 0x46:
                    v = c - 0x37
                elif c >= 0x61 and c <= 0x66:
                    v = c - 0x57
                if v >= 0 and nd < 4:
                    dst[w] = c
                    w += 1
                    rx = (rx << 4) | v
                    nd += 1
                    continue
                if (c == 0x0D or c == 0x0A) and (nd == 0 or nd == 4):
                    dst[w] = c
                    w += 1
                    if c == 0x0A:
                        s = _IDLE
                        ev = EV_DONE
                        break
                    s = _CR
                    continue
                s = _IDLE
                ev = EV_TRAILER
                break
            # _CR: only LF may follow
            s = _IDLE
            if c == 0x0A:
                dst[w] = c
                w += 1
                ev = EV_DONE
            else:
                ev = EV_TRAILER
            break
    st[0] = s
    st[1] = w
    st[2] = crc
    st[3] = nd
    st[4] = rx
    st[5] = i
    return ev

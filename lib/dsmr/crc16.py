"""CRC-16/ARC as DSMR 4/5 uses it to protect a P1 telegram.

Reflected polynomial 0xA001, initial value 0, no final XOR, computed over
every byte from the leading '/' through the '!' (inclusive); the meter sends
the result as 4 upper-case hex digits after the '!'.

`TABLE` is the 256-entry lookup table the framer's viper loop reads; `crc16`
is the plain function for fixtures, the simulator and CPython users.
"""

from array import array


def _make_table():
    t = array("H", bytes(512))
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        t[i] = c
    return t


TABLE = _make_table()


def crc16(data, crc=0):
    """CRC-16/ARC of `data` (bytes-like), continuing from `crc`."""
    t = TABLE
    for b in data:
        crc = (crc >> 8) ^ t[(crc ^ b) & 0xFF]
    return crc


def seal(body):
    """Completes a telegram: `body` runs from '/' through '!' (bytes).

    Returns body + 4 upper-case hex CRC digits + CRLF, as a meter sends it.
    """
    return body + b"%04X\r\n" % crc16(body)

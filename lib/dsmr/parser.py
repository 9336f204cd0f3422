"""P1Parser: feed it P1 bytes, read the last CRC-valid telegram and its fields.

Two preallocated buffers of `size` bytes take turns: the framer fills the
work buffer; when a telegram in it completes and passes its CRC it is
indexed, then the two buffers (and their indexes) swap in one step. A
telegram that fails never touches the current one, so `buf[:length]` is
always the last good telegram, byte for byte as the meter sent it.
Nothing is allocated per telegram.
"""

# pyright: reportArgumentType=false
# (the stubs type viper's ptr8/ptr32 as classes; viper takes any buffer for them)

from . import fields
from .framer import (
    EV_DONE,
    EV_MORE,
    EV_OVERSIZE,
    ST_BANG,
    ST_CRC,
    ST_DIGITS,
    ST_LEN,
    ST_POS,
    ST_RXCRC,
    frame,
    new_state,
)
from ._compat import const
from .index import index_lines, new_index, table

_TABLE = table()
_SLOTS = const(6)  # idx per field, start and end of each: value, unit, stamp (index.py)
_UNIT = const(2)


class P1Parser:
    """Streaming DSMR parser over two fixed buffers.

    A telegram without CRC (DSMR 2.2/3) is accepted until the meter has sent
    one with a valid CRC: from then on (or always, with `require_crc`) a
    CRC-less telegram is a corrupted one (noise that made a '!' and a CRLF
    mid-telegram) and is rejected.

    Counters: `telegrams` accepted, `crc_errors` (mismatch, or no CRC where
    one is required), `framing_errors` (a telegram cut short by a new '/', or a
    malformed trailer), `oversize` (longer than the buffer).
    """

    def __init__(self, size=4096, require_crc=False, buffers=None):
        """`buffers`: two bytearrays of `size` bytes to use instead of allocating them."""
        if not 32 <= size <= 65535:
            raise ValueError("buffer size must be 32..65535")
        self.require_crc = require_crc
        if buffers is None:
            buffers = (bytearray(size), bytearray(size))
        self._work, self.buf = buffers
        if len(self._work) != size or len(self.buf) != size:
            raise ValueError("buffers must be %d bytes" % size)
        self._work_idx = new_index()
        self._st = new_state(size)
        self.idx = new_index()
        self.length = 0
        self.has_crc = False
        self.crc_seen = False
        self.telegrams = 0
        self.crc_errors = 0
        self.framing_errors = 0
        self.oversize = 0

    def feed(self, data, n=-1):
        """Takes the next `n` bytes of the stream (all of `data` by default).

        Returns how many telegrams were accepted from this chunk.
        """
        if n < 0:
            n = len(data)
        st = self._st
        st[ST_POS] = 0
        got = 0
        while True:
            ev = frame(data, n, self._work, st)
            if ev == EV_MORE:
                return got
            if ev == EV_DONE:
                got += self._complete()
            elif ev == EV_OVERSIZE:
                self.oversize += 1
            else:
                self.framing_errors += 1

    def _complete(self):
        st = self._st
        if st[ST_DIGITS] == 4:
            if st[ST_RXCRC] != st[ST_CRC]:
                self.crc_errors += 1
                return 0
        elif self.require_crc or self.crc_seen:
            self.crc_errors += 1
            return 0
        n = st[ST_LEN]
        index_lines(self._work, st[ST_BANG], _TABLE, self._work_idx)
        self._work, self.buf = self.buf, self._work
        self._work_idx, self.idx = self.idx, self._work_idx
        self.length = n
        self.has_crc = st[ST_DIGITS] == 4
        if self.has_crc:
            self.crc_seen = True
        self.telegrams += 1
        return 1

    def reset_stream(self):
        """Forgets a half-received telegram (e.g. after the source reconnects)."""
        self._st[0] = 0

    # -- reading the current telegram (valid only while telegrams > 0) --

    def present(self, f):
        return self.telegrams > 0 and self.idx[f * _SLOTS] != 0

    def milli(self, f):
        """Field f's value in thousandths as an int (4491.266 -> 4491266), or -1 when
        absent or not a plain decimal. Allocates nothing (up to 1,073,741 units)."""
        if self.telegrams == 0:
            return -1
        s = self.idx[f * _SLOTS]
        e = self.idx[f * _SLOTS + 1]
        if s == 0 or s == e:
            return -1
        b = self.buf
        v = 0
        frac = -1
        for i in range(s, e):
            c = b[i]
            if c == 0x2E:  # '.'
                if frac >= 0:
                    return -1
                frac = 0
            elif 0x30 <= c <= 0x39:
                if frac < 0:
                    v = v * 10 + c - 0x30
                elif frac < 3:
                    v = v * 10 + c - 0x30
                    frac += 1
            else:
                return -1
        if frac < 0:
            frac = 0
        while frac < 3:
            v *= 10
            frac += 1
        return v

    def telegram(self):
        """The last good telegram as a memoryview, byte for byte."""
        return memoryview(self.buf)[: self.length]

    def gas_field(self):
        """The field holding the gas reading, or -1.

        The M-Bus channel whose device type is 3 (gas); failing that (DSMR
        2.2 sends no device type) the first channel with an untyped reading
        in m3. Whichever of 24.2.1, 24.2.3 or the two-line 24.3.0 it uses.
        """
        idx = self.idx
        b = self.buf
        for untyped in range(2):  # (range loops, no slices: allocates nothing)
            for ch in range(4):
                base = _MBUS1 + ch * _MBUS_STRIDE
                dt = base  # mbusN_device_type
                if not untyped:
                    if not self.present(dt) or self._int(dt) != 3:
                        continue
                elif self.present(dt):
                    continue
                for off in range(4, 7):  # delivered, delivered_ntc, delivered_dbl
                    f = base + off
                    if self.present(f):
                        k = f * _SLOTS + _UNIT
                        u = idx[k]
                        if not untyped or idx[k + 1] - u == 2 and b[u] == 0x6D and b[u + 1] == 0x33:  # m3
                            return f
        return -1

    def _int(self, f):
        """Field f's value as an int (digits only), or -1."""
        v = -1
        b = self.buf
        for i in range(self.idx[f * _SLOTS], self.idx[f * _SLOTS + 1]):
            c = b[i]
            if c < 0x30 or c > 0x39:
                return -1
            v = (0 if v < 0 else v * 10) + c - 0x30
        return v


_MBUS1 = fields.index("mbus1_device_type")
_MBUS_STRIDE = fields.index("mbus2_device_type") - _MBUS1

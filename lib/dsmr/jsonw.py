"""Streams JSON into one preallocated bytearray, straight from telegram bytes.

`JsonWriter` fills its buffer and, when full, hands the filled part to a
sink and starts over; with no sink it only counts (so a caller can learn a
body's length before sending it). The copy, escape and number loops are
viper functions working on the buffer's position array `w` = [pos, capacity],
so rendering allocates nothing.

Rendering rules (DSMRloggerAPI's, as the spec shows them):
  - a value with a decimal point prints with at least 3 decimals, leading
    zeros dropped: `00.037` -> 0.037, `238.0` -> 238.000, `001.32` -> 1.320
    (a meter that sends more decimals keeps them all: nothing is rounded away)
  - a value without one prints as an integer: `002` -> 2, `00011` -> 11
  - anything that is not a plain decimal number is written as a JSON string
  - strings are escaped (`"`, `\\`, control characters)
"""

# pyright: reportArgumentType=false
# (the stubs type viper's ptr8/ptr32 as classes; viper takes any buffer for them)

from array import array

from ._compat import micropython


@micropython.viper
def _copy(dst: ptr8, w: ptr32, src: ptr8, se: int) -> int:
    """Copies src[s:e] (se = s | e << 16) while it fits; returns where it stopped."""
    s = se & 0xFFFF
    e = se >> 16
    d = int(w[0])
    cap = int(w[1])
    while s < e and d < cap:
        dst[d] = src[s]
        d += 1
        s += 1
    w[0] = d
    return s


@micropython.viper
def _copy_escaped(dst: ptr8, w: ptr32, src: ptr8, se: int) -> int:
    """As _copy, escaping for a JSON string; an escape is never split."""
    s = se & 0xFFFF
    e = se >> 16
    d = int(w[0])
    cap = int(w[1])
    while s < e:
        c = int(src[s])
        if c == 0x22 or c == 0x5C:
            if d + 2 > cap:
                break
            dst[d] = 0x5C
            dst[d + 1] = c
            d += 2
        elif c < 0x20 or c == 0x7F:
            if d + 6 > cap:
                break
            dst[d] = 0x5C
            dst[d + 1] = 0x75  # \u00XX
            dst[d + 2] = 0x30
            dst[d + 3] = 0x30
            h = c >> 4
            dst[d + 4] = h + 0x30 if h < 10 else h + 0x57
            h = c & 15
            dst[d + 5] = h + 0x30 if h < 10 else h + 0x57
            d += 6
        else:
            if d >= cap:
                break
            dst[d] = c
            d += 1
        s += 1
    w[0] = d
    return s


@micropython.viper
def _number(dst: ptr8, w: ptr32, src: ptr8, se: int) -> int:
    """Writes src[s:e] as a JSON number by the rules above.

    Returns 1 when written, 0 when the text is not a decimal number (nothing
    written), -1 when it does not fit (nothing written).
    """
    s = se & 0xFFFF
    e = se >> 16
    d = int(w[0])
    cap = int(w[1])
    neg = 0
    if s < e and int(src[s]) == 0x2D:
        neg = 1
        s += 1
    # validate: digits [ '.' digits ]
    dot = -1
    q = s
    digits = 0
    while q < e:
        c = int(src[q])
        if c == 0x2E:
            if dot >= 0:
                return 0
            dot = q
        elif c < 0x30 or c > 0x39:
            return 0
        else:
            digits += 1
        q += 1
    if digits == 0 or (dot >= 0 and (dot == s or dot == e - 1)):
        return 0
    ie = e if dot < 0 else dot
    # skip leading zeros of the integer part, keep one digit
    while s < ie - 1 and int(src[s]) == 0x30:
        s += 1
    frac = 0 if dot < 0 else e - dot - 1
    need = neg + (ie - s) + (0 if dot < 0 else 1 + (frac if frac > 3 else 3))
    if d + need > cap:
        return -1
    if neg:
        dst[d] = 0x2D
        d += 1
    while s < ie:
        dst[d] = src[s]
        d += 1
        s += 1
    if dot >= 0:
        dst[d] = 0x2E
        d += 1
        q = dot + 1
        while q < e:
            dst[d] = src[q]
            d += 1
            q += 1
        while frac < 3:
            dst[d] = 0x30
            d += 1
            frac += 1
    w[0] = d
    return 1


@micropython.viper
def _integer(dst: ptr8, w: ptr32, v: int) -> int:
    """Writes int v in decimal; returns 1, or -1 when it does not fit."""
    d = int(w[0])
    cap = int(w[1])
    neg = 0
    if v < 0:
        neg = 1
        v = 0 - v
    n = 1
    t = v
    while t >= 10:
        t = t // 10
        n += 1
    if d + neg + n > cap:
        return -1
    if neg:
        dst[d] = 0x2D
        d += 1
    k = d + n - 1
    while True:
        dst[k] = 0x30 + v % 10
        v = v // 10
        k -= 1
        if v == 0:
            break
    w[0] = d + n
    return 1


class JsonWriter:
    """A fixed buffer that JSON is rendered into, flushed to `sink` when full.

    `start` bytes at the front are left free on the first chunk, so a caller
    can put HTTP headers in front of a body that fit whole.
    """

    def __init__(self, size, start=0, buf=None):
        """`buf`: a bytearray of `size` bytes to use instead of allocating one."""
        self.buf = bytearray(size) if buf is None else buf
        self.w = array("i", (start, size))
        self._front = array("i", (0, 0))
        self.start = start
        self.first = start
        self.sink = None
        self.flushed = 0

    def reset(self, sink=None):
        self.w[0] = self.start
        self.first = self.start
        self.sink = sink
        self.flushed = 0

    def flush(self):
        """Hands buf[first:pos] to the sink (or only counts it)."""
        pos = self.w[0]
        if self.sink is not None and pos > self.first:
            self.sink(self.buf, self.first, pos)
        self.flushed += pos - self.first
        self.first = 0
        self.w[0] = 0

    def prepend(self, src, n):
        """Puts src[0:n] right before the first unflushed byte (into the `start` room)."""
        f = self._front
        f[0] = self.first - n
        f[1] = self.first
        if n > self.first:
            raise ValueError("no room in front")
        _copy(self.buf, f, src, n << 16)
        self.first -= n

    def length(self):
        """Bytes written so far, flushed or not."""
        return self.flushed + self.w[0] - self.first

    def fits(self):
        """True while nothing has been flushed: the whole output is in buf."""
        return self.flushed == 0

    def raw(self, src, s=0, e=-1):
        """Copies src[s:e] as is: bytes-like, or on MicroPython an ASCII str.

        (The firmware writes its fixed JSON fragments as str literals: in a
        .mpy they are interned strings, where a bytes literal is an object of
        its own on the heap, some 40 bytes more each.)"""
        if e < 0:
            e = len(src)
        while True:
            s = _copy(self.buf, self.w, src, s | e << 16)
            if s >= e:
                return
            self.flush()

    def string(self, src, s=0, e=-1):
        """Writes src[s:e] as a quoted, escaped JSON string."""
        self.raw(b'"')
        self.escaped(src, s, e)
        self.raw(b'"')

    def escaped(self, src, s=0, e=-1):
        """Writes src[s:e] escaped for the inside of a JSON string (no quotes)."""
        if e < 0:
            e = len(src)
        while True:
            s = _copy_escaped(self.buf, self.w, src, s | e << 16)
            if s >= e:
                return
            self.flush()

    def number(self, src, s, e):
        """Writes src[s:e] as a number by the DSMR rules, or as a string."""
        r = _number(self.buf, self.w, src, s | e << 16)
        if r < 0:
            self.flush()
            r = _number(self.buf, self.w, src, s | e << 16)
        if r == 0:
            self.string(src, s, e)

    def milli(self, v):
        """Writes thousandths v as a number with 3 decimals (4491266 -> 4491.266)."""
        if v < 0:
            self.raw(b"-")
            v = -v
        self.integer(v // 1000)
        self.raw(b".")
        f = v % 1000
        if f < 100:
            self.raw(b"00" if f < 10 else b"0")
        self.integer(f)

    def integer(self, v):
        if _integer(self.buf, self.w, v) < 0:
            self.flush()
            _integer(self.buf, self.w, v)

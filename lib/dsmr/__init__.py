"""dsmr: a streaming, allocation-free DSMR (Dutch/Belgian smart meter) P1 parser.

Runs unchanged on CPython 3.11+ and MicroPython; on MicroPython its inner
loops are viper functions.

    from dsmr import P1Parser, fields, values
    p = P1Parser(size=4096)            # two 4 KB buffers, allocated once
    p.feed(chunk)                      # any chunking, garbage included
    if p.telegrams:
        p.telegram()                   # last CRC-valid telegram, verbatim
        f = fields.index("power_delivered")
        values.text(p, f), values.number(p, f), values.unit(p, f)   # "00.037", 0.037, "kW"
        values.span(p, f)              # its bytes in p.buf, without copying
    p.crc_errors, p.framing_errors, p.oversize

Design: `framer` finds '/' ... '!' CRC CRLF and checks CRC-16/ARC (`crc16`)
while copying into a preallocated buffer; `index` records where each field of
the declarative table in `fields` sits in the telegram; `parser` swaps the
checked telegram in atomically; `jsonw` renders values by DSMRloggerAPI's
rules straight from the telegram bytes; `values` reads fields as Python
objects for scripts (the firmware does without it).
"""

from . import fields
from .crc16 import crc16, seal
from .parser import P1Parser

__all__ = ["P1Parser", "fields", "crc16", "seal"]  # and `values`: import it by name, it is not loaded here

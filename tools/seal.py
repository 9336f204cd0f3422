"""Turns a telegram written as text into the exact bytes a meter sends.

    python tools/seal.py body.txt out.txt [--no-crc]

The input holds the telegram from '/' through '!' with any line endings (a
trailing CRC after '!' is dropped). The output has CRLF line ends and, unless
--no-crc (DSMR 2.2/3), the CRC-16/ARC the meter would append. Runs on
CPython; used to build the test fixtures.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

from dsmr.crc16 import seal  # noqa: E402


def sealed(text, crc=True):
    lines = text.replace("\r\n", "\n").split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("/"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("!"))
    body = ("\r\n".join(lines[start:end]) + "\r\n!").encode("ascii")
    return seal(body) if crc else body + b"\r\n"


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    with open(argv[0], encoding="ascii") as f:
        data = sealed(f.read(), "--no-crc" not in argv)
    with open(argv[1], "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

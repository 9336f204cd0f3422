"""Where P1 bytes come from. Each source has `await readinto(buf) -> n` and `close()`.

  uart           the dongle's P1 UART (platform.open_uart)
  /dev/...       a serial device or pty on the host (platform.open_serial)
  tcp:HOST:PORT  a raw telegram server, e.g. ser2net or tools/p1sim.py
  sim            the built-in simulated meter (firmware/simulator.py)

`readinto` returning 0 means the source is gone (closed, unplugged): the P1
reader then reopens it with backoff. The reader loads this module to open a
source and drops it after: what a source is made of (p1_reader.StreamSource)
stays, the opening does not.
"""

import asyncio

from . import platform
from .p1_reader import StreamSource


async def open_source(spec, settings):
    """Opens the P1 source named by `spec` (the `p1` setting)."""
    if spec == "sim":
        from .simulator import SimSource  # host only: not loaded otherwise

        return SimSource(settings["sim_speed"])
    if spec.startswith("tcp:"):
        from . import resolve  # (a name is looked up once, not at every reconnect: it blocks)

        host, _, port = spec[4:].rpartition(":")
        reader, _ = await asyncio.open_connection(await resolve.address(host), int(port))
        return StreamSource(reader, raw=reader.s)  # pyright: ignore[reportAttributeAccessIssue]
    if spec == "uart":
        uart = platform.open_uart(settings)
        return StreamSource(asyncio.StreamReader(uart), uart, platform.close_uart, uart)
    if spec.startswith("/"):
        f = platform.open_serial(spec, settings["p1_baud"])
        return StreamSource(asyncio.StreamReader(f), f)
    raise ValueError("unknown P1 source %r (use uart, sim, tcp:HOST:PORT or a device path)" % spec)

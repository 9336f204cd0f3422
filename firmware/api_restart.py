"""POST /api/v1/dev/restart: restarts the dongle, and leaves safe mode (README: Recovering).

A write like any other (api_write.refuse(): JSON from the dongle's own page
or a script, the admin password once one is set). A restart asked for (here, or by
the setup page after saving) is never counted as a failed boot: the boot
guard's count goes back to 0 first (bootguard.py, bootstate.py).
"""

import asyncio

from . import platform
from .api_write import refuse


class RestartApi:
    def __init__(self, app):
        self.app = app

    def restart(self, req, w):
        status = refuse(self.app, req, w)
        if status:
            return status
        w.raw(b'{"restart": true}\n')
        asyncio.create_task(restart_soon())
        return 200


async def restart_soon():
    from .lazy import guard

    await asyncio.sleep_ms(1500)  # let the answer reach the browser
    guard("healthy")  # asked for: not a failed boot (and out of safe mode)
    platform.restart()

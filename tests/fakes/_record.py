"""Shared by the fakes: appends what the firmware did to the hardware to $FAKE_LOG (JSON lines)."""

import json
import os
import time


def record(event, **kw):
    path = os.getenv("FAKE_LOG")
    if not path:
        return
    kw["event"] = event
    kw["ms"] = time.ticks_ms()
    with open(path, "a") as f:
        f.write(json.dumps(kw) + "\n")

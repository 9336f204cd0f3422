"""/api/v1/dev/info reports the heap from what the port gives for free (issue #14.8): no
trial allocations (on the dongle each failed one runs a collection and may grow the
heap from the IDF's memory). Run under MicroPython: the bytes _info() allocates."""

import subprocess

from harness import MICROPYTHON, ROOT

CODE = """
import sys, gc, micropython
sys.path[:0] = ['lib', '.']
from firmware import api_dev

class O:  # what the endpoint reads of the app's parts; a counter not named here is 0
    def __init__(self, **kw):
        for k in kw:
            setattr(self, k, kw[k])

    def __getattr__(self, name):
        return 0

parser = O(telegrams=5, crc_errors=0, framing_errors=0, oversize=0)
reader = O(parser=parser, connected=True, source_errors=0, seconds_since_telegram=lambda: 1,
           seconds_since_bytes=lambda: 1)
http = O(responder=O(requests=1, errors=0), evicted=0, timeouts=0)
app = O(VERSION='0', settings={'hostname': 'x', 'p1': 'sim', 'admin_password': '', 'writes_open': False}, reader=reader, http=http, raw=None,
        mqtt=None, history=None, ntp=None, wifi=None, watchdog=None, safe=None, settings_error=None)
api = api_dev.DeviceApi(app)
api._info()
gc.collect()
t0 = micropython.mem_total()
items = api._info()
print(micropython.mem_total() - t0, len(items))
"""


def test_dev_info_allocates_a_few_kb_not_the_heap():
    out = subprocess.run([MICROPYTHON, "-X", "heapsize=256k", "-c", CODE], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    allocated, n = map(int, out.stdout.split())
    assert n > 30
    assert allocated < 8000, allocated  # (a search by trial allocations: hundreds of KB)

"""Code that is loaded only when it is needed, and dropped again where that is safe.

The heap is the dongle's scarcest resource and every loaded function stays
in it. Endpoints the web page seldom or never calls (device info and time,
history, settings, setup) are `Lazy` handlers: their module is loaded for
the request and dropped when the response is out (http_response.py calls
`drop()`), so at most one of them is in the heap at a time. The settings
table is loaded to read the settings and dropped afterwards (`unload`), as
the field table is. A part that runs now and then (NTP, hourly) is loaded for
each run by `every()`.
"""

import asyncio
import gc
import sys


def load(name):
    """Imports firmware.<name> and returns the module, after a collection: the
    garbage goes first and the module's code fills the holes it leaves (on the
    yardstick at 96k, a settings change met MemoryError with KBs free in pieces
    too small without it; the collection takes a few ms)."""
    gc.collect()
    full = "firmware." + name
    try:
        __import__(full)
    except BaseException:
        _scrub(full)
        raise
    return sys.modules[full]


def _scrub(full):
    """Lets a module that failed to load go. MicroPython takes it out of sys.modules
    but leaves it in the table's slot (py/builtinimport.c: the slot keeps its value
    until it is used again), and with it all of the module that was loaded so far:
    4.7 KB held for good after a failed load of /metrics' code on the yardstick,
    which then failed every other load. Storing the name again takes that same slot,
    and deleting it empties the slot (a dict's delete does, py/objdict.c)."""
    sys.modules[full] = sys  # (any module: the slot is what counts)
    del sys.modules[full]


def unload(name):
    """Forgets firmware.<name>, so its code can be collected (if nothing else holds it)."""
    full = "firmware." + name
    sys.modules.pop(full, None)
    pkg = sys.modules.get("firmware")
    if pkg is not None and name in pkg.__dict__:
        del pkg.__dict__[name]


def call(name, fn, *args):
    """firmware.<name>.<fn>(*args), the module loaded for the call and dropped after it
    (a write's gate, api_write.py: not in the heap while the write is made)."""
    try:
        return getattr(load(name), fn)(*args)
    finally:
        unload(name)


def load_with(name):
    """Imports firmware.<name>: (the module, the firmware modules that came with it).
    A load that fails half-way (out of memory) leaves none of them behind."""
    before = _loaded()  # (the firmware's modules only: a set of all of them took 3 times the room)
    try:
        return load(name), _new(before)
    except BaseException:
        unload_all(_new(before))
        raise


def _loaded():
    return [m for m in sys.modules if m.startswith("firmware.")]


def _new(before):
    return [m[9:] for m in _loaded() if m not in before]


async def every(name, app, ready):
    """Runs firmware.<name>.run(app) whenever ready() (looked at every 2 s until then),
    again when the seconds it returns have passed; its module is loaded for each run
    and dropped after: a part that runs now and then (ntp.py, hourly) keeps only
    this loop in the heap between its runs. A run whose code finds no room is tried
    again a minute later."""
    while True:
        wait = 2
        if ready():
            try:
                wait = await load(name).run(app)
            except Exception as e:
                wait = 60
                from . import log

                log.warn("%s: %r", name, e)
            finally:
                unload(name)
        await asyncio.sleep(wait)


def unload_all(names):
    for name in names:
        unload(name)


def guard(fn, *args):
    """Calls bootstate.<fn>(*args) (the boot guard's state) and drops the module
    again: the state is in RTC memory or a file, so it costs no heap in between."""
    import bootstate

    try:
        return getattr(bootstate, fn)(*args)
    finally:
        sys.modules.pop("bootstate", None)


class Lazy:
    """A route handler whose module is loaded for a request and dropped after it:
    `Lazy(app, "api_dev", "DeviceApi", "info")` is DeviceApi(app).info from
    firmware/api_dev.py (routes.py names each such handler once). With
    `body=True` a POST's body is not read into the request buffer: the server
    awaits `handler(req, conn, end)` to read it from the socket, then answers
    with `handler(req, w)` as usual (http_server.py; api_update.py)."""

    body = False  # (a class attribute: only the update's route has one of its own)

    def __init__(self, app, module, cls, method, body=False):
        self.app = app
        self.where = (module, cls, method)
        if body:
            self.body = body
        self.fn = None
        self.loaded = ()  # the firmware modules its loading brought in

    def __call__(self, req, w, *end):
        if self.fn is None:
            module, cls, method = self.where
            mod, self.loaded = load_with(module)
            self.fn = getattr(getattr(mod, cls)(self.app), method)
        return self.fn(req, w, *end)

    def drop(self):
        """Lets the module's code go (the next request loads it again)."""
        self.fn = None
        unload_all(self.loaded)
        self.loaded = ()


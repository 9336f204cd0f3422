"""Code that is loaded only when it is needed, and dropped again where that is safe.

The heap is the dongle's scarcest resource and every loaded function stays
in it. Endpoints most never call (settings, setup) are `Lazy` handlers:
their module loads on the first request. The
settings table is loaded to read the settings and dropped afterwards
(`unload`), as the field table is.
"""

import sys


def load(name):
    """Imports firmware.<name> and returns the module."""
    full = "firmware." + name
    __import__(full)
    return sys.modules[full]


def unload(name):
    """Forgets firmware.<name>, so its code can be collected (if nothing else holds it)."""
    full = "firmware." + name
    sys.modules.pop(full, None)
    pkg = sys.modules.get("firmware")
    if pkg is not None and name in pkg.__dict__:
        del pkg.__dict__[name]


class Lazy:
    """A route handler whose module loads on the first request: `Lazy(app, "api_dev", "DeviceApi", "info")`."""

    def __init__(self, app, module, cls, method):
        self.app = app
        self.where = (module, cls, method)
        self.fn = None

    def __call__(self, req, w):
        if self.fn is None:
            module, cls, method = self.where
            self.fn = getattr(getattr(load(module), cls)(self.app), method)
        return self.fn(req, w)

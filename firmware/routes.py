"""The route table: which path is answered by which handler, with which methods.

Exact paths first; then prefixes whose handler gets the rest of the path
(only `/api/v1/sm/fields/<name>` so far). `resolve()` returns a Route or
None. What the web page polls every second is loaded at start; the device,
history, settings and setup endpoints are loaded for their request and
dropped after it (lazy.py).
"""

from . import api_sm
from .lazy import Lazy

_GET = (b"GET",)


class Route:
    def __init__(self, handler, methods=_GET):
        self.handler = handler
        self.methods = methods
        allow = list(methods)
        if b"GET" in methods:
            allow.append(b"HEAD")
        allow.append(b"OPTIONS")
        self.allow = b", ".join(allow)


class Router:
    def __init__(self, app):
        self.app = app
        sm = api_sm.SmartMeterApi(app.reader)
        self.setup_page = Lazy(app, "api_setup", "SetupApi", "page")
        from .static import Static

        self.page = Static(app, sm.index).index
        self.exact = {
            b"/": Route(self.index),
            b"/setup": Route(self.setup_page),
            b"/api/v1/dev/setup": Route(Lazy(app, "api_setup", "SetupApi", "save"), (b"POST",)),
            b"/api/v1/sm/info": Route(sm.info),
            b"/api/v1/sm/actual": Route(sm.actual),
            b"/api/v0/sm/actual": Route(sm.actual_v0),
            b"/api/v1/sm/fields": Route(sm.fields),
            b"/api/v1/sm/telegram": Route(sm.telegram),
            b"/api/v1/sm/samples": Route(app.samples.render),
            b"/index.html": Route(self.page),
            b"/api/v1/dev/info": Route(Lazy(app, "api_dev", "DeviceApi", "info")),
            b"/api/v1/dev/time": Route(Lazy(app, "api_dev", "DeviceApi", "time")),
            b"/api/v1/dev/settings": Route(Lazy(app, "api_settings", "SettingsApi", "settings"), (b"GET", b"POST", b"PUT")),
        }
        self.prefixes = (
            (b"/api/v1/sm/fields/", Route(sm.field)),
            (b"/api/v1/hist/", Route(Lazy(app, "api_hist", "HistoryApi", "handle"), (b"GET", b"POST"))),
        )

    def index(self, req, w):
        """`/`: the Wi-Fi setup form while the dongle runs its setup access point."""
        wifi = self.app.wifi
        if wifi is not None and wifi.mode == "setup":
            return self.setup_page(req, w)
        return self.page(req, w)

    def resolve(self, path):
        r = self.exact.get(path)
        if r is not None:
            return r
        for prefix, route in self.prefixes:
            if path.startswith(prefix):
                return route
        return None

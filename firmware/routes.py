"""The route table: which path is answered by which handler, with which methods.

Exact paths first; then prefixes whose handler gets the rest of the path
(`/api/v1/sm/fields/<name>`, `/api/v1/hist/...`). `resolve()` returns a
route, a tuple (handler, methods), or None. What the web page polls every
second is loaded at start; the device,
history, settings and setup endpoints are loaded for their request and
dropped after it (lazy.py). In safe mode (bootguard.py) `/` is the setup
page and only the device endpoints a person needs to fix the settings are
served (a firmware update endpoint belongs among them).

The table is Router.resolve(). Each handler loaded per request is named
once there, as module, class, method: `Lazy(app, "api_dev", "DeviceApi",
"info")` is `DeviceApi(app).info(req, w)` from firmware/api_dev.py. The imports under
TYPE_CHECKING spell the same names as import paths, for readers and for
pyright (which checks that each class has its method); they are never
compiled in (the constant is 0: the block costs no heap) and
tests/test_routes.py checks that they and the table name the same things.
"""

from . import api_sm
from .lazy import Lazy

TYPE_CHECKING = const(0)
if TYPE_CHECKING:
    from .api_dev import DeviceApi
    from .api_hist import HistoryApi
    from .api_metrics import MetricsApi
    from .api_peaks import PeaksApi
    from .api_restart import RestartApi
    from .api_settings import SettingsApi
    from .api_setup import SetupApi
    from .api_update import UpdateApi
    from .hist_correct import HistCorrect
    from .settings_change import SettingsChange
    from .static import Static

    _ = (SetupApi.page, Static.index, SetupApi.save, DeviceApi.info, SettingsApi.settings, RestartApi.restart,
         UpdateApi.handle, DeviceApi.time, MetricsApi.metrics, PeaksApi.get, HistoryApi.handle, SettingsChange.post,
         HistCorrect.post)

GET = _GET = (b"GET",)  # (http_response.py: a read-only route)
_POST = (b"POST",)
_GET_POST = (b"GET", b"POST")
_GET_POST_PUT = (b"GET", b"POST", b"PUT")


def allowed(methods):
    """The Allow header's value for a route's methods (OPTIONS and 405 answers)."""
    allow = list(methods)
    if b"GET" in methods:
        allow.append(b"HEAD")
    allow.append(b"OPTIONS")
    return b", ".join(allow)


class Router:
    """The table is the code of resolve(): no object per route waits in the heap
    (a Lazy and a tuple per route took 1.9 KB on the yardstick; one constant
    table of rows, 4.5 KB: the strings in a constant tuple are objects, not
    interned names). The handler a request needs is made for it and goes with it."""

    def __init__(self, app):
        self.app = app
        # The update's POST reads its own body, far bigger than any buffer
        # (lazy.py, body=True): one handler for the route, as the body and then
        # the answer, resolved apart, need the same object.
        self.update = (Lazy(app, "api_update", "UpdateApi", "handle", True), _GET_POST)
        self.sm = None if app.safe else api_sm.SmartMeterApi(app.reader)

    def index(self, req, w):
        """`/`: the Wi-Fi setup form while the dongle runs its setup access point."""
        wifi = self.app.wifi
        setup = self.app.safe or wifi is not None and wifi.mode == "setup"
        page = self.resolve(b"/setup" if setup else b"/index.html")[0]  # pyright: ignore[reportOptionalSubscript]
        try:
            return page(req, w)
        finally:
            page.drop()  # pyright: ignore[reportAttributeAccessIssue]  (a Lazy; the route's handler is this method)

    def resolve(self, path, method=b"GET"):
        """(handler, methods) for `path`, or None. A handler loaded per request
        (lazy.Lazy: module, class, method) is made here for this request; the
        caller drop()s it after. A write (POST, PUT) may load other code than
        a read of the same path: a change loads only its own code."""
        app = self.app
        write = method in (b"POST", b"PUT")
        if path == b"/":
            return self.index, _GET
        # what safe mode serves: enough to fix the settings and leave it
        if path == b"/setup":
            return Lazy(app, "api_setup", "SetupApi", "page"), _GET
        if path == b"/api/v1/dev/setup":
            return Lazy(app, "api_setup", "SetupApi", "save"), _POST
        if path == b"/api/v1/dev/info":
            return Lazy(app, "api_dev", "DeviceApi", "info"), _GET
        if path == b"/api/v1/dev/settings":
            if write:
                return Lazy(app, "settings_change", "SettingsChange", "post"), _GET_POST_PUT
            return Lazy(app, "api_settings", "SettingsApi", "settings"), _GET_POST_PUT
        if path == b"/api/v1/dev/restart":
            return Lazy(app, "api_restart", "RestartApi", "restart"), _POST
        if path == b"/api/v1/dev/update":
            return self.update
        sm = self.sm
        if sm is None:  # safe mode
            return None
        # what the web page polls every second: SmartMeterApi's (resident)
        if path == b"/api/v1/sm/actual":
            return sm.actual, _GET
        if path == b"/api/v1/sm/samples":
            return app.samples.render, _GET
        if path == b"/api/v1/sm/info":
            return sm.info, _GET
        if path == b"/api/v0/sm/actual":
            return sm.actual_v0, _GET
        if path == b"/api/v1/sm/fields":
            return sm.fields, _GET
        if path == b"/api/v1/sm/telegram":
            return sm.telegram, _GET
        if path == b"/index.html":
            return Lazy(app, "static", "Static", "index"), _GET
        if path == b"/api/v1/dev/time":
            return Lazy(app, "api_dev", "DeviceApi", "time"), _GET
        if path == b"/metrics":
            return Lazy(app, "api_metrics", "MetricsApi", "metrics"), _GET
        if path == b"/api/v1/sm/peaks":
            return Lazy(app, "api_peaks", "PeaksApi", "get"), _GET
        # prefixes: the handler gets the rest of the path
        if path.startswith(b"/api/v1/sm/fields/"):
            return sm.field, _GET
        if path.startswith(b"/api/v1/hist/"):
            if write:  # (a correction of the months loads only its own code, not the listing's)
                return Lazy(app, "hist_correct", "HistCorrect", "post"), _GET_POST
            return Lazy(app, "api_hist", "HistoryApi", "handle"), _GET_POST
        return None

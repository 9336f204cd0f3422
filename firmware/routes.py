"""The route table: which path is answered by which handler, with which methods.

Exact paths first; then prefixes whose handler gets the rest of the path
(`/api/v1/sm/fields/<name>`, `/api/v1/hist/...`). `resolve()` returns a
route, a tuple (handler, methods), or None. What the web page polls every second is loaded at start; the device,
history, settings and setup endpoints are loaded for their request and
dropped after it (lazy.py). In safe mode (bootguard.py) `/` is the setup
page and only the device endpoints a person needs to fix the settings are
served (a firmware update endpoint belongs among them).

Each handler loaded per request is named once, in the table below, as
module, class, method: `Lazy(app, "api_dev", "DeviceApi", "info")` is
`DeviceApi(app).info(req, w)` from firmware/api_dev.py. The imports under
TYPE_CHECKING spell the same names as import paths, for readers and for
pyright (which checks that each class has its method); they are never
compiled in (the constant is 0: the block costs no heap) and
tests/test_routes.py checks that they and the table name the same things.
"""

from . import api_sm
from .lazy import ByMethod, Lazy

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


def allowed(methods):
    """The Allow header's value for a route's methods (OPTIONS and 405 answers)."""
    allow = list(methods)
    if b"GET" in methods:
        allow.append(b"HEAD")
    allow.append(b"OPTIONS")
    return b", ".join(allow)


class Router:
    def __init__(self, app):
        self.app = app
        self.setup_page = Lazy(app, "api_setup", "SetupApi", "page")
        self.page = Lazy(app, "static", "Static", "index")
        # (a change loads only its own code: the settings page's is not needed for it)
        settings = ByMethod(Lazy(app, "api_settings", "SettingsApi", "settings"),
                            Lazy(app, "settings_change", "SettingsChange", "post"))
        # (a correction of the months loads only its own code, not the listing's)
        hist = ByMethod(Lazy(app, "api_hist", "HistoryApi", "handle"), Lazy(app, "hist_correct", "HistCorrect", "post"))
        self.exact = {
            b"/": (self.index, _GET),
            b"/setup": (self.setup_page, _GET),
            b"/api/v1/dev/setup": (Lazy(app, "api_setup", "SetupApi", "save"), (b"POST",)),
            b"/api/v1/dev/info": (Lazy(app, "api_dev", "DeviceApi", "info"), _GET),
            b"/api/v1/dev/settings": (settings, (b"GET", b"POST", b"PUT")),
            b"/api/v1/dev/restart": (Lazy(app, "api_restart", "RestartApi", "restart"), (b"POST",)),
            b"/api/v1/dev/update": (Lazy(app, "api_update", "UpdateApi", "handle", True), (b"GET", b"POST")),
        }
        self.prefixes = ()
        if app.safe:  # what safe mode serves: enough to fix the settings and leave it
            return
        sm = api_sm.SmartMeterApi(app.reader)
        for path, route in (
            (b"/api/v1/sm/info", (sm.info, _GET)),
            (b"/api/v1/sm/actual", (sm.actual, _GET)),
            (b"/api/v0/sm/actual", (sm.actual_v0, _GET)),
            (b"/api/v1/sm/fields", (sm.fields, _GET)),
            (b"/api/v1/sm/telegram", (sm.telegram, _GET)),
            (b"/api/v1/sm/samples", (app.samples.render, _GET)),
            (b"/index.html", (self.page, _GET)),
            (b"/api/v1/dev/time", (Lazy(app, "api_dev", "DeviceApi", "time"), _GET)),
            (b"/metrics", (Lazy(app, "api_metrics", "MetricsApi", "metrics"), _GET)),
            (b"/api/v1/sm/peaks", (Lazy(app, "api_peaks", "PeaksApi", "get"), _GET)),
        ):
            self.exact[path] = route
        self.prefixes = (
            (b"/api/v1/sm/fields/", (sm.field, _GET)),
            (b"/api/v1/hist/", (hist, (b"GET", b"POST"))),
        )

    def index(self, req, w):
        """`/`: the Wi-Fi setup form while the dongle runs its setup access point."""
        wifi = self.app.wifi
        if self.app.safe or wifi is not None and wifi.mode == "setup":
            page = self.setup_page
        else:
            page = self.page
        try:
            return page(req, w)
        finally:
            page.drop()  # (the route's handler is this method, not the Lazy)

    def resolve(self, path):
        r = self.exact.get(path)
        if r is not None:
            return r
        for prefix, route in self.prefixes:
            if path.startswith(prefix):
                return route
        return None

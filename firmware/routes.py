"""The route table: which path is answered by which handler, with which methods.

Exact paths first; then prefixes whose handler gets the rest of the path
(only `/api/v1/sm/fields/<name>` so far). `resolve()` returns a Route or None.
"""

from . import api_dev, api_settings, api_setup, api_sm

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
        sm = api_sm.SmartMeterApi(app.reader)
        dev = api_dev.DeviceApi(app)
        st = api_settings.SettingsApi(app)
        setup = api_setup.SetupApi(app, sm.index)
        self.exact = {
            b"/": Route(setup.index),
            b"/setup": Route(setup.page),
            b"/api/v1/dev/setup": Route(setup.save, (b"POST",)),
            b"/api/v1/sm/info": Route(sm.info),
            b"/api/v1/sm/actual": Route(sm.actual),
            b"/api/v0/sm/actual": Route(sm.actual_v0),
            b"/api/v1/sm/fields": Route(sm.fields),
            b"/api/v1/sm/telegram": Route(sm.telegram),
            b"/api/v1/dev/info": Route(dev.info),
            b"/api/v1/dev/time": Route(dev.time),
            b"/api/v1/dev/settings": Route(st.settings, (b"GET", b"POST", b"PUT")),
        }
        self.prefixes = ((b"/api/v1/sm/fields/", Route(sm.field)),)

    def resolve(self, path):
        r = self.exact.get(path)
        if r is not None:
            return r
        for prefix, route in self.prefixes:
            if path.startswith(prefix):
                return route
        return None

"""The settings endpoint /api/v1/dev/settings.

GET lists every setting with its type, limits and whether a change needs a
restart; secrets (passwords) are never shown, only whether they are set.
POST or PUT takes `{"name": .., "value": ..}` as DSMRloggerAPI clients send
it, or an object of several `{"hostname": "p1", "http_timeout": 9}`;
everything is validated first (400 saying what is wrong, nothing saved),
then saved at once; the answer lists what needs a restart. Once
`admin_password` is set, writes need it (HTTP Basic with any user name, or
`Authorization: Bearer <password>`), else 401; reads stay open so existing
clients keep working.
"""

import json

from . import settings_table  # (dropped with this module: both passes of a long answer use it)
from .api_write import authorized, error, save


class SettingsApi:
    def __init__(self, app):
        self.app = app

    def settings(self, req, w):
        s = self.app.settings
        if req.method != b"GET":
            return self._change(req, w, s)
        w.raw('{"settings":[')
        first = True
        for name, kind, _, lo, hi, flags in settings_table.rows():
            w.raw('\n {"name": "' if first else ',\n {"name": "')
            first = False
            w.raw(name.encode())
            w.raw('", "value": ')
            v = s[name]
            if "S" in flags:
                w.raw('""')
            elif kind == "b":
                w.raw("true" if v else "false")
            elif kind == "i":
                w.integer(v)
            else:
                w.string(v.encode())
            w.raw(', "type": "')
            w.raw(kind.encode())
            w.raw('"')
            if kind == "c":
                w.raw(', "choices": ["')
                w.raw(lo.replace(",", '", "').encode())
                w.raw('"]')
            elif kind in "is":
                w.raw(', "min": ' if kind == "i" else ', "minlen": ')
                w.raw(lo.encode())
                w.raw(', "max": ' if kind == "i" else ', "maxlen": ')
                w.raw(hi.encode())
            if "S" in flags:
                w.raw(', "secret": true, "set": ')
                w.raw("true" if s[name] else "false")
            w.raw(', "restart": ')
            w.raw("true}" if "R" in flags else "false}")
        w.raw("\n]}\n")
        return 200

    def _change(self, req, w, s):
        if not authorized(req, s["admin_password"]):
            req.extra = b'WWW-Authenticate: Basic realm="dsmr-api"\r\n'
            return error(w, 401, "admin password required")
        try:
            doc = json.loads(bytes(req.body or b""))
        except ValueError:
            return error(w, 400, 'the body must be JSON: {"name": ..., "value": ...}')
        if not isinstance(doc, dict) or not doc:
            return error(w, 400, "the body must be a JSON object")
        if "name" in doc and "value" in doc and len(doc) == 2:
            if not isinstance(doc["name"], str):
                return error(w, 400, '"name" must be a setting\'s name')
            doc = {doc["name"]: doc["value"]}
        try:
            restart = save(self.app, doc)
        except ValueError as e:
            return error(w, 400, e.args[0])
        except OSError as e:
            return error(w, 500, "could not save the settings: %r" % e)
        w.raw('{"saved": ')
        w.raw(json.dumps(sorted(doc)).encode())
        w.raw(', "restart": ')
        w.raw(json.dumps(restart).encode())
        w.raw("}\n")
        return 200

"""POST or PUT /api/v1/dev/settings: a change of settings, checked and saved.

`{"name": .., "value": ..}` as DSMRloggerAPI clients send it, or an object of
several `{"hostname": "p1", "http_timeout": 9}`; behind the admin password
once one is set. Loaded by api_settings.py for such a request only, and
dropped after it (the settings page, a GET, does without it).
"""

import json

from .api_write import authorized, error, save


def change(app, req, w):
    """POST or PUT /api/v1/dev/settings: validates and saves the changes in the body."""
    s = app.settings
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
        restart = save(app, doc)
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

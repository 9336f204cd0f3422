"""POST or PUT /api/v1/dev/settings: a change of settings, checked and saved.

`{"name": .., "value": ..}` as DSMRloggerAPI clients send it, or an object of
several `{"hostname": "p1", "http_timeout": 9}`; a write: api_write.refuse()
(README "Security"), which takes a write that makes the choice of a password
or none while neither is made. Loaded for such a request only (routes.py:
the route's writes are `SettingsChange.post`, its reads api_settings.py), and
dropped after it: the settings page, a GET, does without it, and a change
without the page's code. api_write.py (the gate, errors) is loaded for a call
and dropped again (`api()`), and settings_save.py for the save (`save()`):
the gate's code (with a password, api_auth.py too) and the save's are never
in the heap together.
"""

import json

from .lazy import call, load, unload


class SettingsChange:
    def __init__(self, app):
        self.app = app

    def post(self, req, w):
        return change(self.app, req, w)


def change(app, req, w):
    """POST or PUT /api/v1/dev/settings: validates and saves the changes in the body."""
    try:
        doc = json.loads(bytes(req.body or b""))
    except ValueError:
        doc = None  # (said after the gate: a refused request learns nothing)
    bad_name = False
    if isinstance(doc, dict) and len(doc) == 2 and "name" in doc and "value" in doc:
        if isinstance(doc["name"], str):
            doc = {doc["name"]: doc["value"]}
        else:
            bad_name = True
    # a write that leaves a choice made (a password, or none) may make it while none is
    claim = isinstance(doc, dict) and (bool(doc.get("admin_password")) or doc.get("writes_open") is True)
    status = api("refuse", app, req, w, claim)
    if status:
        return status
    if doc is None:
        return api("error", w, 400, 'the body must be JSON: {"name": ..., "value": ...}')
    if not isinstance(doc, dict) or not doc:
        return api("error", w, 400, "the body must be a JSON object")
    if bad_name:
        return api("error", w, 400, '"name" must be a setting\'s name')
    try:
        restart = save(app, doc)
    except ValueError as e:
        return api("invalid", w, e)
    except OSError as e:
        return api("error", w, 500, "could not save the settings: %r" % e)
    w.raw('{"saved": ')
    w.raw(json.dumps(sorted(doc)).encode())
    w.raw(', "restart": ')
    w.raw(json.dumps(restart).encode())
    w.raw("}\n")
    return 200


def api(fn, *args):
    return call("api_write", fn, *args)


def save(app, changes):
    """settings_save.save(), loaded for it (after the gate: not with the gate's code)."""
    try:
        return load("settings_save").save(app, changes)
    finally:
        unload("settings_save")

"""POST or PUT /api/v1/dev/settings: a change of settings, checked and saved.

Loaded for such a request only (routes.py: the route's writes are
`SettingsChange.post`, its reads api_settings.py) and dropped after it. This
is the change's driver, kept small: the body is read and the write's gate
passed by settings_request.py, loaded for that and dropped; then the save
is settings_save.py, loaded for it (`save()`). The gate's code (with a
password, api_auth.py too) and the save's are never in the heap together,
and no more than this small module stays beside the save (on the yardstick
at 96k with MQTT, NTP and the raw stream on, a change found no room when the
body's reading and the gate's errors stayed loaded beside the save).
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
    doc = call("settings_request", "read", app, req, w)
    if not isinstance(doc, dict):
        return doc  # (the status of the answer said already: refused, or a bad body)
    try:
        restart = save(app, doc)
    except ValueError as e:
        return call("api_write", "invalid", w, e)
    except OSError as e:
        return call("api_write", "error", w, 500, "could not save the settings: %r" % e)
    w.raw('{"saved": ')
    w.raw(json.dumps(sorted(doc)).encode())
    w.raw(', "restart": ')
    w.raw(json.dumps(restart).encode())
    w.raw("}\n")
    return 200


def save(app, changes):
    """settings_save.save(), loaded for it (after the gate: not with the gate's code)."""
    try:
        return load("settings_save").save(app, changes)
    finally:
        unload("settings_save")

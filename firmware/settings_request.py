"""The body of a change of settings read, and the write's gate passed (settings_change.py).

`{"name": .., "value": ..}` as DSMRloggerAPI clients send it, or an object of
several `{"hostname": "p1", "http_timeout": 9}`. A write: api_write.refuse()
(README "Security"), which takes a write that makes the choice of a password
or none while neither is made. Loaded for `read()` and dropped before the
save comes: its code and the gate's are not in the heap beside the save's.
"""

import json

from .lazy import call


def read(app, req, w):
    """The changes as a dict, or the status of the answer written instead (a refusal,
    or a body that is not a change: 400 saying why, after the gate)."""
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
    return doc


def api(fn, *args):
    return call("api_write", fn, *args)

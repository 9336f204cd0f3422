"""POST /api/v1/hist/months {"recid":"YYMM","edt1":..,...}: corrects a month's counters.

A write: api_write.refuse() (README "Security"). Loaded for such a request
only (routes.py: the history route's POST, without api_hist.py's listing
code), and dropped after it; api_write.py only for the gate and an error,
hist_apply.py (the body read, the record written) only between the two.
"""

from .history import MONTHS
from .lazy import call, load, load_with, unload_all


class HistCorrect:
    """The history route's POST (routes.py): a correction of the months, else
    api_hist.py's answer (404, 405), from its own code."""

    def __init__(self, app):
        self.app = app

    def post(self, req, w):
        h = self.app.history
        if h is not None and bytes(req.path[13:]) in (b"months", b"months/asc", b"months/desc"):
            return correct(self.app, req, w, h.rings[MONTHS])
        mod, loaded = load_with("api_hist")  # (what every other path and method answers)
        try:
            return mod.HistoryApi(self.app).handle(req, w)
        finally:
            unload_all(loaded)


def error(w, status, msg):
    return call("api_write", "error", w, status, msg)


def correct(app, req, w, ring):
    """POST /api/v1/hist/months: sets a month's counters (ring: the months)."""
    status = call("api_write", "refuse", app, req, w)  # (its code: for the gate only)
    if status:
        return status
    try:  # (the records' code after the gate's, and gone before an error's)
        done = load("hist_apply").apply(req, ring)
    finally:
        unload_all(("hist_apply", "history_file"))
    if not isinstance(done, bytes):
        return error(w, 400, done)
    w.raw('{"saved": "')
    w.raw(done)
    w.raw('"}\n')
    return 200

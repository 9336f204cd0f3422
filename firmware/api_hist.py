"""The history endpoints, in DSMRloggerAPI's shapes (history.py and history_file.py keep the records).

  GET  /api/v1/hist/hours | days | months        newest first (also /desc)
  GET  /api/v1/hist/hours/asc (days, months)     oldest first
       {"hours":[{"recnr":0,"recid":"YYMMDDHH","slot":n,"edt1":v,"edt2":v,
                  "ert1":v,"ert2":v,"gdt":v},...]}   (recid YYMMDD for days, YYMM
       for months; hours also say "tz": "S" or "W"); never-written slots left out
  GET  /api/v1/hist/usage/hours | days | months  what was used in each period
       (the difference with the record before it; "baseline": true where a
       counter went down or jumped: a new meter)
  POST /api/v1/hist/months  {"recid":"YYMM","edt1":..,...}  corrects a month
       (a write: api_write.refuse(), README "Security")
Values are kWh and m3 with 3 decimals. A correction is hist_correct.py,
loaded for its request instead of this (routes.py: the route's POST); it
hands the POSTs it does not take (404, 405) back to this module.
"""

from . import history_file
from .api_write import error

_PREFIX = len(b"/api/v1/hist/")


class HistoryApi:
    def __init__(self, app):
        self.app = app

    def handle(self, req, w):
        h = self.app.history
        if h is None:
            return error(w, 404, "history is off")
        try:
            parts = bytes(req.path[_PREFIX:]).decode().split("/")
        except UnicodeError:
            parts = [""]  # not UTF-8: no such history
        usage = parts[0] == "usage"
        if usage:
            parts = parts[1:]
        if not parts or parts[0] not in history_file.NAMES or len(parts) > 2:
            return error(w, 404, "no such history: use hours, days or months")
        which = history_file.NAMES.index(parts[0])
        order = parts[1] if len(parts) > 1 else "desc"
        if order not in ("asc", "desc") or (usage and len(parts) > 1):
            return error(w, 404, "no such history order: use asc or desc")
        if req.method == b"POST":  # (the months' is hist_correct.py's: routes.py; here the others')
            req.extra = b"Allow: GET, HEAD, OPTIONS\r\n"
            return error(w, 405, "only months can be corrected")
        return self._list(w, which, h.rings[which], order == "asc", usage)

    def _list(self, w, which, ring, ascending, usage):
        """Renders the ring's records as they are read, one at a time: no list of them
        is held (48 hours made a 6 KB answer, rendered twice, from lists of tuples)."""
        name = history_file.NAMES[which]
        w.raw('{"')
        w.raw(name)  # (an ASCII str: raw() copies it as it is, no bytes made)
        w.raw('":[')
        raw = bytearray(history_file.SIZE)
        n = 0
        newer = -1  # usage: the newer record's key, its counters in `prev`
        prev = None
        with open(ring.path, "rb") as f:
            top = history_file.newest_key(ring, f, raw)
            lo = max(-1, top - ring.slots)  # the keys the ring can hold: lo < k <= top
            k = lo + 1 if ascending else top
            while lo < k <= top and top >= 0:
                v = history_file.record(ring, f, raw, k)
                if v is not None:
                    if not usage:
                        self._item(w, n, which, ring, k, v, False)
                        n += 1
                    elif newer >= 0:
                        used, baseline = history_file.usage(prev, v, history_file.HOURS_PER[which] * (newer - k))
                        self._item(w, n, which, ring, newer, used, baseline)
                        n += 1
                    newer, prev = k, v
                k += 1 if ascending else -1
        w.raw("\n]}\n")
        return 200

    def _item(self, w, i, which, ring, k, v, baseline):
        rid, tz = history_file.recid(which, k)
        w.raw('\n {"recnr":' if i == 0 else ',\n {"recnr":')
        w.integer(i)
        w.raw(',"recid":"')
        w.raw(rid)
        w.raw('"')
        if tz:
            w.raw(',"tz":"')
            w.raw(tz)
            w.raw('"')
        w.raw(',"slot":')
        w.integer(k % ring.slots)
        for j in range(5):
            w.raw(',"')
            w.raw(history_file.COUNTERS[j])
            w.raw('":')
            w.milli(max(0, v[j]))
        if baseline:
            w.raw(',"baseline":true')
        w.raw("}")

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
       (behind the admin password once one is set)
Values are kWh and m3 with 3 decimals. A correction's numbers are read from
their decimal digits (never through a float: the dongle's floats are single
precision, 123456.789 would become 123456.792).
"""

import json

from . import history_file
from .history import MONTHS
from .api_write import authorized, error

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
        if req.method == b"POST":
            if which != MONTHS or usage:
                req.extra = b"Allow: GET, HEAD, OPTIONS\r\n"
                return error(w, 405, "only months can be corrected")
            return self._correct(req, w, h.rings[which])
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

    def _correct(self, req, w, ring):
        s = self.app.settings
        if not authorized(req, s["admin_password"]):
            req.extra = b'WWW-Authenticate: Basic realm="dsmr-api"\r\n'
            return error(w, 401, "admin password required")
        try:
            doc = json.loads(_numbers_quoted(bytes(req.body or b"")))
            key = history_file.month_key(str(doc["recid"]))
            if key < 0:
                raise ValueError
            old = history_file.read(ring, key)
            vals = []
            for j, c in enumerate(history_file.COUNTERS):
                if c in doc:
                    v = _milli(doc[c])
                    if v < 0:  # a meter's counter has 6 digits and 3 decimals
                        return error(w, 400, "%s must be a reading from 0 to 999999.999" % c)
                    vals.append(v)
                else:
                    vals.append(old[j] if old else 0)
        except (ValueError, KeyError, TypeError):
            return error(w, 400, 'send {"recid": "YYMM", "edt1": kWh, ...}')
        if ring.key >= 0 and not ring.key - ring.slots < key <= ring.key:
            return error(w, 400, "that month is not in the history")
        if key == ring.key:
            for j in range(5):
                ring.cur[j] = vals[j]
        else:
            history_file.write(ring, key, vals)
        w.raw('{"saved": "')
        w.raw(str(doc["recid"]).encode())
        w.raw('"}\n')
        return 200


def _numbers_quoted(body):
    """The JSON text with every bare number put in quotes, so json.loads hands
    over its digits as they were sent rather than as a (float32) number."""
    out = bytearray()
    in_str = esc = num = False
    for c in body:
        if in_str:
            if esc:
                esc = False
            elif c == 0x5C:  # backslash
                esc = True
            elif c == 0x22:
                in_str = False
        elif num and not (0x30 <= c <= 0x39 or c in b".eE+-"):
            out.append(0x22)
            num = False
        elif c == 0x22:
            in_str = True
        elif not num and (0x30 <= c <= 0x39 or c == 0x2D):  # a number starts
            out.append(0x22)
            num = True
        out.append(c)
    if num:
        out.append(0x22)
    return bytes(out)


def _milli(text):
    """Thousandths of a reading written as decimal digits ("123456.789" ->
    123456789, at most 6 digits before the point and 3 after), or -1."""
    if not isinstance(text, str):
        return -1
    whole, dot, frac = text.partition(".")
    if not (whole.isdigit() and len(whole) <= 6 and (not dot or frac.isdigit() and len(frac) <= 3)):
        return -1
    return int(whole) * 1000 + int((frac + "000")[:3])

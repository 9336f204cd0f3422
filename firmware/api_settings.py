"""The settings endpoint /api/v1/dev/settings.

GET lists every setting with its type, limits and whether a change needs a
restart; secrets (passwords) are never shown, only whether they are set.
POST or PUT takes `{"name": .., "value": ..}` as DSMRloggerAPI clients send
it, or an object of several `{"hostname": "p1", "http_timeout": 9}`;
everything is validated first (400 saying what is wrong, nothing saved),
then saved at once; the answer lists what needs a restart. Writes pass
api_write.refuse() (JSON from the dongle's own page or a script, the admin
password once set, README "Security"); reads (GET, HEAD: never a write) stay
open so existing clients keep working. This module is the reads; a change
is settings_change.py, which the route loads instead (routes.py: its row names both).
"""

from . import settings_table  # (dropped with this module: both passes of a long answer use it)


class SettingsApi:
    def __init__(self, app):
        self.app = app

    def settings(self, req, w):
        return self._list(w, self.app.settings)

    def _list(self, w, s):
        """Renders every setting straight from the table's text: no row is split
        into strings (that made this page allocate 25 KB, twice over as it is
        rendered twice, and fragment the heap for everything else)."""
        w.raw('{"settings":[')
        first = True
        for t in settings_table._TABLE:  # (the table in parts)
            i = 0
            while True:
                end = t.find("\n", i)
                if end < 0:
                    break
                b1 = t.find("|", i)  # name|kind|default|lo|hi|flags
                b3 = t.find("|", t.find("|", b1 + 1) + 1)
                b4 = t.find("|", b3 + 1)
                b5 = t.find("|", b4 + 1)
                secret = t.find("S", b5, end) > 0
                w.raw(',\n {"name": "' if not first else '\n {"name": "')
                first = False
                w.raw(t, i, b1)
                w.raw('", "value": ')
                v = s[t[i:b1]]  # (a name the code uses is interned: no new string)
                if secret:
                    w.raw('""')
                elif isinstance(v, bool):
                    w.raw("true" if v else "false")
                elif isinstance(v, int):
                    w.integer(v)
                else:
                    w.string(v.encode())  # (a str's len counts characters, not bytes)
                w.raw(', "type": "')
                w.raw(t, b1 + 1, b1 + 2)
                w.raw('"')
                if t.startswith("c", b1 + 1):
                    w.raw(', "choices": ["')
                    j = b3 + 1
                    while True:
                        k = t.find(",", j, b4)
                        w.raw(t, j, b4 if k < 0 else k)
                        if k < 0:
                            break
                        w.raw('", "')
                        j = k + 1
                    w.raw('"]')
                elif t.startswith("i", b1 + 1) or t.startswith("s", b1 + 1):
                    w.raw(', "min": ' if t.startswith("i", b1 + 1) else ', "minlen": ')
                    w.raw(t, b3 + 1, b4)
                    w.raw(', "max": ' if t.startswith("i", b1 + 1) else ', "maxlen": ')
                    w.raw(t, b4 + 1, b5)
                if secret:
                    w.raw(', "secret": true, "set": ')
                    w.raw("true" if v else "false")
                w.raw(', "restart": ')
                w.raw("true}" if t.find("R", b5, end) > 0 else "false}")
                i = end + 1
        w.raw("\n]}\n")
        return 200

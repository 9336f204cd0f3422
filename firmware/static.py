"""Static files from www/: the web page at `/`, gzip-compressed where the client takes it.

The page is one self-contained file (no CDN: the dongle's network may have no
internet). The dongle gets it as www/index.html.gz too (tools/build.py);
browsers that accept gzip get that with `Content-Encoding: gzip`. The file
is streamed from flash in pieces by the HTTP server, never held in RAM, and
may be cached by the browser for ten minutes. Loaded for a request and
dropped after it (routes.py): the file is sent by the server afterwards.
"""

import os

from . import platform
from .http_request import header


_FALLBACK = b"""<!doctype html><meta charset=utf-8><title>dsmr-api</title><h1>dsmr-api</h1><ul>
<li><a href=/api/v1/sm/actual>actual</a><li><a href=/api/v1/sm/info>info</a>
<li><a href=/api/v1/sm/fields>fields</a><li><a href=/api/v1/sm/telegram>telegram</a>
<li><a href=/api/v0/sm/actual>v0 actual</a></ul>
"""


class Static:
    def __init__(self, app):
        self.app = app

    def index(self, req, w):
        return self.serve(req, w, "index.html", b"text/html; charset=utf-8")

    def serve(self, req, w, name, ctype):
        path = platform.www_path(name)
        enc = header(req, b"accept-encoding") or b""
        for candidate, gz in ((path + ".gz", True), (path, False)):
            if gz and b"gzip" not in enc:
                continue
            try:
                size = os.stat(candidate)[6]
                req.file = open(candidate, "rb")
            except OSError:
                continue
            req.file_size = size
            req.ctype = ctype
            req.cache = b"max-age=600"
            if gz:
                req.extra = b"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
            return 200
        req.ctype = b"text/html; charset=utf-8"  # www/ is not there: a list of the API's links
        w.raw(_FALLBACK)
        return 200

"""Static files from www/: the web page at `/`, gzip-compressed where the client takes it.

The page is one self-contained file (no CDN: the dongle's network may have no
internet). The dongle gets it as www/index.html.gz too (tools/build.py);
browsers that accept gzip get that with `Content-Encoding: gzip`. The file
is streamed from flash in pieces by the HTTP server, never held in RAM, and
may be cached by the browser for ten minutes.
"""

import os

from . import platform
from .http_request import header


class Static:
    def __init__(self, app, fallback):
        self.app = app
        self.fallback = fallback  # the built-in page when www/ is not there

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
        return self.fallback(req, w)

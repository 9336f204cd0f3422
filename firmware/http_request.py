"""Parses one HTTP/1.x request head, in place, from a connection's buffer.

`parse(buf, end, n, req)` reads the request line and headers in buf[:end]
(end is just past the blank line; n bytes are in the buffer) into `req` and
returns 0, NEED_BODY when the body has not all arrived yet (read more and
parse again), or an HTTP status (400, 413, 501, 505) with `req.error` saying
what is wrong. Query strings and fragments are dropped from the path (clients
add cache-busters); one trailing slash is dropped too. Only the headers the
server acts on are looked at: Connection, Content-Length, Transfer-Encoding.
As RFC 9112 asks, what could make two parties read the head differently is
refused with 400 (and the connection closed): a bare CR or LF, whitespace
before a header name (obs-fold) or before its colon, a second Content-Length.
`Connection: close` wins over `keep-alive` in any order.
"""

from dsmr._compat import const

_JSON = b"application/json"
_WS = b" \t"
NEED_BODY = 1
# The names acted on, by length: only a name of one of these lengths is copied and compared
_CONNECTION = const(10)  # len(b"connection")
_CONTENT_LENGTH = const(14)  # len(b"content-length")
_TRANSFER_ENCODING = const(17)  # len(b"transfer-encoding")


class Request:
    """One parsed request: made when its head is whole, dropped with its answer (an idle
    or waiting connection holds none)."""

    def __init__(self, conn=None):
        self.method = b""
        self.path = b""
        self.body = None  # memoryview of the body, if any
        self.length = 0  # its Content-Length
        self.keep_alive = False
        self.headers = None  # memoryview of the header lines
        self.used = 0  # bytes of the buffer this request took
        self.error = ""
        # set by handlers for the response
        self.ctype = _JSON
        self.extra = b""  # extra response header lines, each ending in CRLF
        self.cache = b"no-cache"  # the Cache-Control value
        self.file = None  # a file object to send as the body (static files)
        self.file_size = 0
        self.conn = conn  # type: object

    def reset(self):
        self.method = b""
        self.body = None
        self.length = 0
        self.keep_alive = False
        self.ctype = _JSON
        self.extra = b""
        self.cache = b"no-cache"
        self.file = None


def header(req, name):
    """The value of header `name` (lower-case bytes) as bytes, or None (allocates)."""
    h = bytes(req.headers)
    for line in h.split(b"\r\n"):
        k, sep, v = line.partition(b":")
        if sep and k.strip().lower() == name:
            return v.strip()
    return None


def _fail(req, msg):
    req.error = msg
    return 400


def parse(buf, end, n, req):
    req.reset()
    le = buf.find(b"\r\n", 0, end)
    if le < 0:
        return _fail(req, "malformed request line")
    sp1 = buf.find(b" ", 0, le)
    sp2 = buf.find(b" ", sp1 + 1, le)
    if (sp1 <= 0 or sp2 <= sp1 + 1 or buf.find(b" ", sp2 + 1, le) >= 0
            or buf.find(b"\n", 0, le) >= 0 or buf.find(b"\r", 0, le) >= 0):
        return _fail(req, "malformed request line")
    version = bytes(buf[sp2 + 1 : le])
    if version == b"HTTP/1.1":
        keep = True
    elif version == b"HTTP/1.0":
        keep = False
    elif version.startswith(b"HTTP/"):
        req.error = "only HTTP/1.0 and HTTP/1.1 are spoken here"
        return 505
    else:
        return _fail(req, "malformed request line")
    method = bytes(buf[:sp1])
    if not method.isalpha() or not method.isupper():
        return _fail(req, "malformed method")
    if buf[sp1 + 1] != 0x2F:  # '/'
        return _fail(req, "the request target must be a path")
    q = sp2
    for i in range(sp1 + 1, sp2):
        if buf[i] == 0x3F or buf[i] == 0x23:  # '?' or '#'
            q = i
            break
    path = bytes(buf[sp1 + 1 : q])
    if len(path) > 1 and path[-1] == 0x2F:
        path = path[:-1]
    length = -1
    close = False
    pos = le + 2
    while pos < end - 2:
        e = buf.find(b"\r\n", pos, end)
        colon = buf.find(b":", pos, e)
        # RFC 9112: no whitespace before a name (obs-fold) or its colon, no bare CR or LF
        if (e < 0 or colon <= pos or buf[pos] in _WS or buf[colon - 1] in _WS
                or buf.find(b"\n", pos, e) >= 0 or buf.find(b"\r", pos, e) >= 0):
            return _fail(req, "malformed header line")
        k = colon - pos
        if k == _CONNECTION or k == _CONTENT_LENGTH or k == _TRANSFER_ENCODING:
            name = bytes(buf[pos:colon]).lower()
            value = bytes(buf[colon + 1 : e]).strip().lower()
            if name == b"connection":
                for token in value.split(b","):
                    token = token.strip()
                    if token == b"close":
                        close = True
                    elif token == b"keep-alive":
                        keep = True
            elif name == b"content-length":
                if length >= 0:
                    return _fail(req, "more than one Content-Length")
                if not value.isdigit():
                    return _fail(req, "malformed Content-Length")
                length = int(value)
            elif name == b"transfer-encoding":
                req.error = "chunked request bodies are not supported"
                return 501
        pos = e + 2
    if close:
        keep = False
    req.method = method
    req.path = path
    req.keep_alive = keep
    req.headers = memoryview(buf)[le + 2 : end]
    req.used = end
    req.length = max(0, length)
    if length > 0:
        if end + length > len(buf):
            req.error = "request body must fit %d bytes" % (len(buf) - end)
            return 413
        if end + length > n:
            return NEED_BODY
        req.body = memoryview(buf)[end : end + length]
        req.used = end + length
    return 0

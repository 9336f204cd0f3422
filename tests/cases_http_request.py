"""The request head parser (firmware/http_request.py) on real heads: the three
headers it acts on are found in any case, and no other name is taken for one,
whatever its length. Run under the MicroPython unix port (tests/test_http_request.py)."""

from firmware.http_request import NEED_BODY, Request, parse


def _parse(head, body=b""):
    raw = head.replace(b"\n", b"\r\n") + b"\r\n" + body
    buf = bytearray(512)
    buf[: len(raw)] = raw
    req = Request()
    end = raw.find(b"\r\n\r\n") + 4
    return parse(buf, end, len(raw), req), req


def case_connection_close_is_read_in_any_case():
    for name in (b"Connection", b"connection", b"CONNECTION"):
        status, req = _parse(b"GET /a HTTP/1.1\n" + name + b": close\n")
        assert status == 0 and not req.keep_alive, name
    status, req = _parse(b"GET /a HTTP/1.0\nConnection: keep-alive\n")
    assert status == 0 and req.keep_alive


def case_content_length_gives_the_body():
    status, req = _parse(b"POST /a HTTP/1.1\nContent-Length: 5\n", b"hello")
    assert status == 0 and bytes(req.body) == b"hello"
    status, req = _parse(b"POST /a HTTP/1.1\ncontent-length: 7\n", b"hel")
    assert status == NEED_BODY
    status, req = _parse(b"POST /a HTTP/1.1\nContent-Length: 5\nContent-Length: 5\n", b"hello")
    assert status == 400 and req.error == "more than one Content-Length"


def case_transfer_encoding_is_refused():
    status, req = _parse(b"POST /a HTTP/1.1\nTransfer-Encoding: chunked\n")
    assert status == 501


def case_other_names_of_the_same_lengths_are_not_taken_for_them():
    # 10, 14 and 17 characters, like connection, content-length and transfer-encoding
    status, req = _parse(b"GET /a HTTP/1.1\nConnectio2: close\nContent-Lengtx: 5\nTransfer-Encodinx: chunked\n")
    assert status == 0 and req.keep_alive and req.body is None


def all_cases():
    return sorted(k for k in globals() if k.startswith("case_"))

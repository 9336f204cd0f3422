"""firmware/raw_stream.py's send() and look() under MicroPython, on real sockets on 127.0.0.1
(tests/test_raw_stream.py): look() reads what clients send, lets go of the
ones that closed, and allocates nothing when neither happened; a client whose socket stays full (EAGAIN) misses
telegrams and is dropped after MAX_BEHIND in a row; one that reads again is not;
when full, the stalest client makes way. (Linux mostly answers a full socket
with a short write, which drops the client at once; lwIP answers EAGAIN, the
case the end-to-end tests cannot make happen on a PC.)"""

import socket
import time

from firmware.raw_stream import MAX_BEHIND, RawStream

_PORT = [31000 + (id(RawStream) >> 4) % 20000]  # (MicroPython has no getsockname)


class _Telegram:
    """What send() reads from the parser: the telegram's bytes and length."""

    def __init__(self, n):
        self.buf = bytearray(b"x" * n)
        self.length = n


def _pair():
    """(server side, non-blocking; client side, which the case reads or not)."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    while True:
        _PORT[0] += 1
        try:
            srv.bind(socket.getaddrinfo("127.0.0.1", _PORT[0])[0][-1])
            break
        except OSError:
            pass
    srv.listen(1)
    c = socket.socket()
    c.setsockopt(1, 8, 2048)  # SOL_SOCKET, SO_RCVBUF (Linux numbers)
    c.connect(socket.getaddrinfo("127.0.0.1", _PORT[0])[0][-1])
    s, _ = srv.accept()
    srv.close()
    s.setsockopt(1, 7, 8192)  # SO_SNDBUF, as the firmware sets it on a PC
    s.setblocking(False)
    c.setblocking(False)
    return s, c


def _fill(s):
    """Writes until the socket takes nothing more, and stays so."""
    chunk = b"f" * 256
    for _ in range(20):
        took = 0
        while s.write(chunk) is not None:
            took += 1
            if took > 10000:
                raise AssertionError("the socket never filled")
        time.sleep(0.02)
        if s.write(b"f") is None:
            return
    raise AssertionError("the socket did not stay full")


def _drain(c):
    buf = bytearray(4096)
    for _ in range(1000):
        try:
            if not c.readinto(buf):
                time.sleep(0.005)
                if not c.readinto(buf):
                    return
        except OSError:
            return


def case_a_full_socket_counts_and_three_misses_in_a_row_drop_the_client():
    raw = RawStream(0, 3)
    s, c = _pair()
    try:
        raw.add(s)
        _fill(s)
        t = _Telegram(600)
        for k in range(1, MAX_BEHIND):
            raw.send(t)
            assert raw.missed == k and raw.clients == [s] and raw.dropped == 0, (k, raw.missed, raw.dropped)
        raw.send(t)
        assert raw.missed == MAX_BEHIND and raw.clients == [] and raw.dropped == 1, (raw.missed, raw.dropped)
        assert raw.behind == []
    finally:
        s.close()
        c.close()


def case_a_client_that_reads_again_starts_counting_afresh():
    raw = RawStream(0, 3)
    s, c = _pair()
    try:
        raw.add(s)
        t = _Telegram(600)
        for _ in range(3):
            _fill(s)
            for _ in range(MAX_BEHIND - 1):
                raw.send(t)
            _drain(c)  # it reads again: the next telegram goes through
            time.sleep(0.05)
            raw.send(t)
            assert raw.clients == [s] and raw.behind == [0], (raw.behind, raw.dropped)
        assert raw.missed == 3 * (MAX_BEHIND - 1) and raw.dropped == 0 and raw.sent == 3
    finally:
        s.close()
        c.close()


def case_when_full_the_stalest_client_makes_way():
    raw = RawStream(0, 3)
    pairs = [_pair() for _ in range(3)]
    try:
        for s, _ in pairs:
            raw.add(s)
        raw.behind[1] = 2
        raw.behind[2] = 1
        raw.make_room()  # the one most behind, not the oldest
        assert raw.clients == [pairs[0][0], pairs[2][0]] and raw.behind == [0, 1] and raw.dropped == 1
        raw.behind[1] = 0
        raw.make_room()  # of equals, the oldest
        assert raw.clients == [pairs[2][0]] and raw.dropped == 2
    finally:
        for s, c in pairs:
            s.close()
            c.close()


def case_a_look_reads_what_clients_send_and_lets_go_of_the_ones_that_closed():
    import gc

    raw = RawStream(0, 3)
    (s1, c1), (s2, c2) = _pair(), _pair()
    try:
        raw.add(s1)
        raw.add(s2)
        raw.look()  # (its first look makes the poll's one tuple)
        gc.collect()
        before = gc.mem_alloc()
        for _ in range(10):
            raw.look()
        assert gc.mem_alloc() == before, gc.mem_alloc() - before  # nothing happened: nothing allocated
        c1.write(b"x" * 1000)  # a client that talks: read and dropped, still a client
        c2.close()  # one that went
        time.sleep(0.05)
        raw.look()
        assert raw.clients == [s1] and raw.behind == [0], (raw.clients, raw.behind)
        assert s1.readinto(bytearray(16)) is None  # nothing left unread
    finally:
        for s in (s1, c1, s2, c2):
            s.close()


def all_cases():
    return sorted(k for k in globals() if k.startswith("case_"))

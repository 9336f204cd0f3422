"""The firmware's big long-lived buffers, allocated once, right after the code is loaded.

Compiling code from sources needs room for its parse tree, which is garbage
a moment later; the buffers are allocated after it so that room is theirs
afterwards (allocating them first made the peak higher by their size).
Compiling also leaves holes; app.main() keeps them few by collecting every
few KB while code loads (gc.threshold), so a 4 KB block still finds its
place. start.py allocates them and drops this module after. Each part is
handed its own buffer:
  telegrams  the P1 parser's two telegram buffers (p1_buffer bytes each)
  chunk      what the P1 reader reads into
  response   the shared HTTP response buffer, HEAD_ROOM of it in front of the
             body, where the headers are put together (a buffer of their own
             took 512 bytes more)
  requests   one spare request buffer: http_server.py makes more when
             several connections read requests at once (up to
             max_conn = http_max_conn) and lets them go when unused; an idle
             keep-alive connection holds none
"""

REQ_SIZE = 1024  # a request's head and body must fit this
HEAD_ROOM = 512  # response header room in front of the body
CHUNK = 256  # P1 bytes read at a time


class Buffers:
    def __init__(self, settings):
        n = settings["p1_buffer"]
        self.telegrams = (bytearray(n), bytearray(n))
        self.response = bytearray(settings["http_buffer"] + HEAD_ROOM)
        self.room = HEAD_ROOM
        self.requests = [bytearray(REQ_SIZE)]
        self.max_conn = settings["http_max_conn"]
        self.chunk = bytearray(CHUNK)

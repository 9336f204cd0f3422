"""The ESP32's `errno`: newlib's numbers, not Linux's (see socket.py); esp32_main.py puts it
in sys.modules["errno"] (a built-in that cannot be shadowed from the path).

The names are MicroPython's errno module's (py/moderrno.c); the values are
newlib's sys/errno.h, which the esp32 port uses (MICROPY_USE_INTERNAL_ERRNO 0).
ENFILE and EMFILE are not in MicroPython's module on either port.
"""

EPERM = 1
ENOENT = 2
EIO = 5
EBADF = 9
EAGAIN = 11
ENOMEM = 12
EACCES = 13
EEXIST = 17
ENODEV = 19
EISDIR = 21
EINVAL = 22
EOPNOTSUPP = 95
EADDRINUSE = 112
ECONNABORTED = 113
ECONNRESET = 104
ENOBUFS = 105
ENOTCONN = 128
ETIMEDOUT = 116
ECONNREFUSED = 111
EHOSTUNREACH = 118
EALREADY = 120
EINPROGRESS = 119

errorcode = {v: k for k, v in globals().items() if k[0] == "E"}

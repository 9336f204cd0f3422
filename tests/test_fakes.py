"""The fakes in tests/fakes are no kinder than the esp32 port (ports/esp32/machine_uart.c,
machine_pin.c, modsocket.c, network_wlan.c): each check runs a few lines under
MicroPython with the fakes on the path, as the firmware's ESP32 layer sees them."""

import json
import os
import subprocess

import pytest

from harness import MICROPYTHON, ROOT

FAKES = os.path.join(ROOT, "tests", "fakes")


def mp(code, heap=None, **env):
    e = dict(os.environ, MICROPYPATH=FAKES + ":.frozen", FAKE_UART_TCP="127.0.0.1:9")
    e.update({k: str(v) for k, v in env.items()})
    cmd = [MICROPYTHON] + (["-X", "heapsize=" + heap] if heap else []) + ["-c", code]
    out = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=60)
    return (out.stdout + out.stderr).strip()


def raises(stmt):
    return "try:\n %s\n print('no error')\nexcept Exception as e:\n print(type(e).__name__, e)\n" % stmt


@pytest.mark.parametrize("stmt, expect", [
    ("UART(2, baudrate=115200, rxbuffer=2048)", "TypeError unexpected keyword argument 'rxbuffer'"),
    ("UART(3)", "ValueError UART(3) does not exist"),
    ("UART(2, rx=24, tx=4)", "ValueError invalid pin"),
    ("UART(2, rx=16, tx=40)", "ValueError invalid pin"),
    ("UART(2, rx=16, tx=35)", "OSError ESP_FAIL"),
    ("UART(2, rx=16, tx=4, invert=1)", "ValueError invalid inversion mask"),
    ("Pin(36, Pin.OUT)", "ValueError pin can only be input"),
])
def test_uart_and_pins_reject_what_the_port_rejects(stmt, expect):
    assert mp("from machine import UART, Pin\n" + raises(stmt)) == expect


def test_a_wrover_has_no_gpio_16_17_and_the_default_tx_pin_crashes_it():
    code = "from machine import UART\n" + raises("UART(2, rx=16, tx=4)") + raises("UART(2, rx=4)")
    out = mp(code, FAKE_SPIRAM=1)
    assert out.splitlines()[0] == "ValueError invalid pin"
    assert "board crashed: UART2 TX on GPIO17 is the PSRAM's" in out


def test_tx_minus_one_only_from_1_29():
    code = "from machine import UART\n" + raises("UART(2, rx=4, tx=-1)")
    assert mp(code, FAKE_MP_VERSION="1.28") == "ValueError invalid pin"
    assert "ValueError" not in mp(code, FAKE_MP_VERSION="1.29")  # (then it connects to the meter)


def test_wlan_connect_fails_as_the_port_does():
    code = ("import network\nw = network.WLAN(network.STA_IF)\n" + raises("w.connect('x', 'y')")
            + "w.active(True)\nw.connect('x', 'y')\n" + raises("w.connect('x', 'y')")
            + raises("w.config(foo=1)") + raises("w.status('rssi')"))
    assert mp(code, FAKE_WIFI="fail").splitlines() == [
        "OSError Wifi Not Started", "OSError Wifi Internal Error", "ValueError unknown config param",
        "OSError Wifi Not Connected"]


def test_sockets_raise_newlib_errno_and_the_lwip_table_is_ten():
    code = ("import sys, _errno\nsys.modules['errno'] = _errno\nimport socket\nfrom errno import EINPROGRESS, ECONNABORTED\n"
            "s = socket.socket(); s.setblocking(False)\n"
            + raises("s.connect(('127.0.0.1', 9))") +
            "print(EINPROGRESS, ECONNABORTED)\n"
            "k = [socket.socket() for _ in range(9)]\n" + raises("socket.socket()") +
            "k[0].close()\nsocket.socket()\nprint('ok')\n")
    assert mp(code).splitlines() == ["OSError 119", "119 113", "OSError 23", "ok"]


def test_name_lookups_block_and_local_names_wait_for_mdns():
    import time

    code = "import socket\n" + raises("socket.getaddrinfo('nas.local', 1883)") + \
        "print(socket.getaddrinfo('broker', 1883)[0][-1], socket.getaddrinfo('10.0.0.2', 1)[0][-1])\n"
    t0 = time.monotonic()
    out = mp(code, FAKE_DNS="broker=10.0.0.1", FAKE_DNS_FAIL_MS=100)
    assert out.splitlines() == ["OSError -202", "('10.0.0.1', 1883) ('10.0.0.2', 1)"]
    assert time.monotonic() - t0 >= 5


@pytest.mark.parametrize("heap", [None, "128k"])
def test_the_uart_loses_what_its_buffer_cannot_hold_when_read_late(tmp_path, heap):
    # (128k: the firmware's heap, where a 64 KB peek at the waiting bytes met
    # MemoryError in the P1 reader at every late read; the port's driver buffer is
    # not in the GC heap at all)
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def meter():
        c, _ = srv.accept()
        c.sendall(b"x" * 5000)  # 0.43 s of line at 115200 baud, all at once
        time.sleep(2)
        c.close()

    import time

    threading.Thread(target=meter, daemon=True).start()
    code = ("import time\nfrom machine import UART\nu = UART(2, rx=4, tx=23, rxbuf=2048)\n"
            "keep = [bytearray(1024) for _ in range(%d)]\n"
            "time.sleep_ms(300)\nbuf = bytearray(8192)\nn = 0\n"
            "for _ in range(20):\n r = u.readinto(buf)\n n += r or 0\n time.sleep_ms(5)\nprint(n)\n") % (80 if heap else 0)
    log = tmp_path / "hw.log"
    out = mp(code, heap, FAKE_UART_TCP="127.0.0.1:%d" % srv.getsockname()[1], FAKE_LOG=log)
    assert out == "2176", out  # rxbuf + the FIFO; read at once, all 5000 would have come
    (ev,) = [e for e in map(json.loads, log.read_text().splitlines()) if e["event"] == "uart_overflow"]
    assert ev["dropped"] == 5000 - 2176
    srv.close()

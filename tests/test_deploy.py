"""tools/deploy.py against a dongle's file system on the PC: the mpremote commands it gives are
carried out here (their Python by MicroPython, `fs cp` as a copy, `reset` as a boot through
bootguard.py), and cut after every step, as a cable pulled out would cut them. Whatever the
cut, the dongle then boots a whole version: the old files, or all of the new ones."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import MICROPYTHON

pytestmark = pytest.mark.cpython_only  # host-side only: not run again on the yardstick

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import deploy  # noqa: E402

FILES = {"main.py": "print('main')\n", "firmware/app.py": "V = 1\n", "firmware/p1.py": "V = 1\n",
         "lib/dsmr/x.py": "V = 1\n"}
NEW = {"firmware/app.py": "V = 2\n", "firmware/p1.py": "V = 2\n", "firmware/sub/new.py": "V = 2\n"}


class Cut(Exception):
    pass


class FakeDongle:
    """The dongle's flash in a folder; runs what deploy.py's mpremote commands ask, one step each."""

    def __init__(self, root, budget):
        self.root = root
        self.budget = budget  # steps until the cable is pulled
        self.boots = []

    def _step(self):
        if self.budget == 0:
            raise Cut()
        self.budget -= 1

    def _python(self, code):
        code = code.replace("'/", "'%s/" % self.root)  # the dongle's / is this folder
        r = subprocess.run([MICROPYTHON, "-c", code], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr

    def boot(self):
        """What the dongle does at boot that matters here: bootguard.boot() from its / ."""
        code = "import sys\nsys.path.insert(0, %r)\nimport bootguard\nprint(bootguard.boot())" % ROOT
        env = dict(os.environ, DSMR_DATA_DIR=os.path.join(self.root, "data"))
        # bootguard.py finishes a deploy relative to its own folder: run a copy in the dongle's /
        shutil.copy(os.path.join(ROOT, "bootguard.py"), self.root)
        shutil.copy(os.path.join(ROOT, "bootstate.py"), self.root)
        code = code.replace(repr(ROOT), repr(self.root))
        r = subprocess.run([MICROPYTHON, "-c", code], capture_output=True, text=True, timeout=30, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        self.boots.append(r.stdout.strip().splitlines()[-1])
        for n in ("bootguard.py", "bootstate.py"):
            os.remove(os.path.join(self.root, n))

    def run(self, cmd, check=True):
        assert cmd[1:3] == ["connect", "/dev/fake"]
        args, group = [], []
        for a in cmd[3:] + ["+"]:
            if a == "+":
                args.append(group)
                group = []
            else:
                group.append(a)
        for g in args:
            self._step()
            if g[0] == "exec":
                self._python(g[1])
            elif g[:2] == ["fs", "cp"]:
                assert g[3].startswith(":/")
                shutil.copy(g[2], os.path.join(self.root, g[3][2:]))
            elif g == ["reset"]:
                self.boot()
            else:
                raise AssertionError("unknown mpremote command %r" % g)


def _tree(root):
    out = {}
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if x not in (".deploy", "data")]
        for n in names:
            p = os.path.join(d, n)
            with open(p) as f:
                out[os.path.relpath(p, root)] = f.read()
    return out


def _write(root, files):
    for rel, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)) or root, exist_ok=True)
        with open(os.path.join(root, rel), "w") as f:
            f.write(text)


def test_the_commands_put_the_dongle_in_maintenance_first_and_write_the_manifest_last():
    first, second = deploy.commands("/dev/x", "build", ["main.py", "firmware/app.mpy"])
    assert "/data/maintenance" in first[4] and first[-1] == "reset"
    cps = [i for i, a in enumerate(second) if a == "cp"]
    assert [second[i + 2] for i in cps] == [":/.deploy/main.py", ":/.deploy/firmware/app.mpy"]
    manifest = max(i for i, a in enumerate(second) if "MANIFEST" in a)
    assert manifest > max(cps) and second[-1] == "reset"


@pytest.mark.skipif(MICROPYTHON is None, reason="no micropython binary")
def test_a_deploy_cut_anywhere_leaves_a_whole_version(tmp_path):
    src = str(tmp_path / "build")
    _write(src, dict(FILES, **NEW))
    old = dict(FILES)
    new = dict(FILES, **NEW)
    total = None
    cut_at = 0
    while True:
        root = str(tmp_path / ("dongle%d" % cut_at))
        _write(root, FILES)
        d = FakeDongle(root, cut_at)
        try:
            deploy.copy("/dev/fake", src, sorted(NEW), run=d.run, wait=0)
            total = cut_at
        except Cut:
            pass
        if total is None:
            assert d.boots[:1] in ([], ["maint"])  # the first reset: maintenance, nothing started
        d.boot()  # the power comes back (or the deploy's own reset came)
        tree = _tree(root)
        assert tree in (old, new), "cut after %d steps: a mixed set %r" % (cut_at, tree)
        if total is not None:
            assert tree == new and d.boots == ["maint", "run", "run"]
            assert not os.path.exists(os.path.join(root, ".deploy", "MANIFEST"))
            assert not os.path.exists(os.path.join(root, "data", "maintenance"))
            break
        cut_at += 1
    assert total >= 2 + len(NEW) + 1  # maintenance, reset, cleanup, folders, each file, manifest, reset


@pytest.mark.skipif(MICROPYTHON is None, reason="no micropython binary")
def test_a_switch_cut_half_way_is_finished_at_the_next_boot(tmp_path):
    root = str(tmp_path / "dongle")
    _write(root, FILES)
    _write(os.path.join(root, ".deploy"), NEW)
    with open(os.path.join(root, ".deploy", "MANIFEST"), "w") as f:
        f.write("\n".join(sorted(NEW)) + "\n")
    os.makedirs(os.path.join(root, "firmware", "sub"))  # (deploy.py makes the folders while staging)
    first = sorted(NEW)[0]  # the power went after the first rename
    os.rename(os.path.join(root, ".deploy", first), os.path.join(root, first))
    d = FakeDongle(root, 0)
    d.boot()
    assert _tree(root) == dict(FILES, **NEW) and d.boots == ["run"]
    assert not os.path.exists(os.path.join(root, ".deploy", "MANIFEST"))


@pytest.mark.skipif(MICROPYTHON is None, reason="no micropython binary")
def test_a_deploy_over_an_update_boots_what_it_deployed(tmp_path):
    """A dongle running an update over the air (ota/a, firmware/versions.py): the deploy's
    MANIFEST also drops that choice, so the version deployed to / is the one that boots."""
    src = str(tmp_path / "build")
    _write(src, dict(FILES, **NEW))
    for cut_at in (4, 100):  # before the MANIFEST, and a whole deploy
        root = str(tmp_path / ("dongle%d" % cut_at))
        _write(root, dict(FILES, **{"ota/state.json": '{"run": "a", "prev": ""}', "ota/a/firmware/app.py": "V = 9\n"}))
        d = FakeDongle(root, cut_at)
        try:
            deploy.copy("/dev/fake", src, sorted(NEW), run=d.run, wait=0)
        except Cut:
            pass
        chosen = os.path.exists(os.path.join(root, "ota", "state.json"))
        assert chosen == (cut_at == 4), cut_at  # cut before: the update still runs, as before
        assert os.path.exists(os.path.join(root, "ota", "a", "firmware", "app.py"))  # (its files stay)

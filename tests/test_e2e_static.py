"""The web page as the dongle serves it: from the .mpy build (tools/build.py), gzip
to browsers that take it, plain to those that do not, cacheable, streamed from flash."""

import gzip
import os

import pytest

from harness import ROOT, Firmware

from conftest import built_for

built = built_for("x64")


@pytest.fixture
def fw(built, meter, tmp_path):
    f = Firmware(tmp_path, "tcp:127.0.0.1:%d" % meter.port, root=built)
    yield f
    f.stop()


def test_page_is_gzip_for_browsers_that_take_it(fw):
    with open(os.path.join(ROOT, "www", "index.html"), "rb") as f:
        page = f.read()
    r = fw.get("/", headers={"Accept-Encoding": "gzip, deflate"})
    assert r.status == 200 and r.headers["content-encoding"] == "gzip"
    assert r.headers["content-type"].startswith("text/html")
    assert "max-age" in r.headers["cache-control"]
    assert int(r.headers["content-length"]) == len(r.body) < len(page) / 2
    assert gzip.decompress(r.body) == page
    r = fw.get("/")
    assert "content-encoding" not in r.headers and r.body == page
    h = fw.get("/", method="HEAD", headers={"Accept-Encoding": "gzip"})
    assert h.body == b"" and h.headers["content-length"] == str(len(gzip.compress(page, 9, mtime=0)))
    assert fw.get("/api/v1/sm/actual").status == 503  # and the API still answers after it

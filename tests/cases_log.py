"""firmware/log.py under the MicroPython unix port: logging never raises, not
even when a message's format does not fit its arguments (tests/test_log.py)."""

from firmware import log


class _Unprintable:
    def __repr__(self):
        raise RuntimeError("no repr")


def _lines(call):
    """What `call()` prints through log.py, one string per print()."""
    out = []
    log.print = lambda *a: out.append(" ".join(str(x) for x in a))
    try:
        call()
    finally:
        log.print = print
    return out


def case_a_good_format_prints_one_formatted_line():
    out = _lines(lambda: log.warn("P1 source %s: %r", "tcp:x:1", b"\x00"))
    assert len(out) == 1 and out[0].endswith(" WARN P1 source tcp:x:1: b'\\x00'"), out


def case_a_format_that_does_not_fit_its_arguments_does_not_raise():
    for call in (
        lambda: log.warn("P1 source %s: %d", "tcp:x:1", "not a number"),  # TypeError
        lambda: log.error("two %s %s", 1),  # too few arguments: TypeError
        lambda: log.info("one %s", 1, 2),  # too many: TypeError
        lambda: log.warn("bad %y", 1),  # an unknown conversion: ValueError
        lambda: log.error("%r", _Unprintable()),  # an argument whose repr raises
    ):
        out = _lines(call)  # raising here fails the case
        assert len(out) == 1, out
        level, _, rest = out[0].partition(" ")
        assert level in ("INFO", "WARN", "ERROR"), out
        assert "%" in rest, out  # the format itself is shown, to find the call


def all_cases():
    return sorted(k for k in globals() if k.startswith("case_"))

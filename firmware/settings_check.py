"""Checks a setting's value against its row of the table.

Loaded by settings.py to read the settings and by settings_save.py to check
a change, and dropped after; the rows come from settings_table.py (a change
looks its rows up first and drops the table before it loads this). A string
is strings.py's to check (`value()`: a change loads that instead of this). A combination of
them is settings_budget.py's to check (loaded after this is dropped: a
change has only one of the two in the heap).
"""

def _convert(kind, raw):
    """A value of the setting's type from JSON or text; raises ValueError."""
    if kind == "b":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            return raw.lower() in ("1", "true", "yes", "on")
        if raw in (0, 1):
            return bool(raw)
        raise ValueError("must be true or false")
    if kind == "i":
        try:
            if isinstance(raw, bool) or not isinstance(raw, (int, str)):
                raise ValueError
            return int(raw)
        except ValueError:
            raise ValueError("must be a whole number")
    if not isinstance(raw, str):
        raise ValueError("must be a string")
    return raw


def check(row, raw):
    """The validated value for setting `row`, or ValueError saying what is wrong."""
    name, kind, _, lo, hi, flags = row
    if kind == "s":
        from .strings import value  # (dropped with this module: settings.py)

        return value(row, raw)
    try:
        v = _convert(kind, raw)
    except ValueError as e:
        raise ValueError("%s %s" % (name, e.args[0]))
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        if not int(lo) <= v <= int(hi):
            raise ValueError("%s must be %s..%s" % (name, lo, hi))
        if "G" in flags and (6 <= v <= 11 or v in (20, 24) or 28 <= v <= 31):
            raise ValueError("%s: GPIO %d cannot be used (6-11 hold the flash; 20, 24 and 28-31 do not exist)"
                             % (name, v))
    elif v not in lo.split(","):  # (a "c": one of a list)
        raise ValueError("%s must be one of %s" % (name, lo))
    return v

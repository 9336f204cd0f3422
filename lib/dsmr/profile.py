"""A profile line's entries, e.g. Belgian meters' monthly peaks (0-0:98.1.0), as byte offsets.

    0-0:98.1.0(n)(1-0:1.6.0)(1-0:1.6.0)(start)(peak time)(value*kW)...

holds n entries of three groups each: the start of the period the entry closes
(00:00 on the 1st of the month after the peak), when the peak was, and the
peak with its unit. `entries()` reads the raw line (the LOG field's value
span in the telegram buffer) and fills an int array, without allocating.
"""

ENTRY = 6  # per entry in `out`: start's (s, e), peak time's (s, e), value's (s, e) without the unit


def entries(buf, s, e, out):
    """Fills out[6 * i ...] for each entry of the profile in buf[s:e] (up to
    len(out) // 6 of them); returns how many, or -1 when the line is malformed
    (a count that does not match its groups, a group not closed)."""
    n = -1
    g = 0  # groups seen
    i = s
    cap = len(out) // ENTRY
    while i < e:
        if buf[i] != 0x28:  # '('
            i += 1
            continue
        j = i + 1
        while j < e and buf[j] != 0x29:
            j += 1
        if j >= e:
            return -1
        if g == 0:
            n = 0
            for k in range(i + 1, j):
                c = buf[k] - 0x30
                if c < 0 or c > 9:
                    return -1
                n = n * 10 + c
        elif g >= 3:
            k = (g - 3) // 3
            if k >= n:
                if n == 0 and g == 3 and j == i + 1:
                    g += 1  # `(0)(..)(..)()`: an empty profile with one empty group
                    i = j + 1
                    continue
                return -1
            if k < cap:
                part = (g - 3) % 3
                o = k * ENTRY + part * 2
                out[o] = i + 1
                v = j
                if part == 2:  # the value: up to its '*unit'
                    for q in range(i + 1, j):
                        if buf[q] == 0x2A:
                            v = q
                            break
                out[o + 1] = v
        g += 1
        i = j + 1
    if n < 0 or g != 3 + 3 * n and not (n == 0 and g == 4):
        return -1
    return n if n < cap else cap

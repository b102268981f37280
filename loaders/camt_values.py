"""Numba kernels for the values inside XML text: characters, stripped strings, amounts, dates.

They read spans of a document's raw bytes that :mod:`cashmatch.loaders.camt_scan`
has already checked (valid UTF-8, valid XML characters, well-formed entity
references), so they decode without re-validating. Each mirrors what the lxml
reader of :mod:`cashmatch.loaders.camt` does to ``element.text``:

* :func:`decode_text` is what libxml2 does: ``&amp;`` and the other four
  predefined entities, ``&#NN;`` and ``&#xNN;`` decoded, and line ends (``\\r\\n``
  and a lone ``\\r``) read as ``\\n``;
* :func:`put_stripped` then strips like Python's ``str.strip()`` (Unicode
  whitespace, not only ASCII), which is what ``_text`` does;
* :func:`parse_minor` and :func:`parse_date` accept exactly what ``_minor`` and
  ``_date`` accept, or answer "no" (the caller then leaves the file to the lxml
  reader, which words the error).

All kernels run with ``NUMBA_DISABLE_JIT=1`` too (the CI runs them that way).
"""

from __future__ import annotations

import numba as nb
import numpy as np

AMP, LT, GT, QUOT, APOS, HASH, SEMI, X_LOWER = 38, 60, 62, 34, 39, 35, 59, 120
CR, LF = 13, 10
# parse_minor answers this for anything it does not read as the lxml reader would.
NO_AMOUNT = -1
# parse_date answers this (date32 cannot be this low for years 1..9999).
NO_DATE = -(2**31)
# Amounts stay below 10**18 digits-wise, so sums of a few stay clear of int64 overflow.
_MAX_DIGITS = 18


@nb.njit(cache=True)
def is_space(cp: int) -> bool:
    """Whether ``str.isspace()`` holds for code point ``cp``.

    Below 0x20 only tab, LF and CR can occur in XML text (the others are not
    XML characters, not even as ``&#NN;``), but the set is Python's, whole.
    """
    if cp < 0x80:
        return cp == 32 or (9 <= cp <= 13) or (0x1C <= cp <= 0x1F)
    if cp < 0x1680:
        return cp == 0x85 or cp == 0xA0
    return (
        cp == 0x1680
        or (0x2000 <= cp <= 0x200A)
        or cp == 0x2028
        or cp == 0x2029
        or cp == 0x202F
        or cp == 0x205F
        or cp == 0x3000
    )


@nb.njit(cache=True)
def utf8_at(buf, i):
    """The code point starting at ``buf[i]`` (valid UTF-8) and its length in bytes."""
    c = np.int64(buf[i])
    if c < 0x80:
        return c, 1
    if c < 0xE0:
        return ((c & 0x1F) << 6) | (np.int64(buf[i + 1]) & 0x3F), 2
    if c < 0xF0:
        cp = ((c & 0x0F) << 12) | ((np.int64(buf[i + 1]) & 0x3F) << 6)
        return cp | (np.int64(buf[i + 2]) & 0x3F), 3
    cp = ((c & 0x07) << 18) | ((np.int64(buf[i + 1]) & 0x3F) << 12)
    cp |= (np.int64(buf[i + 2]) & 0x3F) << 6
    return cp | (np.int64(buf[i + 3]) & 0x3F), 4


@nb.njit(cache=True)
def put_utf8(cp, out, o):
    """Write code point ``cp`` as UTF-8 at ``out[o]``; return the position after it."""
    if cp < 0x80:
        out[o] = cp
        return o + 1
    if cp < 0x800:
        out[o] = 0xC0 | (cp >> 6)
        out[o + 1] = 0x80 | (cp & 0x3F)
        return o + 2
    if cp < 0x10000:
        out[o] = 0xE0 | (cp >> 12)
        out[o + 1] = 0x80 | ((cp >> 6) & 0x3F)
        out[o + 2] = 0x80 | (cp & 0x3F)
        return o + 3
    out[o] = 0xF0 | (cp >> 18)
    out[o + 1] = 0x80 | ((cp >> 12) & 0x3F)
    out[o + 2] = 0x80 | ((cp >> 6) & 0x3F)
    out[o + 3] = 0x80 | (cp & 0x3F)
    return o + 4


@nb.njit(cache=True)
def entity_at(buf, i):
    """The code point of the (checked) reference starting with ``&`` at ``buf[i]``, and its length.

    Example: ``&amp;`` is (38, 5), ``&#x41;`` is (65, 6).
    """
    c = buf[i + 1]
    if c == HASH:
        j = i + 2
        cp = 0
        if buf[j] == X_LOWER:
            j += 1
            while buf[j] != SEMI:
                d = np.int64(buf[j])
                if d <= 57:
                    d -= 48
                elif d <= 70:
                    d -= 55
                else:
                    d -= 87
                cp = cp * 16 + d
                j += 1
        else:
            while buf[j] != SEMI:
                cp = cp * 10 + (np.int64(buf[j]) - 48)
                j += 1
        return cp, j + 1 - i
    if c == 97:  # amp; or apos;
        if buf[i + 2] == 109:
            return 38, 5
        return 39, 6
    if c == 108:  # lt;
        return 60, 4
    if c == 103:  # gt;
        return 62, 4
    return 34, 6  # quot;


@nb.njit(cache=True)
def decode_text(buf, start, end, out, o):
    """Copy ``buf[start:end]`` to ``out[o:]`` as libxml2 reads it; return the end in ``out``."""
    i = start
    while i < end:
        c = buf[i]
        if c == AMP:
            cp, n = entity_at(buf, i)
            o = put_utf8(cp, out, o)
            i += n
        elif c == CR:
            out[o] = LF
            o += 1
            i += 2 if i + 1 < end and buf[i + 1] == LF else 1
        else:
            out[o] = c
            o += 1
            i += 1
    return o


@nb.njit(cache=True)
def _last_start(out, lo, hi):
    """Start of the last UTF-8 character in ``out[lo:hi]`` (hi > lo)."""
    k = hi - 1
    while k > lo and (out[k] & 0xC0) == 0x80:
        k -= 1
    return k


@nb.njit(cache=True)
def put_stripped(buf, start, end, out, o):
    """Decode ``buf[start:end]`` into ``out[o:]`` and strip it like ``str.strip()``.

    Returns the end of the stripped text in ``out``; equal to ``o`` when the
    text is blank (``_text`` gives None then).
    """
    e = decode_text(buf, start, end, out, o)
    s = o
    while s < e:
        cp, n = utf8_at(out, s)
        if not is_space(cp):
            break
        s += n
    while e > s:
        k = _last_start(out, s, e)
        cp, _ = utf8_at(out, k)
        if not is_space(cp):
            break
        e = k
    if s > o:
        for k in range(s, e):
            out[o + k - s] = out[k]
    return o + (e - s)


@nb.njit(cache=True)
def is_blank(buf, start, end):
    """Whether the text of ``buf[start:end]`` is empty or whitespace once decoded."""
    i = start
    while i < end:
        c = buf[i]
        if c == AMP:
            cp, n = entity_at(buf, i)
        elif c >= 0x80:
            cp, n = utf8_at(buf, i)
        else:
            cp, n = np.int64(c), 1
        if not is_space(cp):
            return False
        i += n
    return True


@nb.njit(cache=True)
def _is_ws(c):
    # Python's re \s with re.ASCII; \f and \v cannot occur in XML text.
    return c == 32 or c == 9 or c == 10 or c == 13


@nb.njit(cache=True)
def parse_minor(buf, start, end, exponent):
    """An ISO 20022 amount in minor units, as ``camt._minor`` reads it; NO_AMOUNT when not.

    Accepts optional whitespace, 1 to 18 digits, an optional ``.`` with digits,
    optional whitespace; digits past the currency's exponent must be zeros.
    Answers NO_AMOUNT also for valid amounts it leaves to the lxml reader: text
    with entity references, and amounts written with more than 18 digits once
    the currency's decimals are counted (int64 arithmetic would need care).
    """
    i = start
    while i < end and _is_ws(buf[i]):
        i += 1
    whole = np.int64(0)
    digits = 0
    while i < end and 48 <= buf[i] <= 57:
        whole = whole * 10 + (np.int64(buf[i]) - 48)
        digits += 1
        i += 1
        if digits > _MAX_DIGITS:
            return NO_AMOUNT
    if digits == 0 or digits + exponent > _MAX_DIGITS:
        return NO_AMOUNT
    value = whole
    for _ in range(exponent):
        value *= 10
    if i < end and buf[i] == 46:  # "."
        i += 1
        place = 0
        while i < end and 48 <= buf[i] <= 57:
            d = np.int64(buf[i]) - 48
            if place < exponent:
                scale = np.int64(1)
                for _ in range(exponent - place - 1):
                    scale *= 10
                value += d * scale
            elif d != 0:
                return NO_AMOUNT  # more decimals than the currency has
            place += 1
            i += 1
    while i < end and _is_ws(buf[i]):
        i += 1
    if i != end:
        return NO_AMOUNT
    return value


@nb.njit(cache=True)
def _days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = m + 9 if m <= 2 else m - 3
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@nb.njit(cache=True)
def _digits(buf, i, n):
    value = 0
    for k in range(i, i + n):
        c = buf[k]
        if c < 48 or c > 57:
            return -1
        value = value * 10 + (c - 48)
    return value


@nb.njit(cache=True)
def parse_date(buf, start, end):
    """Days since the epoch of the ``YYYY-MM-DD`` that starts the text, as ``camt._date``.

    Leading whitespace is skipped and anything after the date is ignored (a
    ``DtTm`` reads as its date). NO_DATE when the text does not start with a
    valid date, or has an entity reference before the date ends.
    """
    i = start
    while i < end and _is_ws(buf[i]):
        i += 1
    if end - i < 10 or buf[i + 4] != 45 or buf[i + 7] != 45:
        return NO_DATE
    y = _digits(buf, i, 4)
    m = _digits(buf, i + 5, 2)
    d = _digits(buf, i + 8, 2)
    if y < 1 or m < 1 or m > 12 or d < 1:
        return NO_DATE
    if m == 2:
        leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
        days = 29 if leap else 28
    elif m == 4 or m == 6 or m == 9 or m == 11:
        days = 30
    else:
        days = 31
    if d > days:
        return NO_DATE
    return _days_from_civil(y, m, d)

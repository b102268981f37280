"""The camt fast path's numba kernels against plain Python references.

They run compiled here and interpreted in the CI's NUMBA_DISABLE_JIT=1 run.
"""

from __future__ import annotations

import datetime as dt
import re
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashmatch.engine.money import CURRENCY_EXPONENTS
from cashmatch.loaders import camt, camt_values
from cashmatch.loaders.camt_scan import _reference_len, _utf8_len

_REFERENCE = re.compile(rb"&(?:amp|lt|gt|quot|apos|#[0-9]{1,6}|#x[0-9a-fA-F]{1,6});")
_NAMED = {b"amp": "&", b"lt": "<", b"gt": ">", b"quot": '"', b"apos": "'"}


def _xml_char(cp: int) -> bool:
    return cp in (9, 10, 13) or 0x20 <= cp <= 0xD7FF or 0xE000 <= cp <= 0xFFFD or cp >= 0x10000


def reference_text(raw: bytes) -> str | None:
    """What lxml's ``.text`` and the reader's ``_text`` make of checked text bytes."""
    text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")

    def one(match: re.Match) -> str:
        body = match.group(0)[1:-1]
        if body.startswith(b"#x"):
            return chr(int(body[2:], 16))
        if body.startswith(b"#"):
            return chr(int(body[1:]))
        return _NAMED[body]

    parts = _REFERENCE.split(text)
    refs = [one(m) for m in _REFERENCE.finditer(text)]
    decoded = parts[0].decode()
    for ref, part in zip(refs, parts[1:]):
        decoded += ref + part.decode()
    return decoded.strip() or None


def as_buf(raw: bytes) -> np.ndarray:
    buf = np.frombuffer(raw, np.uint8)
    return buf.astype(np.int64) if camt_values.nb.config.DISABLE_JIT else buf


_TEXT_PIECES = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="&<\r"), max_size=6),
    st.sampled_from(
        ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#160;", "&#x20;", "&#32;", "&#13;",
         "&#x1F600;", "\r\n", "\r", " ", "\u00a0", "\u2003", "\u3000", "\u0085", "\t\n"]
    ),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT_PIECES, max_size=8))
def test_put_stripped_and_is_blank_match_lxml_text_stripped(pieces):
    raw = "".join(pieces).encode()
    expected = reference_text(raw)
    buf = as_buf(raw)
    out = np.zeros(len(raw) + 1, np.uint8)
    end = camt_values.put_stripped(buf, 0, len(raw), out, 0)
    assert (out[:end].tobytes().decode() or None) == expected
    assert camt_values.is_blank(buf, 0, len(raw)) == (expected is None)


def test_is_space_is_str_isspace():
    for cp in [*range(0x3100), *range(0xFFF0, 0x10010), sys.maxunicode]:
        assert camt_values.is_space(cp) == chr(cp).isspace(), hex(cp)


_AMOUNTS = st.one_of(
    st.from_regex(r"\A[ \t\n]*[0-9]{0,20}(\.[0-9]{0,6})?[ \t\n]*\Z"),
    st.text(alphabet="0123456789.,- e&;#x", max_size=12),
)


@settings(max_examples=500, deadline=None)
@given(_AMOUNTS, st.sampled_from(sorted(CURRENCY_EXPONENTS)))
def test_parse_minor_accepts_what_minor_accepts(text, currency):
    raw = text.encode()
    got = camt_values.parse_minor(as_buf(raw), 0, len(raw), CURRENCY_EXPONENTS[currency])
    try:
        expected = camt._minor(text, currency)
    except ValueError:
        expected = None
    if got == camt_values.NO_AMOUNT:
        # Declining is allowed only where the reader rejects it, or for amounts written
        # with more than 18 digits counting the currency's decimals (int64 care).
        whole = re.match(r"\s*(\d*)", text).group(1)
        assert expected is None or len(whole) + CURRENCY_EXPONENTS[currency] > 18
    else:
        assert got == expected


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"\A[ \n]*[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:+]{0,14})?\Z"),
        st.text(alphabet="0123456789-T: x", max_size=14),
        st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"),
    )
)
def test_parse_date_is_the_readers(text):
    raw = text.encode()
    got = camt_values.parse_date(as_buf(raw), 0, len(raw))
    match = camt._DATE.match(text)
    try:
        expected = dt.date(*map(int, match.groups())) if match else None
    except ValueError:
        expected = None
    if expected is None:
        assert got == camt_values.NO_DATE
    else:
        assert dt.date(1970, 1, 1) + dt.timedelta(days=int(got)) == expected


@settings(max_examples=500, deadline=None)
@given(st.binary(min_size=1, max_size=5))
def test_utf8_check_is_strict_utf8_of_xml_characters(raw):
    raw = b"\xc3" + raw if raw[0] < 0x80 else raw
    length = _utf8_len(as_buf(raw), 0, len(raw))
    for size in range(min(4, len(raw)), 0, -1):
        try:
            char = raw[:size].decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(char) == 1:
            assert length == (size if _xml_char(ord(char)) else 0), raw
            return
    assert length == 0, raw


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("&amp;", 5), ("&lt;", 4), ("&gt;", 4), ("&quot;", 6), ("&apos;", 6), ("&#65;", 5),
        ("&#x41;", 6), ("&#x10FFFF;", 10), ("&#9;", 4), ("&#0;", 0), ("&#8;", 0),
        ("&#xD800;", 0), ("&#xFFFE;", 0), ("&#X41;", 0), ("&nbsp;", 0), ("&amp", 0),
        ("&#;", 0), ("&#x;", 0), ("&", 0), ("&ampx;", 0), ("&#1234567;", 0),
    ],
)  # fmt: skip
def test_reference_len(text, length):
    raw = text.encode() + b"tail"
    assert _reference_len(as_buf(raw), 0, len(raw)) == length


def test_special_names_are_four_or_six_letters():
    """The scanner skips the name lookup below unread elements for other lengths."""
    from cashmatch.loaders.camt_paths import SPECIAL

    assert all(len(name) in (4, 6) for name in SPECIAL)

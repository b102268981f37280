"""Numbers that restart every year, quoted by their sequence and year.

Many ERPs number invoices per year (INV-2024-000117, 2024-00117, A-24-00117,
FA2400117), so 2024's and 2025's number 117 can both be open. Payers quote
them as "117/2025", "117/25", "25-117", "2025/117", "N° 117 du 03/01/2025",
"Rechnung 117 vom 03.01.2025": the sequence and a year, in no form the
invoice number's keys meet. Both sides are reduced to one key, ``"2025#117"``:

- :func:`invoice_keys` reads the year and sequence of invoice numbers that
  have them (a separated year 2000-2039, in four digits or two, or letters
  glued to two year digits and five of sequence), vectorised with Arrow;
- :func:`text_keys` reads the first sequence-and-year quote of each payment
  text, with one RE2 pattern for a whole batch.

A quote of the sequence alone ("117") is not read: any number in a text would
be one, and only the amount could tell them apart. A PO number written as a
year and a number ("BDC 2024/311") is read as one too: the amount decides.

Example:
    >>> numbers = pa.array(["INV-2025-000117", "A-24-00117", "FA2400117", "RE-5120"])
    >>> invoice_keys(numbers).to_pylist()
    ['2025#117', '2024#117', '2024#117', None]
    >>> text_keys(pa.array(["117/25", "N° 117 du 03/01/2025", "12/05/2024", None]))
    (['2025#117', '2025#117'], [0, 1])
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Years a sequence may belong to: 2000-2039, as four digits or two.
_Y4 = r"20[0-3][0-9]"
_Y2 = r"[0-3][0-9]"
_SEQ = r"[0-9]{3,7}"
# Invoice numbers, upper case: (year, sequence) in three shapes.
_INVOICE_SHAPES = (
    # INV-2024-000117, 2024-00117, A-24-00117
    rf"^(?:[A-Z]{{1,5}}[-/ .]?)?(?P<year>{_Y4}|{_Y2})[-/ .](?P<seq>{_SEQ})$",
    # FA2400117
    rf"^[A-Z]{{1,5}}(?P<year>{_Y2})(?P<seq>[0-9]{{5}})$",
)
# Quotes in payment texts, upper case, one RE2 pattern for all three shapes
# (RE2 has no look-around: the characters around a quote are matched instead).
_BEFORE = r"(?:^|[^0-9A-Z/.-])"
_AFTER = r"(?:$|[^0-9/.-])"
_DATE_WORD = r"(?:DU|VOM|V\.|OF|DATED|DATE|DEL|VAN|ОТ|DD\.?)"
_QUOTE = "|".join(
    [
        # 117/2025, 117/25
        rf"{_BEFORE}(?P<s1>{_SEQ})\s*/\s*(?P<y1>{_Y4}|{_Y2}){_AFTER}",
        # 117 du 03/01/2025, 117 vom 03.01.2025
        rf"{_BEFORE}(?P<s3>{_SEQ})\s+{_DATE_WORD}?\s*[0-9]{{1,2}}[./-][0-9]{{1,2}}[./-]"
        rf"(?P<y3>{_Y4}|{_Y2}){_AFTER}",
        # 2025/117, 25-117
        rf"{_BEFORE}(?P<y2>{_Y4}|{_Y2})\s*[-/]\s*(?P<s2>{_SEQ}){_AFTER}",
    ]
)
_QUOTE_RE = re.compile(_QUOTE)
# Up to this many texts are read in Python rather than by Arrow.
_FEW_TEXTS = 32


def _key(year: str, seq: str) -> str:
    return f"{'20' + year if len(year) == 2 else year}#{int(seq)}"


def invoice_keys(numbers: pa.Array) -> pa.Array:
    """Per invoice number, ``"YYYY#sequence"`` when it has a year and a sequence, else null."""
    upper = pc.utf8_upper(pc.fill_null(numbers.cast(pa.string()), ""))
    keys = pa.nulls(len(upper), pa.string())
    for shape in _INVOICE_SHAPES:
        parts = pc.extract_regex(upper, shape)
        valid = pc.is_valid(parts)
        year = pc.struct_field(parts, "year")
        year = pc.if_else(
            pc.equal(pc.utf8_length(year), 2), pc.binary_join_element_wise("20", year, ""), year
        )
        seq = pc.utf8_ltrim(pc.struct_field(parts, "seq"), characters="0")
        found = pc.binary_join_element_wise(year, seq, "#")
        keys = pc.if_else(pc.and_(pc.is_null(keys), pc.fill_null(valid, False)), found, keys)
    return keys


def text_keys(texts: pa.Array | pa.ChunkedArray) -> tuple[list[str], list[int]]:
    """The first ``"YYYY#sequence"`` quote of each text that has one, with the text's position."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    keys: list[str] = []
    owner: list[int] = []
    if len(texts) <= _FEW_TEXTS:
        for k, text in enumerate(texts.to_pylist()):
            m = _QUOTE_RE.search((text or "").upper())
            if m:
                groups = m.groupdict()
                year = groups["y1"] or groups["y3"] or groups["y2"]
                keys.append(_key(year, groups["s1"] or groups["s3"] or groups["s2"]))
                owner.append(k)
        return keys, owner
    upper = pc.utf8_upper(pc.fill_null(texts.cast(pa.string()), ""))
    parts = pc.extract_regex(upper, _QUOTE)
    found = np.flatnonzero(pc.is_valid(parts).to_numpy(zero_copy_only=False))
    if not len(found):
        return keys, owner
    parts = parts.take(pa.array(found))
    # Unmatched alternatives come back empty: the first non-empty of each wins.
    field = {
        name: pc.struct_field(parts, name).to_pylist()
        for name in ("s1", "y1", "s2", "y2", "s3", "y3")
    }
    for j, k in enumerate(found.tolist()):
        year = field["y1"][j] or field["y3"][j] or field["y2"][j]
        keys.append(_key(year, field["s1"][j] or field["s3"][j] or field["s2"][j]))
        owner.append(k)
    return keys, owner

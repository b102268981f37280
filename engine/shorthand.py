"""Invoice numbers a payer wrote in shorthand, as a range or glued together, written out.

Payers paying a run of consecutive invoices rarely write every number:

- suffix lists: "R-2024-118/119/120", "R2024118/19/20", "RE-19802, 03, 04";
- ranges, in the payer's language: "5530-5533", "5530 to 5533", "5530 bis 5533",
  "5530 à 5533", "RE-16144 al RE-16146";
- numbers glued without a separator: "RE8812RE8813";
- a number with spaces for separators before a slash list: "A 24 117/A-24-00120".

:func:`expand_shorthand` writes out the numbers such a text means, as extra
candidate references (looked up like any other). It is careful: a suffix must
continue the run (each number above the one before, by at most
:data:`MAX_STEP`), a range must go up and span at most :data:`MAX_RANGE`
numbers, so dates ("12/05/2024"), year-and-sequence numbers ("2024-00117")
and PO numbers ("2024/311") are not read as runs.

Only the texts a vectorised pattern flags (a few percent of a batch) go
through the Python patterns: measured, that keeps a batch of 100k payments
within a few tens of milliseconds.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# A suffix continues a run: above the number before it, by at most this much.
MAX_STEP = 50
# A range spans at most this many numbers.
MAX_RANGE = 30

_RANGE_WORDS = r"(?:-|–|TO|THRU|THROUGH|TILL|UNTIL|BIS|À|A|AU|AL|T/M|TOT|ПО|DO)"
# Per kind of shorthand, an RE2 (Arrow) pattern flagging the texts worth its
# Python pattern below.
_SUFFIX_FLAG = r"[0-9]{3,}(?:\s*[/,]\s*[0-9]{1,4})+(?:[^0-9/]|$)"
_RANGE_FLAG = "|".join(
    [
        r"[0-9]{2,}\s+" + _RANGE_WORDS + r"\s+[A-Z-]*[0-9]{2,}",
        # "5530-5533": the right side no longer than the left (not "2024-00117").
        r"(?:^|[^0-9-])(?:[0-9]{3}-[0-9]{1,3}|[0-9]{4}-[0-9]{1,4}|[0-9]{5}-[0-9]{1,5}"
        r"|[0-9]{6}-[0-9]{1,6}|[0-9]{7}-[0-9]{1,7})(?:[^0-9-]|$)",
        r"[0-9]{3,}\s+[-–]\s+[A-Z]*[-]?[0-9]",
    ]
)
_GLUED_FLAG = r"[A-Z]{1,4}[0-9]{4,}[A-Z]{1,4}[0-9]{4,}"
_SPACED_FLAG = r"(?:^|\s)[A-Z]{0,4}\s*[0-9]{2,4}\s+[0-9]{1,8}/[A-Z0-9]"
# Up to this many texts are flagged in Python rather than by Arrow.
_FEW_TEXTS = 32
_NUMBER = r"[A-Z]{0,5}[-./ ]?(?:[0-9]{2,4}[-./ ])?[0-9]{2,}"
_SUFFIX_LIST = re.compile(r"(?<![0-9A-Z])(" + _NUMBER + r")((?:\s*[/,]\s*[0-9]{1,4}(?![0-9]))+)")
_RANGE = re.compile(
    r"(?<![0-9A-Z])("
    + _NUMBER
    + r")\s*"
    + _RANGE_WORDS
    + r"\s*([A-Z]{0,5}[-./ ]?(?:[0-9]{2,4}[-./ ])?[0-9]{1,})(?![0-9])"
)
_GLUED = re.compile(r"(?<![A-Z0-9])([A-Z]{1,4})([0-9]{4,})((?:\1[0-9]{4,})+)(?![A-Z0-9])")
_SPACED = re.compile(r"(?<![A-Z0-9])([A-Z]{0,4})\s*([0-9]{2,4})\s+([0-9]{1,8})/(?=[A-Z0-9])")
_TAIL = re.compile(r"[0-9]+$")
# Dates are never shorthand ("2024-05-29" is no range of 05 to 29): blanked first.
_DAY, _MONTH = r"(?:0?[1-9]|[12][0-9]|3[01])", r"(?:0?[1-9]|1[0-2])"
_DATE = re.compile(
    rf"(?<![0-9/.-])(?:[0-9]{{4}}-{_MONTH}-{_DAY}|{_DAY}[./-]{_MONTH}[./-](?:[0-9]{{4}}|[0-9]{{2}})"
    rf"|{_MONTH}/{_DAY}/[0-9]{{4}})(?![0-9/.-])"
)


def _with_tail(number: str, value: int, width: int) -> str:
    """``number`` with its trailing digits replaced by ``value``, zero-padded to ``width``."""
    return number[: len(number) - width] + f"{value:0{width}d}"


def _suffix_run(base: str, suffixes: list[str]) -> list[str]:
    """The numbers "base/s1/s2..." means, or none if the suffixes do not continue a run.

    Example:
        >>> _suffix_run("INV-2024-007778", ["79", "80"]), _suffix_run("R-2024-118", ["119", "120"])
        (['INV-2024-007779', 'INV-2024-007780'], ['R-2024-119', 'R-2024-120'])
        >>> _suffix_run("2024", ["311"]), _suffix_run("7121", ["24"])
        ([], [])
    """
    tail = _TAIL.search(base)
    if not tail:
        return []
    width = len(tail.group(0))
    previous = int(tail.group(0))
    if len(suffixes) == 1 and sum(ch.isdigit() for ch in base) <= 5:
        return []  # "7121/24", "117/25": a sequence and its year as much as a run
    out = []
    for suffix in suffixes:
        if len(suffix) > width:
            return []
        step = 10 ** len(suffix)
        value = previous - previous % step + int(suffix)
        if value <= previous:
            value += step  # 98/02: the next hundred
        if not 0 < value - previous <= MAX_STEP:
            return []
        out.append(_with_tail(base, value, width))
        previous = value
    return out


def _range(first: str, last: str) -> list[str]:
    """The numbers from ``first`` to ``last`` (a full number or its last digits).

    Example:
        >>> _range("5530", "5533"), _range("RE-16144", "RE-16146"), _range("2024", "00117")
        (['5530', '5531', '5532', '5533'], ['RE-16144', 'RE-16145', 'RE-16146'], [])
    """
    head = _TAIL.search(first)
    end = _TAIL.search(last)
    if not head or not end:
        return []
    width, start = len(head.group(0)), int(head.group(0))
    digits = end.group(0)
    if len(digits) < width and last == digits:
        step = 10 ** len(digits)
        stop = start - start % step + int(digits)
        if stop <= start:
            stop += step
    elif last[: end.start()] in ("", first[: head.start()]) and len(digits) <= width + 1:
        stop = int(digits)
    else:
        return []
    if not 0 < stop - start < MAX_RANGE:
        return []
    return [_with_tail(first, value, width) for value in range(start, stop + 1)]


def _suffixes(text: str) -> list[str]:
    out: list[str] = []
    for m in _SUFFIX_LIST.finditer(_DATE.sub(" ", text)):
        out += _suffix_run(m.group(1).replace(" ", "-"), re.findall(r"[0-9]+", m.group(2)))
    return out


def _ranges(text: str) -> list[str]:
    out: list[str] = []
    for m in _RANGE.finditer(_DATE.sub(" ", text)):
        out += _range(m.group(1).replace(" ", "-"), m.group(2).replace(" ", "-"))
    return out


def _glued(text: str) -> list[str]:
    out: list[str] = []
    for m in _GLUED.finditer(text):
        prefix = m.group(1)
        out += [prefix + m.group(2)] + [prefix + d for d in m.group(3).split(prefix) if d]
    return out


def _spaced(text: str) -> list[str]:
    return [m.group(1) + m.group(2) + m.group(3) for m in _SPACED.finditer(text)]


_KINDS = (
    (_SUFFIX_FLAG, re.compile(_SUFFIX_FLAG), _suffixes),
    (_RANGE_FLAG, re.compile(_RANGE_FLAG), _ranges),
    (_GLUED_FLAG, re.compile(_GLUED_FLAG), _glued),
    (_SPACED_FLAG, re.compile(_SPACED_FLAG), _spaced),
)
_ANY_FLAG = "|".join(f"(?:{pattern})" for pattern, _, _ in _KINDS)


def expand_shorthand(texts: pa.Array | pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """The invoice numbers the texts write in shorthand, as ranges or glued, written out.

    Returns:
        (candidates, owner): ``owner[k]`` is the position of the text ``candidates[k]``
        came from. A range's ends come too (a payer may write it as one token).

    Example:
        >>> texts = pa.array(["R-2024-118/119/120", "5530 bis 5533", None, "RE8812RE8813", "x"])
        >>> cands, owner = expand_shorthand(texts)
        >>> cands
        ['R-2024-119', 'R-2024-120', '5530', '5531', '5532', '5533', 'RE8812', 'RE8813']
        >>> owner.tolist()
        [0, 0, 1, 1, 1, 1, 3, 3]
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    found: dict[int, list[str]] = {}
    if len(texts) <= _FEW_TEXTS:
        # A payment or a few: Python's patterns beat Arrow kernels' fixed cost.
        upper = [(t or "").upper() for t in texts.to_pylist()]
        for _, flag, expand in _KINDS:
            for k, text in enumerate(upper):
                if flag.search(text):
                    found.setdefault(k, []).extend(expand(text))
    else:
        upper = pc.utf8_upper(pc.fill_null(texts.cast(pa.string()), ""))
        # One pass for any kind, then each kind over the few texts flagged.
        flagged = np.flatnonzero(
            pc.match_substring_regex(upper, _ANY_FLAG).to_numpy(zero_copy_only=False)
        )
        subset = upper.take(pa.array(flagged, pa.int64()))
        for pattern, _, expand in _KINDS:
            mask = pc.match_substring_regex(subset, pattern).to_numpy(zero_copy_only=False)
            for j in np.flatnonzero(mask).tolist():
                found.setdefault(int(flagged[j]), []).extend(expand(subset[j].as_py()))
    candidates: list[str] = []
    owner: list[int] = []
    for k in sorted(found):
        candidates += found[k]
        owner += [k] * len(found[k])
    return candidates, np.array(owner, np.int64)

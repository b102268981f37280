"""Text normalisation shared by both sides of every comparison.

Invoice numbers and the tokens found in payment texts go through the same
functions, so that what the payer wrote and what the ERP printed meet on the
same key however the payer mangled separators, prefixes, zeros or letters.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.keys_kernel import reference_keys_fast


def reference_keys(raw: pa.Array) -> dict[str, pa.Array]:
    """The keys under which a reference (invoice number or payment token) is looked up.

    One numba pass over the UTF-8 bytes (:mod:`cashmatch.engine.keys_kernel`);
    tests/naive.py holds its plain twin, written with pyarrow's regular expressions.

    Returns:
        ``alnum``: upper-cased letters and digits only ("INV-2024-000123" → "INV2024000123").
        ``folded``: ``alnum`` with OCR-confusable letters folded onto digits
            (:data:`~cashmatch.engine.keys_kernel.OCR_FOLDS`), where they stand
            between two digits.
        ``digits``: the digits of ``folded``, leading zeros dropped ("2024000123"),
            which survives a dropped prefix or changed separators.
        ``groups``: each digit group stripped of its leading zeros, then joined
            ("2024123"), which survives zeros dropped inside the number.

    Example:
        >>> keys = reference_keys(pa.array(["INV-2024-000123", "inv 2O24/123"]))
        >>> keys["folded"].to_pylist(), keys["digits"].to_pylist(), keys["groups"].to_pylist()
        (['INV2024000123', 'INV2024123'], ['2024000123', '2024123'], ['2024123', '2024123'])
    """
    return reference_keys_fast(raw)


# Legal forms, dropped from company names: banks drop them, ERPs keep them.
LEGAL_FORMS = frozenset(
    [
        "AB",
        "AG",
        "AS",
        "ASA",
        "BV",
        "BVBA",
        "CO",
        "CORP",
        "CORPORATION",
        "GMBH",
        "GBR",
        "INC",
        "INCORPORATED",
        "KG",
        "KGAA",
        "LC",
        "LLC",
        "LLP",
        "LP",
        "LTD",
        "LIMITED",
        "NV",
        "OHG",
        "OY",
        "OYJ",
        "PLC",
        "PTY",
        "SA",
        "SAS",
        "SASU",
        "SARL",
        "SE",
        "SL",
        "SNC",
        "SPA",
        "SRL",
        "SRO",
        "UG",
    ]
)

# Words banks abbreviate when they cut names to fit a field; both sides are
# mapped to the short form.
ABBREVIATIONS = {
    "INTERNATIONAL": "INTL",
    "INDUSTRIES": "IND",
    "INDUSTRIAL": "IND",
    "MANUFACTURING": "MFG",
    "COMPANY": "CO",
    "SERVICES": "SVCS",
    "SERVICE": "SVC",
    "TECHNOLOGIES": "TECH",
    "TECHNOLOGY": "TECH",
    "SYSTEMS": "SYS",
    "BROTHERS": "BROS",
    "ASSOCIATES": "ASSOC",
    "SOLUTIONS": "SOL",
    "DISTRIBUTION": "DIST",
    "DISTRIBUTORS": "DIST",
    "ENGINEERING": "ENG",
    "MANAGEMENT": "MGMT",
    "ENTERPRISES": "ENT",
    "PRODUCTS": "PROD",
    "HOLDINGS": "HLDGS",
    "GROUP": "GRP",
    "LABORATORIES": "LABS",
    "DEPARTMENT": "DEPT",
    "AND": "",
    "THE": "",
    "ET": "",
    "UND": "",
}

_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


# The same names come back with every batch and every index rebuild (a
# customer's payments, the master's names): each is normalised once.
@functools.lru_cache(maxsize=1 << 18)
def normalize_name(name: str | None, abbreviate: bool = True) -> str:
    """Normalise a company name the way a bank statement would print it, minus the noise.

    Accents are removed, case folded, punctuation dropped, common words
    abbreviated and legal forms dropped, so that "Müller & Söhne GmbH" and
    "MULLER SOHNE" meet. With ``abbreviate=False`` long words are kept whole,
    for comparing with a name the bank cut in the middle of a word.

    Example:
        >>> normalize_name("Müller & Söhne GmbH"), normalize_name("ACME INTERNATIONAL, INC.")
        ('MULLER SOHNE', 'ACME INTL')
    """
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    words = _NON_ALNUM.sub(" ", text.replace("&", " AND ")).split()
    words = [
        ABBREVIATIONS.get(w, w) if abbreviate or not ABBREVIATIONS.get(w) else w for w in words
    ]
    kept = [w for w in words if w and w not in LEGAL_FORMS]
    return " ".join(kept or [w for w in words if w])


# normalize_names' tables, as Arrow arrays.
_ABBREVIATED = pa.array(list(ABBREVIATIONS), pa.string())
_ABBREVIATION = pa.array(list(ABBREVIATIONS.values()), pa.string())
# Unabbreviated, only the words abbreviated to nothing ("AND", "THE") go.
_DROPPED = pa.array([v if v == "" else None for v in ABBREVIATIONS.values()], pa.string())
_LEGAL = pa.array(sorted(LEGAL_FORMS), pa.string())


def normalize_names(names: pa.Array, abbreviate: bool = True) -> pa.Array:
    """:func:`normalize_name` of each name, vectorised ("" for null).

    ASCII names (NFKD and the ASCII encoding leave them as they are) go
    through Arrow word by word, the same steps as :func:`normalize_name`;
    the others through :func:`normalize_name` itself.

    Example:
        >>> names = pa.array(["Müller & Söhne GmbH", "ACME INTERNATIONAL, INC.", None])
        >>> normalize_names(names).to_pylist()
        ['MULLER SOHNE', 'ACME INTL', '']
    """
    names = pc.fill_null(names.cast(pa.string()), "")
    n = len(names)
    text = pc.replace_substring(pc.ascii_upper(names), "&", " AND ")
    # The words: maximal runs of letters and digits, as split() finds them once
    # everything else is a space.
    lists = pc.split_pattern_regex(text, "[^A-Z0-9]+")
    words = pc.list_flatten(lists)
    owner = pc.list_parent_indices(lists).to_numpy()
    at = pc.index_in(words, value_set=_ABBREVIATED)
    words = pc.coalesce(pc.take(_ABBREVIATION if abbreviate else _DROPPED, at), words)
    present = pc.not_equal(words, "").to_numpy(zero_copy_only=False)
    plain = present & ~pc.is_in(words, value_set=_LEGAL).to_numpy(zero_copy_only=False)
    # Legal forms go, unless nothing else is left.
    has_plain = np.bincount(owner[plain], minlength=n) > 0
    keep = plain | (present & ~has_plain[owner])
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(owner[keep], minlength=n), out=offsets[1:])
    joined = pc.binary_join(
        pa.ListArray.from_arrays(pa.array(offsets), pc.filter(words, pa.array(keep))), " "
    )
    others = np.flatnonzero(~pc.string_is_ascii(names).to_numpy(zero_copy_only=False))
    if not len(others):
        return joined
    values = joined.to_numpy(zero_copy_only=False).astype(object)
    values[others] = [normalize_name(names[int(k)].as_py(), abbreviate) for k in others]
    return pa.array(values, pa.string())


def normalize_account(account: str | None) -> str:
    """Normalise an IBAN or account number: upper case, letters and digits only."""
    if not account:
        return ""
    return _NON_ALNUM.sub("", account.upper())

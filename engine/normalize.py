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
from anyascii import anyascii

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
# Legal forms of names written in other scripts, as their transliterations
# read (ООО, ЕООД, ТОВ; Α.Ε., Ε.Π.Ε.; 株式会社 as KK or Kabushiki Kaisha; 有限公司
# in pinyin; Danish ApS). Dropped like the others, but never taken for a form
# the bank cut short: their prefixes ("O", "YOU", "GO") are ordinary words.
TRANSLITERATED_LEGAL_FORMS = frozenset(
    ["OOO", "OAO", "ZAO", "PAO", "AO", "EOOD", "OOD", "TOV", "AE", "EPE", "OE", "IKE", "KK",
     "KABUSHIKI", "KAISHA", "YUGEN", "YOUXIAN", "GONGSI", "YOUXIANGONGSI", "APS"]
)  # fmt: skip
LEGAL_FORMS = LEGAL_FORMS | TRANSLITERATED_LEGAL_FORMS

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
# German (and Nordic) spelling of letters a bank without them writes as two.
_TWO_LETTERS = str.maketrans({"Ä": "AE", "Ö": "OE", "Ü": "UE", "ä": "ae", "ö": "oe", "ü": "ue",
                              "Ø": "OE", "ø": "oe", "Å": "AA", "å": "aa"})  # fmt: skip
# Japanese bank (Zengin) legal-form marks: カ) or (カ for 株式会社, ユ) for 有限会社;
# and the legal forms of Chinese and Japanese names, which transliteration would
# glue to the name (anyascii writes no spaces between syllables).
_CJK_FORM = re.compile(
    r"(^|\s)[カユ]\)|\([カユ](\s|$)|股份有限公司|有限责任公司|有限公司|株式会社|有限会社|合同会社"
)


def transliterate(name: str) -> str:
    """A name in ASCII: accents dropped, other scripts transliterated (anyascii).

    Half-width katakana (how Japanese banks print payers) is widened first and
    its legal-form mark (カ) for 株式会社) dropped, so that it reads like the
    full-width reading a master keeps.

    Example:
        >>> transliterate("ООО «Химпром»"), transliterate("Weiß Ærø"), transliterate("ｶ)ﾔﾏﾀﾞ")
        ('OOO <<Khimprom>>', 'Weiss Aero', 'yamada')
    """
    if name.isascii():
        return name
    text = unicodedata.normalize("NFKC", name)
    if _CJK_FORM.search(text):
        text = _CJK_FORM.sub(" ", text)
    return anyascii(text).strip()


def name_variants(name: str) -> list[str]:
    """Other ASCII spellings a bank may print for a name with letters beyond ASCII.

    The German convention (ö → OE, ä → AE, ü → UE, ø → OE, å → AA), and the
    letters a bank system cannot print dropped, as banks (and this engine,
    before transliteration) did. Empty for a name in ASCII.

    Example:
        >>> name_variants("Schröder Weiß GmbH")
        ['Schroeder Weiss GmbH', 'Schroder Wei GmbH']
    """
    if name.isascii():
        return []
    german = transliterate(name.translate(_TWO_LETTERS))
    dropped = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = transliterate(name)
    return [v for v in dict.fromkeys([german, dropped]) if v != plain and v.strip()]


# Letters transliteration systems write differently (Cyrillic: SWIFT, ICAO,
# BGN, GOST; Greek: ELOT and the phonetic habit; Japanese: Hepburn and kana
# read letter by letter), folded onto one spelling, in this order.
_SKELETON_FOLDS = (
    ("SHCH", "SH"), ("SHH", "SH"), ("KH", "H"), ("X", "H"), ("CZ", "C"), ("TS", "C"),
    ("ZH", "J"), ("PH", "F"), ("TH", "T"), ("CH", "H"), ("IY", "Y"), ("HY", "H"),
    ("IU", "U"), ("YU", "U"), ("JU", "U"), ("IA", "A"), ("YA", "A"), ("JA", "A"),
    ("IE", "E"), ("YE", "E"), ("JE", "E"), ("YO", "O"), ("JO", "O"), ("OU", "O"),
    ("EV", "EI"), ("AV", "AI"), ("Y", "I"), ("J", "I"),
)  # fmt: skip
_REPEATS = re.compile(r"(.)\1+")
# Initials written with dots ("S.A.", "E.P.E.", "S.p.A." upper-cased): one word.
_DOTTED = re.compile(r"(?<![A-Z0-9])(?:[A-Z]\.){1,}[A-Z](?![A-Z0-9])\.?")


def _dotted(text: str) -> str:
    """Join dotted initials into one word: "E.P.E." -> "EPE", "S.P.A" -> "SPA"."""
    if "." not in text:
        return text
    return _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)


def name_skeleton(key: str) -> str:
    """A normalised name with the letters transliteration systems disagree on folded.

    Both sides of a comparison of names from another script go through it: the
    bank's rendering by one system, the master's by another, meet here.

    Example:
        >>> name_skeleton("HIMPROM IUPITER"), name_skeleton("KHIMPROM YUPITER")
        ('HIMPROMUPITER', 'HIMPROMUPITER')
        >>> name_skeleton("YAMADASEISAKUSHIYO"), name_skeleton("YAMADA SEISAKUSHO")
        ('AMADASEISAKUSHO', 'AMADASEISAKUSHO')
    """
    text = key.replace(" ", "")
    for a, b in _SKELETON_FOLDS:
        text = text.replace(a, b)
    return _REPEATS.sub(r"\1", text)


# The same names come back with every batch and every index rebuild (a
# customer's payments, the master's names): each is normalised once.
@functools.lru_cache(maxsize=1 << 18)
def normalize_name(name: str | None, abbreviate: bool = True, keep_legal: bool = False) -> str:
    """Normalise a company name the way a bank statement would print it, minus the noise.

    Accents are removed and other scripts transliterated
    (:func:`transliterate`), case folded, punctuation dropped, common words
    abbreviated and legal forms dropped, so that "Müller & Söhne GmbH" and
    "MULLER SOHNE" meet, and "ООО «Химпром»" and "KHIMPROM". With
    ``abbreviate=False`` long words are kept whole,
    for comparing with a name the bank cut in the middle of a word; with
    ``keep_legal=True`` legal forms are kept too.

    Example:
        >>> normalize_name("Müller & Söhne GmbH"), normalize_name("ACME INTERNATIONAL, INC.")
        ('MULLER SOHNE', 'ACME INTL')
    """
    if not name:
        return ""
    text = _dotted(transliterate(name).upper())
    words = _NON_ALNUM.sub(" ", text.replace("&", " AND ")).split()
    words = [
        ABBREVIATIONS.get(w, w) if abbreviate or not ABBREVIATIONS.get(w) else w for w in words
    ]
    if keep_legal:
        return " ".join(w for w in words if w)
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

    ASCII names (transliteration leaves them as they are) go through Arrow
    word by word, the same steps as :func:`normalize_name`; the others, and
    names with dotted initials, through :func:`normalize_name` itself.

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
    # Names beyond ASCII, and dotted initials ("S.p.A."), go through Python.
    python = pc.invert(pc.string_is_ascii(names))
    python = pc.or_(python, pc.match_substring_regex(names, r"[A-Za-z]\.[A-Za-z]"))
    others = np.flatnonzero(python.to_numpy(zero_copy_only=False))
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

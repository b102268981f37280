"""Names in any script and spelling, and legal forms that tell customers apart.

Each case is how a bank prints a customer whose master name is in another
script or spelling (and the reverse), or a payer told apart from another
customer only by its legal form, or a bank's cut that only looks like one.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cashmatch.engine.config import MatchConfig
from cashmatch.engine.customers import BY_AMBIGUOUS, BY_NAME, CustomerIndex
from cashmatch.engine.normalize import (
    name_skeleton,
    name_variants,
    normalize_name,
    normalize_names,
    transliterate,
)
from cashmatch.engine.schemas import CUSTOMERS, OPEN_ITEMS

MASTER = [
    ("C01", "ООО «Химпром Металл»", []),
    ("C02", "Ζυθοποιία Αιγαίο Α.Ε.", []),
    ("C03", "株式会社山田製作所", ["ヤマダセイサクショ"]),
    ("C04", "上海华诚贸易有限公司", []),
    ("C05", "Weiß Baustoffe GmbH", []),
    ("C06", "Schröder Logistik GmbH", []),
    ("C07", "Mueller Maschinenbau GmbH", []),
    ("C08", "Yupiter Snab OOO", []),
    ("C09", "Nova Textiles SA", []),
    ("C10", "Nova Textiles SARL", []),
    ("C11", "Alpine Security GmbH", []),
    ("C12", "Alpine Security Instruments Ltd", []),
    ("C13", "Ærø Fiskeri ApS", []),
    ("C14", "Delta Medical Systems", []),
    ("C15", "Delta Medical Sales AG", []),
]


@pytest.fixture(scope="module")
def index():
    customers = pa.Table.from_pylist(
        [
            {
                "customer_id": c,
                "name": n,
                "aliases": a,
                "bank_accounts": [],
                "parent_customer_id": None,
            }
            for c, n, a in MASTER
        ],
        schema=CUSTOMERS,
    )
    items = pa.Table.from_pylist(
        [
            {
                "invoice_id": f"I{c}",
                "invoice_number": f"INV-{c}",
                "customer_id": c,
                "customer_name": n,
                "currency": "EUR",
                "amount_open_minor": 1000,
                "issue_date": dt.date(2024, 1, 1),
                "due_date": dt.date(2024, 2, 1),
            }
            for c, n, _ in MASTER
        ],
        schema=OPEN_ITEMS,
    )
    return CustomerIndex(customers, items, MatchConfig())


def _identify(index, names):
    got = index.identify(pa.array(names, pa.string()), pa.array([None] * len(names), pa.string()))
    return [(index.ids[c] if c >= 0 else None, int(m)) for c, m in zip(got.customer, got.method)]


@pytest.mark.parametrize(
    ("printed", "customer"),
    [
        ("HIMPROM METALL OOO", "C01"),  # SWIFT transliteration, form moved
        ("OOO KHIMPROM METALL", "C01"),  # ICAO / BGN
        ("XIMPROM METALL", "C01"),  # GOST 7.79
        ("ZYTHOPOIIA AIGAIO AE", "C02"),  # ELOT 743
        ("ZITHOPOIIA EGEO", None),  # a translation, not a transliteration: not guessed
        ("ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ", "C03"),  # Zengin half-width kana, small kana large
        ("YAMADA SEISAKUSHO KK", "C03"),  # Hepburn romaji
        ("SHANGHAI HUACHENG MAOYI YOUXIAN GONGSI", "C04"),  # pinyin, word by word
        ("WEISS BAUSTOFFE", "C05"),
        ("WEI BAUSTOFFE", "C05"),  # a system that drops ß
        ("SCHROEDER LOGISTIK", "C06"),  # the German convention
        ("SCHRODER LOGISTIK", "C06"),  # the accent stripped
        ("MÜLLER MASCHINENBAU", "C07"),  # the master in the German convention
        ("ООО ЮПИТЕР СНАБ", "C08"),  # the bank in Cyrillic, the master transliterated
        ("AEROE FISKERI", "C13"),
        ("AERO FISKERI", "C13"),
        ("NOVA TEXTILES SARL", "C10"),  # the legal form tells the twins apart
    ],
)
def test_a_bank_rendering_finds_the_customer_by_name(index, printed, customer):
    (got,) = _identify(index, [printed])
    assert got == ((customer, BY_NAME) if customer else (None, got[1]))
    if customer is None:
        assert got[1] != BY_NAME


@pytest.mark.parametrize(
    "printed",
    [
        "NOVA TEXTILES",  # no legal form: either twin
        "NOVA TEXTILES SA",  # SA, or SARL cut short by the bank
        "ALPINE SECURITY IN",  # "Instruments" cut, not "Inc"
        "DELTA MEDICAL SA",  # "Sales" cut, not a legal form
    ],
)
def test_a_legal_form_that_does_not_tell_is_ambiguous(index, printed):
    ((customer, method),) = _identify(index, [printed])
    assert (customer, method) == (None, BY_AMBIGUOUS)


def test_normalisation_of_scripts_spellings_and_dotted_forms():
    assert normalize_name("ООО «Химпром Металл»") == "KHIMPROM METALL"
    assert normalize_name("Ζυθοποιία Αιγαίο Α.Ε.") == "ZYTHOPOIIA AIGAIO"
    assert normalize_name("上海华诚贸易有限公司") == "SHANGHAIHUACHENGMAOYI"
    assert normalize_name("Apex Foods S.p.A.") == "APEX FOODS"
    assert transliterate("ｶ)ﾔﾏﾀﾞ") == "yamada"
    assert name_variants("Ærø Schröder") == ["Aeroe Schroeder", "r Schroder"]
    assert name_variants("Acme") == []
    assert name_skeleton("JEMCHUG TSAR") == name_skeleton("ZHEMCHUG CAR") == "EMHUGCAR"
    names = ["Apex Foods S.p.A.", "Weiß GmbH", "ACME S.A.", "J.P. Morgan", "A&B"]
    assert normalize_names(pa.array(names)).to_pylist() == [normalize_name(n) for n in names]

"""Numbers restarting every year, quoted by sequence and year, meet their invoice."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashmatch.engine.config import MatchConfig
from cashmatch.engine.references import ReferenceIndex, find_references
from cashmatch.engine.year_sequence import invoice_keys, text_keys

NUMBERS = ["INV-2024-000117", "INV-2025-000117", "2024-00118", "A-25-00119", "FA2500120", "RE-5120"]


def test_invoice_numbers_with_a_year_and_a_sequence():
    assert invoice_keys(pa.array(NUMBERS + [None, "88000044718", "PO-2024"])).to_pylist() == [
        "2024#117", "2025#117", "2024#118", "2025#119", "2025#120", None, None, None, None,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("117/2025", "2025#117"),
        ("PAYMENT 117/25", "2025#117"),
        ("FACT 25-117", "2025#117"),
        ("2025/117", "2025#117"),
        ("N° 117 du 03/01/2025", "2025#117"),
        ("Rechnung 117 vom 03.01.2025", "2025#117"),
        ("Оплата по счету № 117 от 03.01.2025", "2025#117"),
    ],
)
def test_quotes_of_a_sequence_and_a_year(text, key):
    assert text_keys(pa.array([text])) == ([key], [0])


@pytest.mark.parametrize(
    "text", ["117", "12/05/2024", "INV-2024-000117", "ORDER 4500012345", "5530-5533", ""]
)
def test_what_is_no_such_quote(text):
    assert text_keys(pa.array([text])) == ([], [])


def test_the_year_tells_two_open_117s_apart():
    index = ReferenceIndex.build(pa.array(NUMBERS), MatchConfig())
    texts = pa.array(["RE 117/25 THANK YOU", "Rechnung 117 vom 03.01.2024", "117"])
    hits = find_references(index, texts, MatchConfig())
    assert sorted(zip(hits.payment.tolist(), hits.invoice.tolist())) == [(0, 1), (1, 0)]
    assert set(hits.quality.tolist()) == {MatchConfig().quality_digits}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789/-. ABDUVOM", max_size=30))))
def test_a_batch_reads_as_its_texts_one_by_one(texts):
    batch = pa.array(texts * 12, pa.string())  # above the size read in Python
    keys, owner = text_keys(batch)
    one_by_one = [text_keys(pa.array([t], pa.string()))[0] for t in texts * 12]
    assert keys == [k for found in one_by_one for k in found]
    assert owner == [i for i, found in enumerate(one_by_one) for _ in found]

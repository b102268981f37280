"""Shorthand, ranges and glued invoice numbers written out, and found like any reference."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashmatch.engine.config import MatchConfig
from cashmatch.engine.references import ReferenceIndex, find_references
from cashmatch.engine.shorthand import MAX_RANGE, expand_shorthand


def _expanded(text: str) -> list[str]:
    candidates, owner = expand_shorthand(pa.array([text]))
    assert set(owner.tolist()) <= {0}
    return candidates


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("R-2024-118/119/120", ["R-2024-119", "R-2024-120"]),
        ("R2024118/19/20", ["R2024119", "R2024120"]),
        (
            "FACT INV-2024-007778/79/80/81",
            ["INV-2024-007779", "INV-2024-007780", "INV-2024-007781"],
        ),
        ("INV-2024-007798/02", ["INV-2024-007802"]),  # over the hundred
        ("SVWZ+RE RE-19802, 03, 04", ["RE-19803", "RE-19804"]),
        ("8800027217, 18", ["8800027218"]),
        ("5530-5533", ["5530", "5531", "5532", "5533"]),
        ("5530 to 5533", ["5530", "5531", "5532", "5533"]),
        ("5530 bis 5533", ["5530", "5531", "5532", "5533"]),
        ("5530 à 5533", ["5530", "5531", "5532", "5533"]),
        ("FT. RE-16144 al RE-16146", ["RE-16144", "RE-16145", "RE-16146"]),
        ("RE8812RE8813", ["RE8812", "RE8813"]),
        ("B2401502B2401503B2401504", ["B2401502", "B2401503", "B2401504"]),
        ("A 24 117/A-24-00120", ["A24117"]),
        ("INV 2024 9329/INV-2024-009330", ["INV20249329"]),
    ],
)
def test_shorthand_is_written_out(text, numbers):
    assert _expanded(text) == numbers


@pytest.mark.parametrize(
    "text",
    [
        "12/05/2024 PAYMENT INV-2024-000123",  # a date
        "BDC 2024/311",  # a PO number
        "2024-00117",  # a year and a sequence
        "Rechnung 7121/24",  # a sequence and its year
        "117/25",
        "INV-2024-000123 2024-06-12",
        "5533-5530",  # a range must go up
        f"5000-{5000 + MAX_RANGE + 5}",  # and stay short
        "ORDER 55-1020",
        "",
    ],
)
def test_what_only_looks_like_shorthand_is_left_alone(text):
    assert _expanded(text) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789AB-/ ,+&àTOBIS.", max_size=40))))
def test_any_text_expands_to_valid_candidates(texts):
    candidates, owner = expand_shorthand(pa.array(texts, pa.string()))
    assert len(candidates) == len(owner)
    assert all(0 <= k < len(texts) and texts[k] for k in owner.tolist())
    # Each written-out number is a digit string's neighbour: never empty, never longer
    # than the text it came from plus the digits of one number.
    assert all(c and len(c) <= len(texts[k]) + 8 for c, k in zip(candidates, owner.tolist()))


def test_large_and_small_batches_flag_alike():
    texts = ["R-2024-118/119/120", "nothing", "5530 bis 5533", None] * 20
    small = [expand_shorthand(pa.array(texts[k : k + 4])) for k in range(0, len(texts), 4)]
    large, owner = expand_shorthand(pa.array(texts))
    assert large == [c for cands, _ in small for c in cands]
    assert np.array_equal(owner % 4, np.concatenate([o for _, o in small]))


def test_written_out_numbers_and_structured_references_are_found():
    numbers = pa.array(["R-2024-118", "R-2024-119", "R-2024-120", "INV-77777", "INV-88888"])
    index = ReferenceIndex.build(numbers, MatchConfig())
    # Texts with runs of several tokens (which the candidate kernel sizes generously)
    # and a structured reference appended after them.
    texts = pa.array(["PAYMENT OF R-2024-118/119/120 THANK YOU", "SEE ADVICE FOR DETAILS"])
    hits = find_references(
        index,
        texts,
        MatchConfig(),
        structured_refs=pa.array(["INV-88888"]),
        structured_owner=np.array([1]),
    )
    found = sorted(zip(hits.payment.tolist(), hits.invoice.tolist(), hits.quality.tolist()))
    assert found == [(0, 0, 1.0), (0, 1, 1.0), (0, 2, 1.0), (1, 4, 1.0)]
    assert hits.structured.tolist().count(True) == 1


def test_a_remittance_advice_netting_a_credit_note_is_not_used_yet():
    numbers = pa.array(["INV-77777", "INV-88888", "CN-00012"])
    amounts = np.array([50000, 30000, -2000], np.int64)
    index = ReferenceIndex.build(numbers, MatchConfig())
    hits = find_references(
        index,
        pa.array(["SEE REMITTANCE ADVICE", "SEE REMITTANCE ADVICE"]),
        MatchConfig(),
        structured_refs=pa.array(["INV-77777", "CN-00012", "INV-88888"]),
        structured_owner=np.array([0, 0, 1]),
        payment_amount=np.array([48000, 30000], np.int64),
        invoice_amount=amounts,
        payment_slack=np.zeros(2, np.int64),
    )
    # The first advice nets a credit note: left to the credit-note rule; the second is used.
    assert list(zip(hits.payment.tolist(), hits.invoice.tolist())) == [(1, 1)]
    assert hits.structured.tolist() == [True]

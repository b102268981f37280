"""The payment identity rule (loaders/identity.py): one booking, however often reported."""

from __future__ import annotations

import datetime as dt
import doctest

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders import identity
from cashmatch.loaders.identity import identify, payment_keys

ACCOUNT = "DE89 3704 0044 0532 0130 00"
DAY = dt.date(2024, 5, 2)


def _payment(payment_id: str, **facts) -> dict:
    base = {"payment_id": payment_id, "amount_minor": 125000, "currency": "EUR",
            "value_date": DAY, "payer_name": "NORTHWIND PRECISION TOOLS GMBH",
            "payer_account": None, "reference_text": "INV-2024-000123",
            "statement_account": ACCOUNT}  # fmt: skip
    return {**base, **facts}


def _table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=PAYMENTS)


def _verdicts(rows, earlier=None):
    keys = payment_keys(_table(rows))
    old = payment_keys(_table(earlier)) if earlier else None
    return [(v.payment_id, v.kind, v.earlier, v.by) for v in identify(keys, old)]


def test_docstring_example():
    result = doctest.testmod(identity, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_next_days_statement_repeats_yesterdays_bookings():
    yesterday = [_payment("ACSR-1", bank_reference="ACSR-1"),
                 _payment("ACSR-2", bank_reference="ACSR-2", amount_minor=98050)]  # fmt: skip
    # Today's file repeats both (its own ids, the same bank references) and adds one.
    today = [_payment("2024-05-03/1", bank_reference="ACSR-1"),
             _payment("2024-05-03/2", bank_reference="ACSR-2", amount_minor=98050),
             _payment("2024-05-03/3", bank_reference="ACSR-3", amount_minor=777)]  # fmt: skip
    assert _verdicts(today, yesterday) == [
        ("2024-05-03/1", "same", "ACSR-1", "bank_key"),
        ("2024-05-03/2", "same", "ACSR-2", "bank_key"),
        ("2024-05-03/3", "new", None, None),
    ]


def test_intraday_report_then_end_of_day_statement():
    # The intraday report has no booking reference yet; the payer's end-to-end id is there.
    intraday = [_payment("MT942-1", bank_reference=None, end_to_end_id="E2E-77",
                         reference_text="INV-2024-000123 THANK YOU")]  # fmt: skip
    # The statement wraps the text differently and gives the bank's reference.
    statement = [_payment("STMT-9", bank_reference="BK-9", end_to_end_id="E2E-77",
                          reference_text="INV-2024-000123  THANK  YOU")]  # fmt: skip
    assert _verdicts(statement, intraday) == [("STMT-9", "same", "MT942-1", "end_to_end_key")]
    # Neither reference anywhere: the content is the same, identity is uncertain.
    bare_intraday = [_payment("I-1", reference_text="INV-2024-000123 THANK YOU")]
    bare_statement = [_payment("S-1", reference_text="inv 2024 000123 thank you")]
    assert _verdicts(bare_statement, bare_intraday) == [
        ("S-1", "possible_duplicate", "I-1", "content_key")
    ]


def test_batched_entry_without_references_comes_back_in_another_entry():
    def batch(entry: str) -> list[dict]:
        return [_payment(f"{entry}#{k}", end_to_end_id="NOTPROVIDED", bank_reference=None,
                         amount_minor=1000 * k, payer_name=f"PAYER {k}",
                         reference_text=f"INV-{k}") for k in range(1, 4)]  # fmt: skip

    verdicts = _verdicts(batch("ENTRY-B"), batch("ENTRY-A"))
    assert verdicts == [
        (f"ENTRY-B#{k}", "possible_duplicate", f"ENTRY-A#{k}", "content_key") for k in range(1, 4)
    ]


def test_the_banks_references_tell_identical_content_apart():
    rows = [_payment("A", bank_reference="BK-1"), _payment("B", bank_reference="BK-2")]
    assert [v[1] for v in _verdicts(rows)] == ["new", "new"]
    rows = [_payment("A", end_to_end_id="E-1"), _payment("B", end_to_end_id="E-2")]
    assert [v[1] for v in _verdicts(rows)] == ["new", "new"]
    # Another amount, day or account is another booking.
    rows = [_payment("A"), _payment("B", amount_minor=1),
            _payment("C", value_date=DAY.replace(day=3)),
            _payment("D", statement_account="FR7630006000011234567890189")]  # fmt: skip
    assert [v[1] for v in _verdicts(rows)] == ["new"] * 4


def test_same_id_is_the_same_payment_unless_the_amount_differs():
    assert _verdicts([_payment("P1")], [_payment("P1")]) == [("P1", "same", "P1", "payment_id")]
    assert _verdicts([_payment("P1", amount_minor=5)], [_payment("P1")]) == [
        ("P1", "conflict", "P1", "payment_id")
    ]


def test_placeholders_are_no_reference_and_a_possible_duplicate_is_no_reference_for_content():
    rows = [_payment("A", bank_reference="NONREF"), _payment("B", bank_reference="nonref"),
            _payment("C", bank_reference="BK-3")]  # fmt: skip
    assert _verdicts(rows) == [
        ("A", "new", None, None),
        ("B", "possible_duplicate", "A", "content_key"),
        # C is told apart from nothing that is a reference: A has no bank reference.
        ("C", "possible_duplicate", "A", "content_key"),
    ]


_texts = st.text(alphabet="AB1 -", max_size=6)
_rows = st.lists(
    st.builds(
        dict,
        amount_minor=st.integers(1, 3),
        payer_name=_texts,
        reference_text=_texts,
        bank_reference=st.none() | st.sampled_from(["BK1", "BK2", "NONREF"]),
        end_to_end_id=st.none() | st.sampled_from(["E1", "E2", "NOTPROVIDED"]),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(_rows)
def test_a_file_sent_again_under_new_ids_is_never_new(rows):
    first = [_payment(f"A{k}", **row) for k, row in enumerate(rows)]
    again = [_payment(f"B{k}", **row) for k, row in enumerate(rows)]
    verdicts = _verdicts(first + again)
    # Every payment of the second copy is recognised, for certain or as a possible duplicate.
    assert all(kind != "new" for _, kind, _, _ in verdicts[len(rows) :])
    # A payment of the first copy is "same" only as the same booking as an earlier one.
    for pid, kind, earlier, by in verdicts[: len(rows)]:
        if kind == "same":
            assert by in identity.STRONG_KEYS and int(earlier[1:]) < int(pid[1:])


def test_an_id_a_loader_made_is_no_identity_fact():
    earlier = [_payment("STMT/1/1", bank_reference=None, amount_minor=5)]
    later = [_payment("STMT/1/1", bank_reference=None, amount_minor=7, reference_text="other")]
    keys, old = payment_keys(_table(later)), payment_keys(_table(earlier))
    (verdict,) = identify(keys, old, id_is_fact=[False])
    assert (verdict.kind, verdict.id_taken) == ("new", True)
    (verdict,) = identify(keys, old)  # chosen by the sender: a conflict
    assert verdict.kind == "conflict"
    # Same position, same content, no reference: uncertain, not the same for certain.
    (verdict,) = identify(payment_keys(_table(earlier)), old, id_is_fact=[False])
    assert (verdict.kind, verdict.earlier, verdict.id_taken) == (
        "possible_duplicate", "STMT/1/1", True)  # fmt: skip


def test_a_bank_renumbering_its_booking_at_the_end_of_the_day_is_a_possible_duplicate():
    intraday = [_payment("I-1", bank_reference="INTRA-7", source_format="mt942")]
    statement = [_payment("S-1", bank_reference="EOD-9", source_format="mt940")]
    assert _verdicts(statement, intraday) == [("S-1", "possible_duplicate", "I-1", "content_key")]
    # Two statements with different references of the bank: two bookings.
    other = [_payment("S-2", bank_reference="EOD-10", source_format="mt940")]
    assert _verdicts(other, statement) == [("S-2", "new", None, None)]

"""Linking remittance advices to payments: by trace, end-to-end id, amount + payer + date."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashmatch.engine.schemas import PAYMENTS, REMITTANCE_ADVICES
from cashmatch.loaders.edi820 import load_edi820
from cashmatch.loaders.link import (
    AMOUNT_PAYER_DATE,
    END_TO_END,
    TRACE,
    TRACE_IN_TEXT,
    Link,
    link_remittance,
    names_agree,
)
from cashmatch.loaders.remittance_csv import load_remittance_csv

DAY = dt.date(2024, 3, 1)


def payment(pid: str, amount: int = 10000, **kwargs) -> dict:
    return {
        "payment_id": pid,
        "amount_minor": amount,
        "currency": "USD",
        "value_date": DAY,
        **kwargs,
    }


def advice(aid: str, *refs: str, amount: int = 10000, **kwargs) -> dict:
    lines = [{"invoice_ref": ref, "amount_paid_minor": amount // max(len(refs), 1)} for ref in refs]
    return {
        "advice_id": aid,
        "amount_minor": amount,
        "currency": "USD",
        "payment_date": DAY,
        "lines": lines,
        **kwargs,
    }


def tables(payments: list[dict], advices: list[dict]) -> tuple[pa.Table, pa.Table]:
    return (
        pa.Table.from_pylist(payments, schema=PAYMENTS),
        pa.Table.from_pylist(advices, schema=REMITTANCE_ADVICES),
    )


def refs_of(result, payment_id: str) -> list[str] | None:
    rows = result.payments.to_pylist()
    lines = next(r["remittance"] for r in rows if r["payment_id"] == payment_id)
    return None if lines is None else [line["invoice_ref"] for line in lines]


def test_by_trace_id_end_to_end_and_payment_id_fields():
    payments, advices = tables(
        [
            payment("P1", trace_id="TRN-100"),
            payment("P2", end_to_end_id="E2E-200"),
            payment("BANKREF-300"),
            payment("P4", trace_id="other"),
        ],
        [
            advice("A1", "INV-1", trace_id="trn-100"),
            advice("A2", "INV-2", trace_id="E2E-200"),
            advice("A3", "INV-3", trace_id=" BANKREF-300 "),
        ],
    )
    result = link_remittance(payments, advices)
    assert result.linked == [
        Link("A1", "P1", TRACE),
        Link("A2", "P2", TRACE),
        Link("A3", "BANKREF-300", TRACE),
    ]
    assert result.unlinked == []
    assert refs_of(result, "P1") == ["INV-1"]
    assert refs_of(result, "P2") == ["INV-2"]
    assert refs_of(result, "BANKREF-300") == ["INV-3"]
    assert refs_of(result, "P4") is None  # untouched stays null
    assert result.payments.schema == PAYMENTS
    assert result.payments.drop_columns("remittance").equals(payments.drop_columns("remittance"))


def test_trace_as_a_token_of_the_reference_text():
    payments, advices = tables(
        [
            payment("P1", reference_text="ACH CTX TRN*1*4311000190*1234567890\\ SAFEWAY"),
            payment("P2", reference_text="ACH CTX TRN*1*4311000191"),
            payment("P3", reference_text="pays 0001 and 1 and 43110001900"),
        ],
        [advice("A1", "INV-1", trace_id="4311000190"), advice("A2", "INV-2", trace_id="0001")],
    )
    result = link_remittance(payments, advices)
    assert result.linked == [Link("A1", "P1", TRACE_IN_TEXT)]
    # Too short to be looked up in free text, and no amount/payer fallback (no payer name).
    assert [u.advice_id for u in result.unlinked] == ["A2"]
    assert "payer name" in result.unlinked[0].reason


def test_by_end_to_end_id_when_the_trace_finds_nothing():
    payments, advices = tables(
        [payment("P1", end_to_end_id="E2E-1"), payment("P2", trace_id="E2E-1-X")],
        [advice("A1", "INV-1", trace_id="NOT-THERE", end_to_end_id="e2e-1")],
    )
    result = link_remittance(payments, advices)
    assert result.linked == [Link("A1", "P1", END_TO_END)]


def test_by_amount_payer_and_date():
    payments, advices = tables(
        [
            payment(
                "P1",
                41609315,
                payer_name="SAFEWAY U S CORPORA",
                value_date=DAY + dt.timedelta(days=3),
            ),
            payment("P2", 41609315, payer_name="KROGER CO"),
            payment("P3", 41609316, payer_name="SAFEWAY"),
        ],
        [advice("A1", "INV-1", amount=41609315, payer_name="Safeway - U. S. Corporate")],
    )
    result = link_remittance(payments, advices)
    assert result.linked == [Link("A1", "P1", AMOUNT_PAYER_DATE)]
    assert refs_of(result, "P1") == ["INV-1"]
    # Outside a 2-day window, nothing.
    narrow = link_remittance(payments, advices, date_window_days=2)
    assert narrow.linked == [] and "no payment" in narrow.unlinked[0].reason


def test_amount_match_needs_currency_name_and_date():
    payments, advices = tables(
        [payment("P1", payer_name="ACME", currency="EUR"), payment("P2", payer_name="APEX")],
        [
            advice("A1", "X", payer_name="ACME"),
            advice("A2", "Y", payer_name="ACME", payment_date=None),
        ],
    )
    result = link_remittance(payments, advices)
    assert result.linked == []
    reasons = dict(result.unlinked)
    assert "no payment" in reasons["A1"]
    assert "payment date" in reasons["A2"]


def test_ambiguous_amount_match_is_not_linked_and_reported():
    payments, advices = tables(
        [
            payment("P1", payer_name="ACME INTERNATIONAL"),
            payment("P2", payer_name="ACME INTL", value_date=DAY + dt.timedelta(days=1)),
            payment("P3", 20000, payer_name="ACME INTL", trace_id="T-3"),
        ],
        [
            advice("A1", "INV-1", payer_name="Acme International Inc."),
            advice("A2", "I", trace_id="T-3"),
        ],
    )
    result = link_remittance(payments, advices)
    assert result.linked == [Link("A2", "P3", TRACE)]
    assert result.unlinked[0].advice_id == "A1"
    assert result.unlinked[0].reason.startswith("ambiguous")
    assert refs_of(result, "P1") is None and refs_of(result, "P2") is None


def test_ambiguous_trace_narrowed_by_amount_else_reported():
    payments, advices = tables(
        [
            payment("P1", 100, trace_id="DUP"),
            payment("P2", 200, trace_id="DUP"),
            payment("P3", 300, trace_id="TWIN"),
            payment("P4", 300, trace_id="TWIN"),
        ],
        [
            advice("A1", "X", amount=200, trace_id="DUP"),
            advice("A2", "Y", amount=300, trace_id="TWIN"),
        ],
    )
    result = link_remittance(payments, advices)
    assert result.linked == [Link("A1", "P2", TRACE)]
    assert result.unlinked[0].advice_id == "A2"
    assert "ambiguous" in result.unlinked[0].reason and "2 payments" in result.unlinked[0].reason


def test_currency_mismatch_on_a_trace_match_is_reported():
    payments, advices = tables(
        [payment("P1", trace_id="T1", currency="EUR")], [advice("A1", "X", trace_id="T1")]
    )
    result = link_remittance(payments, advices)
    assert result.linked == [] and "currency" in result.unlinked[0].reason


def test_several_advices_on_one_payment_append_after_existing_lines():
    existing = [{"invoice_ref": "FROM-BANK", "amount_paid_minor": 1}]
    payments, advices = tables(
        [
            payment("P0", trace_id="Z"),
            payment("P1", trace_id="T1", remittance=existing),
            payment("P2", remittance=existing),
        ],
        [
            advice("A1", "INV-1", "INV-2", trace_id="T1"),
            advice("A2", "INV-3", trace_id="T1"),
            advice("A1", "INV-9", trace_id="T1"),
        ],
    )
    result = link_remittance(payments, advices)
    assert [link.advice_id for link in result.linked] == ["A1", "A2"]
    assert result.unlinked == [("A1", "duplicate advice_id")]
    assert refs_of(result, "P1") == ["FROM-BANK", "INV-1", "INV-2", "INV-3"]
    assert refs_of(result, "P2") == ["FROM-BANK"]
    assert refs_of(result, "P0") is None
    line = result.payments.to_pylist()[1]["remittance"][1]
    assert line == {
        "invoice_ref": "INV-1",
        "amount_paid_minor": 5000,
        "invoice_amount_minor": None,
        "discount_minor": None,
        "adjustment_minor": None,
        "adjustment_reason": None,
    }


def test_nothing_to_link():
    payments, advices = tables([payment("P1")], [])
    result = link_remittance(payments, advices)
    assert result.payments is payments and result.linked == [] and result.unlinked == []
    empty_payments, some = tables([], [advice("A1", "X", trace_id="T")])
    result = link_remittance(empty_payments, some)
    assert result.linked == [] and [u.advice_id for u in result.unlinked] == ["A1"]


def test_names_agree():
    assert names_agree("Safeway - U. S. Corporate", "SAFEWAY U S CORPORA")
    assert names_agree("ACME INTERNATIONAL", "acme intl.")
    assert names_agree("Acme International Inc", "ACME INTERNATI")
    assert names_agree("Müller & Söhne GmbH", "MULLER SOHNE")
    assert not names_agree("Acme", "Apex")
    assert not names_agree("AB", "ABC CORP")  # too short to be a prefix
    assert not names_agree(None, "ACME") and not names_agree("", "")


def test_820_sample_and_csv_link_to_bank_payments(samples_dir):
    safeway = load_edi820(str(samples_dir / "edi820" / "oopfactory_820_safeway_rmr_adx.edi"))
    wiki = load_edi820(str(samples_dir / "edi820" / "oopfactory_820_wikipedia_3rmr.edi"))
    csv = load_remittance_csv(
        "r.csv",
        data=b"payment_reference,invoice_number,amount_paid,currency,payer_name,payment_date\n"
        b"E2E-77,INV-77,12.00,USD,Globex,2024-03-01\n",
    )
    payments, _ = tables(
        [
            payment("BAI-1", 41609315, reference_text="TRN*1*4311000190*1999999999\\"),
            payment("BAI-2", 7777, payer_name="WHIZCO OF AMERICA", trace_id="0310162359"),
            payment("BAI-3", 1200, payer_name="GLOBEX", end_to_end_id="E2E-77"),
        ],
        [],
    )
    advices = pa.concat_tables([safeway.advices, wiki.advices, csv.advices])
    result = link_remittance(payments, advices)
    assert [(link.payment_id, link.method) for link in result.linked] == [
        ("BAI-1", TRACE_IN_TEXT),
        ("BAI-2", TRACE),
        ("BAI-3", TRACE),
    ]
    lines = {row["payment_id"]: row["remittance"] for row in result.payments.to_pylist()}
    assert len(lines["BAI-1"]) == 10
    assert sum(x["amount_paid_minor"] or 0 for x in lines["BAI-1"]) == 44886276
    assert lines["BAI-2"][0]["invoice_ref"] == "1111111111111111"
    assert [x["invoice_ref"] for x in lines["BAI-3"]] == ["INV-77"]


def test_many_rows_with_shared_amounts_and_dates():
    n = 3000
    payments, advices = tables(
        [payment(f"P{i}", 500, payer_name=f"CUSTOMER {i:05d}", trace_id=f"T{i}") for i in range(n)],
        [
            advice(f"A{i}", f"INV-{i}", amount=500, payer_name=f"Customer {i:05d} Ltd")
            for i in range(0, n, 2)
        ]
        + [advice(f"B{i}", f"INV-B{i}", amount=500, trace_id=f"t{i}") for i in range(1, n, 2)],
    )
    result = link_remittance(payments, advices)
    assert len(result.linked) == n and result.unlinked == []
    methods = {link.method for link in result.linked}
    assert methods == {AMOUNT_PAYER_DATE, TRACE}
    rows = result.payments.to_pylist()
    assert all(len(row["remittance"]) == 1 for row in rows)
    assert rows[10]["remittance"][0]["invoice_ref"] == "INV-10"
    assert rows[11]["remittance"][0]["invoice_ref"] == "INV-B11"


# --- invariants under random data ---------------------------------------------------------------

_keys = st.sampled_from(["T1", "T2", "T3", "E1", "E2", "P1", None])
_names = st.sampled_from(["ACME", "ACME CORP", "APEX", "Acme Corporation", None])


@st.composite
def scenario(draw):
    n_payments = draw(st.integers(0, 8))
    payments = []
    for i in range(n_payments):
        payments.append(
            payment(
                f"P{i}",
                draw(st.sampled_from([100, 200])),
                trace_id=draw(_keys),
                end_to_end_id=draw(_keys),
                payer_name=draw(_names),
                reference_text=draw(st.sampled_from(["", "ref T1T1 X", "E2E1 T2T2"])),
                value_date=DAY + dt.timedelta(days=draw(st.integers(0, 10))),
                remittance=draw(st.sampled_from([None, [{"invoice_ref": "OLD"}]])),
            )
        )
    advices = []
    for j in range(draw(st.integers(0, 8))):
        advices.append(
            advice(
                f"A{draw(st.integers(0, 6))}",
                *[f"INV-{j}-{k}" for k in range(draw(st.integers(0, 3)))],
                amount=draw(st.sampled_from([100, 200])),
                trace_id=draw(st.sampled_from(["T1", "T2", "T1T1", "T2T2", "ZZ", None])),
                end_to_end_id=draw(_keys),
                payer_name=draw(_names),
                payment_date=DAY + dt.timedelta(days=draw(st.integers(0, 10))),
            )
        )
    return tables(payments, advices)


@settings(max_examples=200, deadline=None)
@given(scenario(), st.integers(0, 6))
def test_an_advice_never_links_twice_and_lines_are_conserved(data, window):
    payments, advices = data
    result = link_remittance(payments, advices, date_window_days=window)
    linked_ids = [link.advice_id for link in result.linked]
    assert len(linked_ids) == len(set(linked_ids))
    # Every advice row is either linked or reported, once.
    assert len(result.linked) + len(result.unlinked) == advices.num_rows
    # Each payment got its old lines, then exactly the lines of the advices linked to it.
    advice_lines = {}
    for row in advices.to_pylist():
        advice_lines.setdefault(row["advice_id"], row["lines"])
    before = {row["payment_id"]: row["remittance"] for row in payments.to_pylist()}
    for row in result.payments.to_pylist():
        expected = list(before[row["payment_id"]] or [])
        got_links = [link for link in result.linked if link.payment_id == row["payment_id"]]
        for link in got_links:
            expected += advice_lines[link.advice_id]
        if before[row["payment_id"]] is None and not got_links:
            assert row["remittance"] is None
        else:
            assert row["remittance"] == expected
    assert result.payments.num_rows == payments.num_rows


@pytest.mark.parametrize("module", ["cashmatch.loaders.link"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0

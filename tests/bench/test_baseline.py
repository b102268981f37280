"""The rules baseline: each rule, its refusals, and its quality on generated data."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from bench.baseline import (
    NO_RULE,
    RULE_ACCOUNT,
    RULE_NUMBER,
    baseline_match,
    build_baseline,
    match_baseline,
    normalize_account,
    tokens,
)
from bench.generator import generate
from bench.quality import evaluate
from cashmatch.engine.schemas import MATCHES

DAY = dt.date(2024, 5, 1)


def ledger(rows):
    """Open items from (invoice_id, number, customer, currency, amount) tuples."""
    return pa.table(
        {
            "invoice_id": [r[0] for r in rows],
            "invoice_number": [r[1] for r in rows],
            "customer_id": [r[2] for r in rows],
            "currency": [r[3] for r in rows],
            "amount_open_minor": pa.array([r[4] for r in rows], pa.int64()),
        }
    )


def customers(accounts: dict[str, list[str]]):
    return pa.table(
        {
            "customer_id": list(accounts),
            "bank_accounts": pa.array(list(accounts.values()), pa.list_(pa.string())),
        }
    )


def batch(rows):
    """Payments from (id, amount, currency, text, account[, date]) tuples."""
    return pa.table(
        {
            "payment_id": [r[0] for r in rows],
            "amount_minor": pa.array([r[1] for r in rows], pa.int64()),
            "currency": [r[2] for r in rows],
            "value_date": [r[5] if len(r) > 5 else DAY for r in rows],
            "reference_text": [r[3] for r in rows],
            "payer_account": [r[4] for r in rows],
        }
    )


ITEMS = ledger(
    [
        ("I1", "INV-7", "C1", "EUR", 5000),
        ("I2", "INV-70", "C1", "EUR", 7000),
        ("I3", "FA24001", "C2", "EUR", 1234),
        ("I4", "FA24002", "C2", "EUR", 1234),
        ("I5", "INV-9", "C3", "USD", 900),
        ("I6", "INV-10", "C3", "USD", 400),
    ]
)
CUSTOMERS = customers(
    {"C1": ["DE89 3704 0044 0532 0130 00"], "C2": ["FR7630006000011234567890189"],
     "C3": ["GB29NWBK60161331926819", "NL91ABNA0417164300"], "C4": ["NL91ABNA0417164300"]}
)  # fmt: skip


def by_payment(table: pa.Table) -> dict[str, dict]:
    return {row["payment_id"]: row for row in table.to_pylist()}


def test_tokens_split_on_separating_punctuation_only():
    assert tokens("Invoice INV-7, INV-70; (FA24001) Ref:INV-9.") == {
        "Invoice", "INV-7", "INV-70", "FA24001", "Ref", "INV-9"
    }  # fmt: skip
    assert tokens("/INV/INV-2024-000042") == {"INV/INV-2024-000042", "INV", "INV-2024-000042"}
    assert tokens("") == set()
    assert tokens(None) == set()


def test_normalize_account_drops_spaces_and_case():
    assert normalize_account("de89 3704 0044") == "DE8937040044"
    assert normalize_account(None) == ""


def test_rule_a_verbatim_number_and_equal_amount():
    out = by_payment(
        match_baseline(
            build_baseline(ITEMS, CUSTOMERS),
            batch(
                [
                    ("P1", 5000, "EUR", "PAYMENT INV-7 THANK YOU", None),
                    ("P2", 7000, "EUR", "/INV/INV-70", None),
                    ("P3", 900, "USD", "Rechnung INV-9.", "XX00 unknown"),
                ]
            ),
        )
    )
    assert (out["P1"]["invoice_id"], out["P1"]["reason"]) == ("I1", RULE_NUMBER)
    assert (out["P2"]["invoice_id"], out["P2"]["reason"]) == ("I2", RULE_NUMBER)
    assert (out["P3"]["invoice_id"], out["P3"]["reason"]) == ("I5", RULE_NUMBER)
    for row in out.values():
        assert row["status"] == "auto"
        assert row["confidence"] == 1.0
        assert row["payment_unapplied_minor"] == 0
        assert row["invoice_residual_minor"] == 0
    assert out["P1"]["amount_applied_minor"] == 5000
    assert out["P1"]["customer_id"] == "C1"


@pytest.mark.parametrize(
    "text, amount, currency",
    [
        ("INV-7", 4990, "EUR"),  # a fee deducted: not equal
        ("inv-7", 5000, "EUR"),  # not verbatim
        ("INV7", 5000, "EUR"),  # separator dropped: not verbatim
        ("XINV-7", 5000, "EUR"),  # a longer token, not the number
        ("INV-7", 5000, "USD"),  # another currency
        ("INV-9 INV-10", 1300, "USD"),  # two invoices: no single one equals
    ],
)
def test_rule_a_refuses_anything_but_exact(text, amount, currency):
    out = match_baseline(build_baseline(ITEMS), batch([("P1", amount, currency, text, None)]))
    row = out.to_pylist()[0]
    assert (row["status"], row["invoice_id"], row["reason"]) == ("unmatched", "", NO_RULE)
    assert row["payment_unapplied_minor"] == amount
    assert row["amount_applied_minor"] == 0
    assert row["customer_id"] is None


def test_rule_a_two_quoted_invoices_of_the_same_amount_is_ambiguous():
    out = match_baseline(
        build_baseline(ITEMS), batch([("P1", 1234, "EUR", "FA24001 FA24002", None)])
    )
    assert out["status"].to_pylist() == ["unmatched"]


def test_rule_b_known_account_and_unique_amount():
    out = by_payment(
        match_baseline(
            build_baseline(ITEMS, CUSTOMERS),
            batch(
                [
                    ("P1", 7000, "EUR", "PAYMENT", "de89370400440532013000"),
                    ("P2", 400, "USD", "", "GB29 NWBK 6016 1331 9268 19"),
                ]
            ),
        )
    )
    assert (out["P1"]["invoice_id"], out["P1"]["reason"]) == ("I2", RULE_ACCOUNT)
    assert (out["P2"]["invoice_id"], out["P2"]["reason"]) == ("I6", RULE_ACCOUNT)
    assert out["P2"]["customer_id"] == "C3"


@pytest.mark.parametrize(
    "amount, currency, account",
    [
        (1234, "EUR", "FR7630006000011234567890189"),  # two invoices of that amount
        (400, "USD", "NL91ABNA0417164300"),  # account shared by C3 and C4
        (400, "USD", "DE00 0000"),  # unknown account
        (400, "USD", None),  # no account at all
        (5000, "USD", "DE89370400440532013000"),  # amount exists, in another currency
        (5001, "EUR", "DE89370400440532013000"),  # no invoice of that amount
    ],
)
def test_rule_b_refuses_without_a_single_customer_and_amount(amount, currency, account):
    out = match_baseline(
        build_baseline(ITEMS, CUSTOMERS), batch([("P1", amount, currency, "PAYMENT", account)])
    )
    assert out.to_pylist()[0]["status"] == "unmatched"


def test_rule_b_needs_customers():
    payments = batch([("P1", 7000, "EUR", "PAYMENT", "DE89370400440532013000")])
    assert match_baseline(build_baseline(ITEMS), payments)["status"].to_pylist() == ["unmatched"]


def test_rule_a_comes_before_rule_b():
    # Account of C1 but the text quotes C2's invoice of the same amount.
    items = ledger([("I1", "INV-1", "C1", "EUR", 100), ("I2", "INV-2", "C2", "EUR", 100)])
    out = match_baseline(
        build_baseline(items, customers({"C1": ["DE01"], "C2": ["DE02"]})),
        batch([("P1", 100, "EUR", "INV-2", "DE01")]),
    )
    assert (out["invoice_id"][0].as_py(), out["reason"][0].as_py()) == ("I2", RULE_NUMBER)


def test_an_applied_invoice_is_closed_for_later_payments():
    # The same payment twice: the earlier value date wins, whatever the batch order.
    payments = batch(
        [
            ("P1", 5000, "EUR", "INV-7", None, dt.date(2024, 5, 3)),
            ("P2", 5000, "EUR", "INV-7", None, dt.date(2024, 5, 2)),
        ]
    )
    out = by_payment(match_baseline(build_baseline(ITEMS), payments))
    assert out["P2"]["status"] == "auto"
    assert out["P1"]["status"] == "unmatched"
    # Once FA24001 is closed, FA24002 is the only open 1234 of C2: rule (b) applies it.
    payments = batch(
        [
            ("P1", 1234, "EUR", "FA24001", None),
            ("P2", 1234, "EUR", "PAYMENT", "FR7630006000011234567890189"),
        ]
    )
    out = by_payment(match_baseline(build_baseline(ITEMS, CUSTOMERS), payments))
    assert (out["P1"]["invoice_id"], out["P2"]["invoice_id"]) == ("I3", "I4")
    assert out["P2"]["reason"] == RULE_ACCOUNT


def test_non_positive_amounts_are_never_applied():
    out = match_baseline(build_baseline(ITEMS), batch([("P1", -5000, "EUR", "INV-7", None)]))
    assert out["status"].to_pylist() == ["unmatched"]
    assert out["payment_unapplied_minor"].to_pylist() == [-5000]


def test_output_has_the_engine_schema_and_one_row_per_payment():
    payments = batch([("P1", 5000, "EUR", "INV-7", None), ("P2", 1, "EUR", "", None)])
    out = baseline_match(ITEMS, payments, CUSTOMERS)
    assert out.schema.equals(MATCHES)
    assert out["payment_id"].to_pylist() == ["P1", "P2"]
    assert out["status"].to_pylist() == ["auto", "unmatched"]


def test_quality_on_generated_data():
    data = generate(seed=11, n_invoices=6000, n_payments=1200)
    quality = evaluate(data, baseline_match(data.open_items, data.payments, data.customers))
    # Every payment quoting its invoice verbatim at the full amount is applied, rightly.
    assert quality["single_exact_ref"].auto_rate == 1.0
    assert quality["single_exact_ref"].precision == 1.0
    # Payments the rules cannot express: several invoices, short payments.
    for case in ("multi_invoice", "fee_shortpay", "discount", "partial", "overpay"):
        assert quality[case].auto == 0, case
    # No reference: only rule (b), when the payer's account is known and the amount unique.
    assert 0.3 < quality["no_reference"].auto_rate < 0.9
    assert quality["all"].precision > 0.99
    assert 0.5 < quality["all"].auto_rate < 0.8

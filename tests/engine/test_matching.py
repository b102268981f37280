"""The cases the engine must get right, each shown with data."""

from __future__ import annotations

import pyarrow as pa
import pytest

from cashmatch.engine import InputError, MatchConfig, match
from tests.engine.conftest import D, customers, payments


def run(ledger, rows, config=None):
    result = match(ledger, payments(rows), customers(), config)
    by_payment: dict[str, list[dict]] = {}
    for row in result.matches.to_pylist():
        by_payment.setdefault(row["payment_id"], []).append(row)
    return by_payment


def applied(rows):
    return {r["invoice_id"]: r["amount_applied_minor"] for r in rows if r["invoice_id"]}


@pytest.mark.parametrize(
    "text",
    [
        "INV-2024-000123",
        "Payment for invoice INV-2024-000123 PO 4500012345 cust 10023",
        "INV2024000123",  # separators dropped
        "INV/2024/000123",  # separators changed
        "inv 2024 000123",  # spaces, lower case
        "2024-000123",  # prefix dropped
        "INV-2024-123",  # leading zeros dropped
        "INV-2O24-000I23",  # OCR confusions
    ],
)
def test_quoted_invoice_with_noise_is_applied(standard_ledger, text):
    out = run(
        standard_ledger,
        [{"amount_minor": 125000, "reference_text": text, "payer_name": "NORTHWIND PRECISION"}],
    )
    (row,) = out["P1"]
    assert (row["invoice_id"], row["status"], row["amount_applied_minor"]) == ("I1", "auto", 125000)
    assert row["residual_action"] == "none" and row["payment_unapplied_minor"] == 0


def test_typo_that_spells_another_invoice_follows_the_amount(standard_ledger):
    # 000132 exists (another customer's, another amount); 000123 is one swap away and fits.
    out = run(
        standard_ledger,
        [
            {
                "amount_minor": 125000,
                "reference_text": "INV-2024-000132",
                "payer_name": "NORTHWIND PRECISION TOOLS",
            }
        ],
    )
    assert applied(out["P1"]) == {"I1": 125000}
    assert out["P1"][0]["reason"].startswith("ref_fuzzy+amount_exact")


def test_several_invoices_quoted_in_one_text(standard_ledger):
    out = run(
        standard_ledger,
        [
            {
                "amount_minor": 30012 + 20031 + 15079,
                "reference_text": "INV-2024-000200, INV-2024-000201 and 2024-000202",
                "payer_name": "ACME INTL SUPPLIES",
            }
        ],
    )
    assert applied(out["P1"]) == {"I4": 30012, "I5": 20031, "I6": 15079}
    assert {r["status"] for r in out["P1"]} == {"auto"}
    assert out["P1"][0]["reason"] == "refs_all+amount_exact"


def test_some_invoices_quoted_rest_found_by_subset_sum(standard_ledger):
    out = run(
        standard_ledger,
        [
            {
                "amount_minor": 30012 + 15079 + 45017,
                "reference_text": "INV-2024-000200",
                "payer_name": "ACME TRADING",
            }
        ],
    )
    assert applied(out["P1"]) == {"I4": 30012, "I6": 15079, "I3": 45017}
    assert out["P1"][0]["reason"] == "ref+subset_sum" and out["P1"][0]["status"] == "auto"


def test_no_reference_customer_by_account_then_amount(standard_ledger):
    out = run(
        standard_ledger,
        [
            {
                "amount_minor": 98050,
                "reference_text": "PAYMENT",
                "payer_account": "DE89370400440532013000",
            }
        ],
    )
    assert applied(out["P1"]) == {"I2": 98050}
    assert out["P1"][0]["reason"] == "customer+amount_unique"
    assert out["P1"][0]["customer_id"] == "C1"


def test_no_reference_customer_by_truncated_upper_cased_name(standard_ledger):
    out = run(
        standard_ledger,
        [
            {
                "amount_minor": 20031 + 15079,
                "reference_text": "",
                "payer_name": "ACME INTERNATIONAL SUPP",
            }
        ],
    )
    assert applied(out["P1"]) == {"I5": 20031, "I6": 15079}
    assert out["P1"][0]["reason"] == "customer+subset_sum"
    assert out["P1"][0]["status"] == "auto"


def test_parent_company_pays_for_subsidiary(standard_ledger):
    out = run(
        standard_ledger,
        [
            {
                "amount_minor": 77700,
                "reference_text": "SUPPLIER PAYMENT",
                "payer_name": "BLUE RIVER FOODS",
            }
        ],
    )
    assert applied(out["P1"]) == {"I8": 77700}
    assert out["P1"][0]["status"] == "auto"


def test_identical_amounts_without_reference_are_only_suggested(standard_ledger):
    out = run(standard_ledger, [{"amount_minor": 60000, "payer_name": "GRANITE LOGISTICS"}])
    (row,) = out["P1"]
    assert row["status"] == "suggested" and row["invoice_id"] in {"I9", "I10"}
    assert row["reason"] == "customer+amount_ambiguous"


def test_bank_fee_deducted_is_written_off(standard_ledger):
    out = run(
        standard_ledger, [{"amount_minor": 125000 - 1250, "reference_text": "INV-2024-000123"}]
    )
    (row,) = out["P1"]
    assert (row["status"], row["amount_applied_minor"]) == ("auto", 123750)
    assert (row["invoice_residual_minor"], row["residual_action"]) == (1250, "write_off_bank_fee")


def test_early_payment_discount_is_written_off(standard_ledger):
    out = run(
        standard_ledger,
        [{"amount_minor": 490000, "reference_text": "FA2400917", "value_date": D(2024, 4, 22)}],
    )
    (row,) = out["P1"]
    assert (row["status"], row["reason"]) == ("auto", "ref_exact+discount")
    assert (row["invoice_residual_minor"], row["residual_action"]) == (10000, "write_off_discount")


def test_partial_payment_leaves_invoice_open(standard_ledger):
    out = run(
        standard_ledger,
        [
            {
                "amount_minor": 50000,
                "reference_text": "INV-2024-000123",
                "payer_account": "DE89 3704 0044 0532 0130 00",
            }
        ],
    )
    (row,) = out["P1"]
    assert (row["status"], row["amount_applied_minor"]) == ("auto", 50000)
    assert (row["invoice_residual_minor"], row["residual_action"]) == (75000, "leave_open")


def test_partial_payment_from_unknown_payer_is_only_suggested(standard_ledger):
    out = run(standard_ledger, [{"amount_minor": 50000, "reference_text": "INV-2024-000123"}])
    assert out["P1"][0]["status"] == "suggested"


def test_small_overpayment_keeps_excess_on_account(standard_ledger):
    out = run(
        standard_ledger,
        [
            {
                "amount_minor": 125500,
                "reference_text": "INV-2024-000123",
                "payer_name": "NORTHWIND PRECISION TOOLS",
            }
        ],
    )
    (row,) = out["P1"]
    assert (row["status"], row["amount_applied_minor"], row["payment_unapplied_minor"]) == (
        "auto",
        125000,
        500,
    )


def test_competing_payments_never_over_apply_an_invoice(standard_ledger):
    rows = [
        {"amount_minor": 125000, "reference_text": "INV-2024-000123", "value_date": D(2024, 5, 21)},
        {"amount_minor": 125000, "reference_text": "INV-2024-000123", "value_date": D(2024, 5, 20)},
    ]
    out = run(standard_ledger, rows)
    statuses = {pid: rows_[0]["status"] for pid, rows_ in out.items()}
    # The earlier payment gets the invoice; the duplicate waits for a person.
    assert statuses == {"P1": "suggested", "P2": "auto"}
    assert "contested" in out["P1"][0]["reason"]


@pytest.mark.parametrize(
    "row",
    [
        {"amount_minor": 33333, "reference_text": "REFUND", "payer_name": "SOMEBODY ELSE GMBH"},
        {"amount_minor": 98050, "reference_text": "PREPAYMENT ORDER 77123"},
        {"amount_minor": 45017, "reference_text": "INV-2023-000132", "payer_name": "NOBODY"},
        {"amount_minor": 125000, "currency": "USD", "reference_text": "INV-2024-000123"},
        {"amount_minor": -5000, "reference_text": "INV-2024-000123"},
    ],
)
def test_payments_for_no_open_invoice_are_not_auto_applied(standard_ledger, row):
    out = run(standard_ledger, [row])
    assert all(r["status"] != "auto" for r in out["P1"])


def test_every_payment_appears_once_at_least(standard_ledger):
    rows = [{"amount_minor": 1 + k, "reference_text": f"NOTHING {k}"} for k in range(5)]
    out = run(standard_ledger, rows)
    assert sorted(out) == ["P1", "P2", "P3", "P4", "P5"]
    assert all(r[0]["status"] == "unmatched" and r[0]["invoice_id"] == "" for r in out.values())


def test_zero_decimal_currency(standard_ledger):
    out = run(
        standard_ledger,
        [{"amount_minor": 1500000, "currency": "JPY", "reference_text": "INV-2024-000400"}],
    )
    assert applied(out["P1"]) == {"I11": 1500000}


def test_higher_threshold_turns_autos_into_suggestions(standard_ledger):
    row = {"amount_minor": 98050, "payer_account": "DE89370400440532013000"}
    assert run(standard_ledger, [row])["P1"][0]["status"] == "auto"
    strict = MatchConfig(auto_threshold=0.99)
    assert run(standard_ledger, [row], strict)["P1"][0]["status"] == "suggested"


def test_structured_remittance_lines_set_amounts(standard_ledger):
    table = payments([{"amount_minor": 100000}]).to_pylist()
    table[0]["remittance"] = [
        {"invoice_ref": "INV-2024-000123", "amount_paid_minor": 70000},
        {"invoice_ref": "INV-2024-000124", "amount_paid_minor": 30000},
    ]
    result = match(standard_ledger, pa.Table.from_pylist(table, schema=payments([]).schema))
    got = {
        r["invoice_id"]: (r["amount_applied_minor"], r["status"])
        for r in result.matches.to_pylist()
    }
    assert got == {"I1": (70000, "auto"), "I2": (30000, "auto")}


def test_bad_input_names_table_row_and_column(standard_ledger):
    with pytest.raises(InputError, match=r"payments row 1 column 'payment_id'"):
        match(
            standard_ledger,
            payments(
                [{"amount_minor": 1, "payment_id": "X"}, {"amount_minor": 2, "payment_id": "X"}]
            ),
        )
    with pytest.raises(InputError, match=r"open_items column 'amount_open_minor'"):
        match(standard_ledger.drop(["amount_open_minor"]), payments([{"amount_minor": 1}]))
    bad = payments([{"amount_minor": 1, "currency": "XXX"}])
    with pytest.raises(InputError, match=r"payments row 0 column 'currency'"):
        match(standard_ledger, bad)


def test_empty_ledger_leaves_every_payment_unmatched():
    from cashmatch.engine.schemas import OPEN_ITEMS

    result = match(OPEN_ITEMS.empty_table(), payments([{"amount_minor": 5}, {"amount_minor": 7}]))
    rows = result.matches.to_pylist()
    assert [(r["payment_id"], r["status"]) for r in rows] == [
        ("P1", "unmatched"),
        ("P2", "unmatched"),
    ]
    assert rows[0]["reason"] == "no_open_items_in_currency"


def test_fee_bound_is_cut_to_each_currency_precision():
    from cashmatch.engine.api import _fee_max

    assert _fee_max(["EUR", "JPY", "KWD"], "12.5") == {"EUR": 1250, "JPY": 12, "KWD": 12500}
    assert _fee_max(["USD"], "50") == {"USD": 5000}


def test_remittance_line_without_amount_falls_back_to_references(standard_ledger):
    table = payments([{"amount_minor": 125000 + 98050}]).to_pylist()
    table[0]["remittance"] = [
        {"invoice_ref": "INV-2024-000123", "amount_paid_minor": 125000},
        {"invoice_ref": "INV-2024-000124", "amount_paid_minor": None},
    ]
    result = match(standard_ledger, pa.Table.from_pylist(table, schema=payments([]).schema))
    rows = result.matches.to_pylist()
    got = {r["invoice_id"]: r["amount_applied_minor"] for r in rows}
    # Not the advice's split (a line lacks its amount): both quoted invoices, in full.
    assert got == {"I1": 125000, "I2": 98050}
    assert rows[0]["reason"] == "refs_all+amount_exact"


def test_small_and_large_tables_are_summarised_alike():
    from bench.generator import generate
    from cashmatch.engine import api, build_index, match_payments

    data = generate(3, 400, 60)
    index = build_index(data.open_items, data.customers)
    matches = match_payments(index, data.payments).matches
    assert len(matches) > MatchConfig().small_table_rows
    as_large = api._summary(matches, MatchConfig().small_table_rows)
    as_small = api._summary(matches, len(matches))
    assert as_small == as_large
    assert sum(as_large[0].values()) == data.payments.num_rows
    assert as_large[1] and all(v > 0 for v in as_large[1].values())


def test_small_batches_build_the_same_matches_table():
    from bench.generator import generate
    from cashmatch.engine import build_index, match_payments

    data = generate(4, 600, 120)
    index = build_index(data.open_items, data.customers)
    # The same ledger, with every table built by Arrow kernels.
    arrow_built = build_index(data.open_items, data.customers, MatchConfig(small_table_rows=-1))
    statuses, customers = set(), set()
    for start in range(0, 120, 20):
        batch = data.payments.slice(start, 20)
        small = match_payments(index, batch).matches
        large = match_payments(arrow_built, batch).matches
        assert small.equals(large)
        statuses |= set(small["status"].to_pylist())
        customers |= set(small["customer_id"].to_pylist())
    # Every status, and payers known and unknown, went through both builds.
    assert statuses == {"auto", "suggested", "unmatched"}
    assert None in customers and len(customers) > 2

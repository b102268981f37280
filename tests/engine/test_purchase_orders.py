"""Payments that quote only the payer's purchase-order number (the open items' po_number)."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from cashmatch.engine import build_index, match_payments
from tests.engine.conftest import D, customers, ledger, payments


@pytest.fixture
def po_index():
    items = ledger(
        [
            ("I1", "INV-2024-000101", "C1", 125000, D(2024, 4, 2), "EUR"),
            ("I2", "INV-2024-000102", "C1", 98050, D(2024, 4, 2), "EUR"),
            ("I3", "INV-2024-000140", "C1", 40000, D(2024, 4, 9), "EUR"),
            ("I4", "INV-2024-000155", "C5", 77700, D(2024, 4, 11), "EUR"),
            ("I5", "INV-2024-000156", "C5", 12300, D(2024, 4, 11), "EUR"),
        ]
    )
    po = ["4500012345", "4500012345", "55-1020", "BDC 2024/311", None]
    items = items.set_column(items.schema.get_field_index("po_number"), "po_number", [po])
    return build_index(items, customers())


def _applied(result):
    rows = result.matches.filter(pc.equal(result.matches["status"], "auto")).to_pylist()
    return {(r["payment_id"], r["invoice_id"], r["amount_applied_minor"]) for r in rows}


def test_a_po_covering_several_invoices_pays_them_together(po_index):
    account = "DE89 3704 0044 0532 0130 00"
    both = payments(
        [
            {
                "amount_minor": 125000 + 98050,
                "reference_text": "PO 4500012345",
                "payer_account": account,
            }
        ]
    )
    assert _applied(match_payments(po_index, both)) == {("P1", "I1", 125000), ("P1", "I2", 98050)}
    # One invoice of the PO, named by the amount.
    one = payments(
        [
            {
                "amount_minor": 98050,
                "reference_text": "BESTELLUNG 4500012345",
                "payer_account": account,
            }
        ]
    )
    assert _applied(match_payments(po_index, one)) == {("P1", "I2", 98050)}


@pytest.mark.parametrize(
    ("text", "amount", "invoice"),
    [
        ("ORDER NO. 55-1020", 40000, "I3"),
        ("BDC 2024/311", 77700, "I4"),
    ],
)
def test_a_po_in_the_payers_format_names_its_invoice(po_index, text, amount, invoice):
    result = match_payments(po_index, payments([{"amount_minor": amount, "reference_text": text}]))
    rows = result.matches.to_pylist()
    assert [(r["invoice_id"], r["amount_applied_minor"]) for r in rows] == [(invoice, amount)]
    assert rows[0]["status"] == "auto"

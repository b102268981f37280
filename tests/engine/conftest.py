"""Small hand-built ledgers for scenario tests."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cashmatch.engine.schemas import CUSTOMERS, OPEN_ITEMS, PAYMENTS

D = dt.date


def ledger(rows: list[tuple]) -> pa.Table:
    """Open items from (invoice_id, number, customer_id, amount_minor, issue, currency)."""
    return pa.Table.from_pylist(
        [
            {
                "invoice_id": inv,
                "invoice_number": number,
                "customer_id": cust,
                "customer_name": CUSTOMER_NAMES.get(cust, cust),
                "currency": cur,
                "amount_open_minor": amount,
                "issue_date": issue,
                "due_date": issue + dt.timedelta(days=30),
            }
            for inv, number, cust, amount, issue, cur in rows
        ],
        schema=OPEN_ITEMS,
    )


CUSTOMER_NAMES = {
    "C1": "Northwind Precision Tools GmbH",
    "C2": "Acme International Supplies Inc",
    "C3": "Blue River Foods SA",
    "C4": "Blue River Foods Benelux BV",
    "C5": "Granite Logistics Ltd",
}


def customers() -> pa.Table:
    rows = [
        ("C1", "Northwind Precision Tools GmbH", [], ["DE89 3704 0044 0532 0130 00"], None),
        ("C2", "Acme International Supplies Inc", ["Acme Trading"], [], None),
        ("C3", "Blue River Foods SA", [], ["FR14 2004 1010 0505 0001 3M02 606"], None),
        ("C4", "Blue River Foods Benelux BV", [], [], "C3"),
        ("C5", "Granite Logistics Ltd", [], ["GB29 NWBK 6016 1331 9268 19"], None),
    ]
    return pa.Table.from_pylist(
        [
            {"customer_id": c, "name": n, "aliases": a, "bank_accounts": b, "parent_customer_id": p}
            for c, n, a, b, p in rows
        ],
        schema=CUSTOMERS,
    )


def payments(rows: list[dict]) -> pa.Table:
    base = {
        "currency": "EUR",
        "value_date": D(2024, 5, 20),
        "payer_name": None,
        "payer_account": None,
        "reference_text": None,
    }
    out = []
    for k, row in enumerate(rows):
        full = {**base, "payment_id": f"P{k + 1}", **row}
        out.append(full)
    return pa.Table.from_pylist(out, schema=PAYMENTS)


@pytest.fixture
def standard_ledger() -> pa.Table:
    """Sequentially numbered invoices: a typo in one number often spells another."""
    issue = D(2024, 4, 15)
    return ledger(
        [
            ("I1", "INV-2024-000123", "C1", 125000, issue, "EUR"),
            ("I2", "INV-2024-000124", "C1", 98050, issue, "EUR"),
            ("I3", "INV-2024-000132", "C2", 45017, issue, "EUR"),
            ("I4", "INV-2024-000200", "C2", 30012, issue, "EUR"),
            ("I5", "INV-2024-000201", "C2", 20031, issue, "EUR"),
            ("I6", "INV-2024-000202", "C2", 15079, issue, "EUR"),
            ("I7", "FA2400917", "C3", 500000, issue, "EUR"),
            ("I8", "FA2400918", "C4", 77700, issue, "EUR"),
            ("I9", "INV-2024-000300", "C5", 60000, issue, "EUR"),
            ("I10", "INV-2024-000301", "C5", 60000, issue, "EUR"),
            ("I11", "INV-2024-000400", "C5", 1500000, issue, "JPY"),
        ]
    )

"""The tabular reader applies the engine's door rules (engine/validate.py), located in the file."""

from __future__ import annotations

import pytest

from cashmatch.loaders import LoadError
from cashmatch.loaders.tabular import read_open_items, read_payments

PAYMENTS_HEADER = "payment_id,amount,currency,value_date,payer_name,payer_account,reference_text"
ITEMS_HEADER = (
    "invoice_id,invoice_number,customer_id,customer_name,currency,amount_open,issue_date,due_date"
)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("P1,1.00,EUR,2024-05-01,,,\nP2,10000000000000.01,EUR,2024-05-01,,,",
         r"row 2, field 'amount': amount 1000000000000001 is beyond ±10\^15 minor units"),
        ("P1,1.00,EUR,2024-05-01,,,\nP1,2.00,EUR,2024-05-01,,,",
         r"row 2, field 'payment_id': duplicate value 'P1'"),
        ("P1,1.00,EUR,2024-05-01,,,\n  ,2.00,EUR,2024-05-01,,,",
         r"row 2, field 'payment_id': a value is required"),
    ],
)  # fmt: skip
def test_payments_file_is_refused_at_the_row(tmp_path, rows, message):
    path = _write(tmp_path, "p.csv", f"{PAYMENTS_HEADER}\n{rows}\n")
    with pytest.raises(LoadError, match=message):
        read_payments(path)


def test_open_items_beyond_the_bound_are_refused(tmp_path):
    body = "I1,INV-1,C1,Acme,EUR,-10000000000000.01,2024-01-01,2024-01-31"
    path = _write(tmp_path, "oi.csv", f"{ITEMS_HEADER}\n{body}\n")
    with pytest.raises(LoadError, match=r"row 1, field 'amount_open': amount -1000000000000001"):
        read_open_items(path)

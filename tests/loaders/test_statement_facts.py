"""Bank loaders report the booking's own facts (statement_account, bank_reference) for identity."""

from __future__ import annotations

import datetime as dt
import io

import pyarrow as pa
import pytest

from bench.formats.bai2 import write_bai2
from bench.formats.cfonb120 import write_cfonb120
from bench.formats.lockbox import write_lockbox
from bench.formats.mt940 import write_mt940
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.detect import load_file
from cashmatch.loaders.identity import identify, payment_keys


def _payments(currency: str = "EUR") -> pa.Table:
    return pa.Table.from_pylist(
        [{"payment_id": f"REF{k}", "amount_minor": 1000 + k, "currency": currency,
          "value_date": dt.date(2024, 5, 2), "payer_name": f"PAYER {k}",
          "reference_text": f"INV-{k}", "check_number": f"{500 + k}",
          "payer_account": "021000021/12345"} for k in range(3)],
        schema=PAYMENTS,
    )  # fmt: skip


def _load(write, currency="EUR", **kwargs):
    buffer = io.BytesIO()
    write(_payments(currency), buffer, **kwargs)
    return load_file("statement", data=buffer.getvalue()).payments


@pytest.mark.parametrize(
    ("write", "currency", "kwargs", "account", "references"),
    [
        (write_mt940, "EUR", {"account": "50880050/0194787400888"}, "50880050/0194787400888",
         ["REF0", "REF1", "REF2"]),
        (write_bai2, "USD", {"account": "000123456789"}, "000123456789", ["REF0", "REF1", "REF2"]),
        (write_cfonb120, "EUR", {}, "300040012300012345678", ["REF0", "REF1", "REF2"]),
        (write_lockbox, "USD", {"lockbox": "0012345"}, "0012345", [None, None, None]),
    ],
)  # fmt: skip
def test_loaders_fill_statement_account_and_bank_reference(
    write, currency, kwargs, account, references
):
    payments = _load(write, currency, **kwargs)
    assert payments["statement_account"].to_pylist() == [account] * 3
    assert payments["bank_reference"].to_pylist() == references
    # Loaded twice, the same file's bookings are the same bookings, for certain.
    again = payments.set_column(0, PAYMENTS.field(0), pa.array([f"again-{k}" for k in range(3)]))
    keys = payment_keys(pa.concat_tables([payments, again]))
    assert [v.kind for v in identify(keys)] == ["new"] * 3 + ["same"] * 3

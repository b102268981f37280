"""Render payments' remittance (or remittance advices) as a remittance CSV.

One row per remittance line: ``payment_reference`` (the trace id, else the
end-to-end id, else the payment/advice id), ``invoice_number``,
``amount_paid``, ``currency``, ``discount``, ``deduction`` (the negated
``adjustment_minor``), ``deduction_reason``, ``invoice_amount``,
``payer_name``, ``payment_date`` and ``payment_amount``. A line without an
amount paid (an ENT-level ADX from an 820) is written with ``amount_paid`` 0.

Example:
    >>> import datetime as dt, io
    >>> import pyarrow as pa
    >>> from cashmatch.engine.schemas import PAYMENTS
    >>> table = pa.Table.from_pylist([{"payment_id": "P1", "amount_minor": 1050,
    ...     "currency": "EUR", "value_date": dt.date(2024, 5, 2), "trace_id": "T1",
    ...     "remittance": [{"invoice_ref": "INV-1", "amount_paid_minor": 1050}]}],
    ...     schema=PAYMENTS)
    >>> buffer = io.StringIO()
    >>> write_remittance_csv(table, buffer)
    >>> buffer.getvalue().splitlines()[1]
    'T1,INV-1,10.50,EUR,,,,,,2024-05-02,10.50'
"""

from __future__ import annotations

import csv
import os
from typing import TextIO

import pyarrow as pa

from cashmatch.engine.money import format_amount

COLUMNS = (
    "payment_reference",
    "invoice_number",
    "amount_paid",
    "currency",
    "discount",
    "deduction",
    "deduction_reason",
    "invoice_amount",
    "payer_name",
    "payment_date",
    "payment_amount",
)


def write_remittance_csv(
    table: pa.Table, path_or_buffer: str | os.PathLike | TextIO, *, delimiter: str = ","
) -> None:
    """Write a PAYMENTS table (with ``remittance``) or a REMITTANCE_ADVICES table as CSV."""
    is_payments = "remittance" in table.column_names
    out = []
    for row in table.to_pylist():
        currency = row["currency"]
        if is_payments:
            reference = row["trace_id"] or row["end_to_end_id"] or row["payment_id"]
            date, lines = row["value_date"], row["remittance"] or []
        else:
            reference = row["trace_id"] or row["end_to_end_id"] or row["advice_id"]
            date, lines = row["payment_date"], row["lines"] or []

        def money(value: int | None, currency: str = currency) -> str:
            return "" if value is None else format_amount(value, currency)

        for line in lines:
            adjustment = line["adjustment_minor"]
            out.append(
                [
                    reference,
                    line["invoice_ref"] or "",
                    money(line["amount_paid_minor"] or 0),
                    currency,
                    money(line["discount_minor"]),
                    money(None if adjustment is None else -adjustment),
                    line["adjustment_reason"] or "",
                    money(line["invoice_amount_minor"]),
                    row["payer_name"] or "",
                    date.isoformat() if date else "",
                    money(row["amount_minor"]),
                ]
            )
    if isinstance(path_or_buffer, (str, os.PathLike)):
        with open(path_or_buffer, "w", newline="", encoding="utf-8") as handle:
            _write(handle, out, delimiter)
    else:
        _write(path_or_buffer, out, delimiter)


def _write(handle: TextIO, rows: list[list[str]], delimiter: str) -> None:
    writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)

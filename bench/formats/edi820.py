"""Render payments' remittance (or remittance advices) as an ANSI X12 820 file.

The benchmark and the round-trip tests use it to make 820s from generated data:
one interchange, one functional group (GS*RA), and one ST/SE transaction set
per payment or advice, with BPR (amount, C credit, ACH CTX, BPR16 date), TRN
(the payment's trace id, else its end-to-end id, else its payment_id), CUR
when not USD, N1*PR payer name, one ENT, then an RMR*IV per remittance line
(RMR04 paid, RMR05 invoice amount, RMR06 discount) followed by an ADX for its
adjustment; a line with an adjustment and no amount paid becomes an ENT-level
ADX (the loader reads those back as lines of their own).

Separators inside values are replaced by spaces: X12 has no escaping.

Example:
    >>> import datetime as dt, io
    >>> import pyarrow as pa
    >>> from cashmatch.engine.schemas import PAYMENTS
    >>> table = pa.Table.from_pylist([{"payment_id": "P1", "amount_minor": 1050,
    ...     "currency": "USD", "value_date": dt.date(2024, 5, 2), "trace_id": "T1",
    ...     "remittance": [{"invoice_ref": "INV-1", "amount_paid_minor": 1050}]}],
    ...     schema=PAYMENTS)
    >>> buffer = io.BytesIO()
    >>> write_edi820(table, buffer)
    >>> [s for s in buffer.getvalue().decode().split("~") if s.startswith(("TRN", "RMR"))]
    ['TRN*1*T1', 'RMR*IV*INV-1**10.50']
"""

from __future__ import annotations

import datetime as dt
import os
from typing import BinaryIO

import pyarrow as pa

from cashmatch.engine.money import format_amount


def _clean(value: object, forbidden: str) -> str:
    text = "" if value is None else str(value)
    for char in forbidden:
        text = text.replace(char, " ")
    return text.strip()


def _trim(elements: list[str]) -> list[str]:
    while elements and elements[-1] == "":
        elements.pop()
    return elements


def write_edi820(
    table: pa.Table,
    path_or_buffer: str | os.PathLike | BinaryIO,
    *,
    sender: str = "PAYER",
    receiver: str = "PAYEE",
    control: int = 1,
    terminator: str = "~",
    element: str = "*",
    component: str = ">",
    newline: bool = False,
) -> None:
    """Write a PAYMENTS table (with ``remittance``) or a REMITTANCE_ADVICES table as an 820.

    Args:
        table: PAYMENTS (one ST per payment, lines from ``remittance``) or
            REMITTANCE_ADVICES (one ST per advice, lines from ``lines``).
        path_or_buffer: where to write the bytes.
        sender / receiver: ISA06 / ISA08 interchange ids.
        control: the interchange and group control number.
        terminator / element / component: the delimiters.
        newline: put a line break after every segment terminator.
    """
    is_payments = "remittance" in table.column_names
    rows = table.to_pylist()
    forbidden = terminator + element + component + "\r\n"
    end = terminator + ("\r\n" if newline else "")
    now = dt.date(2024, 1, 1)
    out: list[str] = []
    isa = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        f"{sender:<15.15}",
        "ZZ",
        f"{receiver:<15.15}",
        now.strftime("%y%m%d"),
        "1200",
        "U",
        "00401",
        f"{control:09d}",
        "0",
        "P",
        component,
    ]
    out.append(element.join(isa) + end)
    gs = ["GS", "RA", sender, receiver, now.strftime("%Y%m%d"), "1200", str(control), "X", "004010"]
    out.append(element.join(gs) + end)
    for number, row in enumerate(rows, start=1):
        currency = row["currency"] or "USD"
        lines = (row["remittance"] if is_payments else row["lines"]) or []
        if is_payments:
            trace = row["trace_id"] or row["end_to_end_id"] or row["payment_id"]
            date = row["value_date"]
        else:
            trace = row["trace_id"] or row["end_to_end_id"] or row["advice_id"]
            date = row["payment_date"]
        amount = row["amount_minor"] or 0
        segments = [
            ["ST", "820", f"{number:04d}"],
            _trim(
                [
                    "BPR",
                    "C",
                    format_amount(amount, currency),
                    "C",
                    "ACH",
                    "CTX",
                    "01",
                    "011000015",
                    "DA",
                    "1234567890",
                    "1234567890",
                    "",
                    "01",
                    "021000021",
                    "DA",
                    "9876543210",
                    date.strftime("%Y%m%d") if date else "",
                ]
            ),
            ["TRN", "1", _clean(trace, forbidden)],
        ]
        if currency != "USD":
            segments.append(["CUR", "PR", currency])
        if row["payer_name"]:
            segments.append(["N1", "PR", _clean(row["payer_name"], forbidden)])
        segments.append(["ENT", "1"])
        standalone = [
            line
            for line in lines
            if line["amount_paid_minor"] is None and line["adjustment_minor"] is not None
        ]
        for line in standalone:
            segments.append(
                _trim(
                    [
                        "ADX",
                        format_amount(line["adjustment_minor"], currency),
                        _clean(line["adjustment_reason"] or "ZZ", forbidden),
                        "CM",
                        _clean(line["invoice_ref"], forbidden),
                    ]
                )
            )
        for line in lines:
            if line["amount_paid_minor"] is None and line["adjustment_minor"] is not None:
                continue
            rmr = ["RMR", "IV", _clean(line["invoice_ref"], forbidden), ""]
            for key in ("amount_paid_minor", "invoice_amount_minor", "discount_minor"):
                value = line[key]
                rmr.append("" if value is None else format_amount(value, currency))
            segments.append(_trim(rmr))
            if line["adjustment_minor"] is not None:
                reason = _clean(line["adjustment_reason"] or "ZZ", forbidden)
                segments.append(["ADX", format_amount(line["adjustment_minor"], currency), reason])
        segments.append(["SE", str(len(segments) + 1), f"{number:04d}"])
        out.extend(element.join(segment) + end for segment in segments)
    out.append(element.join(["GE", str(len(rows)), str(control)]) + end)
    out.append(element.join(["IEA", "1", f"{control:09d}"]) + end)
    data = "".join(out).encode("utf-8")
    if isinstance(path_or_buffer, (str, os.PathLike)):
        with open(path_or_buffer, "wb") as handle:
            handle.write(data)
    else:
        path_or_buffer.write(data)

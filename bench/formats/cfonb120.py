"""Render a PAYMENTS table as a CFONB 120 statement.

The benchmark and the round-trip tests use it to make bank files from generated
payments: per currency, an ``01`` previous balance, one ``04`` operation per
payment (interbank code ``05``, the payment_id as the 16-character reference,
the first 31 characters of the reference text as the label) followed by ``05``
complements (``NPY`` payer name, ``RCN`` end-to-end id, ``LIB`` the reference
text in 70-character pieces, ``LCS`` one per remittance line's invoice ref)
and an ``07`` new balance that adds up. Records end with CRLF.

Example:
    >>> import datetime as dt, io
    >>> import pyarrow as pa
    >>> from cashmatch.engine.schemas import PAYMENTS
    >>> table = pa.Table.from_pylist([{"payment_id": "P1", "amount_minor": 1050,
    ...     "currency": "EUR", "value_date": dt.date(2024, 5, 2)}], schema=PAYMENTS)
    >>> buffer = io.BytesIO()
    >>> write_cfonb120(table, buffer)
    >>> buffer.getvalue().splitlines()[1][90:104]
    b'0000000000105{'
"""

from __future__ import annotations

import os
from typing import BinaryIO

import pyarrow as pa

from cashmatch.loaders.statement_text import exponent_of

_POSITIVE = "{ABCDEFGHI"
_NEGATIVE = "}JKLMNOPQR"
_DETAIL = 70


def write_cfonb120(
    payments: pa.Table,
    path_or_buffer: str | os.PathLike | BinaryIO,
    *,
    bank: str = "30004",
    branch: str = "00123",
    account: str = "00012345678",
) -> None:
    """Write ``payments`` (PAYMENTS schema, credits) as a CFONB 120 file.

    The payment_id must fit the 16-character reference field to survive a
    round trip (the loader's payment_id ends with it).
    """
    rows = payments.to_pylist()
    by_currency: dict[str, list[dict]] = {}
    for row in rows:
        by_currency.setdefault(row["currency"], []).append(row)
    out: list[str] = []
    for currency, group in by_currency.items():
        exponent = exponent_of(currency)
        if exponent is None:
            raise ValueError(f"unknown currency {currency!r}")
        head = f"{bank}{{code}}{branch}{currency}{exponent} {account:>11.11}"
        first = min(row["booking_date"] or row["value_date"] for row in group)
        last = max(row["booking_date"] or row["value_date"] for row in group)
        out.append(_balance("01", head, first, 0))
        for row in group:
            if row["amount_minor"] <= 0:
                raise ValueError(f"payment {row['payment_id']!r}: credits must be positive")
            out += _operation(row, head)
        out.append(_balance("07", head, last, sum(row["amount_minor"] for row in group)))
    data = "".join(line + "\r\n" for line in out).encode("latin-1", errors="replace")
    if hasattr(path_or_buffer, "write"):
        path_or_buffer.write(data)
    else:
        with open(path_or_buffer, "wb") as handle:
            handle.write(data)


def _amount(minor: int) -> str:
    digits = str(abs(minor)).rjust(14, "0")
    if len(digits) > 14:
        raise ValueError(f"amount {minor} does not fit 14 digits")
    marks = _NEGATIVE if minor < 0 else _POSITIVE
    return digits[:13] + marks[int(digits[13])]


def _balance(kind: str, head: str, day, minor: int) -> str:
    record = f"{kind}{head.format(code='    ')}  {day:%d%m%y}".ljust(90) + _amount(minor)
    return record.ljust(120)


def _operation(row: dict, head: str) -> list[str]:
    booking = row["booking_date"] or row["value_date"]
    text = " ".join((row["reference_text"] or "").split())
    label, rest = _label(text) if text else ((row["payer_name"] or "VIREMENT")[:31], "")
    record = (
        f"04{head.format(code='0002')}05{booking:%d%m%y}  {row['value_date']:%d%m%y}"
        f"{label:<31.31}  {'':7}  {_amount(row['amount_minor'])}{row['payment_id']:<16.16}"
    )
    records = [record]
    prefix = f"05{head.format(code='0002')}05{booking:%d%m%y}     "
    if row["payer_name"]:
        records.append(f"{prefix}NPY{row['payer_name']:<70.70}  ")
    if row["end_to_end_id"]:
        records.append(f"{prefix}RCN{row['end_to_end_id']:<35.35}{'':35}  ")
    # The label holds the first words; LIB pieces continue them, cut at
    # spaces so that the loader's space join gives the text back.
    for piece in _pieces(rest):
        records.append(f"{prefix}LIB{piece:<70}  ")
    for line in row["remittance"] or []:
        if line["invoice_ref"]:
            records.append(f"{prefix}LCS{line['invoice_ref']:<70.70}  ")
    return records


def _label(text: str) -> tuple[str, str]:
    """The words of ``text`` that fit the 31-character label, and the rest."""
    cut = text.rfind(" ", 0, 32) if len(text) > 31 else len(text)
    if cut <= 0:
        return text[:31], text[31:]
    return text[:cut], text[cut + 1 :]


def _pieces(text: str) -> list[str]:
    """Split ``text`` into <=70-character pieces at spaces (the spaces are dropped)."""
    pieces: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > _DETAIL:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:_DETAIL])
            word = word[_DETAIL:]
        if current and len(current) + 1 + len(word) > _DETAIL:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        pieces.append(current)
    return pieces

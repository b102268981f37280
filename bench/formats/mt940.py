"""Render a PAYMENTS table as an MT940 customer statement file.

The benchmark and the round-trip tests use it to make bank files from generated
payments. One statement per currency and per ``statement_size`` payments, each
with ``:20:``, ``:25:``, ``:28C:``, opening and closing balances that add up,
one ``:61:`` credit line per payment (the payment_id as the bank reference
after ``//``) and a German GVC ``:86:`` (``166?00GUTSCHRIFT?20EREF+...`` with
the reference text under ``SVWZ+`` in 27-character ``?2x``/``?6x`` pieces,
``?31`` the payer's account, ``?32``/``?33`` the payer's name), wrapped at 65
characters.

Remittance lines have no place in a GVC ``:86:``; only their text survives, in
the reference text. ``?`` in text would start a sub-field and is written as
``.``.

Example:
    >>> import datetime as dt, io
    >>> import pyarrow as pa
    >>> from cashmatch.engine.schemas import PAYMENTS
    >>> table = pa.Table.from_pylist([{"payment_id": "P1", "amount_minor": 1050,
    ...     "currency": "EUR", "value_date": dt.date(2024, 5, 2)}], schema=PAYMENTS)
    >>> buffer = io.BytesIO()
    >>> write_mt940(table, buffer)
    >>> b":61:240502C10,50NTRFNONREF//P1" in buffer.getvalue()
    True
"""

from __future__ import annotations

import os
from typing import BinaryIO

import pyarrow as pa

from cashmatch.loaders.statement_text import exponent_of

_LINE = 65
_PIECE = 27
_PURPOSE_FIELDS = [f"{n:02d}" for n in (*range(20, 30), *range(60, 64))]


def write_mt940(
    payments: pa.Table,
    path_or_buffer: str | os.PathLike | BinaryIO,
    *,
    account: str = "50880050/0194787400888",
    statement_size: int = 1000,
    envelope: bool = False,
) -> None:
    """Write ``payments`` (PAYMENTS schema, credits) as an MT940 file.

    Args:
        payments: the payments; amounts must be positive.
        path_or_buffer: a path, or a binary file object.
        account: the ``:25:`` account.
        statement_size: payments per statement.
        envelope: wrap each statement in the SWIFT ``{1:}{2:}{4:`` ... ``-}`` envelope.
    """
    rows = payments.to_pylist()
    by_currency: dict[str, list[dict]] = {}
    for row in rows:
        by_currency.setdefault(row["currency"], []).append(row)
    chunks: list[str] = []
    number = 0
    for currency, group in by_currency.items():
        exponent = exponent_of(currency)
        if exponent is None:
            raise ValueError(f"unknown currency {currency!r}")
        balance = 0
        for start in range(0, len(group), statement_size):
            number += 1
            part = group[start : start + statement_size]
            chunks.append(_statement(part, account, number, currency, exponent, balance, envelope))
            balance += sum(row["amount_minor"] for row in part)
    data = "".join(chunks).encode("utf-8")
    if hasattr(path_or_buffer, "write"):
        path_or_buffer.write(data)
    else:
        with open(path_or_buffer, "wb") as handle:
            handle.write(data)


def _statement(rows, account, number, currency, exponent, opening, envelope) -> str:
    first = min(row["value_date"] for row in rows)
    last = max(row["value_date"] for row in rows)
    closing = opening + sum(row["amount_minor"] for row in rows)
    out = []
    if envelope:
        out.append("{1:F01BANKDEFFXXXX0000000000}{2:O940BANKDEFFXXXXN}{4:")
    out += [
        f":20:STMT{number:08d}",
        f":25:{account}",
        f":28C:{number:05d}/001",
        f":60F:C{first:%y%m%d}{currency}{_amount(opening, exponent)}",
    ]
    for row in rows:
        if row["amount_minor"] <= 0:
            raise ValueError(f"payment {row['payment_id']!r}: MT940 credits must be positive")
        booking = row["booking_date"]
        entry = f"{booking:%m%d}" if booking else ""
        amount = _amount(row["amount_minor"], exponent)
        out.append(f":61:{row['value_date']:%y%m%d}{entry}C{amount}NTRFNONREF//{row['payment_id']}")
        out += _wrap(":86:" + _gvc(row))
    out.append(f":62F:C{last:%y%m%d}{currency}{_amount(closing, exponent)}")
    out.append("-}" if envelope else "-")
    return "\r\n".join(out) + "\r\n"


def _gvc(row: dict) -> str:
    purpose = ""
    if row["end_to_end_id"]:
        purpose += "EREF+" + _clean(row["end_to_end_id"])
    if row["reference_text"]:
        purpose += "SVWZ+" + _clean(row["reference_text"])
    pieces = [purpose[i : i + _PIECE] for i in range(0, len(purpose), _PIECE)]
    if len(pieces) > len(_PURPOSE_FIELDS):
        raise ValueError(f"payment {row['payment_id']!r}: reference text too long for :86:")
    text = "166?00GUTSCHRIFT?100399"
    text += "".join(f"?{code}{piece}" for code, piece in zip(_PURPOSE_FIELDS, pieces, strict=False))
    if row["payer_account"]:
        text += "?31" + _clean(row["payer_account"])
    name = _clean(row["payer_name"] or "")
    if name:
        text += "?32" + name[:_PIECE]
        if len(name) > _PIECE:
            text += "?33" + name[_PIECE : 2 * _PIECE]
    return text


def _wrap(text: str) -> list[str]:
    """Cut at 65 characters, never leaving a line that ends in a space or a
    continuation that starts like a tag or a message end (readers strip
    trailing spaces and take ``:nn:`` / ``-`` lines for structure)."""
    lines = []
    width = _LINE + 4  # the first line carries the ":86:" tag
    while len(text) > width:
        cut = width
        while cut > 1 and (text[cut - 1] == " " or text[cut] in ":-{"):
            cut -= 1
        lines.append(text[:cut])
        text = text[cut:]
        width = _LINE
    lines.append(text)
    return lines


def _clean(text: str) -> str:
    return text.replace("?", ".").replace("\r", " ").replace("\n", " ")


def _amount(minor: int, exponent: int) -> str:
    digits = str(minor).rjust(exponent + 1, "0")
    if exponent == 0:
        return digits + ","
    return f"{digits[:-exponent]},{digits[-exponent:]}"

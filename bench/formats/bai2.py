"""Render a PAYMENTS table as a US-style BAI2 file.

One group (02/98) per booking date, one account (03/49) per currency inside it,
one 16 credit detail per payment: type 175 (check deposit, the check number as
customer reference) when the payment has a check number, else 165
(preauthorized ACH credit). The bank reference is the payment id. What the
payment says about itself goes into keyed 88 continuations, the way US banks
send it: ``REMI:`` reference text, ``DBNM:`` payer name, ``DACT:`` payer
account, ``EREF:`` end-to-end id, ``TRID:`` trace id. Trailers carry the control
totals and record counts the loader checks.

Example:
    >>> import datetime as dt, io
    >>> import pyarrow as pa
    >>> from cashmatch.engine.schemas import PAYMENTS
    >>> table = pa.Table.from_pylist([{"payment_id": "P1", "amount_minor": 1050,
    ...     "currency": "USD", "value_date": dt.date(2024, 5, 2)}], schema=PAYMENTS)
    >>> buffer = io.BytesIO()
    >>> write_bai2(table, buffer)
    >>> b"16,165,1050,0,P1,,/" in buffer.getvalue()
    True
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import BinaryIO

import pyarrow as pa

# A "/" followed by a record code would end the record early when read back.
_UNSAFE = re.compile(r"/\s*(?:0[123]|16|49|88|9[89]),")


def _yymmdd(day: dt.date) -> str:
    return day.strftime("%y%m%d")


def _field(value: str | None, name: str, payment_id: str) -> str:
    text = (value or "").strip()
    if any(c in text for c in ",/\r\n"):
        raise ValueError(f"payment {payment_id!r}: {name} {text!r} cannot hold ',' '/' or newlines")
    return text


def _text(value: str | None, name: str, payment_id: str) -> str:
    text = " ".join((value or "").split())
    if _UNSAFE.search(text + "/"):
        raise ValueError(f"payment {payment_id!r}: {name} {text!r} looks like a record end")
    return text


def write_bai2(
    payments: pa.Table,
    path_or_buffer: str | os.PathLike | BinaryIO,
    *,
    sender: str = "CASHMATCH",
    receiver: str = "RECEIVER",
    account: str = "000123456789",
    file_id: str = "1",
    created: dt.datetime | None = None,
) -> None:
    """Write ``payments`` (PAYMENTS schema, positive amounts) as a BAI2 file.

    Args:
        payments: the credits to write; every amount must be positive.
        path_or_buffer: a path, or a binary buffer to write into.
        sender, receiver: the 01 record's sender and receiver ids.
        account: the account number credited, in every 03 record.
        file_id: the 01 record's file id number.
        created: creation time in the 01 record (default: 2024-01-01 00:00,
            fixed so that the same payments give the same bytes).

    Raises:
        ValueError: a payment that BAI2 cannot carry (negative amount, a
            payment id with "," or "/").
    """
    created = created or dt.datetime(2024, 1, 1)
    rows = payments.to_pylist()
    groups: dict[dt.date, dict[str, list[dict]]] = {}
    for row in rows:
        booked = row.get("booking_date") or row["value_date"]
        groups.setdefault(booked, {}).setdefault(row["currency"], []).append(row)

    out: list[str] = [f"01,{sender},{receiver},{_yymmdd(created)},{created:%H%M},{file_id},,,2/"]
    file_total = 0
    file_records = 1
    for booked in sorted(groups):
        by_currency = groups[booked]
        out.append(f"02,{receiver},{sender},1,{_yymmdd(booked)},2400,,/")
        group_total = 0
        group_records = 1
        for currency in sorted(by_currency):
            credits = by_currency[currency]
            lines: list[str] = []
            detail_total = 0
            for row in credits:
                lines.extend(_detail(row, booked))
                detail_total += row["amount_minor"]
            account_total = 2 * detail_total  # the 100 summary repeats the details' sum
            lines.insert(0, f"03,{account},{currency},100,{detail_total},{len(credits)},/")
            lines.append(f"49,{account_total},{len(lines) + 1}/")
            out.extend(lines)
            group_total += account_total
            group_records += len(lines)
        group_records += 1
        out.append(f"98,{group_total},{len(by_currency)},{group_records}/")
        file_total += group_total
        file_records += group_records
    file_records += 1
    out.append(f"99,{file_total},{len(groups)},{file_records}/")
    data = ("\n".join(out) + "\n").encode("utf-8")
    if isinstance(path_or_buffer, (str, os.PathLike)):
        with open(path_or_buffer, "wb") as handle:
            handle.write(data)
    else:
        path_or_buffer.write(data)


def _detail(row: dict, booked: dt.date) -> list[str]:
    pid = _field(row["payment_id"], "payment_id", row["payment_id"])
    amount = row["amount_minor"]
    if amount is None or amount <= 0:
        raise ValueError(f"payment {pid!r}: BAI2 credits need a positive amount, got {amount}")
    check = _field(row.get("check_number"), "check_number", pid)
    code = "175" if check else "165"
    value = row["value_date"]
    funds = "0" if value == booked else f"V,{_yymmdd(value)},"
    lines = [f"16,{code},{amount},{funds},{pid},{check},/"]
    for key, name in (
        ("REMI", "reference_text"),
        ("DBNM", "payer_name"),
        ("DACT", "payer_account"),
        ("EREF", "end_to_end_id"),
        ("TRID", "trace_id"),
    ):
        text = _text(row.get(name), name, pid)
        if text:
            lines.append(f"88,{key}: {text}/")
    return lines

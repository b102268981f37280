"""Render a PAYMENTS table as a BAI lockbox transmission (standard layout).

One batch (5 ... 7) of at most ``batch_size`` checks per deposit date, one
check record (6) per payment with its amount, check number, remitter routing
and account (``payer_account`` written as "routing/account") and name, one
overflow record (4) per remittance line (invoice number and amount paid), then
the service total (8) and the destination trailer (9) with the record count.
The columns are those of the "standard" layout of
``cashmatch/loaders/lockbox_layouts.toml``.

Payment ids are not carried: the loader derives them from lockbox number,
deposit date, batch and item, as it does for any bank's file.

Example:
    >>> import datetime as dt, io
    >>> import pyarrow as pa
    >>> from cashmatch.engine.schemas import PAYMENTS
    >>> table = pa.Table.from_pylist([{"payment_id": "P1", "amount_minor": 1050,
    ...     "currency": "USD", "value_date": dt.date(2024, 5, 2)}], schema=PAYMENTS)
    >>> buffer = io.BytesIO()
    >>> write_lockbox(table, buffer)
    >>> buffer.getvalue().splitlines()[3][:17].decode()
    '60010010000001050'
"""

from __future__ import annotations

import datetime as dt
import os
from typing import BinaryIO

import pyarrow as pa

from cashmatch.loaders.lockbox import load_layouts


def _put(record: list[str], span: list[int], value: str, *, right: bool = False) -> None:
    width = span[1] - span[0]
    if len(value) > width:
        raise ValueError(f"{value!r} does not fit {width} columns")
    text = value.rjust(width, "0") if right else value.ljust(width)
    record[span[0] : span[1]] = list(text)


def _record(kind: str, length: int = 80) -> list[str]:
    return [kind] + [" "] * (length - 1)


def write_lockbox(
    payments: pa.Table,
    path_or_buffer: str | os.PathLike | BinaryIO,
    *,
    lockbox: str = "0012345",
    destination: str = "CASHMATCH",
    origin: str = "0099999991",
    batch_size: int = 100,
    created: dt.datetime | None = None,
) -> None:
    """Write ``payments`` (USD, positive amounts) as a standard-layout lockbox file.

    Raises:
        ValueError: a payment the layout cannot carry (not USD, amount not
            positive or over 10 digits, a name or invoice number too long).
    """
    layout = load_layouts()["standard"]
    created = created or dt.datetime(2024, 1, 1)
    rows = payments.to_pylist()
    by_date: dict[dt.date, list[dict]] = {}
    for row in rows:
        if row["currency"] != layout["currency"]:
            raise ValueError(f"payment {row['payment_id']!r}: lockbox files carry USD only")
        by_date.setdefault(row["value_date"], []).append(row)

    lines: list[str] = []
    header = _record("1")
    _put(header, [1, 3], "00")
    _put(header, layout["header"]["destination"], destination)
    _put(header, layout["header"]["origin"], origin)
    _put(header, layout["header"]["date"], created.strftime("%y%m%d"))
    _put(header, layout["header"]["time"], created.strftime("%H%M"))
    lines.append("".join(header))
    service = _record("2")
    _put(service, [1, 42], f"{destination:<10}{origin:<10}000000000040008000801")
    lines.append("".join(service))
    for day in sorted(by_date):
        day_rows = by_date[day]
        total = count = 0
        # Batch numbers have 3 digits and service totals count at most 9999
        # checks: number batches per deposit date, close a service total per
        # date and whenever it would overflow.
        for batch_no, start in enumerate(range(0, len(day_rows), batch_size), 1):
            batch = f"{batch_no:03d}"
            chunk = day_rows[start : start + batch_size]
            if count + len(chunk) > 9999:
                lines.append(_service_total(layout, lockbox, day, count, total))
                total = count = 0
            lines.append(_batch_header(layout, batch, lockbox, day, destination, origin))
            batch_total = 0
            for item, row in enumerate(chunk, 1):
                lines.extend(_check(layout, batch, f"{item:03d}", row))
                batch_total += row["amount_minor"]
            record = _record("7")
            spec = layout["batch_total"]
            _put(record, spec["batch"], batch)
            _put(record, [7, 14], lockbox, right=True)
            _put(record, [14, 20], day.strftime("%y%m%d"))
            _put(record, spec["count"], str(len(chunk)), right=True)
            _put(record, spec["amount"], str(batch_total), right=True)
            lines.append("".join(record))
            total += batch_total
            count += len(chunk)
        lines.append(_service_total(layout, lockbox, day, count, total))
    trailer = _record("9")
    _put(trailer, layout["trailer"]["record_count"], str(len(lines) + 1), right=True)
    lines.append("".join(trailer))
    data = ("\r\n".join(lines) + "\r\n").encode("latin-1")
    if isinstance(path_or_buffer, (str, os.PathLike)):
        with open(path_or_buffer, "wb") as handle:
            handle.write(data)
    else:
        path_or_buffer.write(data)


def _service_total(layout: dict, lockbox: str, day: dt.date, count: int, total: int) -> str:
    record = _record("8")
    _put(record, [7, 14], lockbox, right=True)
    _put(record, [14, 20], day.strftime("%y%m%d"))
    _put(record, layout["service_total"]["count"], str(count), right=True)
    _put(record, layout["service_total"]["amount"], str(total), right=True)
    return "".join(record)


def _batch_header(
    layout: dict, batch: str, lockbox: str, day: dt.date, destination: str, origin: str
) -> str:
    record = _record("5")
    spec = layout["batch_header"]
    _put(record, spec["batch"], batch)
    _put(record, [4, 7], "000")
    _put(record, spec["lockbox"], lockbox, right=True)
    _put(record, spec["deposit_date"], day.strftime("%y%m%d"))
    _put(record, [20, 40], f"{destination:<10}{origin:<10}")
    return "".join(record)


def _check(layout: dict, batch: str, item: str, row: dict) -> list[str]:
    amount = row["amount_minor"]
    if amount is None or amount <= 0:
        raise ValueError(f"payment {row['payment_id']!r}: a check needs a positive amount")
    spec = layout["detail"]
    record = _record("6", 102)
    _put(record, spec["batch"], batch)
    _put(record, spec["item"], item)
    _put(record, spec["amount"], str(amount), right=True)
    routing, _, account = (row.get("payer_account") or "").rpartition("/")
    _put(record, spec["routing"], routing)
    _put(record, spec["account"], account)
    _put(record, spec["check_number"], row.get("check_number") or "", right=True)
    _put(record, [46, 52], row["value_date"].strftime("%m%d%y"))
    _put(record, spec["remitter_name"], row.get("payer_name") or "")
    lines = ["".join(record).rstrip()]
    over = layout["overflow"]
    remittance = row.get("remittance") or []
    for sequence, line in enumerate(remittance, 1):
        record = _record("4")
        _put(record, over["batch"], batch)
        _put(record, over["item"], item)
        _put(record, [7, 8], "6")
        _put(record, over["sequence"], f"{sequence:02d}")
        _put(record, [10, 11], "9" if sequence == len(remittance) else "0")
        _put(record, over["invoice_ref"], line.get("invoice_ref") or "")
        paid = line.get("amount_paid_minor")
        if paid is not None:
            if paid < 0:
                raise ValueError(f"payment {row['payment_id']!r}: negative invoice amount")
            _put(record, over["invoice_amount"], str(paid), right=True)
        lines.append("".join(record))
    return lines

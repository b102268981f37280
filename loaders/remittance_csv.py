"""Remittance advices as CSV: one row per invoice paid, grouped by payment.

Customers and AR portals often send "what this payment is for" as a
spreadsheet rather than an EDI 820. The columns (header names, any order,
case-insensitive; the delimiter is whichever of ``,`` ``;`` tab ``|`` the
header uses most):

* ``payment_reference`` (required): the payment's trace id, end-to-end id or
  bank reference; it becomes the advice's ``trace_id`` and links it to the
  payment (:mod:`cashmatch.loaders.link`).
* ``invoice_number``, ``amount_paid`` (required).
* optional ``currency`` (else the ``currency`` argument), ``discount``,
  ``deduction`` and ``deduction_reason``, ``invoice_amount``, ``payer_name``,
  ``payment_date`` (YYYY-MM-DD), ``payment_amount``.

All rows of one ``payment_reference`` make one advice, with one line per row.
Its amount is ``payment_amount`` when given, else the sum of ``amount_paid``.
A ``deduction`` is what the payer withheld, written as a positive amount; it
is stored as a negative ``adjustment_minor``, the sign an X12 ADX uses.

Example:
    >>> data = b"payment_reference,invoice_number,amount_paid\\nTRN-1,INV-1,10.50\\n"
    >>> loaded = load_remittance_csv("remit.csv", data=data)
    >>> loaded.advices["trace_id"].to_pylist(), loaded.advices["amount_minor"].to_pylist()
    (['TRN-1'], [1050])
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

from cashmatch.engine.money import MoneyError, currency_exponent, format_amount, parse_amount
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.base import LoadedFile, RemittanceAdvice, RemittanceLine
from cashmatch.loaders.edi820 import advices_columns
from cashmatch.loaders.errors import LoadError

FORMAT = "remittance_csv"
REQUIRED = ("payment_reference", "invoice_number", "amount_paid")
OPTIONAL = (
    "currency",
    "discount",
    "deduction",
    "deduction_reason",
    "invoice_amount",
    "payer_name",
    "payment_date",
    "payment_amount",
)
# Per-payment columns: every row of one payment_reference must agree on them.
_ADVICE_COLUMNS = ("currency", "payer_name", "payment_date", "payment_amount")
_DELIMITERS = (",", ";", "\t", "|")


class _Bad(Exception):
    def __init__(self, message: str, field: str | None):
        super().__init__(message)
        self.message, self.field = message, field


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text[1:] if text.startswith("\ufeff") else text


def _delimiter(header: str) -> str:
    return max(_DELIMITERS, key=header.count) if any(d in header for d in _DELIMITERS) else ","


def _header_names(line: str) -> list[str]:
    return [name.strip().strip('"').strip().lower() for name in line.split(_delimiter(line))]


def sniff_remittance_csv(head: bytes) -> bool:
    """Recognise a remittance CSV: a header line naming invoice_number and amount_paid.

    Example:
        >>> sniff_remittance_csv(b"payment_reference;invoice_number;amount_paid\\n")
        True
    """
    text = _decode(head)
    line = text.lstrip().split("\n", 1)[0].rstrip("\r")
    names = set(_header_names(line))
    return {"invoice_number", "amount_paid"} <= names


def _amount(text: str, currency: str, field: str) -> int:
    try:
        return parse_amount(text, currency)
    except MoneyError as error:
        raise _Bad(str(error), field) from None


def _date(text: str) -> dt.date:
    # fromisoformat alone would also take "20240105" and week dates on 3.11.
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise _Bad(f"not an ISO date (YYYY-MM-DD): {text!r}", "payment_date")


class _Group:
    """The rows of one payment_reference, becoming one advice."""

    __slots__ = ("digest", "first_row", "lines", "value_rows", "values")

    def __init__(self, first_row: int):
        self.first_row = first_row
        self.lines: list[RemittanceLine] = []
        self.values: dict[str, object] = {}
        self.value_rows: dict[str, int] = {}
        self.digest = hashlib.sha1(usedforsecurity=False)


def load_remittance_csv(
    path: str,
    *,
    data: bytes | None = None,
    lenient: bool = False,
    currency: str = "EUR",
) -> LoadedFile:
    """Load a remittance CSV into remittance advices (``payments`` stays empty).

    Args:
        path: the file; with ``data`` given, only named in messages.
        data: the file's bytes, when already read.
        lenient: skip bad rows, each reported in ``problems``.
        currency: the currency of rows without a ``currency`` value.

    Raises:
        LoadError: naming the data row (header excluded) and the column.
    """
    path = str(path)
    try:
        default_currency = currency.strip().upper()
        currency_exponent(default_currency)
    except MoneyError:
        raise LoadError(path, f"unknown default currency {currency!r}", field="currency") from None
    if data is None:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise LoadError(path, f"cannot read: {error.strerror or error}") from None
    text = _decode(data)
    lines = text.splitlines()
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        raise LoadError(path, "empty file: no header line", line=1)
    delimiter = _delimiter(lines[header_index])
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = list(reader)
    except csv.Error as error:
        raise LoadError(path, f"cannot read CSV: {error}") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        # Only quotes or separators: nothing a header could be read from.
        raise LoadError(path, "no header line", line=header_index + 1)
    names = [name.strip().lower() for name in rows[0]]
    for name in REQUIRED:
        if name not in names:
            raise LoadError(path, "missing required column", line=header_index + 1, field=name)
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise LoadError(path, "duplicate column", line=header_index + 1, field=name)
        seen.add(name)
    position = {name: names.index(name) for name in (*REQUIRED, *OPTIONAL) if name in names}
    groups: dict[str, _Group] = {}
    problems: list[str] = []
    skipped: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=1):
        try:
            if len(row) != len(names):
                raise _Bad(f"{len(row)} fields where the header has {len(names)}", None)
            _row(row, number, position, default_currency, groups)
        except _Bad as bad:
            error = LoadError(path, bad.message, row=number, field=bad.field)
            if not lenient:
                raise error from None
            problems.append(str(error))
            skipped["invalid_row"] = skipped.get("invalid_row", 0) + 1
    advices = []
    for reference, group in groups.items():
        values = group.values
        code = values.get("currency", default_currency)
        amount = values.get("payment_amount")
        if amount is None:
            amount = sum(line.amount_paid_minor for line in group.lines)
        advices.append(
            RemittanceAdvice(
                advice_id=f"{reference}#{group.digest.hexdigest()[:12]}",
                lines=group.lines,
                trace_id=reference,
                payer_name=values.get("payer_name"),
                amount_minor=amount,
                currency=code,
                payment_date=values.get("payment_date"),
                source_format=FORMAT,
                source_file=path,
            )
        )
    return LoadedFile(
        format=FORMAT,
        payments=PAYMENTS.empty_table(),
        advices=advices_columns(advices),
        skipped=skipped,
        problems=problems,
        summary=_summary(advices, len(rows) - 1, names, skipped),
    )


def _row(
    row: list[str],
    number: int,
    position: dict[str, int],
    default_currency: str,
    groups: dict[str, _Group],
) -> None:
    cell = {name: row[index].strip() for name, index in position.items()}
    for name in REQUIRED:
        if not cell[name]:
            raise _Bad("a value is required", name)
    code = cell.get("currency", "").upper() or default_currency
    try:
        currency_exponent(code)
    except MoneyError:
        raise _Bad(f"unknown currency {code!r}", "currency") from None
    values: dict[str, object] = {"currency": code}
    if cell.get("payer_name"):
        values["payer_name"] = cell["payer_name"]
    if cell.get("payment_date"):
        values["payment_date"] = _date(cell["payment_date"])
    if cell.get("payment_amount"):
        values["payment_amount"] = _amount(cell["payment_amount"], code, "payment_amount")

    def optional(name: str) -> int | None:
        return _amount(cell[name], code, name) if cell.get(name) else None

    deduction = optional("deduction")
    line = RemittanceLine(
        invoice_ref=cell["invoice_number"],
        amount_paid_minor=_amount(cell["amount_paid"], code, "amount_paid"),
        invoice_amount_minor=optional("invoice_amount"),
        discount_minor=optional("discount"),
        adjustment_minor=None if deduction is None else -deduction,
        adjustment_reason=cell.get("deduction_reason") or None,
    )
    reference = cell["payment_reference"]
    group = groups.get(reference)
    if group is None:
        group = _Group(number)
    else:
        # Per-payment values must agree with the rows already read for this reference.
        for name in _ADVICE_COLUMNS:
            if name in values and name in group.values and values[name] != group.values[name]:
                raise _Bad(
                    f"{name} {cell.get(name) or values[name]!r} differs from row "
                    f"{group.value_rows[name]} of payment_reference {reference!r}",
                    name,
                )
    # Only a row found good changes its group, so a skipped row leaves no trace.
    groups[reference] = group
    for name, value in values.items():
        if name not in group.values:
            group.values[name] = value
            group.value_rows[name] = number
    group.lines.append(line)
    group.digest.update("\x1f".join(row).encode("utf-8") + b"\x1e")


def _summary(
    advices: list[RemittanceAdvice], rows: int, names: list[str], skipped: dict[str, int]
) -> dict[str, object]:
    totals: dict[str, int] = {}
    for advice in advices:
        totals[advice.currency] = totals.get(advice.currency, 0) + advice.amount_minor
    dates = [a.payment_date for a in advices if a.payment_date is not None]
    return {
        "format": FORMAT,
        "rows": rows,
        "advices": len(advices),
        "remittance_lines": sum(len(a.lines) for a in advices),
        "payments": 0,
        "currencies": sorted(totals),
        "total_advised": {c: format_amount(v, c) for c, v in sorted(totals.items())},
        "date_range": [min(dates).isoformat(), max(dates).isoformat()] if dates else None,
        "ignored_columns": [n for n in names if n not in REQUIRED and n not in OPTIONAL],
        "skipped": dict(skipped),
    }

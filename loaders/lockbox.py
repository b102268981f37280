"""BAI lockbox transmissions: one payment per check, its invoices as remittance.

A lockbox file is a list of fixed-width records, one per line: an immediate
address header (1), a service record (2), then batches (5 header, 6 check
detail, 4 overflow records holding the invoices the preceding check pays, 7
batch total), service totals (8) and the destination trailer (9). Banks place
the fields at different columns, so the columns come from a named layout in
``lockbox_layouts.toml`` ("standard" or "opentaps").

Example:
    >>> loaded = load_lockbox("deposit.mbx", layout="opentaps")  # doctest: +SKIP
    >>> loaded.payments.column("check_number")[0]  # doctest: +SKIP
    <pyarrow.StringScalar: '1012345678'>
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from cashmatch.engine.money import MoneyError, currency_exponent, format_amount
from cashmatch.loaders.base import LoadedFile, Payment, RemittanceLine, payments_table
from cashmatch.loaders.errors import LoadError

FORMAT = "lockbox"
LAYOUTS_FILE = Path(__file__).with_name("lockbox_layouts.toml")
_RECORD_TYPES = frozenset("1245 6789".replace(" ", ""))
_REQUIRED = {
    "header": ("date",),
    "batch_header": ("lockbox", "deposit_date"),
    "detail": ("item", "amount"),
    "overflow": ("invoice_ref",),
    "batch_total": ("amount",),
    "service_total": ("amount",),
    "trailer": ("record_count",),
}


def _parse_toml_subset(text: str) -> dict:
    """Read the TOML subset the layouts file uses (for Python 3.10, which lacks tomllib).

    Tables ``[a.b]``, and ``key = value`` with strings, integers, booleans and
    lists of integers; ``#`` comments.
    """
    root: dict = {}
    table = root
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            table = root
            for part in line[1 : line.index("]")].split("."):
                table = table.setdefault(part.strip(), {})
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"line {number}: expected key = value")
        key, value = key.strip(), value.strip()
        if value.startswith('"'):
            table[key] = value[1 : value.index('"', 1)]
            continue
        value = value.split("#", 1)[0].strip()
        if value in ("true", "false"):
            table[key] = value == "true"
        elif value.startswith("["):
            table[key] = [int(v) for v in value.strip("[]").split(",") if v.strip()]
        else:
            table[key] = int(value)
    return root


@lru_cache(maxsize=4)
def load_layouts(path: str = str(LAYOUTS_FILE)) -> dict[str, dict]:
    """The lockbox layouts by name, read from the TOML description."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return _parse_toml_subset(text)
    return tomllib.loads(text)


def sniff_lockbox(head: bytes) -> bool:
    """Tell whether ``head`` (the first bytes of a file) is a BAI lockbox file.

    The first record is an immediate address header: "1", a 2-digit priority,
    destination and origin ids, a YYMMDD date and HHMM time; the next record is
    a service record (2) or a batch header (5).

    Example:
        >>> sniff_lockbox(b"100ABCDEFGHIJ00999999911605231800\\n2ABCDEFGHIJ0099999991000\\n")
        True
    """
    text = head.removeprefix(b"\xef\xbb\xbf")
    lines = [line for line in re.split(rb"\r\n|\n|\r", text) if line.strip()]
    if len(lines) < 2 or len(lines[0]) > 120:
        return False
    first = lines[0]
    return (
        re.match(rb"1\d\d.{20}\d{10}", first) is not None
        and lines[1][:1] in (b"2", b"5")
        and b"," not in first
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class _Lockbox:
    """Reads the records of one file with one layout."""

    def __init__(self, path: str, layout_name: str, lenient: bool):
        layouts = load_layouts()
        if layout_name not in layouts:
            raise LoadError(
                path, f"unknown lockbox layout {layout_name!r} (known: {', '.join(layouts)})"
            )
        self.layout = layouts[layout_name]
        self.path, self.lenient = path, lenient
        self.currency = self.layout.get("currency", "USD")
        try:
            exponent = currency_exponent(self.currency)
        except MoneyError as error:
            raise LoadError(path, f"layout {layout_name!r}: {error}") from None
        self.scale = exponent - int(self.layout.get("decimals", 2))
        for record, names in _REQUIRED.items():
            for name in names:
                if name not in self.layout.get(record, {}):
                    raise LoadError(path, f"layout {layout_name!r} lacks {record}.{name}")
        self.problems: list[str] = []
        self.skipped: dict[str, int] = {}

    def field(self, line: str, record: str, name: str) -> str | None:
        span = self.layout[record].get(name)
        if span is None:
            return None
        return line[span[0] : span[1]].strip()

    def amount(self, line: str, number: int, record: str, name: str) -> int | None:
        text = self.field(line, record, name)
        if not text:
            return None
        if not (text.isascii() and text.isdigit()):
            raise LoadError(self.path, f"not an amount: {text!r}", line=number, field=name)
        value = int(text)
        if self.scale >= 0:
            return value * 10**self.scale
        if value % 10 ** (-self.scale):
            raise LoadError(
                self.path,
                f"{text!r} has more decimals than {self.currency}",
                line=number,
                field=name,
            )
        return value // 10 ** (-self.scale)

    def count(self, line: str, number: int, record: str, name: str) -> int | None:
        text = self.field(line, record, name)
        if text is None:
            return None
        if not (text.isascii() and text.isdigit()):
            raise LoadError(self.path, f"not a count: {text!r}", line=number, field=name)
        return int(text)

    def date(self, line: str, number: int, record: str, name: str) -> dt.date:
        text = self.field(line, record, name) or ""
        try:
            if len(text) != 6 or not text.isdigit():
                raise ValueError
            return dt.date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
        except ValueError:
            raise LoadError(
                self.path, f"not a YYMMDD date: {text!r}", line=number, field=name
            ) from None

    def ref(self, text: str | None) -> str | None:
        if text and self.layout.get("zero_padded_refs"):
            text = text.lstrip("0")
        return text or None

    def mismatch(self, message: str, number: int, field: str) -> None:
        error = LoadError(self.path, message, line=number, field=field)
        if not self.lenient:
            raise error
        self.problems.append(str(error))


def load_lockbox(
    path: str, *, data: bytes | None = None, lenient: bool = False, layout: str = "standard"
) -> LoadedFile:
    """Load a BAI lockbox file: one payment per check (6 record).

    Args:
        path: the file; only named in messages when ``data`` is given.
        data: the file's bytes, to parse instead of reading ``path``.
        lenient: skip bad check records (with their overflow records) and
            report total mismatches in ``problems`` instead of rejecting the file.
        layout: the column layout, a table of ``lockbox_layouts.toml``.

    Returns:
        A :class:`LoadedFile` with format ``"lockbox"``; a check's overflow
        invoices are its structured remittance.

    Raises:
        LoadError: naming the line and field of the first problem, e.g. a
            batch (7) or service (8) total that is not the sum of its checks.
    """
    path = str(path)
    if data is None:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise LoadError(path, f"cannot read: {error.strerror or error}") from None
    reader = _Lockbox(path, layout, lenient)
    lines = _decode(data).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    payments: list[Payment] = []
    header_seen = trailer_seen = False
    batch: dict | None = None  # lockbox, deposit_date, total, count, line
    service_total = service_count = 0
    current: Payment | None = None
    skipping = False  # lenient mode dropped the current check
    lockboxes: list[str] = []
    deposited_to: list[str | None] = []  # per payment: its lockbox
    records = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        records += 1
        kind = line[0]
        if trailer_seen:
            raise LoadError(path, "record after the destination trailer (9)", line=number)
        if kind not in _RECORD_TYPES:
            error = LoadError(
                path, f"unknown record type {kind!r}", line=number, field="record_type"
            )
            if not lenient or not header_seen:
                raise error
            reader.problems.append(str(error))
            reader.skipped["invalid"] = reader.skipped.get("invalid", 0) + 1
            continue
        if not header_seen and kind != "1":
            raise LoadError(
                path, "a lockbox file starts with an immediate address header (1)", line=number,
                field="record_type",
            )  # fmt: skip
        if kind == "1":
            if header_seen:
                raise LoadError(path, "second immediate address header (1)", line=number)
            reader.date(line, number, "header", "date")
            header = {
                "destination": reader.field(line, "header", "destination"),
                "origin": reader.field(line, "header", "origin"),
                "date": reader.field(line, "header", "date"),
            }
            header_seen = True
        elif kind == "2":
            pass
        elif kind == "5":
            if batch is not None:
                raise LoadError(
                    path, "batch header (5) before the previous batch total (7)", line=number
                )
            lockbox = reader.field(line, "batch_header", "lockbox") or ""
            batch = {
                "lockbox": lockbox,
                "deposit_date": reader.date(line, number, "batch_header", "deposit_date"),
                "total": 0,
                "count": 0,
            }
            if lockbox not in lockboxes:
                lockboxes.append(lockbox)
            current = None
        elif kind == "6":
            if batch is None:
                raise LoadError(
                    path, "check detail (6) outside a batch", line=number, field="record_type"
                )
            try:
                payment = _check(reader, line, number, batch)
            except LoadError as error:
                if not lenient:
                    raise
                reader.problems.append(str(error))
                reader.skipped["invalid"] = reader.skipped.get("invalid", 0) + 1
                current, skipping = None, True
                continue
            skipping = False
            batch["total"] += payment.amount_minor
            batch["count"] += 1
            payments.append(payment)
            deposited_to.append(batch["lockbox"].replace(" ", "") or None)
            current = payment
        elif kind == "4":
            if batch is None:
                raise LoadError(
                    path, "overflow (4) outside a batch", line=number, field="record_type"
                )
            if current is None:
                if skipping:
                    continue  # belongs to a check skipped above
                raise LoadError(path, "overflow (4) without a preceding check (6)", line=number)
            try:
                invoice = reader.ref(reader.field(line, "overflow", "invoice_ref"))
                paid = reader.amount(line, number, "overflow", "invoice_amount")
            except LoadError as error:
                if not lenient:
                    raise
                reader.problems.append(str(error))
                continue
            customer = reader.ref(reader.field(line, "overflow", "customer_ref"))
            if invoice is not None or paid is not None:
                current.remittance.append(RemittanceLine(invoice, amount_paid_minor=paid))
            pieces = [p for p in (current.reference_text, invoice, customer) if p]
            current.reference_text = " ".join(dict.fromkeys(" ".join(pieces).split())) or None
        elif kind == "7":
            if batch is None:
                raise LoadError(
                    path, "batch total (7) without a batch", line=number, field="record_type"
                )
            stated = reader.amount(line, number, "batch_total", "amount") or 0
            if stated != batch["total"]:
                reader.mismatch(
                    f"batch total {_money(stated, reader)} != sum of its checks"
                    f" {_money(batch['total'], reader)}",
                    number,
                    "amount",
                )
            count = reader.count(line, number, "batch_total", "count")
            if reader.layout.get("check_counts") and count is not None and count != batch["count"]:
                reader.mismatch(
                    f"batch item count {count} != {batch['count']} checks", number, "count"
                )
            service_total += batch["total"]
            service_count += batch["count"]
            batch = current = None
        elif kind == "8":
            if batch is not None:
                raise LoadError(path, "service total (8) inside an open batch", line=number)
            stated = reader.amount(line, number, "service_total", "amount") or 0
            if stated != service_total:
                reader.mismatch(
                    f"service total {_money(stated, reader)} != sum of the checks"
                    f" {_money(service_total, reader)}",
                    number,
                    "amount",
                )
            count = reader.count(line, number, "service_total", "count")
            if reader.layout.get("check_counts") and count is not None and count != service_count:
                reader.mismatch(
                    f"service item count {count} != {service_count} checks", number, "count"
                )
            service_total = service_count = 0
        elif kind == "9":
            if batch is not None:
                raise LoadError(path, "destination trailer (9) inside an open batch", line=number)
            count = reader.count(line, number, "trailer", "record_count")
            if reader.layout.get("check_counts") and count is not None and count != records:
                reader.mismatch(
                    f"record count {count} != {records} records", number, "record_count"
                )
            trailer_seen = True
    if not header_seen:
        raise LoadError(path, "empty file: no lockbox records", line=1)
    if not trailer_seen:
        raise LoadError(
            path, "file ends without a destination trailer (9) (truncated?)", line=len(lines),
            field="record_type",
        )  # fmt: skip
    _unique_ids(payments)
    for payment in payments:
        payment.source_file = path
    table = payments_table(payments)
    # The lockbox a check was deposited to is the company's account of the statement.
    table = table.set_column(
        table.schema.get_field_index("statement_account"),
        table.schema.field("statement_account"),
        pa.array(deposited_to, pa.string()),
    )
    credited = sum(p.amount_minor for p in payments)
    days = [p.value_date for p in payments]
    summary = {
        "format": FORMAT,
        "layout": layout,
        **header,
        "lockboxes": lockboxes,
        "currency": reader.currency,
        "payments": len(payments),
        "skipped": dict(reader.skipped),
        "total_credited": {reader.currency: format_amount(credited, reader.currency)},
        "date_range": [min(days).isoformat(), max(days).isoformat()] if days else None,
    }
    return LoadedFile(
        format=FORMAT, payments=table, skipped=reader.skipped, problems=reader.problems,
        summary=summary,
    )  # fmt: skip


def _money(minor: int, reader: _Lockbox) -> str:
    return format_amount(minor, reader.currency)


def _check(reader: _Lockbox, line: str, number: int, batch: dict) -> Payment:
    amount = reader.amount(line, number, "detail", "amount")
    if amount is None:
        raise LoadError(reader.path, "check without an amount", line=number, field="amount")
    batch_no = reader.field(line, "detail", "batch") or ""
    item = reader.field(line, "detail", "item") or ""
    if not item:
        raise LoadError(reader.path, "check without an item number", line=number, field="item")
    routing = reader.field(line, "detail", "routing") or ""
    account = reader.field(line, "detail", "account") or ""
    check = (reader.field(line, "detail", "check_number") or "").lstrip("0")
    deposit: dt.date = batch["deposit_date"]
    return Payment(
        payment_id=f"{batch['lockbox']}-{deposit:%y%m%d}-{batch_no}-{item}",
        amount_minor=amount,
        currency=reader.currency,
        value_date=deposit,
        booking_date=deposit,
        payer_name=reader.field(line, "detail", "remitter_name") or None,
        payer_account="/".join(p for p in (routing, account) if p) or None,
        source_format=FORMAT,
        source_location=f"line {number}",
        check_number=check or None,
    )


def _unique_ids(payments: list[Payment]) -> None:
    """Suffix repeated ids (#2, #3...) in file order, so re-loads give the same ids."""
    seen: set[str] = set()
    for payment in payments:
        base, k = payment.payment_id, 1
        while payment.payment_id in seen:
            k += 1
            payment.payment_id = f"{base}#{k}"
        seen.add(payment.payment_id)

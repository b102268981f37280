"""French CFONB 120-character bank statements ("relevé de compte 120 caractères").

Fixed-width records of 120 characters, with or without line ends (some banks
send one long line), blank lines tolerated:

* ``01`` previous balance, ``07`` new balance: bank (3-7), branch (12-16),
  currency (17-19), decimals (20), account (22-32), date DDMMYY (35-40),
  amount (91-104);
* ``04`` operation: the same key fields, internal operation code (8-11),
  interbank operation code (33-34), booking date (35-40), reject reason
  (41-42), value date (43-48), label (49-79), entry number (82-88),
  amount (91-104), reference (105-120);
* ``05`` complement of the ``04`` before it: qualifier (46-48) and 70
  characters of detail (49-118). ``LIB``/``LCC``/``LC2`` add text, ``NPY``
  is the payer's name (``NPO`` the ultimate debtor's), ``IPY`` the payer's
  identifier, ``RCN`` the end-to-end reference (35) and purpose (35),
  ``REF`` a reference, ``LCS`` a structured creditor reference (a remittance
  line); other qualifiers (``NBE``, ``MMO``, ...) are read and ignored.

Amounts are 14 digits whose last character carries the sign and the last
digit (``{`` = +0, ``A``-``I`` = +1..9, ``}`` = -0, ``J``-``R`` = -1..9), in
units of 10^-decimals.

Every positive ``04`` becomes one payment; negative ones are counted as
``debit`` and operations with a reject reason as ``return`` in
``LoadedFile.skipped``. Check: previous balance + operations = new balance for
each ``01`` ... ``07`` run of one account; a mismatch rejects the file
(``lenient=True``: reported in ``problems``, payments kept).

payment_id: ``<bank><branch><account>-<booking YYMMDD>-<reference>`` with the
``04``'s reference, else its entry number, else ``#<n>`` its position among
that account's operations of that day; ``#<n>`` is also appended when the
reference repeats.

Example:
    >>> loaded = load_cfonb120("releve.cfonb")  # doctest: +SKIP
    >>> loaded.payments.num_rows, loaded.skipped  # doctest: +SKIP
    (1, {'debit': 5})
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.base import LoadedFile
from cashmatch.loaders.errors import LoadError
from cashmatch.loaders.statement_text import (
    decode_text,
    exponent_of,
    format_minor,
    read_bytes,
    scale_minor,
    statement_result,
    two_digit_year,
)

CFONB120 = "cfonb120"
RECORD = 120

# Overpunched last digit: character -> (sign, digit).
_OVERPUNCH = {
    **{c: (1, d) for d, c in enumerate("{ABCDEFGHI")},
    **{c: (-1, d) for d, c in enumerate("}JKLMNOPQR")},
}
_RECORD_TYPES = {"01", "04", "05", "07"}
_TEXT_QUALIFIERS = {"LIB", "LCC", "LC2"}
_SPACES = re.compile(r"\s+")
_NOT_PROVIDED = {"", "NOTPROVIDED", "NONREF"}
_SNIFF = re.compile(rb"01\d{5}[ 0-9A-Z]{4}\d{5}")


def sniff_cfonb120(head: bytes) -> bool:
    """Whether ``head`` (the first ~4 KiB) is a CFONB 120 statement.

    It must start with a ``01`` record (``01`` + 5-digit bank code + 4 spaces
    or an operation code + 5-digit branch) and its records must be 120
    characters, on lines or back to back.

    Example:
        >>> sniff_cfonb120(b"0130002    00447EUR2 0000888899H  160911" + b" " * 80 + b"\\n")
        True
        >>> sniff_cfonb120(b":20:STATEMENT\\n:25:NL81ASNB9999999999\\n")
        False
    """
    text = head.lstrip(b"\xef\xbb\xbf\r\n")
    if not _SNIFF.match(text):
        return False
    first = text.split(b"\n", 1)[0].rstrip(b"\r")
    if len(first) == RECORD:
        return True
    # One long line of back-to-back records.
    return len(first) > RECORD and first[RECORD : RECORD + 2] in (b"01", b"04", b"05", b"07")


def load_cfonb120(path: str, *, data: bytes | None = None, lenient: bool = False) -> LoadedFile:
    """Load a CFONB 120 statement: one payment per credit operation (``04``).

    Args:
        path: the file; only named in messages when ``data`` is given.
        data: the file's bytes, when already read.
        lenient: skip bad records (each reported in ``problems``) instead of
            rejecting the file.

    Raises:
        LoadError: naming the line (physical line, or record number for a
            file without line ends) and the field at fault.
    """
    operations: list[Operation] = []
    return _Parser(str(path), decode_text(read_bytes(path, data)), lenient, operations).run()


def read_cfonb120_operations(
    path: str, *, data: bytes | None = None, lenient: bool = False
) -> list[Operation]:
    """Every ``04`` operation with its ``05`` details, debits included.

    Same parse and checks as :func:`load_cfonb120`.
    """
    operations: list[Operation] = []
    _Parser(str(path), decode_text(read_bytes(path, data)), lenient, operations).run()
    return operations


@dataclass
class Operation:
    """One ``04`` record with what its ``05`` records add; amount signed, minor units."""

    line: int
    bank: str
    branch: str
    account: str
    currency: str
    amount_minor: int
    booking_date: dt.date
    value_date: dt.date
    interbank_code: str
    internal_code: str
    reject_reason: str
    label: str
    entry_number: str
    reference: str
    details: list[tuple[str, str]] = field(default_factory=list)

    @property
    def payer_name(self) -> str | None:
        """``NPY``, else ``NPO``."""
        return self._first("NPY") or self._first("NPO")

    def _first(self, qualifier: str) -> str | None:
        for q, text in self.details:
            if q == qualifier:
                value = _SPACES.sub(" ", text).strip()
                if value:
                    return value
        return None


class _Bad(Exception):
    def __init__(self, message: str, line: int, field_name: str | None):
        super().__init__(message)
        self.message, self.line, self.field = message, line, field_name


@dataclass
class _Run:
    """Operations of one account between its ``01`` and ``07``."""

    key: tuple[str, str]
    opening: tuple[int, int | None]  # raw value and its decimals (None: blank field)
    line: int
    operations: list[Operation] = field(default_factory=list)
    bad: int = 0


class _Parser:
    def __init__(self, path: str, text: str, lenient: bool, operations: list[Operation]):
        self.path, self.text, self.lenient = path, text, lenient
        self.operations = operations
        self.problems: list[str] = []
        self.skipped: Counter = Counter()
        self.accounts: set[str] = set()
        self.balances_checked = 0
        self.dates: list[dt.date] = []

    def run(self) -> LoadedFile:
        runs: dict[tuple[str, str], _Run] = {}
        current: Operation | None = None
        records = 0
        for line, record in self._records():
            records += 1
            kind = record[:2]
            try:
                if kind not in _RECORD_TYPES:
                    raise _Bad(f"unknown record type {kind!r}", line, "record type")
                # Runs are keyed by branch and account, not bank: banks put the
                # counterparty bank's code on some operations.
                key = (record[11:16], record[21:32].strip())
                if kind == "01":
                    current = None
                    if key in runs:
                        raise _Bad(
                            f"previous balance for account {key[1]} before the new balance of"
                            f" the one on line {runs[key].line}",
                            line,
                            "record type",
                        )
                    runs[key] = _Run(key, self._raw_amount(record, line), line)
                    self._date(record[34:40], line, "balance date")
                    self.accounts.add(key[1])
                elif kind == "07":
                    current = None
                    closing = self._raw_amount(record, line)
                    self._date(record[34:40], line, "balance date")
                    run = runs.pop(key, None)
                    if run is not None:
                        self._check(run, closing, record, line)
                    self.accounts.add(key[1])
                elif kind == "04":
                    current = None
                    operation = self._operation(record, line, runs.get(key))
                    current = operation
                    self.operations.append(operation)
                    run = runs.get(key)
                    if run is not None:
                        run.operations.append(operation)
                    self.accounts.add(key[1])
                else:
                    if current is None:
                        raise _Bad("complement record 05 without an operation 04", line, "05")
                    current.details.append((record[45:48], record[48:118]))
            except _Bad as bad:
                self._problem(bad, "record skipped: ")
                if kind == "04":
                    run = runs.get((record[11:16], record[21:32].strip()))
                    if run is not None:
                        run.bad += 1
        if records == 0:
            raise LoadError(self.path, "no CFONB 120 record found", line=1, field="record type")
        for run in runs.values():
            self._problem(
                _Bad(
                    f"account {run.key[1]}: previous balance without a new balance 07 (truncated?)",
                    run.line,
                    "record type",
                ),
                "",
            )
        return self._result()

    def _problem(self, bad: _Bad, prefix: str) -> None:
        error = LoadError(self.path, bad.message, line=bad.line, field=bad.field)
        if not self.lenient:
            raise error from None
        self.problems.append(prefix + str(error))

    def _records(self):
        """(line, record) pairs: lines of 120 characters, or 120-character slices
        of longer lines (then ``line`` counts records)."""
        for number, raw in enumerate(self.text.splitlines(), start=1):
            if not raw.strip():
                continue
            if len(raw) == RECORD:
                yield number, raw
                continue
            stripped = raw.rstrip()
            if len(stripped) <= RECORD:
                # Trailing spaces trimmed by an editor or a transfer: pad back.
                yield number, stripped.ljust(RECORD)
                continue
            if len(raw) % RECORD:
                bad = _Bad(f"line of {len(raw)} characters: records are {RECORD}", number, "record")
                self._problem(bad, "line skipped: ")
                continue
            # A single line of back-to-back records: locate by record number.
            for i in range(0, len(raw), RECORD):
                yield number + i // RECORD, raw[i : i + RECORD]

    def _raw_amount(self, record: str, line: int) -> tuple[int, int | None]:
        text = record[90:104]
        last = _OVERPUNCH.get(text[-1:])
        digits = text[:-1]
        if last is None or not digits.isdigit() or len(digits) != 13:
            raise _Bad(f"bad amount {text!r}", line, "amount")
        sign, digit = last
        decimals = record[19]
        if decimals == " ":
            return sign * (int(digits) * 10 + digit), None
        if not decimals.isdigit():
            raise _Bad(f"bad number of decimals {decimals!r}", line, "decimals")
        return sign * (int(digits) * 10 + digit), int(decimals)

    def _date(self, text: str, line: int, name: str) -> dt.date:
        if len(text) == 6 and text.isdigit():
            try:
                return dt.date(two_digit_year(int(text[4:])), int(text[2:4]), int(text[:2]))
            except ValueError:
                pass
        raise _Bad(f"bad date {text!r} (want DDMMYY)", line, name)

    def _currency(self, record: str, line: int) -> tuple[str, int]:
        currency = record[16:19]
        if currency == "   ":
            currency = "EUR"  # domestic French statements leave it blank
        exponent = exponent_of(currency)
        if exponent is None:
            raise _Bad(f"unknown currency {currency!r}", line, "currency")
        return currency, exponent

    def _minor(self, raw: tuple[int, int | None], exponent: int, line: int) -> int:
        value, decimals = raw
        minor = scale_minor(value, exponent if decimals is None else decimals, exponent)
        if minor is None:
            raise _Bad(
                f"amount has {decimals} decimals, more than the currency's {exponent}",
                line,
                "decimals",
            )
        return minor

    def _operation(self, record: str, line: int, run: _Run | None) -> Operation:
        currency, exponent = self._currency(record, line)
        amount = self._minor(self._raw_amount(record, line), exponent, line)
        booking = self._date(record[34:40], line, "booking date")
        value_text = record[42:48]
        value = booking if value_text in ("      ", "000000") else None
        if value is None:
            value = self._date(value_text, line, "value date")
        return Operation(
            line=line,
            bank=record[2:7],
            branch=record[11:16],
            account=record[21:32].strip(),
            currency=currency,
            amount_minor=amount,
            booking_date=booking,
            value_date=value,
            interbank_code=record[32:34],
            internal_code=record[7:11],
            reject_reason=record[40:42].strip(),
            label=_SPACES.sub(" ", record[48:79]).strip(),
            entry_number=record[81:88].strip(),
            reference=record[104:120].strip(),
        )

    def _check(self, run: _Run, closing_raw, record: str, line: int) -> None:
        if run.bad:
            return  # already reported: the sum cannot be right
        currency, exponent = (
            self._currency(record, line)
            if record[16:19].strip()
            else (
                (run.operations[0].currency, exponent_of(run.operations[0].currency) or 0)
                if run.operations
                else ("EUR", 2)
            )
        )
        opening = self._minor(run.opening, exponent, run.line)
        closing = self._minor(closing_raw, exponent, line)
        total = opening + sum(op.amount_minor for op in run.operations)
        self.balances_checked += 1
        if total != closing:
            bad = _Bad(
                f"account {run.key[1]}: previous balance {format_minor(opening, exponent)}"
                f" + operations = {format_minor(total, exponent)}, but the new balance is"
                f" {format_minor(closing, exponent)} {currency}",
                line,
                "amount",
            )
            self._problem(bad, "")

    def _result(self) -> LoadedFile:
        cols: dict[str, list] = {name: [] for name in PAYMENTS.names}
        positions: Counter = Counter()
        references: Counter = Counter()
        keyed = []
        for op in self.operations:
            day_key = (op.bank, op.branch, op.account, op.booking_date)
            positions[day_key] += 1
            own = op.reference or (op.entry_number.strip("0") and op.entry_number)
            keyed.append((op, day_key, positions[day_key], own))
            if own:
                references[(day_key, own)] += 1
        for op, day_key, position, own in keyed:
            if op.amount_minor <= 0:
                self.skipped["debit"] += 1
                continue
            if op.reject_reason:
                self.skipped["return"] += 1
                continue
            suffix = own if own and references[(day_key, own)] == 1 else f"#{position}"
            payment_id = f"{op.bank}{op.branch}{op.account}-{op.booking_date:%y%m%d}-{suffix}"
            texts = [op.label] if op.label else []
            e2e = None
            remittance = []
            for qualifier, text in op.details:
                if qualifier in _TEXT_QUALIFIERS or qualifier == "REF":
                    value = _SPACES.sub(" ", text).strip()
                    if value:
                        texts.append(value)
                elif qualifier == "RCN":
                    ref, purpose = text[:35].strip(), _SPACES.sub(" ", text[35:]).strip()
                    if ref.upper() not in _NOT_PROVIDED:
                        e2e = e2e or ref
                    if purpose:
                        texts.append(purpose)
                elif qualifier == "LCS":
                    ref = text.strip()
                    if ref:
                        remittance.append(_bare_line(ref))
            cols["payment_id"].append(payment_id)
            cols["amount_minor"].append(op.amount_minor)
            cols["currency"].append(op.currency)
            cols["value_date"].append(op.value_date)
            cols["booking_date"].append(op.booking_date)
            cols["payer_name"].append(op.payer_name)
            cols["payer_account"].append(op._first("IPY"))
            cols["reference_text"].append(" ".join(texts) or None)
            cols["end_to_end_id"].append(e2e)
            cols["trace_id"].append(op.reference or None)
            cols["check_number"].append(None)
            cols["statement_account"].append(f"{op.bank}{op.branch}{op.account}".replace(" ", ""))
            # The operation's reference, else its entry number: the bank's own.
            cols["bank_reference"].append(own or None)
            cols["source_format"].append(CFONB120)
            cols["source_file"].append(self.path)
            cols["source_location"].append(f"line {op.line}")
            cols["remittance"].append(remittance)
        return statement_result(
            CFONB120,
            cols,
            accounts=self.accounts,
            skipped=self.skipped,
            problems=self.problems,
            balances_checked=self.balances_checked,
        )


def _bare_line(ref: str) -> dict:
    return {
        "invoice_ref": ref,
        "amount_paid_minor": None,
        "invoice_amount_minor": None,
        "discount_minor": None,
        "adjustment_minor": None,
        "adjustment_reason": None,
    }

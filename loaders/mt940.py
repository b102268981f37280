"""SWIFT MT940 customer statements and MT942 interim transaction reports.

A file holds one or more statements, each a run of tags from ``:20:`` to its
closing balance, optionally wrapped in the SWIFT envelope
``{1:...}{2:...}{4:`` ... ``-}{5:...}`` or preceded by bank header lines
(``ABNANL2A``/``940``, ``:940:``). Tags: ``:20:`` reference, ``:25:`` account,
``:28C:`` statement number, ``:60F:``/``:60M:`` opening balance (its currency is
the statement's), ``:61:`` statement line with optional supplementary details
on the next line, ``:86:`` information to the account owner (see
:mod:`cashmatch.loaders.mt940_details`), ``:62F:``/``:62M:`` closing balance,
``:64:``/``:65:`` available balances; MT942 has ``:34F:``, ``:13D:``,
``:90D:``/``:90C:`` instead of balances.

Every credit (mark ``C``) becomes one payment. Debits (``D``), reversals
(``RC`` reversal of a credit, booked as a debit; ``RD`` reversal of a debit,
booked as a credit) and returned outgoing transfers (GVC 159, return reasons
``?34 9xx``, ``/RTRN/``) are counted in ``LoadedFile.skipped`` as ``debit``,
``reversal`` and ``return``.

Checks: opening balance + the statement lines = closing balance, per statement
(MT942: ``:90D:``/``:90C:`` counts and sums). A mismatch rejects the file
(``lenient=True``: reported in ``problems``, the payments are kept).

payment_id: the bank's reference (after ``//`` in ``:61:``), else the customer
reference, else ``<:20:>/<:28C:>/<line number in statement>``; an id that would
occur twice in the file gets ``#L<line>`` appended (its ``:61:`` line).

Example:
    >>> loaded = load_mt940("statement.sta")  # doctest: +SKIP
    >>> loaded.payments.num_rows, loaded.skipped  # doctest: +SKIP
    (9, {'debit': 2, 'return': 5})
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.base import LoadedFile
from cashmatch.loaders.errors import LoadError
from cashmatch.loaders.mt940_details import (
    clean_name,
    looks_like_iban,
    parse_details,
)
from cashmatch.loaders.statement_text import (
    MAX_MINOR,
    decode_text,
    exponent_of,
    format_minor,
    read_bytes,
    statement_result,
    yymmdd,
)

MT940, MT942 = "mt940", "mt942"

_TAG = re.compile(r":(\d\d[A-Z]?):")
_ENVELOPE_OPEN = re.compile(r"(?:\{[1-3]:[^{}]*\})*\{4:")
_ENVELOPE_HEAD = re.compile(r"(?:\{[1-3]:[^{}]*\})+$")
_ENVELOPE_CLOSE = re.compile(r"-\}(?:\{5:.*)?$|\{5:.*$")
_STATEMENT_LINE = re.compile(
    r"(\d{6})(\d{4})?(RC|RD|C|D)([A-Z])?(\d{1,17},\d{0,6})([SNF])([A-Z0-9]{3})(.*)"
)
_BALANCE = re.compile(r"([CD])(\d{6})([A-Z]{3})(\d{1,17},\d{0,6})")
_FLOOR = re.compile(r"([A-Z]{3})([CD]?)(\d{1,17},\d{0,6})")
_SUM = re.compile(r"(\d{1,5})([A-Z]{3})(\d{1,17},\d{0,6})")
_NAME_GAP = re.compile(r"\s{2,}")
_KNOWN_TAGS = {
    "20", "21", "25", "25P", "28", "28C", "60F", "60M", "61", "86", "62F", "62M",
    "64", "65", "13", "13D", "34F", "90D", "90C",
}  # fmt: skip
_NO_REFERENCE = {"", "NONREF", "NOTPROVIDED"}


def sniff_mt940(head: bytes) -> bool:
    """Whether ``head`` (the first ~4 KiB) is an MT940/MT942 message.

    It looks for a ``:20:`` tag at a line start within the first lines (after
    any envelope or bank header lines) followed by a ``:25:`` account tag.

    Example:
        >>> sniff_mt940(b"ABNANL2A\\r\\n940\\r\\n:20:ABN AMRO\\r\\n:25:517852257\\r\\n")
        True
        >>> sniff_mt940(b"01,GRP,BNK,240301\\n")
        False
    """
    text = head.lstrip(b"\xef\xbb\xbf \r\n\t")
    lines = text.splitlines()[:12]
    for i, line in enumerate(lines):
        stripped = _ENVELOPE_OPEN.sub("", line.decode("latin-1")).lstrip()
        if stripped.startswith(":20:"):
            rest = [x.lstrip() for x in lines[i + 1 : i + 6]]
            return any(x.startswith((b":25:", b":21:", b":25P:")) for x in rest)
    return False


def load_mt940(path: str, *, data: bytes | None = None, lenient: bool = False) -> LoadedFile:
    """Load an MT940 (or MT942) file: one payment per credited statement line.

    Args:
        path: the file; only named in messages when ``data`` is given.
        data: the file's bytes, when already read.
        lenient: skip bad statement lines and statements (each reported in
            ``problems``) instead of rejecting the file.

    Raises:
        LoadError: naming the line and tag at fault.
    """
    raw = read_bytes(path, data)
    return _Parser(str(path), decode_text(raw), lenient).run()


def read_mt940_lines(
    path: str, *, data: bytes | None = None, lenient: bool = False
) -> list[StatementLine]:
    """Every statement line of the file, debits and reversals included.

    The same parse and checks as :func:`load_mt940`; for inspection and for
    callers that want the whole account movement rather than the payments.

    Example:
        >>> lines = read_mt940_lines("statement.sta")  # doctest: +SKIP
        >>> [(x.kind, x.amount_minor) for x in lines][:2]  # doctest: +SKIP
        [('debit', 121328), ('credit', 4495)]
    """
    lines: list[StatementLine] = []
    _Parser(str(path), decode_text(read_bytes(path, data)), lenient, lines).run()
    return lines


@dataclass
class StatementLine:
    """One ``:61:`` line with its ``:86:`` details, as read.

    ``kind`` is "credit" (a payment), "debit", "reversal" or "return";
    ``amount_minor`` is unsigned, ``mark`` says the direction (C, D, RC, RD).
    """

    statement: str
    line: int
    kind: str
    mark: str
    amount_minor: int
    currency: str
    value_date: dt.date
    booking_date: dt.date | None
    transaction_type: str
    customer_reference: str
    bank_reference: str
    supplementary_details: str
    payer_name: str | None
    payer_account: str | None
    reference_text: str | None
    end_to_end_id: str | None


class _Bad(Exception):
    """A fault located at a line and tag; becomes a LoadError or a problem."""

    def __init__(self, message: str, line: int, tag: str | None):
        super().__init__(message)
        self.message, self.line, self.tag = message, line, tag


@dataclass
class _Tag:
    name: str
    line: int
    lines: list[str]


@dataclass
class _Statement:
    tags: list[_Tag] = field(default_factory=list)
    first_line: int = 0


@dataclass
class _Entry:
    line: int
    number: int
    mark: str
    amount: int
    value_date: dt.date
    booking_date: dt.date | None
    customer_ref: str
    bank_ref: str
    legacy_name: str | None
    supplementary: str
    type_code: str
    details: list[list[str]] = field(default_factory=list)


class _Parser:
    def __init__(self, path: str, text: str, lenient: bool, collect: list | None = None):
        self.path, self.text, self.lenient, self.collect = path, text, lenient, collect
        self.fallbacks: list[str] = []
        self.problems: list[str] = []
        self.skipped: Counter = Counter()
        self.cols: dict[str, list] = {name: [] for name in PAYMENTS.names}
        self.lines_61: list[int] = []
        self.statement_ids: list[str] = []
        self.accounts: set[str] = set()
        self.formats: set[str] = set()
        self.balances_checked = 0

    # -- driver -----------------------------------------------------------------

    def run(self) -> LoadedFile:
        statements = self._split()
        if not statements:
            raise LoadError(self.path, "no MT940 statement found (no :20: tag)", field=":20:")
        for stmt in statements:
            self._guard(self._statement, stmt, whole=True)
        if not self.formats:
            raise LoadError(self.path, "no statement could be read", field=":20:")
        return self._result()

    def _guard(self, func, *args, whole: bool = False) -> bool:
        try:
            func(*args)
            return True
        except _Bad as bad:
            error = LoadError(self.path, bad.message, line=bad.line, field=bad.tag)
            if not self.lenient:
                raise error from None
            prefix = "statement skipped: " if whole else ""
            self.problems.append(prefix + str(error))
            return False

    def _fail(self, message: str, line: int, tag: str | None) -> None:
        raise LoadError(self.path, message, line=line, field=tag)

    # -- lines to tags ----------------------------------------------------------

    def _split(self) -> list[_Statement]:
        """Group the physical lines into statements of tags."""
        statements: list[_Statement] = []
        current: _Statement | None = None
        for number, line in enumerate(self.text.splitlines(), start=1):
            if line.startswith("{"):
                opened = _ENVELOPE_OPEN.match(line)
                if opened:
                    current = None
                    line = line[opened.end() :]
                    if not line.strip():
                        continue
                elif _ENVELOPE_HEAD.match(line.strip()):
                    current = None
                    continue
            stripped = line.strip()
            if stripped == "-" or _ENVELOPE_CLOSE.match(stripped):
                current = None
                continue
            match = _TAG.match(line)
            if match:
                name = match.group(1)
                if name == "20":
                    current = _Statement(first_line=number)
                    statements.append(current)
                elif current is None:
                    self._fail(f"tag :{name}: outside a statement (before :20:)", number, name)
                current.tags.append(_Tag(name, number, [line[match.end() :]]))
            elif current is not None and current.tags:
                if stripped or current.tags[-1].name == "86":
                    current.tags[-1].lines.append(line)
            elif len(stripped) > 40:
                # Bank header lines before a message (ABNANL2A / 940) are short;
                # long text outside a statement is not a header.
                self._fail("text outside a statement", number, None)
        return statements

    # -- one statement ----------------------------------------------------------

    def _statement(self, stmt: _Statement) -> None:
        ref = account = number = currency = None
        opening: tuple[int, _Tag] | None = None
        closing: tuple[int, _Tag] | None = None
        sums: dict[str, tuple[int, int, _Tag]] = {}
        entries: list[_Entry] = []
        closed = False
        bad_entries = 0
        for tag in stmt.tags:
            name, value = tag.name, tag.lines[0].strip()
            if name not in _KNOWN_TAGS:
                bad = _Bad(f"unknown tag :{name}:", tag.line, f":{name}:")
                if not self.lenient:
                    raise bad
                self.problems.append(f"tag ignored: {self._message(bad)}")
                continue
            if name != "86" and name != "61" and any(x.strip() for x in tag.lines[1:]):
                raise _Bad(
                    f"unexpected continuation line after :{name}:", tag.line + 1, f":{name}:"
                )
            if name == "20":
                ref = value
                if not ref:
                    raise _Bad("empty statement reference", tag.line, ":20:")
            elif name in ("25", "25P"):
                account = value
            elif name in ("28", "28C"):
                number = value
            elif name in ("60F", "60M"):
                if opening is not None:
                    raise _Bad("second opening balance", tag.line, f":{name}:")
                amount, currency = self._balance(tag, value)
                opening = (amount, tag)
            elif name == "34F":
                match = _FLOOR.fullmatch(value)
                if not match or exponent_of(match.group(1)) is None:
                    raise _Bad(f"bad floor limit {value!r}", tag.line, ":34F:")
                currency = currency or match.group(1)
            elif name in ("90D", "90C"):
                match = _SUM.fullmatch(value)
                if not match:
                    raise _Bad(f"bad number and sum of entries {value!r}", tag.line, f":{name}:")
                exp = exponent_of(match.group(2))
                if exp is None:
                    raise _Bad(f"unknown currency {match.group(2)!r}", tag.line, f":{name}:")
                total = self._amount(match.group(3), exp, tag.line, f":{name}:")
                sums[name] = (int(match.group(1)), total, tag)
            elif name == "61":
                if closed:
                    raise _Bad(":61: after the closing balance", tag.line, ":61:")
                if currency is None:
                    raise _Bad(":61: before the opening balance :60F:", tag.line, ":61:")
                try:
                    entries.append(self._entry(tag, len(entries) + 1, currency))
                except _Bad as bad:
                    if not self.lenient:
                        raise
                    bad_entries += 1
                    self.problems.append(f"statement line skipped: {self._message(bad)}")
                    entries.append(None)  # keeps :86: from attaching to the entry before
            elif name == "86":
                if entries and not closed and entries[-1] is not None:
                    entries[-1].details.append(tag.lines)
            elif name in ("62F", "62M"):
                if opening is None:
                    raise _Bad("closing balance without opening balance", tag.line, f":{name}:")
                amount, closing_currency = self._balance(tag, value)
                if closing_currency != currency:
                    raise _Bad(
                        f"closing balance in {closing_currency}, opening in {currency}",
                        tag.line,
                        f":{name}:",
                    )
                closing = (amount, tag)
                closed = True
            elif name in ("64", "65"):
                self._balance(tag, value)
        last = stmt.tags[-1]
        if ref is None:
            raise _Bad("statement without :20:", stmt.first_line, ":20:")
        if opening is not None:
            fmt = MT940
            if closing is None:
                raise _Bad(
                    f"statement {ref!r} has no closing balance :62F: (truncated?)",
                    last.line,
                    ":62F:",
                )
        elif currency is not None:
            fmt = MT942
        else:
            raise _Bad(f"statement {ref!r} has no opening balance :60F:", last.line, ":60F:")
        if account is None:
            raise _Bad(f"statement {ref!r} has no account :25:", stmt.first_line, ":25:")
        good = [e for e in entries if e is not None]
        if not bad_entries:
            if fmt == MT940:
                self._check_balance(ref, opening, closing, good, currency)
            else:
                self._check_sums(ref, sums, good, currency)
        self.formats.add(fmt)
        self.statement_ids.append(ref)
        self.accounts.add(account)
        for entry in good:
            self._emit(entry, ref, number, currency, fmt, account)

    def _message(self, bad: _Bad) -> str:
        return str(LoadError(self.path, bad.message, line=bad.line, field=bad.tag))

    def _balance(self, tag: _Tag, value: str) -> tuple[int, str]:
        where = f":{tag.name}:"
        match = _BALANCE.fullmatch(value)
        if not match:
            raise _Bad(
                f"bad balance {value!r} (want C/D, YYMMDD, currency, amount)", tag.line, where
            )
        mark, date, currency, amount = match.groups()
        if yymmdd(date) is None:
            raise _Bad(f"bad balance date {date!r}", tag.line, where)
        exponent = exponent_of(currency)
        if exponent is None:
            raise _Bad(f"unknown currency {currency!r}", tag.line, where)
        minor = self._amount(amount, exponent, tag.line, where)
        return (-minor if mark == "D" else minor), currency

    @staticmethod
    def _amount(text: str, exponent: int, line: int, where: str) -> int:
        whole, _, fraction = text.partition(",")
        if len(fraction) > exponent:
            if fraction[exponent:].strip("0"):
                raise _Bad(f"amount {text!r} has more than {exponent} decimals", line, where)
            fraction = fraction[:exponent]
        minor = int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or 0)
        if minor > MAX_MINOR:
            raise _Bad(f"amount {text!r} is too large", line, where)
        return minor

    def _entry(self, tag: _Tag, number: int, currency: str) -> _Entry:
        first = tag.lines[0].rstrip()
        match = _STATEMENT_LINE.fullmatch(first)
        if not match:
            raise _Bad(
                f"bad statement line {first[:40]!r} (want YYMMDD[MMDD], C/D/RC/RD, amount,"
                " type code, reference)",
                tag.line,
                ":61:",
            )
        value_text, entry_text, mark, _funds, amount_text, _kind, code, rest = match.groups()
        value_date = yymmdd(value_text)
        if value_date is None:
            raise _Bad(f"bad value date {value_text!r}", tag.line, ":61:")
        booking_date = None
        if entry_text:
            booking_date = _entry_date(value_date, entry_text)
            if booking_date is None:
                raise _Bad(f"bad entry date {entry_text!r}", tag.line, ":61:")
        amount = self._amount(amount_text, exponent_of(currency) or 0, tag.line, ":61:")
        customer, _, bank = rest.partition("//")
        legacy_name = None
        gap = _NAME_GAP.search(customer.strip())
        if not bank and gap:
            # Legacy layouts (Rabobank): account or reference, padding, then
            # the counterparty name, all in the reference field.
            stripped = customer.strip()
            customer, legacy_name = stripped[: gap.start()], stripped[gap.end() :]
        supplementary = " ".join(x.strip() for x in tag.lines[1:] if x.strip())
        return _Entry(
            line=tag.line,
            number=number,
            mark=mark,
            amount=amount,
            value_date=value_date,
            booking_date=booking_date,
            customer_ref=customer.strip(),
            bank_ref=bank.strip(),
            legacy_name=clean_name(legacy_name),
            supplementary=supplementary,
            type_code=code,
        )

    def _check_balance(self, ref, opening, closing, entries, currency) -> None:
        total = opening[0] + sum(_signed(e) for e in entries)
        self.balances_checked += 1
        if total != closing[0]:
            exp = exponent_of(currency) or 0
            bad = _Bad(
                f"statement {ref!r}: opening balance {format_minor(opening[0], exp)} + entries"
                f" = {format_minor(total, exp)}, but the closing balance is"
                f" {format_minor(closing[0], exp)} {currency}",
                closing[1].line,
                f":{closing[1].name}:",
            )
            self._soft(bad)

    def _check_sums(self, ref, sums, entries, currency) -> None:
        for name, marks in (("90D", ("D", "RC")), ("90C", ("C", "RD"))):
            if name not in sums:
                continue
            count, total, tag = sums[name]
            mine = [e for e in entries if e.mark in marks]
            self.balances_checked += 1
            if count != len(mine) or total != sum(e.amount for e in mine):
                exp = exponent_of(currency) or 0
                self._soft(
                    _Bad(
                        f"statement {ref!r}: :{name}: says {count} entries for"
                        f" {format_minor(total, exp)}, the lines give {len(mine)} for"
                        f" {format_minor(sum(e.amount for e in mine), exp)}",
                        tag.line,
                        f":{name}:",
                    )
                )

    def _soft(self, bad: _Bad) -> None:
        """A check that failed: fatal, or a problem in lenient mode (payments kept)."""
        if not self.lenient:
            raise bad
        self.problems.append(self._message(bad))

    def _emit(
        self, entry: _Entry, ref: str, number: str | None, currency: str, fmt: str, account: str
    ) -> None:
        details = parse_details(entry.details)
        if entry.mark == "D":
            kind = "debit"
        elif entry.mark in ("RC", "RD"):
            kind = "reversal"
        elif details.is_return or entry.type_code == "RTI":
            kind = "return"
        else:
            kind = "credit"
        payer_name = details.payer_name or entry.legacy_name
        payer_account = details.payer_account
        customer = entry.customer_ref
        if customer.upper() not in _NO_REFERENCE and not payer_account:
            if entry.legacy_name:
                payer_account = customer
            elif looks_like_iban(customer):
                # ASN and others put the counterparty IBAN in the reference and
                # its name in the supplementary details.
                payer_account = customer
                payer_name = payer_name or clean_name(entry.supplementary)
        if self.collect is not None:
            self.collect.append(
                StatementLine(
                    statement=ref,
                    line=entry.line,
                    kind=kind,
                    mark=entry.mark,
                    amount_minor=entry.amount,
                    currency=currency,
                    value_date=entry.value_date,
                    booking_date=entry.booking_date,
                    transaction_type=entry.type_code,
                    customer_reference=customer,
                    bank_reference=entry.bank_ref,
                    supplementary_details=entry.supplementary,
                    payer_name=payer_name,
                    payer_account=payer_account,
                    reference_text=details.reference_text,
                    end_to_end_id=details.end_to_end_id,
                )
            )
        if kind != "credit":
            self.skipped[kind] += 1
            return
        fallback = f"{ref}/{number or ''}/{entry.number}"
        payment_id = fallback
        for candidate in (entry.bank_ref, customer):
            if candidate.upper() not in _NO_REFERENCE:
                payment_id = candidate
                break
        cols = self.cols
        cols["payment_id"].append(payment_id)
        cols["amount_minor"].append(entry.amount)
        cols["currency"].append(currency)
        cols["value_date"].append(entry.value_date)
        cols["booking_date"].append(entry.booking_date)
        cols["payer_name"].append(payer_name)
        cols["payer_account"].append(payer_account)
        cols["reference_text"].append(details.reference_text)
        cols["end_to_end_id"].append(details.end_to_end_id)
        cols["trace_id"].append(entry.bank_ref or None)
        cols["check_number"].append(None)
        cols["statement_account"].append(account.replace(" ", "") or None)
        cols["bank_reference"].append(
            entry.bank_ref if entry.bank_ref.upper() not in _NO_REFERENCE else None
        )
        cols["source_format"].append(fmt)
        cols["source_file"].append(self.path)
        cols["source_location"].append(f"line {entry.line}")
        cols["remittance"].append([_bare_line(ref) for ref in details.invoice_refs])
        self.fallbacks.append(fallback)
        self.lines_61.append(entry.line)

    # -- result -----------------------------------------------------------------

    def _result(self) -> LoadedFile:
        ids = self.cols["payment_id"]
        counts = Counter(ids)
        if len(counts) != len(ids):
            # A reference used twice (NONREF-like, a payer's IBAN) identifies
            # nothing: fall back to the position, made unique by the line.
            for i, value in enumerate(ids):
                if counts[value] > 1:
                    ids[i] = self.fallbacks[i]
            counts = Counter(ids)
            for i, value in enumerate(ids):
                if counts[value] > 1:
                    ids[i] = f"{value}#L{self.lines_61[i]}"
        fmt = MT942 if self.formats == {MT942} else MT940
        return statement_result(
            fmt,
            self.cols,
            accounts=self.accounts,
            skipped=self.skipped,
            problems=self.problems,
            balances_checked=self.balances_checked,
            statements=self.statement_ids,
        )


def _signed(entry: _Entry) -> int:
    # RD (reversal of a debit) puts money back: credit-like; RC takes it away.
    return entry.amount if entry.mark in ("C", "RD") else -entry.amount


def _entry_date(value_date: dt.date, mmdd: str) -> dt.date | None:
    """The entry (booking) date ``MMDD`` nearest the value date: Dec 31 / Jan 2 roll over."""
    month, day = int(mmdd[:2]), int(mmdd[2:])
    best = None
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if best is None or abs(candidate - value_date) < abs(best - value_date):
            best = candidate
    return best


def _bare_line(ref: str) -> dict:
    return {
        "invoice_ref": ref,
        "amount_paid_minor": None,
        "invoice_amount_minor": None,
        "discount_minor": None,
        "adjustment_minor": None,
        "adjustment_reason": None,
    }

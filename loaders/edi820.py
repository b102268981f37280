"""ANSI X12 820 (Payment Order / Remittance Advice) into remittance advices.

An 820 tells the payee which invoices a payment settles; the money itself
arrives on a bank statement. So this loader yields no payments: each ST/SE
transaction set becomes one :class:`~cashmatch.loaders.base.RemittanceAdvice`
whose ``trace_id`` (TRN02) is what links it to the bank's payment (see
:mod:`cashmatch.loaders.link`).

Delimiters come from the ISA segment: the element separator is its 4th
character, the component separator is ISA16 and the segment terminator the
character right after ISA16. A terminator of CR or LF means "one segment per
line". Whitespace around segments and elements (pretty-printed files) is ignored.

What is read from a transaction set:

* BPR: BPR01 handling code, BPR02 amount, BPR03 credit/debit flag, BPR04
  payment method, BPR09/BPR15 originator/receiver accounts, BPR16 payment date.
* TRN02 trace number, CUR02 currency (default USD), N1*PR payer name.
* RMR lines (RMR02 reference, RMR04 paid, RMR05 invoice amount, RMR06 discount).
* ADX adjustments: ADX01 amount and ADX02 reason go onto the RMR line they
  follow; an ADX at the ENT level (before any RMR of its ENT) is a line of its
  own, referencing ADX04, with ``amount_paid_minor`` None.

Other 820 segments (REF, DTM, N2-N4, NM1, IT1, SAC, TXI...) are tolerated and ignored.

Example:
    >>> from cashmatch.loaders.edi820 import load_edi820
    >>> loaded = load_edi820("remit.edi")  # doctest: +SKIP
    >>> loaded.advices.num_rows, loaded.payments.num_rows  # doctest: +SKIP
    (1, 0)
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pyarrow as pa

from cashmatch.engine.money import MoneyError, currency_exponent, format_amount
from cashmatch.engine.schemas import PAYMENTS, REMITTANCE_ADVICES, REMITTANCE_LINE
from cashmatch.loaders.base import LoadedFile, RemittanceAdvice, RemittanceLine
from cashmatch.loaders.errors import LoadError

FORMAT = "edi820"

# Segment IDs an 820 may carry (004010 to 005010), plus TX1 which real files use
# for TXI. A tag outside this set means a corrupt file or not an 820.
_ENVELOPE = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA", "TA1"})
_TOLERATED = frozenset(
    [
        "NTE",
        "REF",
        "DTM",
        "N2",
        "N3",
        "N4",
        "PER",
        "RDM",
        "NM1",
        "IT1",
        "SAC",
        "TXI",
        "TX1",
        "SLN",
        "TXP",
        "DED",
        "LX",
        "RYL",
        "LS",
        "LE",
        "FIR",
        "AMT",
        "QTY",
        "NX1",
        "NX2",
        "ASM",
        "PID",
        "PO4",
        "IT3",
        "ITA",
        "PAM",
        "AIN",
        "PEN",
        "ADV",
        "PPD",
        "IIS",
        "TTI",
    ]
)
_HANDLED = frozenset({"BPR", "TRN", "CUR", "N1", "ENT", "RMR", "ADX"})
_KNOWN = _ENVELOPE | _TOLERATED | _HANDLED

_BOM = "\ufeff"


class _Bad(Exception):
    """A problem in one segment; turned into a LoadError with its location."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text[1:] if text.startswith(_BOM) else text


def x12_minor(text: str, exponent: int, field: str) -> int:
    """Parse an X12 decimal number ("416093.15", "-12.5", ".5") into minor units.

    Extra decimals are accepted only when they are zeros; nothing passes through a float.

    Example:
        >>> x12_minor("416093.15", 2, "BPR02"), x12_minor("-12.5", 2, "ADX01")
        (41609315, -1250)
        >>> x12_minor(".5", 2, "RMR04")
        50
    """
    whole, _, fraction = text.partition(".")
    # Fast path for the usual shape: unsigned digits with at most `exponent` decimals.
    if len(fraction) <= exponent and whole.isdigit() and whole.isascii() and len(whole) <= 15:
        if not fraction:
            return int(whole) * 10**exponent
        if fraction.isdigit() and fraction.isascii():
            return int(whole) * 10**exponent + int(fraction) * 10 ** (exponent - len(fraction))
    sign = whole[:1]
    if sign in ("-", "+"):
        whole = whole[1:]
    if not (
        (whole or fraction)
        and text.isascii()
        and (not whole or whole.isdigit())
        and (not fraction or fraction.isdigit())
    ):
        raise _Bad(f"not a decimal amount: {text!r}", field)
    if len(fraction) > exponent:
        if fraction[exponent:].strip("0"):
            raise _Bad(f"{text!r} has more than {exponent} decimals", field)
        fraction = fraction[:exponent]
    if len(whole) > 18:
        raise _Bad(f"amount too large: {text!r}", field)
    value = int(whole or "0") * 10**exponent + int(fraction.ljust(exponent, "0") or "0")
    if value >= 2**63:
        raise _Bad(f"amount too large: {text!r}", field)
    return -value if sign == "-" else value


def _date(text: str, field: str) -> dt.date:
    # X12 dates are CCYYMMDD; versions before 004010 used YYMMDD.
    if not text.isdigit() or len(text) not in (6, 8):
        raise _Bad(f"not a date (CCYYMMDD): {text!r}", field)
    if len(text) == 6:
        year = int(text[:2])
        text = f"{2000 + year if year < 50 else 1900 + year}{text[2:]}"
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise _Bad(f"not a valid date: {text!r}", field) from None


def _same_control(a: str, b: str) -> bool:
    # Control numbers are numeric: "0001203" and "000001203" are the same number.
    if a == b:
        return True
    if a.isdigit() and b.isdigit():
        return int(a) == int(b)
    return a == b


def _count(text: str, field: str) -> int:
    if not text.isdigit():
        raise _Bad(f"not a count: {text!r}", field)
    return int(text)


def _el(elements: list[str], index: int) -> str:
    # Elements come stripped from _Reader.read.
    return elements[index] if index < len(elements) else ""


class _Delimiters:
    """Separators found in the ISA segment, and where the interchange starts."""

    def __init__(self, text: str, path: str):
        start = len(text) - len(text.lstrip())
        if len(text) < start + 4 or not text.startswith("ISA", start):
            raise LoadError(
                path, "not an X12 file: it does not start with an ISA segment", line=1, field="ISA"
            )
        self.start = start
        self.element = sep = text[start + 3]
        if sep.isalnum() or sep.isspace():
            raise LoadError(path, f"bad element separator {sep!r} in ISA", line=1, field="ISA")
        position = start + 3
        # ISA16 follows the 16th element separator; its fields are fixed-width in the
        # standard, but counting separators also reads files whose padding is off.
        for _ in range(15):
            position = text.find(sep, position + 1)
            if position < 0:
                raise LoadError(path, "truncated ISA segment", line=1, field="ISA16")
        if position + 2 >= len(text):
            raise LoadError(path, "truncated ISA segment", line=1, field="ISA16")
        self.component = text[position + 1]
        self.terminator = text[position + 2]
        if self.terminator.isalnum() or self.terminator in (" ", sep, self.component):
            raise LoadError(
                path,
                f"cannot tell the segment terminator: {self.terminator!r} after ISA16",
                line=1,
                field="ISA16",
            )
        self.newline = self.terminator in "\r\n"


class _Tx:
    """An open ST/SE transaction set."""

    __slots__ = (
        "adjust_into",
        "bad",
        "bpr",
        "bpr_at",
        "bpr_piece",
        "control",
        "currency",
        "exponent",
        "header_open",
        "lines",
        "payer",
        "segments",
        "start",
        "trace",
    )

    def __init__(self, control: str, start: int):
        self.control, self.start = control, start
        self.segments = 1
        self.bpr: list[str] | None = None
        self.bpr_at = 0
        self.bpr_piece = 0
        self.trace: str | None = None
        self.currency = "USD"
        self.exponent = 2
        self.payer: str | None = None
        self.header_open = True
        self.lines: list[RemittanceLine] = []
        self.adjust_into: RemittanceLine | None = None
        self.bad = False


class _Reader:
    """The segment-by-segment state machine over one file."""

    def __init__(self, path: str, text: str, lenient: bool):
        self.path, self.lenient = path, lenient
        self.delims = _Delimiters(text, path)
        body = text[self.delims.start :]
        self.base_line = text.count("\n", 0, self.delims.start) + 1
        self.multiline = "\n" in body or "\r" in body
        if self.delims.newline:
            body = body.replace("\r\n", "\n").replace("\r", "\n")
            self.pieces = body.split("\n")
        else:
            self.pieces = body.split(self.delims.terminator)
        self.advices: list[RemittanceAdvice] = []
        self.problems: list[str] = []
        self.skipped: dict[str, int] = {}
        self.ids: set[str] = set()
        self.interchanges: list[dict[str, str]] = []
        self.methods: dict[str, int] = {}
        self.accounts: set[str] = set()
        self.transaction_sets = 0
        # Envelope state.
        self.isa: list[str] | None = None
        self.groups = 0
        self.gs: list[str] | None = None
        self.sets_in_group = 0
        self.tx: _Tx | None = None
        self.piece = 0
        self.number = 0
        self.tag = ""

    # -- locations and errors ------------------------------------------------

    def _line(self, piece: int) -> int | None:
        if not self.multiline:
            return None
        if self.delims.newline:
            return self.base_line + piece
        # Only on error: walk the pieces up to this one, counting line breaks.
        newlines = 0
        for raw in self.pieces[:piece]:
            newlines += raw.count("\n")
        raw = self.pieces[piece]
        lead = raw[: len(raw) - len(raw.lstrip())]
        return self.base_line + newlines + lead.count("\n")

    def _error(self, bad: _Bad) -> LoadError:
        return LoadError(
            self.path,
            bad.message,
            line=self._line(self.piece),
            element=f"segment {self.number} ({self.tag})",
            field=bad.field,
        )

    def _problem(self, bad: _Bad) -> None:
        error = self._error(bad)
        if not self.lenient:
            raise error
        self.problems.append(str(error))

    def _skip(self, kind: str) -> None:
        self.skipped[kind] = self.skipped.get(kind, 0) + 1

    # -- the loop --------------------------------------------------------------

    def read(self) -> None:
        sep = self.delims.element
        for index, raw in enumerate(self.pieces):
            segment = raw.strip()
            if not segment:
                continue
            self.piece, self.number = index, self.number + 1
            elements = segment.split(sep)
            if " " in segment or "\t" in segment:
                elements = [element.strip() for element in elements]
            self.tag = tag = elements[0].strip()
            try:
                self._segment(tag, elements)
            except _Bad as bad:
                error = self._error(bad)
                if not self.lenient:
                    raise error from None
                self.problems.append(str(error))
                if self.tx is not None:
                    self.tx.bad = True
        self._finish()

    def _finish(self) -> None:
        if self.tx is not None:
            self._problem(_Bad(f"truncated: transaction set {self.tx.control} has no SE", "SE"))
            self._skip("invalid")
            self.tx = None
        if self.gs is not None:
            self._problem(_Bad("truncated: functional group has no GE", "GE"))
        if self.isa is not None:
            self._problem(_Bad("truncated: interchange has no IEA", "IEA"))
        if self.number == 0:
            raise LoadError(self.path, "empty X12 file", field="ISA")

    def _segment(self, tag: str, elements: list[str]) -> None:
        tx = self.tx
        if tx is not None and tag not in ("ISA", "GS", "ST", "GE", "IEA"):
            tx.segments += 1
            if tag == "SE":
                self._se(tx, elements)
            elif tx.bad:
                return
            elif tag in _HANDLED:
                self._body(tx, tag, elements)
            elif tag not in _TOLERATED:
                raise _Bad(f"unknown segment {tag!r} in an 820", tag)
            return
        if tag == "ISA":
            self._isa(elements)
        elif tag == "GS":
            self._gs(elements)
        elif tag == "ST":
            self._st(elements)
        elif tag == "GE":
            self._ge(elements)
        elif tag == "IEA":
            self._iea(elements)
        elif tag in _KNOWN:
            raise _Bad(f"{tag} segment outside a transaction set (no ST before it)", tag)
        else:
            raise _Bad(f"unknown segment {tag!r}", tag)

    # -- envelope ----------------------------------------------------------------

    def _isa(self, elements: list[str]) -> None:
        if self.isa is not None:
            self._problem(_Bad("ISA inside an interchange: the previous one has no IEA", "IEA"))
            self._abandon()
        if len(elements) < 17:
            raise _Bad(f"ISA has {len(elements) - 1} elements, 16 expected", "ISA16")
        self.isa, self.groups = elements, 0
        self.interchanges.append(
            {
                "control": _el(elements, 13),
                "sender": _el(elements, 6),
                "receiver": _el(elements, 8),
            }
        )

    def _abandon(self) -> None:
        if self.tx is not None:
            self._skip("invalid")
        self.tx = None
        self.gs = None

    def _gs(self, elements: list[str]) -> None:
        if self.isa is None:
            raise _Bad("GS outside an interchange (no ISA before it)", "GS")
        if self.gs is not None:
            self._problem(_Bad("GS inside a functional group: the previous one has no GE", "GE"))
            self._abandon()
        self.gs, self.sets_in_group = elements, 0
        self.groups += 1

    def _st(self, elements: list[str]) -> None:
        if self.tx is not None:
            self._problem(_Bad(f"ST inside transaction set {self.tx.control}: no SE", "SE"))
            self._skip("invalid")
            self.tx = None
        if self.gs is None:
            raise _Bad("ST outside a functional group (no GS before it)", "ST")
        self.sets_in_group += 1
        self.transaction_sets += 1
        control = _el(elements, 2)
        self.tx = _Tx(control, self.number)
        if _el(elements, 1) != "820":
            raise _Bad(f"transaction set {_el(elements, 1)!r} is not an 820", "ST01")
        if not control:
            raise _Bad("missing transaction set control number", "ST02")

    def _ge(self, elements: list[str]) -> None:
        if self.tx is not None:
            self._problem(_Bad(f"GE inside transaction set {self.tx.control}: no SE", "SE"))
            self._skip("invalid")
            self.tx = None
        if self.gs is None:
            raise _Bad("GE without GS", "GE")
        gs, self.gs = self.gs, None
        if _count(_el(elements, 1), "GE01") != self.sets_in_group:
            self._problem(
                _Bad(
                    f"GE01 says {_el(elements, 1)} transaction sets, the group has "
                    f"{self.sets_in_group}",
                    "GE01",
                )
            )
        if not _same_control(_el(elements, 2), _el(gs, 6)):
            self._problem(
                _Bad(f"GE02 {_el(elements, 2)!r} does not match GS06 {_el(gs, 6)!r}", "GE02")
            )

    def _iea(self, elements: list[str]) -> None:
        if self.gs is not None:
            self._problem(_Bad("IEA inside a functional group: no GE", "GE"))
            self._abandon()
        if self.isa is None:
            raise _Bad("IEA without ISA", "IEA")
        isa, self.isa = self.isa, None
        if _count(_el(elements, 1), "IEA01") != self.groups:
            self._problem(
                _Bad(
                    f"IEA01 says {_el(elements, 1)} functional groups, the "
                    f"interchange has {self.groups}",
                    "IEA01",
                )
            )
        if not _same_control(_el(elements, 2), _el(isa, 13)):
            self._problem(
                _Bad(f"IEA02 {_el(elements, 2)!r} does not match ISA13 {_el(isa, 13)!r}", "IEA02")
            )

    # -- transaction set -------------------------------------------------------

    def _body(self, tx: _Tx, tag: str, elements: list[str]) -> None:
        if tag == "RMR":
            self._close_header(tx)
            reference = _el(elements, 2)
            if not reference:
                raise _Bad("RMR without a reference (RMR02)", "RMR02")
            exponent = tx.exponent
            paid, invoice, discount = _el(elements, 4), _el(elements, 5), _el(elements, 6)
            line = RemittanceLine(
                reference,
                x12_minor(paid, exponent, "RMR04") if paid else None,
                x12_minor(invoice, exponent, "RMR05") if invoice else None,
                x12_minor(discount, exponent, "RMR06") if discount else None,
            )
            tx.lines.append(line)
            tx.adjust_into = line
        elif tag == "ADX":
            self._close_header(tx)
            text = _el(elements, 1)
            if not text:
                raise _Bad("ADX without an amount (ADX01)", "ADX01")
            amount = x12_minor(text, tx.exponent, "ADX01")
            reason = _el(elements, 2) or None
            line = tx.adjust_into
            if line is None:
                tx.lines.append(
                    RemittanceLine(_el(elements, 4) or None, None, None, None, amount, reason)
                )
            else:
                line.adjustment_minor = (line.adjustment_minor or 0) + amount
                if reason and reason != line.adjustment_reason:
                    line.adjustment_reason = (
                        reason
                        if line.adjustment_reason is None
                        else f"{line.adjustment_reason},{reason}"
                    )
        elif tag == "ENT":
            self._close_header(tx)
            tx.adjust_into = None
        elif tag == "BPR":
            if tx.bpr is not None:
                raise _Bad("a second BPR in one transaction set", "BPR")
            tx.bpr, tx.bpr_at, tx.bpr_piece = elements, self.number, self.piece
        elif tag == "TRN":
            if tx.trace is None:
                tx.trace = _el(elements, 2) or None
        elif tag == "CUR":
            if not tx.header_open:
                raise _Bad("CUR after the remittance detail began", "CUR")
            code = _el(elements, 2).upper()
            try:
                tx.exponent = currency_exponent(code)
            except MoneyError:
                raise _Bad(f"unknown currency {code!r}", "CUR02") from None
            tx.currency = code
        elif tag == "N1" and tx.header_open and tx.payer is None and _el(elements, 1) == "PR":
            tx.payer = _el(elements, 2) or None

    def _close_header(self, tx: _Tx) -> None:
        # The header (BPR, TRN, CUR, N1) ends where the detail begins; only then is
        # the currency known, so BPR02 is checked here and read again at SE.
        if tx.header_open:
            tx.header_open = False
            if tx.bpr is None:
                raise _Bad("no BPR before the remittance detail", "BPR")

    def _se(self, tx: _Tx, elements: list[str]) -> None:
        self.tx = None
        declared = _el(elements, 1)
        if not declared.isdigit() or int(declared) != tx.segments:
            self._problem(
                _Bad(
                    f"SE01 says {declared!r} segments, transaction set "
                    f"{tx.control} has {tx.segments}",
                    "SE01",
                )
            )
        if not _same_control(_el(elements, 2), tx.control):
            self._problem(
                _Bad(f"SE02 {_el(elements, 2)!r} does not match ST02 {tx.control!r}", "SE02")
            )
        if tx.bad:
            self._skip("invalid")
            return
        try:
            self._advice(tx)
        except _Bad as bad:
            # The header's amounts are read at SE (the currency may come after BPR),
            # but the fault is in the BPR segment: point there.
            error = LoadError(
                self.path,
                bad.message,
                line=self._line(tx.bpr_piece),
                element=f"segment {tx.bpr_at or tx.start} (BPR)",
                field=bad.field,
            )
            if not self.lenient:
                raise error from None
            self.problems.append(str(error))
            self._skip("invalid")

    def _advice(self, tx: _Tx) -> None:
        bpr = tx.bpr
        if bpr is None:
            raise _Bad(f"transaction set {tx.control} has no BPR", "BPR")
        text = _el(bpr, 2)
        if not text:
            raise _Bad("missing payment amount", "BPR02")
        amount = x12_minor(text, tx.exponent, "BPR02")
        flag, handling, method = _el(bpr, 3), _el(bpr, 1), _el(bpr, 4)
        if flag not in ("C", "D"):
            raise _Bad(f"credit/debit flag must be C or D, not {flag!r}", "BPR03")
        date_text = _el(bpr, 16)
        date = _date(date_text, "BPR16") if date_text else None
        isa, gs = self.isa or [], self.gs or []
        advice_id = "/".join((_el(isa, 6), _el(isa, 13), _el(gs, 6), tx.control))
        if advice_id in self.ids:
            raise _Bad(f"duplicate transaction set control number {tx.control!r}", "ST02")
        self.ids.add(advice_id)
        # A debit to the payee or a zero-dollar prenote is not money to apply.
        if flag == "D":
            self._skip("debit")
            return
        if handling == "P":
            self._skip("prenotification")
            return
        if not tx.lines:
            self._skip("no_remittance")
            return
        if method:
            self.methods[method] = self.methods.get(method, 0) + 1
        if _el(bpr, 15):
            self.accounts.add(_el(bpr, 15))
        self.advices.append(
            RemittanceAdvice(
                advice_id=advice_id,
                lines=tx.lines,
                trace_id=tx.trace,
                payer_name=tx.payer,
                amount_minor=amount,
                currency=tx.currency,
                payment_date=date,
                source_format=FORMAT,
            )
        )


_LINE_FIELDS = [f.name for f in REMITTANCE_LINE]


def advices_columns(advices: list[RemittanceAdvice]) -> pa.Table:
    """Build a REMITTANCE_ADVICES table column by column.

    Same result as :func:`cashmatch.loaders.base.advices_table`, without a dict
    per advice and per line, which dominates the load time of large files.
    """
    lengths = np.fromiter((len(a.lines) for a in advices), dtype=np.int32, count=len(advices))
    offsets = np.zeros(len(advices) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    flat = [line for advice in advices for line in advice.lines]
    values = pa.StructArray.from_arrays(
        [
            pa.array([getattr(line, name) for line in flat], REMITTANCE_LINE.field(name).type)
            for name in _LINE_FIELDS
        ],
        fields=list(REMITTANCE_LINE),
    )
    columns = {
        f.name: pa.array([getattr(a, f.name) for a in advices], f.type)
        for f in REMITTANCE_ADVICES
        if f.name != "lines"
    }
    columns["lines"] = pa.ListArray.from_arrays(pa.array(offsets), values)
    return pa.table([columns[name] for name in REMITTANCE_ADVICES.names], schema=REMITTANCE_ADVICES)


def _summary(reader: _Reader) -> dict[str, object]:
    totals: dict[str, int] = {}
    dates = []
    for advice in reader.advices:
        totals[advice.currency] = totals.get(advice.currency, 0) + advice.amount_minor
        if advice.payment_date is not None:
            dates.append(advice.payment_date)
    return {
        "format": FORMAT,
        "interchanges": reader.interchanges,
        "transaction_sets": reader.transaction_sets,
        "advices": len(reader.advices),
        "remittance_lines": sum(len(a.lines) for a in reader.advices),
        "payments": 0,
        "currencies": sorted(totals),
        "total_advised": {c: format_amount(v, c) for c, v in sorted(totals.items())},
        "date_range": [min(dates).isoformat(), max(dates).isoformat()] if dates else None,
        "payment_methods": dict(sorted(reader.methods.items())),
        "accounts": sorted(reader.accounts),
        "skipped": dict(reader.skipped),
    }


def load_edi820(path: str, *, data: bytes | None = None, lenient: bool = False) -> LoadedFile:
    """Load an X12 820 file into remittance advices (``payments`` stays empty).

    Args:
        path: the file; with ``data`` given, only named in messages.
        data: the file's bytes, when already read.
        lenient: skip bad transaction sets (each reported in ``problems``) and
            report envelope count/control mismatches instead of rejecting the file.

    Raises:
        LoadError: naming the segment number, its line when the file has lines,
            and the element at fault (e.g. "RMR04", "SE01").
    """
    path = str(path)
    if data is None:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise LoadError(path, f"cannot read: {error.strerror or error}") from None
    reader = _Reader(path, _decode(data), lenient)
    reader.read()
    for advice in reader.advices:
        advice.source_file = path
    return LoadedFile(
        format=FORMAT,
        payments=PAYMENTS.empty_table(),
        advices=advices_columns(reader.advices),
        skipped=dict(reader.skipped),
        problems=reader.problems,
        summary=_summary(reader),
    )


_SNIFF_ST = re.compile(rb"ST(.)820\1")


def sniff_edi820(head: bytes) -> bool:
    """Recognise an X12 820 from its first bytes: an ISA segment and an ST*820 or GS*RA.

    Example:
        >>> sniff_edi820(b"ISA*00*...~GS*RA*1*2*20240101*1200*1*X*004010~ST*820*0001~")
        True
    """
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not body.startswith(b"ISA") or len(body) < 4:
        return False
    sep = body[3:4]
    if sep.isalnum() or sep.isspace():
        return False
    if re.search(rb"GS\s*" + re.escape(sep) + rb"\s*RA\s*" + re.escape(sep), body):
        return True
    return any(m.group(1) == sep for m in _SNIFF_ST.finditer(body))

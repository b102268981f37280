"""ISO 20022 bank-to-customer cash messages: camt.052, camt.053 and camt.054.

camt.052 is the intraday account report, camt.053 the statement, camt.054 the
debit/credit notification.

Every credited, booked transaction becomes one payment: a batched entry
(``Ntry/NtryDtls/TxDtls`` repeated) is split into its transactions, and an
entry without transaction details is one payment. What is not a payment to
apply is counted in ``LoadedFile.skipped`` (one count per transaction, the
unit a payment would have been): ``debit``, ``reversal``, ``return`` and
``not_booked``; which is which follows the ISO 20022 rules, transaction by
transaction (:mod:`cashmatch.loaders.camt_entries`, which also gives the field
mapping).

An intraday report (camt.052, ``Rpt``) is read like a statement: its booked
entries carry the same references, account and amounts as in the end-of-day
statement that reports them again, so the payment identity rule
(:mod:`cashmatch.loaders.identity`) recognises them as the same bookings.

Checked, per statement: the ``TxsSummry`` counts and sums, and the balances:
opening (``OPBD``, else ``PRCD``) plus the booked entries must give the
closing balance (``CLBD``). An error rejects the file; ``lenient`` lists it
in ``problems`` instead (an unreadable entry is then skipped).

The reader streams (:mod:`cashmatch.loaders.xml_stream`): complete elements
are read and deleted chunk by chunk, rows go to Arrow every
:data:`FLUSH_ROWS` payments, so memory stays flat however long the file is.
Errors name the element path (``/Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt``),
its line and the field.

Example:
    >>> loaded = load_camt053("statement.xml")  # doctest: +SKIP
    >>> loaded.payments.num_rows, loaded.skipped  # doctest: +SKIP
    (6, {'debit': 4})
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.money import MoneyError, format_amount, format_money, parse_amount
from cashmatch.engine.schemas import PAYMENTS, REMITTANCE_ADVICES, REMITTANCE_LINE
from cashmatch.loaders.base import LoadedFile, collector_paused, unique_ids
from cashmatch.loaders.camt_entries import ROW_FIELDS, EntryReader
from cashmatch.loaders.errors import LoadError, raise_or_report
from cashmatch.loaders.iso20022 import (
    NOT_PROVIDED,
    REMITTANCE_FIELDS,
    RecordError,
    Values,
    element_path,
    join_path,
    text,
)
from cashmatch.loaders.xml_stream import (
    XmlStream,
    is_encoding_error,
    local_name,
    read_head,
    split_complete,
    tag_codes,
    utf8_head,
)

CAMT052, CAMT053, CAMT054 = "camt.052", "camt.053", "camt.054"
FORMATS = (CAMT052, CAMT053, CAMT054)
# Payments kept as Python rows before they go to Arrow.
FLUSH_ROWS = 8192

# Message container and its repeated report element, per format.
_CONTAINERS = {
    CAMT052: ("BkToCstmrAcctRpt", "Rpt"),
    CAMT053: ("BkToCstmrStmt", "Stmt"),
    CAMT054: ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}
_BY_CONTAINER = {container: fmt for fmt, (container, _) in _CONTAINERS.items()}
_NS_PREFIX = b"urn:iso:std:iso:20022:tech:xsd:"
_NS_FORMAT = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(camt\.05[234])\.001\.\d+")
_ALL = "/".join(FORMATS)

# Children of the container and of a report, by code.
_TOP = ("GrpHdr", "Ntry", "Stmt", "Rpt", "Ntfctn")
TOP_GRPHDR, TOP_NTRY = 1, 2
_REPORT = ("Ntry", "Id", "Acct", "Bal", "TxsSummry")
R_NTRY, R_ID, R_ACCT, R_BAL, R_SUMMARY = range(1, 6)
_HEADER = ("MsgId", "IBAN", "Othr", "Id", "Ccy", "Tp", "CdOrPrtry", "Cd", "Prtry", "Amt")
_HEADER += ("CdtDbtInd", "TtlNtries", "TtlCdtNtries", "TtlDbtNtries", "NbOfNtries", "Sum", "Dt")
(H_MSGID, H_IBAN, H_OTHR, H_ID, H_CCY, H_TP, H_CDORPRTRY, H_CD, H_PRTRY, H_AMT) = range(1, 11)
H_CDI, H_TTL, H_TTL_CDT, H_TTL_DBT, H_NB, H_SUM, H_DT = range(11, 18)
_SUMMARY_KINDS = {H_TTL: ("TtlNtries", "all"), H_TTL_CDT: ("TtlCdtNtries", "CRDT")}
_SUMMARY_KINDS[H_TTL_DBT] = ("TtlDbtNtries", "DBIT")
OPENING_BALANCES = ("OPBD", "PRCD")  # opening booked; previously closed booked
CLOSING_BALANCE = "CLBD"


def sniff_camt052(head: bytes) -> bool:
    """Whether ``head`` (the first ~4 KiB) is a camt.052 account report."""
    return _sniff(head) == CAMT052


def sniff_camt053(head: bytes) -> bool:
    """Whether ``head`` (the first ~4 KiB) is a camt.053 statement.

    Example:
        >>> sniff_camt053(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">')
        True
        >>> sniff_camt053('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        ...               .encode("utf-16"))
        True
    """
    return _sniff(head) == CAMT053


def sniff_camt054(head: bytes) -> bool:
    """Whether ``head`` (the first ~4 KiB) is a camt.054 debit/credit notification."""
    return _sniff(head) == CAMT054


def _sniff(head: bytes) -> str | None:
    text_ = utf8_head(head).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text_.startswith(b"<"):
        return None
    for fmt in FORMATS:
        if _NS_PREFIX + fmt.encode() + b".001." in text_:
            return fmt
    # Files without the namespace still name the message container early on.
    for fmt, (container, _) in _CONTAINERS.items():
        if re.search(rb"<(?:\w+:)?" + container.encode() + rb"[\s>]", text_):
            return fmt
    return None


def load_camt053(path: str, *, data: bytes | None = None, lenient: bool = False) -> LoadedFile:
    """Load a camt.053 bank-to-customer statement (any ``camt.053.001.NN`` version).

    Args:
        path: the file; only named in messages when ``data`` is given.
        data: the file's bytes, or None to read ``path``.
        lenient: skip entries that cannot be read and list them in ``problems``
            (and report summary and balance mismatches there) instead of
            rejecting the file.

    Raises:
        LoadError: naming the element (``/Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt``),
            line and field at fault; no payments are returned from a rejected file.
    """
    return load_camt(path, data=data, lenient=lenient, expect=CAMT053)


def load_camt052(path: str, *, data: bytes | None = None, lenient: bool = False) -> LoadedFile:
    """Load a camt.052 intraday account report; same rules as :func:`load_camt053`."""
    return load_camt(path, data=data, lenient=lenient, expect=CAMT052)


def load_camt054(path: str, *, data: bytes | None = None, lenient: bool = False) -> LoadedFile:
    """Load a camt.054 debit/credit notification; same rules as :func:`load_camt053`."""
    return load_camt(path, data=data, lenient=lenient, expect=CAMT054)


def load_camt(
    path: str, *, data: bytes | None = None, lenient: bool = False, expect: str | None = None
) -> LoadedFile:
    """Load a camt.052, camt.053 or camt.054 file, whichever it is (or insist on ``expect``)."""
    path = str(path)
    try:
        return _Reader(path, data, lenient, expect, None).run()
    except LoadError as error:
        if not is_encoding_error(error):
            raise
    # Declared (or defaulted) UTF-8 but not UTF-8: the one fallback the project
    # allows is Latin-1, which decodes any byte.
    return _Reader(path, data, lenient, expect, "ISO-8859-1").run()


def detect(path: str, data: bytes | None = None) -> str | None:
    """``"camt.052"``, ``"camt.053"``, ``"camt.054"`` or None, from the head of a file or bytes."""
    return _sniff(read_head(path, data))


@dataclass
class _Report:
    """One Stmt/Rpt/Ntfctn: its facts, and running totals checked when it ends."""

    element: object
    index: int
    line: int | None
    ident: str | None = None
    account: str | None = None
    entries: int = 0
    # TxsSummry block -> (entry kind, NbOfNtries, Sum, line)
    expected: dict[str, tuple] = field(default_factory=dict)
    # kind -> (signed amount, currency, line, position among the Bal, date)
    balances: dict[str, tuple] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    sums: Counter = field(default_factory=Counter)
    currencies: set = field(default_factory=set)
    booked: Counter = field(default_factory=Counter)  # net booked, by value date
    balances_seen: int = 0
    invalid: bool = False

    def count(self, direction: str, amount: int, currency: str, value_date, booked: bool) -> None:
        """Count an entry in the totals ``TxsSummry`` and the balances are checked against."""
        counts, sums = self.counts, self.sums
        counts["all"] += 1
        counts[direction] += 1
        sums["all"] += amount
        sums[direction] += amount
        self.currencies.add(currency)
        if booked:
            self.booked[value_date] += amount if direction == "CRDT" else -amount


class _Reader:
    """One pass over one camt file."""

    def __init__(
        self, path: str, data: bytes | None, lenient: bool, expect: str | None, encoding: str | None
    ):
        self.path, self.data, self.lenient, self.expect = path, data, lenient, expect
        self.stream = XmlStream(path, data, encoding=encoding)
        self.format: str | None = None
        self.container = None
        self.report_tag = ""
        self.root_path = ""
        self.message_id: str | None = None
        self.reports: list[_Report] = []
        self.current: _Report | None = None
        self.skipped: Counter = Counter()
        self.problems: list[str] = []
        self.rows: list[tuple] = []
        self.batches: list[pa.RecordBatch] = []
        self.balances_checked = 0

    # -- driving the stream ---------------------------------------------------

    def run(self) -> LoadedFile:
        with collector_paused():
            for root, final in self.stream.rounds():
                if self.container is None and not self._identify(root, final):
                    continue
                self._take(final)
            return self._result()

    def _identify(self, root, final: bool) -> bool:
        """Recognise the message from the root and its first element; False until it is there."""
        container = next((c for c in root.getchildren() if isinstance(c.tag, str)), None)
        if container is None and not final:
            return False
        name = local_name(container.tag) if container is not None else ""
        root_name = local_name(root.tag)
        if root_name != "Document" or name not in _BY_CONTAINER:
            if root_name != "Document" and not name.startswith("BkToCstmr"):
                raise LoadError(self.path, f"no {_ALL} content: no <Document> message container")
            raise LoadError(
                self.path,
                f"not a {_ALL} message: <{root_name}> containing <{name or '?'}>",
                element="/" + root_name,
                line=root.sourceline,
            )
        fmt = _BY_CONTAINER[name]
        ns = self.stream.namespace or _namespace_of(container.tag)
        match = _NS_FORMAT.search(ns)
        if ns and (match is None or match.group(1) != fmt):
            raise LoadError(
                self.path,
                f"namespace {ns!r} does not match <{name}> ({fmt})",
                element="/Document",
                line=root.sourceline,
            )
        if self.expect and fmt != self.expect:
            raise LoadError(self.path, f"expected a {self.expect} file, found {fmt}")
        self.format, self.container = fmt, container
        self.report_tag = _CONTAINERS[fmt][1]
        self.root_path = f"/Document/{name}"
        self.report_path = f"{self.root_path}/{self.report_tag}["
        self.top_codes = tag_codes(ns, _TOP)
        self.report_codes = tag_codes(ns, _REPORT)
        self.header_codes = tag_codes(ns, _HEADER)
        self.entry_tags = ("Ntry", f"{{{ns}}}Ntry") if ns else ("Ntry",)
        self.own_report = {self.report_tag, f"{{{ns}}}{self.report_tag}"}
        self.values = Values(ns)
        self.entries = EntryReader(ns, self.values, self.rows, self.skipped)
        return True

    def _take(self, final: bool) -> None:
        """Read and delete the container's complete children; read into the open report."""
        container = self.container
        done, last = split_complete(container, not final)
        codes = self.top_codes
        for child in done:
            code = codes.get(child.tag)
            if code == TOP_GRPHDR:
                self._group_header(child)
            elif child.tag in self.own_report:
                self._report(child, complete=True)
            elif code is not None:
                self._misplaced(child)
            elif isinstance(child.tag, str):
                self._refuse_stray_entries(child)
        if done:
            del container[: len(done)]
        if last is not None and last.tag in self.own_report:
            self._report(last, complete=False)

    def _misplaced(self, element) -> None:
        name = local_name(element.tag)
        if name == "Ntry":
            message = f"<Ntry> outside a <{self.report_tag}>"
        else:
            message = f"<{name}> does not belong in a {self.format} message"
        raise LoadError(self.path, message, element=element_path(element), line=element.sourceline)

    def _refuse_stray_entries(self, element) -> None:
        """An ``Ntry`` anywhere but in a report would be silently lost: refuse it."""
        for stray in element.iter(*self.entry_tags):
            self._misplaced(stray)

    def _group_header(self, header) -> None:
        for child in header.getchildren():
            if self.header_codes.get(child.tag) == H_MSGID:
                self.message_id = text(child.text)

    # -- reports --------------------------------------------------------------

    def _report(self, element, complete: bool) -> None:
        report = self.current
        if report is None or report.element is not element:
            report = _Report(element, len(self.reports) + 1, element.sourceline)
            self.reports.append(report)
            self.current = report
        done, _ = split_complete(element, not complete)
        codes = self.report_codes
        for child in done:
            code = codes.get(child.tag)
            if code == R_NTRY:
                self._entry(child, report)
            elif code == R_ID:
                report.ident = text(child.text)
            elif code == R_ACCT:
                report.account = self._account(child)
            elif code == R_BAL:
                self._balance(child, report)
            elif code == R_SUMMARY:
                self._summary_block(child, report)
            elif isinstance(child.tag, str):
                self._refuse_stray_entries(child)
        if done:
            del element[: len(done)]
        if complete:
            self._check_summary(report)
            self._check_balances(report)
            self.current = None

    def _account(self, acct) -> str | None:
        """The account the report is for: ``Id/IBAN`` or ``Id/Othr/Id``, spaces removed."""
        codes = self.header_codes
        for child in acct.getchildren():
            if codes.get(child.tag) != H_ID:
                continue
            for scheme in child.getchildren():
                code = codes.get(scheme.tag)
                value = None
                if code == H_IBAN:
                    value = scheme.text
                elif code == H_OTHR:
                    value = next(
                        (x.text for x in scheme.getchildren() if codes.get(x.tag) == H_ID), None
                    )
                if value and value.strip():
                    return "".join(value.split())
        return None

    def _balance(self, bal, report: _Report) -> None:
        """Keep an opening or closing balance; its amount must be readable."""
        codes = self.header_codes
        kind = amount = direction = day = None
        for child in bal.getchildren():
            code = codes.get(child.tag)
            if code == H_TP:
                kind = self._balance_kind(child)
            elif code == H_AMT:
                amount = child
            elif code == H_CDI:
                direction = text(child.text)
            elif code == H_DT:
                day = child
        report.balances_seen += 1
        number = report.balances_seen
        if kind not in (*OPENING_BALANCES, CLOSING_BALANCE) or kind in report.balances:
            return
        where = (self.root_path, "/", self.report_tag, "[", report.index, "]/Bal[", number, "]")
        try:
            value, currency = self.values.amount(amount, (where, "/Amt"), bal)
        except RecordError as error:
            report.invalid = True
            self._report_problem(error, "balance")
            return
        if direction not in ("CRDT", "DBIT"):
            located = LoadError(
                self.path,
                f"balance {kind}: expected CdtDbtInd CRDT or DBIT, found {direction!r}",
                element=join_path((where, "/CdtDbtInd")),
                field="CdtDbtInd",
                line=bal.sourceline,
            )
            raise_or_report(located, self.lenient, self.problems, "balance")
            return
        try:
            on = self.values.date(day, "Dt", where)
        except RecordError as error:
            self._report_problem(error, "balance")
            return
        signed = value if direction == "CRDT" else -value
        report.balances[kind] = (signed, currency, bal.sourceline, number, on)

    def _balance_kind(self, tp) -> str | None:
        codes = self.header_codes
        for child in tp.getchildren():
            if codes.get(child.tag) == H_CDORPRTRY:
                for inner in child.getchildren():
                    if codes.get(inner.tag) in (H_CD, H_PRTRY):
                        return text(inner.text)
        return None

    def _summary_block(self, summary, report: _Report) -> None:
        codes = self.header_codes
        for block in summary.getchildren():
            kind = _SUMMARY_KINDS.get(codes.get(block.tag))
            if kind is None:
                continue
            count = total = None
            for child in block.getchildren():
                code = codes.get(child.tag)
                if code == H_NB:
                    count = text(child.text)
                elif code == H_SUM:
                    total = text(child.text)
            report.expected[kind[0]] = (kind[1], count, total, block.sourceline)

    def _check_summary(self, report: _Report) -> None:
        where = f"{self.root_path}/{self.report_tag}[{report.index}]/TxsSummry"
        for key, (kind, count, total, line) in report.expected.items():
            if report.invalid and kind != "all":
                continue  # an unreadable entry may have been either
            if count is not None and count.isdigit() and int(count) != report.counts[kind]:
                self._checksum(
                    f"{key}/NbOfNtries says {count} entries but the file has {report.counts[kind]}",
                    f"{where}/{key}/NbOfNtries",
                    "NbOfNtries",
                    line,
                )
            if total is None or report.invalid or len(report.currencies) != 1:
                continue
            currency = next(iter(report.currencies))
            try:
                expected = parse_amount(total, currency, signed=False)
            except MoneyError as error:
                self._checksum(f"{key}/Sum: {error}", f"{where}/{key}/Sum", "Sum", line)
                continue
            if expected != report.sums[kind]:
                self._checksum(
                    f"{key}/Sum says {total} but the entries add up to "
                    f"{format_money(report.sums[kind], currency)}",
                    f"{where}/{key}/Sum",
                    "Sum",
                    line,
                )

    def _check_balances(self, report: _Report) -> None:
        """Opening balance + booked entries = closing balance, where the report has both.

        Some banks (PostFinance among them) value-date the booked balance: an
        entry valued after the closing balance's date is then left out of it.
        Either reading makes the balances add up.
        """
        kind = next((k for k in OPENING_BALANCES if k in report.balances), None)
        closing = report.balances.get(CLOSING_BALANCE)
        if kind is None or closing is None or report.invalid:
            return
        opening = report.balances[kind]
        if len(report.currencies | {opening[1], closing[1]}) != 1:
            return  # entries in another currency than the account's: no sum to compare
        currency, closing_day = opening[1], closing[4]
        self.balances_checked += 1
        booked = sum(report.booked.values())
        by_value_date = sum(
            amount
            for day, amount in report.booked.items()
            if day is None or closing_day is None or day <= closing_day
        )
        if closing[0] in (opening[0] + booked, opening[0] + by_value_date):
            return
        self._checksum(
            f"opening balance {format_money(opening[0], currency)} ({kind}) + booked entries"
            f" {format_money(booked, currency)} = {format_money(opening[0] + booked, currency)},"
            f" but the closing balance ({CLOSING_BALANCE}) is {format_money(closing[0], currency)}",
            f"{self.root_path}/{self.report_tag}[{report.index}]/Bal[{closing[3]}]/Amt",
            "Amt",
            closing[2],
        )

    def _checksum(self, message: str, element: str, field_name: str, line: int | None) -> None:
        if not self.lenient:
            raise LoadError(self.path, message, element=element, field=field_name, line=line)
        self.problems.append(f"{self.path}: line {line}, element {element}: {message}")

    def _report_problem(self, error: RecordError, what: str) -> None:
        located = LoadError(
            self.path,
            error.message,
            element=join_path(error.element),
            field=error.field,
            line=error.line,
        )
        raise_or_report(located, self.lenient, self.problems, what)

    # -- entries --------------------------------------------------------------

    def _entry(self, ntry, report: _Report) -> None:
        report.entries += 1
        path = (self.report_path, report.index, "]/Ntry[", report.entries, "]")
        line_rows = self.values.line_rows
        rows_before, lines_before = len(self.rows), len(line_rows)
        self.stream.tidy(ntry)
        try:
            self.entries.entry(ntry, report, path)
        except RecordError as error:
            # An entry loads whole or not at all.
            del self.rows[rows_before:]
            del line_rows[lines_before:]
            report.invalid = True
            self._report_problem(error, "entry")
        if len(self.rows) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        """Turn the Python rows into an Arrow batch: strip texts, drop blanks, pick fallbacks."""
        if not self.rows:
            return
        raw = dict(zip(ROW_FIELDS, zip(*self.rows)))
        texts = {name: _clean(raw[name]) for name in _TEXT_FIELDS}
        e2e = texts["end_to_end_id"]
        e2e = pc.if_else(pc.equal(e2e, NOT_PROVIDED), pa.scalar(None, pa.string()), e2e)
        statements = pa.array(raw["statement"], pa.int32())
        accounts = pa.array([r.account for r in self.reports], pa.string())
        ends = raw["lines_end"]
        line_columns = list(zip(*self.values.line_rows)) or [()] * len(REMITTANCE_FIELDS)
        lines = pa.StructArray.from_arrays(
            [
                pa.array(values, REMITTANCE_LINE.field(name).type)
                for name, values in zip(REMITTANCE_FIELDS, line_columns)
            ],
            fields=list(REMITTANCE_LINE),
        )
        offsets = pa.array((0, *ends), pa.int32())
        columns = {
            "payment_id": pc.coalesce(texts["tx_ref"], texts["entry_ref"], texts["ntry_ref"], e2e),
            "amount_minor": pa.array(raw["amount_minor"], pa.int64()),
            "currency": pa.array(raw["currency"], pa.string()),
            "value_date": pa.array(raw["value_date"], pa.date32()),
            "payer_name": pc.coalesce(texts["payer_name"], texts["ultimate_name"]),
            "payer_account": texts["payer_account"],
            "reference_text": pc.coalesce(texts["ustrd"], texts["tx_info"], texts["entry_info"]),
            "booking_date": pa.array(raw["booking_date"], pa.date32()),
            "check_number": texts["check_number"],
            "trace_id": pc.coalesce(texts["tx_id"], texts["instr_id"], texts["uetr"]),
            "end_to_end_id": e2e,
            "statement_account": accounts.take(pc.subtract(statements, 1)),
            "bank_reference": pc.coalesce(
                texts["tx_ref"],
                pc.if_else(pa.array(raw["single"], pa.bool_()), texts["entry_ref"], _NULL),
            ),
            "remittance": pa.ListArray.from_arrays(offsets, lines),
            "statement": statements,
            "entry": pa.array(raw["entry"], pa.int32()),
            "transaction": pa.array(raw["transaction"], pa.int32()),
        }
        arrays = [columns[f.name] for f in _BATCH_SCHEMA]
        self.batches.append(pa.RecordBatch.from_arrays(arrays, schema=_BATCH_SCHEMA))
        self.rows.clear()
        self.values.line_rows.clear()

    # -- result ---------------------------------------------------------------

    def _result(self) -> LoadedFile:
        if self.format is None:
            raise LoadError(self.path, f"no {_ALL} content")
        self._flush()
        body = pa.Table.from_batches(self.batches, schema=_BATCH_SCHEMA)
        ids = body.column("payment_id")
        if ids.null_count or pc.count_distinct(ids).as_py() != len(ids):
            positions = zip(
                body.column("statement").to_pylist(),
                body.column("entry").to_pylist(),
                body.column("transaction").to_pylist(),
            )
            filled = unique_ids(ids.to_pylist(), list(positions), self._file_key)
            ids = pa.chunked_array([pa.array(filled, pa.string())])
        n = body.num_rows
        constant = {
            "payment_id": ids,
            "source_location": self._locations(body),
            "source_format": pa.chunked_array([pa.array([self.format] * n, pa.string())]),
            "source_file": pa.chunked_array([pa.array([self.path] * n, pa.string())]),
        }
        table = pa.Table.from_arrays(
            [constant[f.name] if f.name in constant else body.column(f.name) for f in PAYMENTS],
            schema=PAYMENTS,
        )
        return LoadedFile(
            format=self.format,
            payments=table,
            advices=REMITTANCE_ADVICES.empty_table(),
            skipped=dict(self.skipped),
            problems=self.problems,
            summary=self._summary(table),
        )

    def _locations(self, body: pa.Table) -> pa.ChunkedArray:
        """Where each payment was read, as a person looks it up: ``Stmt[1]/Ntry[3]/TxDtls[2]``."""
        parts = [
            f"{self.report_tag}[",
            body.column("statement").cast(pa.string()),
            "]/Ntry[",
            body.column("entry").cast(pa.string()),
            "]/TxDtls[",
            body.column("transaction").cast(pa.string()),
            "]",
        ]
        return pc.binary_join_element_wise(*parts, "")

    def _file_key(self) -> str:
        """What stands for the file in ids it gives: message and statement id, else its hash."""
        stmt = next((r.ident for r in self.reports if r.ident), None)
        if stmt or self.message_id:
            return f"{self.message_id or ''}/{stmt or ''}"
        digest = hashlib.sha256()
        if self.data is not None:
            digest.update(self.data)
        else:
            with open(self.path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        return "camt-" + digest.hexdigest()[:16]

    def _summary(self, table: pa.Table) -> dict[str, object]:
        totals = {
            row["currency"]: row["amount_minor_sum"]
            for row in table.group_by("currency").aggregate([("amount_minor", "sum")]).to_pylist()
        }
        dates = pc.min_max(table.column("value_date")).as_py()
        return {
            "format": self.format,
            "message_id": self.message_id,
            "statements": [r.ident for r in self.reports],
            "accounts": sorted({r.account for r in self.reports if r.account}),
            "currencies": sorted(totals),
            "payments": table.num_rows,
            "skipped": dict(self.skipped),
            "problems": len(self.problems),
            "balances_checked": self.balances_checked,
            "total_credited": {c: format_amount(v, c) for c, v in sorted(totals.items())},
            "value_date_range": (
                (dates["min"].isoformat(), dates["max"].isoformat()) if table.num_rows else None
            ),
        }


_TEXT_FIELDS = (
    "tx_ref", "end_to_end_id", "tx_id", "instr_id", "uetr", "check_number", "entry_ref",
    "ntry_ref", "payer_name", "ultimate_name", "payer_account", "ustrd", "tx_info", "entry_info",
)  # fmt: skip
# What a flush gives: PAYMENTS less the per-file constants, plus each row's position.
_BATCH_SCHEMA = pa.schema(
    [
        f.with_nullable(True)
        for f in PAYMENTS
        if f.name not in ("source_format", "source_file", "source_location")
    ]
    + [pa.field(name, pa.int32()) for name in ("statement", "entry", "transaction")]
)
_NULL = pa.scalar(None, pa.string())


def _clean(values: tuple) -> pa.Array:
    """Texts stripped, blanks as nulls."""
    stripped = pc.utf8_trim_whitespace(pa.array(values, pa.string()))
    return pc.if_else(pc.equal(stripped, ""), _NULL, stripped)


def _namespace_of(tag: str) -> str:
    return tag[1 : tag.index("}")] if tag.startswith("{") else ""

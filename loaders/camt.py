"""ISO 20022 bank-to-customer cash messages: camt.053 statements and camt.054 notifications.

Every credited, booked transaction becomes one payment: a batched entry
(``Ntry/NtryDtls/TxDtls`` repeated) is split into its transactions, and an entry
without transaction details is one payment. Debits, reversals, returns and
entries that are not booked are counted in ``LoadedFile.skipped`` (one count
per transaction, the unit a payment would have been): ``debit``, ``reversal``,
``return`` and ``not_booked``.

Two readers give the same result. The fast path (:mod:`cashmatch.loaders.camt_fast`:
a numba scan of the raw bytes, no tree) takes plain, valid files; anything it
does not take on, and every file with an error, goes to the lxml reader below,
the reference, which words the errors with element paths and lines. That one
streams (``iterparse`` on ``Ntry`` with processed elements dropped), so memory
stays flat however long the statement is; parsing is hardened in
:mod:`cashmatch.loaders.xml_safety`.

Field mapping, by priority:

* amount: the entry's ``Amt`` when it holds one transaction (what was booked on
  the account); for a batch each transaction's ``AmtDtls/TxAmt/Amt``, else its
  ``Amt``, and the credited parts must add up to the entry.
* payment_id: ``TxDtls/Refs/AcctSvcrRef``, else the entry's ``AcctSvcrRef``,
  else ``NtryRef``, else ``EndToEndId``, else statement id and position; an id
  used twice in the file gets ``#statement.entry.transaction`` appended.
* reference_text: the ``Ustrd`` lines joined by a space, else ``AddtlTxInf``,
  else ``AddtlNtryInf`` (PostFinance puts everything there).
* remittance: one line per ``Strd`` block (see :func:`_structured`).

Example:
    >>> loaded = load_camt053("statement.xml")  # doctest: +SKIP
    >>> loaded.payments.num_rows, loaded.skipped  # doctest: +SKIP
    (6, {'debit': 4})
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.hashing import hash_strings
from cashmatch.engine.money import CURRENCY_EXPONENTS, format_amount
from cashmatch.engine.schemas import PAYMENTS, REMITTANCE_ADVICES, REMITTANCE_LINE
from cashmatch.loaders import camt_fast
from cashmatch.loaders.base import LoadedFile
from cashmatch.loaders.errors import LoadError, raise_or_report
from cashmatch.loaders.xml_safety import (
    is_encoding_error,
    local_name,
    namespace,
    read_head,
    secure_iterparse,
)

CAMT053, CAMT054 = "camt.053", "camt.054"

# Message container and its repeated report element, per format.
_CONTAINERS = {CAMT053: ("BkToCstmrStmt", "Stmt"), CAMT054: ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}
_BY_CONTAINER = {container: fmt for fmt, (container, _) in _CONTAINERS.items()}
_NS_MARK = {CAMT053: b"camt.053.001.", CAMT054: b"camt.054.001."}
_NS_FORMAT = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.\d+")

_AMOUNT = re.compile(r"\s*(\d{1,18})(?:\.(\d*))?\s*", re.ASCII)
_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_POW10 = [10**i for i in range(19)]
_NOT_PROVIDED = "NOTPROVIDED"
_MAX_MINOR = 2**63

# Every element name the loader looks at; anything else is passed over.
_NAMES = (
    "Amt",
    "CdtDbtInd",
    "Sts",
    "Cd",
    "Prtry",
    "BookgDt",
    "ValDt",
    "Dt",
    "DtTm",
    "AcctSvcrRef",
    "NtryRef",
    "RvslInd",
    "AddtlNtryInf",
    "NtryDtls",
    "TxDtls",
    "Refs",
    "AmtDtls",
    "TxAmt",
    "RltdPties",
    "RmtInf",
    "RtrInf",
    "AddtlTxInf",
    "EndToEndId",
    "TxId",
    "InstrId",
    "UETR",
    "ChqNb",
    "Dbtr",
    "UltmtDbtr",
    "DbtrAcct",
    "Pty",
    "Nm",
    "Id",
    "IBAN",
    "Othr",
    "Ustrd",
    "Strd",
    "RfrdDocInf",
    "Nb",
    "RfrdDocAmt",
    "CdtrRefInf",
    "Ref",
    "RmtdAmt",
    "DuePyblAmt",
    "DscntApldAmt",
    "CdtNoteAmt",
    "AdjstmntAmtAndRsn",
    "Rsn",
    "AddtlInf",
)
# The children of a TxDtls the loader reads, by slot in a per-transaction list.
_TX_PARTS = ("Refs", "Amt", "AmtDtls", "CdtDbtInd", "RltdPties", "RmtInf", "RtrInf", "AddtlTxInf")
_PART_INDEX = {name: i for i, name in enumerate(_TX_PARTS)}
_REFS, _AMT, _AMTDTLS, _CDI, _PARTIES, _RMT, _RTR, _INFO = range(len(_TX_PARTS))
_N_PARTS = len(_TX_PARTS)


def sniff_camt053(head: bytes) -> bool:
    """Whether ``head`` (the first ~4 KiB) is a camt.053 statement.

    Example:
        >>> sniff_camt053(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">')
        True
    """
    return _sniff(head) == CAMT053


def sniff_camt054(head: bytes) -> bool:
    """Whether ``head`` (the first ~4 KiB) is a camt.054 debit/credit notification."""
    return _sniff(head) == CAMT054


def _sniff(head: bytes) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<"):
        return None
    for fmt, mark in _NS_MARK.items():
        if b"urn:iso:std:iso:20022:tech:xsd:" + mark in text:
            return fmt
    # Files without the namespace still name the message container early on.
    for fmt, (container, _) in _CONTAINERS.items():
        if re.search(rb"<(?:\w+:)?" + container.encode() + rb"[\s>]", text):
            return fmt
    return None


def load_camt053(path: str, *, data: bytes | None = None, lenient: bool = False) -> LoadedFile:
    """Load a camt.053 bank-to-customer statement (any ``camt.053.001.NN`` version).

    Args:
        path: the file; only named in messages when ``data`` is given.
        data: the file's bytes, or None to read ``path``.
        lenient: skip entries that cannot be read and list them in ``problems``
            (and report checksum mismatches there) instead of rejecting the file.

    Raises:
        LoadError: naming the element (``/Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt``),
            line and field at fault; no payments are returned from a rejected file.
    """
    return load_camt(path, data=data, lenient=lenient, expect=CAMT053)


def load_camt054(path: str, *, data: bytes | None = None, lenient: bool = False) -> LoadedFile:
    """Load a camt.054 debit/credit notification; same rules as :func:`load_camt053`."""
    return load_camt(path, data=data, lenient=lenient, expect=CAMT054)


def load_camt(
    path: str, *, data: bytes | None = None, lenient: bool = False, expect: str | None = None
) -> LoadedFile:
    """Load a camt.053 or camt.054 file, whichever it is (or insist on ``expect``)."""
    path = str(path)
    # The tree-free path reads plain files; whatever it does not take on (or
    # would have to reject) goes to the lxml reader, the reference for both.
    # Lenient or not makes no difference to a file the fast path takes: it
    # declines anything the reader would reject or report.
    if _size(path, data) >= FAST_PATH_MIN_BYTES:
        fast = _load_fast(path, data, expect)
        if fast is not None:
            return fast
    return _load_lxml(path, data, lenient, expect)


# The scan's kernels load from numba's disk cache in about half a second (and
# compile for about a minute the first time on a machine); the lxml reader
# takes about a second for 8 MB. Smaller files go straight to the reader.
FAST_PATH_MIN_BYTES = 8 << 20


def _size(path: str, data: bytes | None) -> int:
    if data is not None:
        return len(data)
    try:
        return os.path.getsize(path)
    except OSError:
        return 0  # the reader words the error


def _load_lxml(path: str, data: bytes | None, lenient: bool, expect: str | None) -> LoadedFile:
    """The file read by the lxml reader (the reference; it words every error)."""
    try:
        return _Reader(path, data, lenient, expect, None).run()
    except LoadError as error:
        if not is_encoding_error(error):
            raise
    # Declared (or defaulted) UTF-8 but not UTF-8: the one fallback the project
    # allows is Latin-1, which decodes any byte.
    return _Reader(path, data, lenient, expect, "ISO-8859-1").run()


class _RecordError(Exception):
    """A bad value inside one entry; becomes a LoadError or, leniently, a problem."""

    def __init__(self, element: str, field: str, message: str, line: int | None):
        super().__init__(message)
        self.element, self.field, self.message, self.line = element, field, message, line


@dataclass
class _Statement:
    """Running totals of one Stmt/Ntfctn, checked against its TxsSummry at its end."""

    index: int
    ident: str | None = None
    account: str | None = None
    currency: str | None = None
    expected: dict[str, tuple[str | None, str | None, int | None]] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    sums: Counter = field(default_factory=Counter)
    currencies: set = field(default_factory=set)
    invalid: bool = False


_REMITTANCE_FIELDS = [f.name for f in REMITTANCE_LINE]


# Columns of the payments table set once the whole file is read.
_PER_FILE = ("payment_id", "source_format", "source_file", "source_location")


def source_locations(fmt: str, positions: Sequence[Sequence[int]]) -> pa.Array:
    """Each payment's place in the file, from its (statement, entry, transaction) numbers.

    Example:
        >>> source_locations("camt.054", [(1, 3, 2)]).to_pylist()
        ['Ntfctn[1]/Ntry[3]/TxDtls[2]']
    """
    tag = _CONTAINERS[fmt][1]
    return pa.array([f"{tag}[{s}]/Ntry[{e}]/TxDtls[{t}]" for s, e, t in positions], pa.string())


class _Columns:
    """The payments table being built, flushed to Arrow record batches as it grows.

    Between flushes each PAYMENTS column is a Python list (the appends are the
    hot path); remittance lines are kept flat (one list per struct field plus
    list offsets) so Arrow assembles the nested column in one go. Flushing every
    ``batch_rows`` payments keeps memory at the size of the Arrow result rather
    than of millions of Python objects. Payment ids stay in Python until the end,
    where they are made unique across the whole file.
    """

    # statement_account and bank_reference: filled by the camt reader's rewrite (ldr).
    _BATCHED = pa.schema(
        [f for f in PAYMENTS if f.name not in (*_PER_FILE, "statement_account", "bank_reference")]
    )

    def __init__(self, batch_rows: int = 16_384) -> None:
        self.batch_rows = batch_rows
        self.data: dict[str, list] = {f.name: [] for f in self._BATCHED if f.name != "remittance"}
        # The same lists as attributes, for the appends.
        for name, column in self.data.items():
            setattr(self, name, column)
        self.payment_id: list[str | None] = []
        # (statement, entry, transaction) of each payment, 1-based.
        self.positions: list[tuple[int, int, int]] = []
        self.offsets: list[int] = [0]
        self.lines: dict[str, list] = {n: [] for n in _REMITTANCE_FIELDS}
        self.batches: list[pa.RecordBatch] = []
        self.flushed = 0

    def truncate(self, rows: int) -> None:
        """Forget everything from payment ``rows`` on (an entry that failed half-way)."""
        local = rows - self.flushed
        for column in self.data.values():
            del column[local:]
        del self.payment_id[rows:]
        del self.positions[rows:]
        del self.offsets[local + 1 :]
        for column in self.lines.values():
            del column[self.offsets[-1] :]

    def maybe_flush(self) -> None:
        if len(self.payment_id) - self.flushed >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        rows = len(self.payment_id) - self.flushed
        if not rows:
            return
        arrays = []
        for f in self._BATCHED:
            if f.name == "remittance":
                lines = pa.StructArray.from_arrays(
                    [
                        pa.array(self.lines[n], type=REMITTANCE_LINE.field(n).type)
                        for n in _REMITTANCE_FIELDS
                    ],
                    fields=list(REMITTANCE_LINE),
                )
                offsets = pa.array(self.offsets, type=pa.int32())
                arrays.append(pa.ListArray.from_arrays(offsets, lines, type=f.type))
            else:
                arrays.append(pa.array(self.data[f.name], type=f.type))
        self.batches.append(pa.RecordBatch.from_arrays(arrays, schema=self._BATCHED))
        for column in (*self.data.values(), *self.lines.values()):
            column.clear()
        self.offsets[:] = [0]
        self.flushed += rows

    def table(self, source_format: str, source_file: str) -> pa.Table:
        self.flush()
        body = pa.Table.from_batches(self.batches, schema=self._BATCHED)
        n = body.num_rows
        columns = {
            "payment_id": pa.array(self.payment_id, type=pa.string()),
            "source_format": pa.array([source_format] * n, type=pa.string()),
            "source_file": pa.array([source_file] * n, type=pa.string()),
            "statement_account": pa.nulls(n, pa.string()),
            "bank_reference": pa.nulls(n, pa.string()),
            "source_location": source_locations(source_format, self.positions),
        }
        arrays = [columns[f.name] if f.name in columns else body.column(f.name) for f in PAYMENTS]
        return pa.Table.from_arrays(arrays, schema=PAYMENTS)


class _Iso20022Reader:
    """Value readers shared by the camt and remt loaders (amounts, dates, Strd blocks).

    Subclasses set ``L`` (namespaced tag -> local name), ``lines`` (the flat
    remittance-line columns being filled) and ``date_cache``.
    """

    L: dict[str, str]
    lines: dict[str, list]
    date_cache: dict[str, dt.date]

    def _name(self, party) -> str | None:
        for child in party:
            kind = self.L.get(child.tag)
            if kind == "Nm":
                return _text(child.text)
            if kind == "Pty":
                return self._name(child)
        return None

    def _structured(self, strd, currency: str, spath: tuple | str) -> None:
        """Append the remittance lines of one ``Strd`` block.

        ``RfrdDocInf/Nb`` (the invoice number) is the line's invoice_ref; without
        one, ``CdtrRefInf/Ref`` (RF creditor reference, SCOR, ESR/QRR) is. When a
        block has both, the creditor reference gets a line of its own without
        amounts. Amounts come from ``RfrdDocAmt``: RmtdAmt is what is paid,
        DuePyblAmt the invoice amount, DscntApldAmt the discount,
        AdjstmntAmtAndRsn the adjustment (negative when DBIT), and a credit note
        (CdtNoteAmt, no RmtdAmt) is paid as a negative amount, so that the lines
        of a transaction add up to it. Amounts in a currency other than the
        payment's are left out (a line has no currency of its own). A block with
        neither reference nor amount (only AddtlRmtInf) gives no line.
        """
        L = self.L
        numbers = []
        creditor_ref = paid = invoice = discount = adjustment = reason = credit_note = None
        for child in strd:
            name = L.get(child.tag)
            if name == "RfrdDocInf":
                for sub in child:
                    if L.get(sub.tag) == "Nb":
                        number = _text(sub.text)
                        if number:
                            numbers.append(number)
            elif name == "CdtrRefInf":
                for sub in child:
                    if L.get(sub.tag) == "Ref":
                        creditor_ref = _text(sub.text) or creditor_ref
            elif name == "RfrdDocAmt":
                for sub in child:
                    kind = L.get(sub.tag)
                    if kind is None:
                        continue
                    where = (spath, "/RfrdDocAmt/", kind)
                    if kind == "RmtdAmt":
                        paid = self._doc_amount(sub, currency, where)
                    elif kind == "DuePyblAmt":
                        invoice = self._doc_amount(sub, currency, where)
                    elif kind == "CdtNoteAmt":
                        credit_note = self._doc_amount(sub, currency, where)
                    elif kind == "DscntApldAmt":
                        # From version 05 on the amount is wrapped (Tp + Amt).
                        inner = next((a for a in sub if L.get(a.tag) == "Amt"), sub)
                        value = self._doc_amount(inner, currency, where)
                        if value is not None:
                            discount = (discount or 0) + value
                    elif kind == "AdjstmntAmtAndRsn":
                        value = sign = None
                        for part in sub:
                            what = L.get(part.tag)
                            if what == "Amt":
                                value = self._doc_amount(part, currency, (where, "/Amt"))
                            elif what == "CdtDbtInd":
                                sign = _text(part.text)
                            elif what in ("Rsn", "AddtlInf") and reason is None:
                                reason = _text(part.text)
                        if value is not None:
                            adjustment = (adjustment or 0) + (-value if sign == "DBIT" else value)
        if paid is None and credit_note is not None:
            paid = -credit_note
        if not numbers and creditor_ref is None:
            if paid is None and invoice is None and discount is None and adjustment is None:
                return
            numbers = [None]
        refs = numbers or [creditor_ref]
        if numbers and creditor_ref is not None:
            refs = [*numbers, creditor_ref]
        lines = self.lines
        for i, ref in enumerate(refs):
            first = i == 0
            lines["invoice_ref"].append(ref)
            lines["amount_paid_minor"].append(paid if first else None)
            lines["invoice_amount_minor"].append(invoice if first else None)
            lines["discount_minor"].append(discount if first else None)
            lines["adjustment_minor"].append(adjustment if first else None)
            lines["adjustment_reason"].append(reason if first else None)

    def _doc_amount(self, element, currency: str, where: tuple | str) -> int | None:
        value, doc_currency = self._amount(element, where, element)
        return value if doc_currency == currency else None

    def _amount(self, element, where: tuple | str, owner) -> tuple[int, str]:
        if element is None:
            raise _RecordError(where, "Amt", "amount missing", owner.sourceline)
        currency = element.get("Ccy")
        if not currency:
            raise _RecordError(
                where, "Ccy", "amount without a Ccy currency attribute", element.sourceline
            )
        try:
            return _minor(element.text or "", currency), currency
        except ValueError as error:
            raise _RecordError(where, "Amt", str(error), element.sourceline) from None

    def _date(self, holder, name: str, epath: tuple | str) -> dt.date | None:
        if holder is None:
            return None
        text = child = None
        for candidate in holder:
            if self.L.get(candidate.tag) in ("Dt", "DtTm"):
                child, text = candidate, candidate.text
                break
        if text is None:
            raise _RecordError((epath, "/", name), name, "date missing", holder.sourceline)
        cached = self.date_cache.get(text)
        if cached is not None:
            return cached
        match = _DATE.match(text)
        try:
            if match is None:
                raise ValueError
            value = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise _RecordError(
                (epath, "/", name, "/", self.L[child.tag]),
                name,
                f"not an ISO date: {text!r}",
                child.sourceline,
            ) from None
        self.date_cache[text] = value
        return value


class _Reader(_Iso20022Reader):
    """One pass over one camt file."""

    def __init__(
        self, path: str, data: bytes | None, lenient: bool, expect: str | None, encoding: str | None
    ):
        self.path, self.data, self.lenient, self.expect = path, data, lenient, expect
        self.encoding = encoding
        self.format: str | None = None
        self.ns = ""
        self.root_path = ""
        self.report_tag = ""
        self.cols = _Columns()
        self.lines = self.cols.lines
        self.skipped: Counter = Counter()
        self.problems: list[str] = []
        self.statements: list[_Statement] = []
        self.current: _Statement | None = None
        self.current_parent = None
        self.reports_done = 0
        self.entry_index = 0
        self.message_id: str | None = None
        self.date_cache: dict[str, dt.date] = {}

    # -- driving the stream -------------------------------------------------

    def run(self) -> LoadedFile:
        tags = ("{*}GrpHdr", "{*}Ntry", "{*}Stmt", "{*}Ntfctn")
        for _event, element in secure_iterparse(
            self.path, self.data, tags=tags, encoding=self.encoding
        ):
            if not self.format:
                self._identify(element)
            name = local_name(element.tag)
            if name == "Ntry":
                self._entry_element(element)
            elif name == "GrpHdr":
                self.message_id = _text(element.findtext(self.ns + "MsgId"))
            elif name == self.report_tag and element.getparent() is not None:
                self._end_report(element)
            elif name in ("Stmt", "Ntfctn"):
                raise LoadError(
                    self.path,
                    f"<{name}> does not belong in a {self.format} message",
                    element=_element_path(element),
                    line=element.sourceline,
                )
        if not self.format:
            raise LoadError(
                self.path, "no camt.053/camt.054 content: no GrpHdr, Stmt, Ntfctn or Ntry"
            )
        return self._result()

    def _identify(self, element) -> None:
        root = element.getroottree().getroot()
        self.ns = namespace(root.tag)
        container = next((c for c in root if isinstance(c.tag, str)), None)
        container_name = local_name(container.tag) if container is not None else ""
        if local_name(root.tag) != "Document" or container_name not in _BY_CONTAINER:
            raise LoadError(
                self.path,
                f"not a camt.053/camt.054 message: <{local_name(root.tag)}>"
                f" containing <{container_name or '?'}>",
                element="/" + local_name(root.tag),
                line=root.sourceline,
            )
        fmt = _BY_CONTAINER[container_name]
        match = _NS_FORMAT.search(self.ns)
        if self.ns and (match is None or match.group(1) != fmt):
            raise LoadError(
                self.path,
                f"namespace {self.ns[1:-1]!r} does not match <{container_name}> ({fmt})",
                element="/Document",
                line=root.sourceline,
            )
        if self.expect and fmt != self.expect:
            raise LoadError(self.path, f"expected a {self.expect} file, found {fmt}")
        self.format = fmt
        self.report_tag = _CONTAINERS[fmt][1]
        self.root_path = f"/Document/{container_name}"
        self._paths()

    def _paths(self) -> None:
        """Precompute namespaced find paths once (lxml caches compiled paths by string)."""
        n = self.ns

        def p(*steps: str) -> str:
            return "/".join(n + s for s in steps)

        self.L = {n + name: name for name in _NAMES}
        self.P = {
            "Amt": p("Amt"),
            "CdtDbtInd": p("CdtDbtInd"),
            "RvslInd": p("RvslInd"),
            "Sts": p("Sts"),
            "StsCd": p("Cd"),
            "StsPrtry": p("Prtry"),
            "BookgDt": p("BookgDt"),
            "ValDt": p("ValDt"),
            "Dt": p("Dt"),
            "DtTm": p("DtTm"),
            "AcctSvcrRef": p("AcctSvcrRef"),
            "NtryRef": p("NtryRef"),
            "AddtlNtryInf": p("AddtlNtryInf"),
            "NtryDtls": p("NtryDtls"),
            "NtryTx": p("NtryDtls", "TxDtls"),
            "Refs": p("Refs"),
            "EndToEndId": p("EndToEndId"),
            "TxId": p("TxId"),
            "InstrId": p("InstrId"),
            "UETR": p("UETR"),
            "ChqNb": p("ChqNb"),
            "TxAmt": p("AmtDtls", "TxAmt", "Amt"),
            "RtrInf": p("RtrInf"),
            "RltdPties": p("RltdPties"),
            "DbtrNm": p("Dbtr", "Nm"),
            "DbtrPtyNm": p("Dbtr", "Pty", "Nm"),
            "UltmtDbtrNm": p("UltmtDbtr", "Nm"),
            "UltmtDbtrPtyNm": p("UltmtDbtr", "Pty", "Nm"),
            "DbtrIBAN": p("DbtrAcct", "Id", "IBAN"),
            "DbtrOthr": p("DbtrAcct", "Id", "Othr", "Id"),
            "RmtInf": p("RmtInf"),
            "Ustrd": p("Ustrd"),
            "Strd": p("Strd"),
            "AddtlTxInf": p("AddtlTxInf"),
            "RfrdDocInf": p("RfrdDocInf"),
            "Nb": p("Nb"),
            "RfrdDocAmt": p("RfrdDocAmt"),
            "CdtrRef": p("CdtrRefInf", "Ref"),
            "Rsn": p("Rsn"),
            "AddtlInf": p("AddtlInf"),
            "Id": p("Id"),
            "AcctIBAN": p("Acct", "Id", "IBAN"),
            "AcctOthr": p("Acct", "Id", "Othr", "Id"),
            "AcctCcy": p("Acct", "Ccy"),
            "TxsSummry": p("TxsSummry"),
            "NbOfNtries": p("NbOfNtries"),
            "Sum": p("Sum"),
        }

    # -- statements -----------------------------------------------------------

    def _begin_report(self, report) -> _Statement:
        P = self.P
        stmt = _Statement(index=self.reports_done + 1)
        stmt.ident = _text(report.findtext(P["Id"]))
        stmt.account = _text(report.findtext(P["AcctIBAN"])) or _text(
            report.findtext(P["AcctOthr"])
        )
        stmt.currency = _text(report.findtext(P["AcctCcy"]))
        summary = report.find(P["TxsSummry"])
        if summary is not None:
            for key in ("TtlNtries", "TtlCdtNtries", "TtlDbtNtries"):
                block = summary.find(self.ns + key)
                if block is not None:
                    stmt.expected[key] = (
                        _text(block.findtext(P["NbOfNtries"])),
                        _text(block.findtext(P["Sum"])),
                        block.sourceline,
                    )
        self.statements.append(stmt)
        self.current = stmt
        self.current_parent = report
        self.entry_index = 0
        return stmt

    def _end_report(self, report) -> None:
        stmt = self.current if report is self.current_parent else self._begin_report(report)
        self._check_summary(stmt)
        self.reports_done += 1
        self.current, self.current_parent = None, None
        report.clear(keep_tail=False)
        parent = report.getparent()
        while report.getprevious() is not None:
            del parent[0]

    def _check_summary(self, stmt: _Statement) -> None:
        where = f"{self.root_path}/{self.report_tag}[{stmt.index}]/TxsSummry"
        keys = {"TtlNtries": "all", "TtlCdtNtries": "CRDT", "TtlDbtNtries": "DBIT"}
        for key, (count, total, line) in stmt.expected.items():
            kind = keys[key]
            if stmt.invalid and kind != "all":
                continue  # an unreadable entry may have been either
            if count is not None and count.isdigit() and int(count) != stmt.counts[kind]:
                self._checksum(
                    f"{key}/NbOfNtries says {count} entries but the file has {stmt.counts[kind]}",
                    f"{where}/{key}/NbOfNtries",
                    "NbOfNtries",
                    line,
                )
            if total is None or stmt.invalid or len(stmt.currencies) != 1:
                continue
            currency = next(iter(stmt.currencies))
            try:
                expected = _minor(total, currency)
            except ValueError as error:
                self._checksum(f"{key}/Sum: {error}", f"{where}/{key}/Sum", "Sum", line)
                continue
            if expected != stmt.sums[kind]:
                self._checksum(
                    f"{key}/Sum says {total} but the entries add up to "
                    f"{format_amount(stmt.sums[kind], currency)}",
                    f"{where}/{key}/Sum",
                    "Sum",
                    line,
                )

    def _checksum(self, message: str, element: str, field_name: str, line: int | None) -> None:
        if not self.lenient:
            raise LoadError(self.path, message, element=element, field=field_name, line=line)
        self.problems.append(f"{self.path}: line {line}, element {element}: {message}")

    # -- entries --------------------------------------------------------------

    def _entry_element(self, ntry) -> None:
        parent = ntry.getparent()
        if parent is None or local_name(parent.tag) != self.report_tag:
            raise LoadError(
                self.path,
                f"<Ntry> outside a <{self.report_tag}>",
                element=_element_path(ntry),
                line=ntry.sourceline,
            )
        stmt = self.current if parent is self.current_parent else self._begin_report(parent)
        self.entry_index += 1
        stmt.counts["all"] += 1
        epath = (
            self.root_path,
            "/",
            self.report_tag,
            "[",
            stmt.index,
            "]/Ntry[",
            self.entry_index,
            "]",
        )
        start = len(self.cols.positions)
        try:
            self._entry(ntry, stmt, epath)
        except _RecordError as error:
            # Drop whatever this entry already appended: an entry loads whole or not at all.
            self.cols.truncate(start)
            stmt.invalid = True
            located = LoadError(
                self.path,
                error.message,
                element=_join(error.element),
                field=error.field,
                line=error.line,
            )
            raise_or_report(located, self.lenient, self.problems, "entry")
        ntry.clear(keep_tail=False)
        while ntry.getprevious() is not None:
            del parent[0]
        self.cols.maybe_flush()

    def _entry(self, ntry, stmt: _Statement, epath: tuple) -> None:
        L = self.L
        amount_el = direction = reversal = status_el = booking_el = value_el = None
        entry_ref = ntry_ref = entry_info = None
        details = []
        for child in ntry:
            name = L.get(child.tag)
            if name is None:
                continue
            if name == "Amt":
                amount_el = child
            elif name == "CdtDbtInd":
                direction = child.text
            elif name == "Sts":
                status_el = child
            elif name == "BookgDt":
                booking_el = child
            elif name == "ValDt":
                value_el = child
            elif name == "AcctSvcrRef":
                entry_ref = child.text
            elif name == "NtryRef":
                ntry_ref = child.text
            elif name == "RvslInd":
                reversal = child.text
            elif name == "AddtlNtryInf":
                entry_info = child.text
            elif name == "NtryDtls":
                details.append(child)
        amount, currency = self._amount(amount_el, (epath, "/Amt"), ntry)
        direction = _text(direction)
        if direction not in ("CRDT", "DBIT"):
            raise _RecordError(
                (epath, "/CdtDbtInd"),
                "CdtDbtInd",
                f"expected CRDT or DBIT, found {direction!r}",
                ntry.sourceline,
            )
        counts, sums = stmt.counts, stmt.sums
        counts[direction] += 1
        sums["all"] += amount
        sums[direction] += amount
        stmt.currencies.add(currency)

        txs = []
        for d, detail in enumerate(details, 1):
            t = 0
            for tx in detail:
                if L.get(tx.tag) == "TxDtls":
                    t += 1
                    txs.append((d, t, tx))
        units = len(txs) or 1
        if self._status(status_el) != "BOOK":
            self.skipped["not_booked"] += units
            return
        if reversal is not None and _text(reversal) in ("true", "1"):
            self.skipped["reversal"] += units
            return
        if direction == "DBIT":
            self.skipped["debit"] += units
            return

        booking = self._date(booking_el, "BookgDt", epath)
        value = self._date(value_el, "ValDt", epath) or booking
        if value is None:
            raise _RecordError(
                (epath, "/ValDt"),
                "ValDt",
                "a credit needs a value or booking date",
                ntry.sourceline,
            )
        entry = (value, booking, _text(entry_ref) or _text(ntry_ref), _text(entry_info))
        s, n = stmt.index, self.entry_index
        if not txs:
            self._append(entry, None, amount, currency, (s, n, 1), epath)
            return
        single = len(txs) == 1
        credited = 0
        comparable = True
        for number, (d, t, tx) in enumerate(txs, 1):
            tpath = (epath, "/NtryDtls[", d, "]/TxDtls[", t, "]")
            parts = [None] * _N_PARTS
            for child in tx:
                index = _PART_INDEX.get(L.get(child.tag))
                if index is not None:
                    parts[index] = child
            if parts[_CDI] is not None and _text(parts[_CDI].text) == "DBIT":
                self.skipped["debit"] += 1
                comparable = False  # a mixed batch cannot be summed against the entry
                continue
            if parts[_RTR] is not None:
                self.skipped["return"] += 1
                comparable = False
                continue
            if single:
                tx_amount, tx_currency = amount, currency
            else:
                amt, where = self._tx_amount(parts[_AMTDTLS]), (tpath, "/AmtDtls/TxAmt/Amt")
                if amt is None:
                    amt, where = parts[_AMT], (tpath, "/Amt")
                if amt is None:
                    raise _RecordError(
                        where,
                        "Amt",
                        "a transaction of a batched entry needs its own amount",
                        tx.sourceline,
                    )
                tx_amount, tx_currency = self._amount(amt, where, tx)
                comparable = comparable and tx_currency == currency
                credited += tx_amount
            self._append(entry, parts, tx_amount, tx_currency, (s, n, number), tpath)
        if not single and comparable and credited != amount:
            raise _RecordError(
                (epath, "/Amt"),
                "Amt",
                f"entry amount {format_amount(amount, currency)} {currency} differs from the sum"
                f" of its {len(txs)} transactions {format_amount(credited, currency)}",
                amount_el.sourceline,
            )

    def _tx_amount(self, details):
        """``AmtDtls/TxAmt/Amt``, or None."""
        if details is None:
            return None
        L = self.L
        for sub in details:
            if L.get(sub.tag) == "TxAmt":
                for amount in sub:
                    if L.get(amount.tag) == "Amt":
                        return amount
        return None

    def _append(self, entry, parts, amount, currency, position, tpath) -> None:
        L = self.L
        value, booking, entry_ref, entry_info = entry
        tx_ref = e2e = trace = check = payer = account = reference_text = None
        lines = self.lines
        if parts is not None:
            refs = parts[_REFS]
            if refs is not None:
                tx_id = instr_id = uetr = None
                for child in refs:
                    name = L.get(child.tag)
                    if name == "AcctSvcrRef":
                        tx_ref = _text(child.text)
                    elif name == "EndToEndId":
                        e2e = _text(child.text)
                    elif name == "TxId":
                        tx_id = _text(child.text)
                    elif name == "InstrId":
                        instr_id = _text(child.text)
                    elif name == "UETR":
                        uetr = _text(child.text)
                    elif name == "ChqNb":
                        check = _text(child.text)
                if e2e == _NOT_PROVIDED:
                    e2e = None
                trace = tx_id or instr_id or uetr
            parties = parts[_PARTIES]
            if parties is not None:
                payer, account = self._payer(parties)
            rmt = parts[_RMT]
            if rmt is not None:
                texts = []
                s = 0
                for child in rmt:
                    name = L.get(child.tag)
                    if name == "Ustrd":
                        text = _text(child.text)
                        if text:
                            texts.append(text)
                    elif name == "Strd":
                        s += 1
                        self._structured(child, currency, (tpath, "/RmtInf/Strd[", s, "]"))
                if texts:
                    reference_text = " ".join(texts)
            if reference_text is None and parts[_INFO] is not None:
                reference_text = _text(parts[_INFO].text)
        if reference_text is None:
            reference_text = entry_info
        cols = self.cols
        cols.payment_id.append(tx_ref or entry_ref or e2e)
        cols.amount_minor.append(amount)
        cols.currency.append(currency)
        cols.value_date.append(value)
        cols.payer_name.append(payer)
        cols.payer_account.append(account)
        cols.reference_text.append(reference_text)
        cols.booking_date.append(booking)
        cols.check_number.append(check)
        cols.trace_id.append(trace)
        cols.end_to_end_id.append(e2e)
        cols.positions.append(position)
        cols.offsets.append(len(lines["invoice_ref"]))

    def _payer(self, parties) -> tuple[str | None, str | None]:
        """Debtor name (``Nm`` or v08 ``Pty/Nm``, else the ultimate debtor's) and account."""
        L = self.L
        name = ultimate = account = None
        for child in parties:
            role = L.get(child.tag)
            if role == "Dbtr":
                name = self._name(child)
            elif role == "UltmtDbtr":
                ultimate = self._name(child)
            elif role == "DbtrAcct":
                for ident in child:
                    if L.get(ident.tag) != "Id":
                        continue
                    for scheme in ident:
                        kind = L.get(scheme.tag)
                        if kind == "IBAN":
                            account = _text(scheme.text)
                        elif kind == "Othr":
                            account = next(
                                (_text(x.text) for x in scheme if L.get(x.tag) == "Id"), None
                            )
        return name or ultimate, account

    # -- values ---------------------------------------------------------------

    def _status(self, element) -> str | None:
        if element is None:
            return "BOOK"  # mandatory in the schema; a bank that omits it has booked
        status = _text(element.text)
        if status is None:  # version 08: <Sts><Cd>BOOK</Cd></Sts>
            status = next(
                (_text(c.text) for c in element if self.L.get(c.tag) in ("Cd", "Prtry")), None
            )
        return status

    # -- result -------------------------------------------------------------------

    def _result(self) -> LoadedFile:
        idents = [s.ident for s in self.statements]
        _fill_ids(
            self.cols.payment_id,
            self.cols.positions,
            lambda: _file_key(self.path, self.data, self.message_id, idents),
        )
        table = self.cols.table(self.format, self.path)
        accounts = [s.account for s in self.statements]
        return LoadedFile(
            format=self.format,
            payments=table,
            advices=REMITTANCE_ADVICES.empty_table(),
            skipped=dict(self.skipped),
            problems=self.problems,
            summary=_summary(
                self.format, self.message_id, idents, accounts, self.skipped, self.problems, table
            ),
        )


def _load_fast(path: str, data: bytes | None, expect: str | None) -> LoadedFile | None:
    """The file read by :mod:`cashmatch.loaders.camt_fast`, or None when it declines."""

    def identify(container: str, ns: str) -> str | None:
        # What _Reader._identify accepts; anything else is for the reader to refuse.
        fmt = _BY_CONTAINER[container]
        match = _NS_FORMAT.search(ns)
        if ns and (match is None or match.group(1) != fmt):
            return None
        return None if expect and fmt != expect else fmt

    read = camt_fast.read(path, data, identify)
    if read is None:
        return None
    table = read.payments
    ids = table.column("payment_id")
    if ids.null_count or not _all_different(ids):
        # Missing or repeated ids are rare: the reader's rule, row by row.
        values = ids.to_pylist()
        _fill_ids(
            values,
            read.positions.tolist(),
            lambda: _file_key(path, data, read.message_id, read.statements),
        )
        column = pa.chunked_array([pa.array(values, pa.string())])
        table = table.set_column(0, PAYMENTS.field("payment_id"), column)
    at = PAYMENTS.get_field_index("source_location")
    locations = source_locations(read.format, read.positions.tolist())
    table = table.set_column(at, PAYMENTS.field("source_location"), locations)
    return LoadedFile(
        format=read.format,
        payments=table,
        advices=REMITTANCE_ADVICES.empty_table(),
        skipped=read.skipped,
        problems=[],
        summary=_summary(
            read.format, read.message_id, read.statements, read.accounts, read.skipped, [], table
        ),
    )


def _all_different(ids: pa.ChunkedArray) -> bool:
    """Whether no id repeats: different 64-bit hashes prove it, equal ones are checked."""
    hashes = np.sort(hash_strings(ids))
    if not (hashes[1:] == hashes[:-1]).any():
        return True
    return pc.count_distinct(ids).as_py() == len(ids)


def _fill_ids(
    ids: list[str | None],
    positions: Sequence[Sequence[int]],
    file_key: Callable[[], str],
) -> None:
    """Give every payment an id unique in the file and stable across re-loads.

    A payment without one gets ``file_key()#statement.entry.transaction``; an
    id used twice gets its position appended (and primes until it is unique).
    """
    base = None
    for i, value in enumerate(ids):
        if value is None:
            if base is None:
                base = file_key()
            ids[i] = f"{base}#{_position(positions[i])}"
    counts = Counter(ids)
    if len(counts) == len(ids):
        return
    taken = set(counts)
    for i, value in enumerate(ids):
        if counts[value] > 1:
            candidate = f"{value}#{_position(positions[i])}"
            while candidate in taken:
                candidate += "'"
            taken.add(candidate)
            ids[i] = candidate


def _file_key(
    path: str, data: bytes | None, message_id: str | None, statements: list[str | None]
) -> str:
    stmt = next((ident for ident in statements if ident), None)
    if stmt or message_id:
        return f"{message_id or ''}/{stmt or ''}"
    digest = hashlib.sha256()
    if data is not None:
        digest.update(data)
    else:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return "camt-" + digest.hexdigest()[:16]


def _summary(
    fmt: str,
    message_id: str | None,
    statements: list[str | None],
    accounts: list[str | None],
    skipped: dict[str, int],
    problems: list[str],
    table: pa.Table,
) -> dict[str, object]:
    totals = {
        row["currency"]: row["amount_minor_sum"]
        for row in table.group_by("currency").aggregate([("amount_minor", "sum")]).to_pylist()
    }
    dates = pc.min_max(table.column("value_date")).as_py()
    return {
        "format": fmt,
        "message_id": message_id,
        "statements": list(statements),
        "accounts": sorted({a for a in accounts if a}),
        "currencies": sorted(totals),
        "payments": table.num_rows,
        "skipped": dict(skipped),
        "problems": len(problems),
        "total_credited": {c: format_amount(v, c) for c, v in sorted(totals.items())},
        "value_date_range": (
            (dates["min"].isoformat(), dates["max"].isoformat()) if table.num_rows else None
        ),
    }


def _text(value: str | None) -> str | None:
    """Stripped text, None when absent or blank."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _minor(text: str, currency: str) -> int:
    """An ISO 20022 amount (digits, optional ``.`` fraction, no sign) in minor units.

    Same rule as :func:`cashmatch.engine.money.parse_amount` (trailing zeros past
    the exponent are fine, other extra digits are not), stricter on syntax: camt
    amounts carry no sign, no comma and no exponent.

    Example:
        >>> _minor("1234.5", "EUR"), _minor("7", "JPY"), _minor("10.500", "EUR")
        (123450, 7, 1050)
    """
    exponent = CURRENCY_EXPONENTS.get(currency)
    if exponent is None:
        raise ValueError(f"unknown currency {currency!r}")
    whole, dot, fraction = text.partition(".")
    # Fast path for the usual "1234.56"; anything else goes through the regex.
    if not (
        whole.isdigit()
        and whole.isascii()
        and len(whole) <= 18
        and (not dot or (fraction.isdigit() and fraction.isascii()))
    ):
        match = _AMOUNT.fullmatch(text)
        if match is None:
            raise ValueError(f"not a decimal amount: {text!r}")
        whole, fraction = match.group(1), match.group(2) or ""
    value = int(whole) * _POW10[exponent]
    if fraction:
        if len(fraction) > exponent:
            if fraction[exponent:].strip("0"):
                raise ValueError(
                    f"{text.strip()!r} has more than {exponent} decimals for {currency}"
                )
            fraction = fraction[:exponent]
        if fraction:
            value += int(fraction) * _POW10[exponent - len(fraction)]
    if value >= _MAX_MINOR:
        raise ValueError(f"{text.strip()!r} is too large")
    return value


def _position(position: tuple[int, int, int]) -> str:
    return ".".join(map(str, position))


def _join(parts: object) -> str:
    """An element path kept as nested tuples of parts (built only when an error needs it)."""
    if isinstance(parts, tuple):
        return "".join(_join(p) for p in parts)
    return str(parts)


def _element_path(element) -> str:
    """XPath-like location with 1-based positions among same-named siblings."""
    steps = []
    while element is not None:
        parent = element.getparent()
        name = local_name(element.tag)
        if parent is None:
            steps.append(name)
        else:
            same = [c for c in parent if c.tag == element.tag]
            steps.append(f"{name}[{same.index(element) + 1}]" if len(same) > 1 else name)
        element = parent
    return "/" + "/".join(reversed(steps))


def detect(path: str, data: bytes | None = None) -> str | None:
    """``"camt.053"``, ``"camt.054"`` or None, from the head of a file or bytes."""
    return _sniff(read_head(path, data))

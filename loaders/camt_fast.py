"""The fast path of the camt loader: raw bytes to Arrow columns without building a tree.

:func:`read` memory-maps the file (or takes the bytes given), checks the
prolog (BOM, XML declaration) and the root element in Python, runs the numba
scanner (:mod:`cashmatch.loaders.camt_scan`) and the reader's rules
(:mod:`cashmatch.loaders.camt_rows`), then builds each column in one go from
byte spans (:func:`cashmatch.loaders.camt_values.gather_strings`), with no
Python code per transaction.

It answers None whenever the file is not plain enough (see the scanner's and
the row builder's reasons) or the lxml reader would reject it: the caller then
loads it with that reader, which is the reference and words every error. The
fast path is only ever a faster way to the same result.

Memory: the file is mapped, not read (its pages are the page cache's, shared
and dropped under pressure); the scan keeps 24 bytes per event (about 20
events per transaction, half the size of a typical file) and the row builder
a few hundred bytes per payment, besides the result itself. That is bounded
by the file's size, so there is no chunking: the lxml reader's flat memory
mattered because its Python objects cost kilobytes per transaction.
"""

from __future__ import annotations

import mmap
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cashmatch.engine.schemas import PAYMENTS, REMITTANCE_LINE
from cashmatch.loaders.camt_rows import (
    ACCOUNT,
    CHECK,
    E2E,
    PAYER,
    PAYMENT_ID,
    TRACE,
    Rows,
    rows_from_events,
)
from cashmatch.loaders.camt_scan import (
    CONTAINER,
    CURRENCY_CODES,
    CURRENCY_EXPONENT,
    TABLES,
    scan,
)
from cashmatch.loaders.camt_values import NO_DATE, gather_strings

_BOM = b"\xef\xbb\xbf"
_S = rb"[ \t\r\n]"
# The XML declaration as libxml2 takes it without question: version 1.0, UTF-8.
_DECLARATION = re.compile(
    rb"<\?xml" + _S + rb"+version" + _S + rb"*=" + _S + rb"*([\"'])1\.0\1"
    rb"(?:" + _S + rb"+encoding" + _S + rb"*=" + _S + rb"*([\"'])(?i:utf-8)\2)?"
    rb"(?:" + _S + rb"+standalone" + _S + rb"*=" + _S + rb"*([\"'])(?:yes|no)\3)?"
    + _S + rb"*\?>"
)  # fmt: skip
_ATTRIBUTE = re.compile(
    rb"([A-Za-z_][\w.-]*)(?::([A-Za-z_][\w.-]*))?" + _S + rb"*=" + _S + rb"*(\"[^\"]*\"|'[^']*')"
)
_RESERVED_URIS = (b"http://www.w3.org/XML/1998/namespace", b"http://www.w3.org/2000/xmlns/")
_CURRENCIES = pa.array(CURRENCY_CODES, pa.string())


@dataclass
class FastRead:
    """What the fast path read, before the reader's id and summary rules are applied.

    Attributes:
        format: what ``identify`` said.
        payments: PAYMENTS table; ``payment_id`` may still hold nulls and repeats
            (see ``camt._fill_ids``).
        positions: int32 [n, 3]: statement, entry and transaction number of each row.
        message_id: GrpHdr/MsgId, stripped, or None.
        statements: each statement's Id, stripped, or None.
        accounts: each statement's IBAN, else Othr/Id, or None.
        skipped: counts by kind, in the order the reader would have first met them.
    """

    format: str
    payments: pa.Table
    positions: np.ndarray
    message_id: str | None
    statements: list[str | None]
    accounts: list[str | None]
    skipped: dict[str, int]


def read(
    path: str, data: bytes | None, identify: Callable[[str, str], str | None]
) -> FastRead | None:
    """Read a camt.053/054 document the fast way, or None to leave it to the lxml reader.

    Args:
        path: the file (read when ``data`` is None) and the ``source_file`` of each row.
        data: the document's bytes, or None.
        identify: given the message element's name and the root's namespace, the
            format (each row's ``source_format``), or None when the reader would
            refuse the pair.
    """
    buf = _map(path, data)
    if buf is None:
        return None
    start = _prolog(buf)
    if start is None:
        return None
    scanned = scan(buf, start)
    if not scanned.ok or scanned.first_child < 0:
        return None
    if not TABLES.flags[scanned.first_child] & CONTAINER:
        return None
    namespace = _root_namespace(bytes(buf[scanned.root_tag[0] : scanned.root_tag[1]]))
    if namespace is None:
        return None
    container = TABLES.nodes[scanned.first_child].name
    source_format = identify(container, namespace)
    if source_format is None:
        return None
    rows = rows_from_events(buf, scanned.events, TABLES.record, TABLES.field, CURRENCY_EXPONENT)
    if not rows.ok:
        return None
    table = _payments(buf, rows, source_format, path)
    if table is None:
        return None
    statements = _texts(buf, rows.statement_start[:, 0], rows.statement_end[:, 0])
    ibans = _texts(buf, rows.statement_start[:, 1], rows.statement_end[:, 1])
    others = _texts(buf, rows.statement_start[:, 2], rows.statement_end[:, 2])
    message_id = _texts(buf, rows.msgid[:1], rows.msgid[1:])[0]
    return FastRead(
        format=source_format,
        payments=table,
        positions=rows.position,
        message_id=message_id,
        statements=statements,
        accounts=[iban or other for iban, other in zip(ibans, others)],
        skipped=rows.skipped,
    )


def _map(path: str, data: bytes | None) -> np.ndarray | None:
    """The document as a uint8 array: the bytes given, or the file mapped read-only."""
    if data is not None:
        return np.frombuffer(data, np.uint8) if len(data) else None
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                return None
            # The map outlives the handle; it is released with the last array viewing it.
            return np.frombuffer(mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ), np.uint8)
    except (OSError, ValueError):
        return None  # the reader says what is wrong with the file


def _prolog(buf: np.ndarray) -> int | None:
    """Where the scan starts: after a UTF-8 BOM and a plain XML declaration; None if odd."""
    head = bytes(buf[:256])
    start = len(_BOM) if head.startswith(_BOM) else 0
    if head.startswith(b"<?xml", start):
        match = _DECLARATION.match(head, start)
        if match is None:
            return None  # another encoding, another version, or not a declaration at all
        start = match.end()
    return start


def _root_namespace(tag: bytes) -> str | None:
    """The namespace of the root from its start tag, or None if its declarations are not plain.

    The scanner allows namespace declarations and prefixed attributes on the
    root only; here they must be ones libxml2 accepts without a doubt, and the
    root's prefix, if any, declared.
    """
    name = re.match(rb"<([\w.-]+)(?::([\w.-]+))?", tag)
    if name is None:
        return None
    prefix = name.group(1) if name.group(2) else None
    declared: dict[bytes | None, bytes] = {}
    prefixed: list[tuple[bytes, bytes]] = []
    for match in _ATTRIBUTE.finditer(tag, name.end()):
        first, second, quoted = match.groups()
        value = quoted[1:-1]
        if first == b"xmlns":
            if second in (b"xml", b"xmlns") or b"&" in value or re.search(rb"[\x00-\x20]", value):
                return None
            if value in _RESERVED_URIS or (second is not None and not value):
                return None
            declared[second] = value
        elif second is not None:
            if first == b"xml":
                return None
            prefixed.append((first, second))
    if any(p not in declared for p, _ in prefixed):
        return None
    if len({local for _, local in prefixed}) != len(prefixed):
        return None  # two prefixes could name one namespace: a duplicate attribute
    if prefix is not None and prefix not in declared:
        return None
    return declared.get(prefix, b"").decode()


def _strings(offsets: np.ndarray, data: np.ndarray, valid: np.ndarray) -> pa.Array:
    n = len(valid)
    nulls = n - int(np.count_nonzero(valid))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(data), bitmap, null_count=nulls
    )


def _column(buf: np.ndarray, ptr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    offsets, data, valid = gather_strings(buf, ptr, starts, ends)
    if len(offsets) and offsets[-1] < 0:
        raise OverflowError("string column over 2 GiB")
    return _strings(offsets, data, valid)


def _texts(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[str | None]:
    ptr = np.arange(len(starts) + 1, dtype=np.int64)
    return _column(buf, ptr, starts, ends).to_pylist()


def _int64(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    if valid is None or valid.all():
        return pa.array(values, pa.int64())
    return pa.array(values, pa.int64(), mask=~valid)


def _dates(days: np.ndarray) -> pa.Array:
    missing = days == NO_DATE
    if missing.any():
        return pa.array(np.where(missing, 0, days).astype(np.int32), pa.int32(), mask=missing).cast(
            pa.date32()
        )
    return pa.Array.from_buffers(pa.date32(), len(days), [None, pa.py_buffer(days)])


def _payments(buf: np.ndarray, rows: Rows, source_format: str, path: str) -> pa.Table | None:
    n = len(rows.amount)
    single = np.arange(n + 1, dtype=np.int64)
    try:

        def span(column: int) -> pa.Array:
            return _column(buf, single, rows.span_start[:, column], rows.span_end[:, column])

        m = len(rows.invoice_start)
        each_line = np.arange(m + 1, dtype=np.int64)
        line_fields = {
            "invoice_ref": _column(buf, each_line, rows.invoice_start, rows.invoice_end),
            "adjustment_reason": _column(buf, each_line, rows.reason_start, rows.reason_end),
        }
        for i, name in enumerate(
            ("amount_paid_minor", "invoice_amount_minor", "discount_minor", "adjustment_minor")
        ):
            line_fields[name] = _int64(rows.line_amount[:, i], rows.line_valid[:, i])
        lines = pa.StructArray.from_arrays(
            [line_fields[f.name] for f in REMITTANCE_LINE], fields=list(REMITTANCE_LINE)
        )
        if rows.line_ptr[-1] > 2**31 - 1:
            return None
        remittance = pa.ListArray.from_arrays(
            pa.array(rows.line_ptr.astype(np.int32)), lines, type=PAYMENTS.field("remittance").type
        )
        constant = np.zeros(n, np.int32)
        columns = {
            "payment_id": span(PAYMENT_ID),
            "amount_minor": _int64(rows.amount),
            "currency": _CURRENCIES.take(pa.array(rows.currency)),
            "value_date": _dates(rows.value_date),
            "payer_name": span(PAYER),
            "payer_account": span(ACCOUNT),
            "reference_text": _column(buf, rows.ref_ptr, rows.ref_start, rows.ref_end),
            "booking_date": _dates(rows.booking_date),
            "source_format": pa.array([source_format]).take(pa.array(constant)),
            "source_file": pa.array([path]).take(pa.array(constant)),
            "check_number": span(CHECK),
            "trace_id": span(TRACE),
            "end_to_end_id": span(E2E),
            "remittance": remittance,
        }
    except OverflowError:
        return None  # columns past Arrow's 2 GiB string limit: the reader batches them
    return pa.Table.from_arrays([columns[f.name] for f in PAYMENTS], schema=PAYMENTS)

"""The fast path of the camt loader: raw bytes to Arrow columns without building a tree.

:func:`read` memory-maps the file (or takes the bytes given), checks the
prolog (BOM, XML declaration) and the root element in Python, runs the numba
scanner (:mod:`cashmatch.loaders.camt_scan`) and the reader's rules
(:mod:`cashmatch.loaders.camt_rows`), which leave each string column as one
byte heap with offsets, then wraps those as Arrow arrays: no Python code per
transaction.

It answers None whenever the file is not plain enough (see the scanner's and
the row builder's reasons) or the lxml reader would reject it: the caller then
loads it with that reader, which is the reference and words every error. The
fast path is only ever a faster way to the same result.

Memory: the file is mapped, not read (its pages belong to the page cache,
shared and dropped under pressure, though counted in RSS once touched); the
scan works through it a chunk at a time
(:data:`cashmatch.loaders.camt_scan.CHUNK_BYTES`), so besides the result (its
strings, stripped, and 64 bytes of numbers per payment and per line, with up
to twice that while the arrays grow) it holds one chunk's events. Measured on
the benchmark's statements: 400k transactions (403 MB) peak at 821 MiB RSS,
of which 403 MB are the mapped file and 193 MiB the interpreter with its
libraries, for a 108 MiB table; the lxml reader peaks at 84 MB over the
interpreter for 100k transactions. No chunking of the output: its size is the
result's.
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
from cashmatch.loaders.camt_paths import CONTAINER, CURRENCY_CODES, TABLES
from cashmatch.loaders.camt_rows import (
    ACCOUNT,
    AMOUNT,
    BOOKING,
    CHECK,
    CURRENCY,
    E2E,
    INVOICE,
    LINES_END,
    MSGID,
    MSGID_PACKED,
    PAYER,
    PAYMENT_ID,
    REASON,
    REFERENCE,
    STMT_NO,
    TRACE,
    TX_NO,
    VALUE,
    Out,
    skipped_counts,
)
from cashmatch.loaders.camt_scan import read as scan
from cashmatch.loaders.camt_values import NO_DATE, put_stripped

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
    out = scanned.out
    if not out.grphdr and not out.n_statements:
        return None  # the reader finds no camt content
    namespace = _root_namespace(bytes(buf[scanned.root_tag[0] : scanned.root_tag[1]]))
    if namespace is None:
        return None
    source_format = identify(TABLES.nodes[scanned.first_child].name, namespace)
    if source_format is None:
        return None
    table = _payments(out, source_format, path)
    if table is None:
        return None
    statements = out.statements[: out.n_statements]
    ibans = [_text(buf, s, p) for s, p in zip(statements[:, 2], statements[:, 3])]
    others = [_text(buf, s, p) for s, p in zip(statements[:, 4], statements[:, 5])]
    return FastRead(
        format=source_format,
        payments=table,
        positions=out.row_numbers[: out.rows, STMT_NO : TX_NO + 1],
        message_id=_text(buf, out.state[MSGID], out.state[MSGID_PACKED]),
        statements=[_text(buf, s, p) for s, p in zip(statements[:, 0], statements[:, 1])],
        accounts=[iban or other for iban, other in zip(ibans, others)],
        skipped=skipped_counts(out.state),
    )


def _text(buf: np.ndarray, start: int, packed: int) -> str | None:
    """The stripped text of a field span (``_text`` of the reader), for the few per file."""
    if start < 0:
        return None
    out = np.empty(int(packed) & 0xFFFFFFFF, np.uint8)
    end = put_stripped(buf, int(start), int(start) + len(out), out, 0)
    return out[:end].tobytes().decode() or None


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


def _strings(offsets: np.ndarray, heap: np.ndarray) -> pa.Array:
    """A string column from int64 offsets into its heap; an empty string is a null.

    The reader's strings are stripped and None when blank, so no value is "".
    """
    if offsets[-1] > 2**31 - 1:
        raise OverflowError("string column over 2 GiB")
    valid = offsets[1:] > offsets[:-1]
    n = len(valid)
    nulls = n - int(np.count_nonzero(valid))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    # No copy: the column's row of the heap (the capacity past its end was never
    # written, so it takes address space but no memory).
    data = heap[: offsets[-1]]
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data), bitmap, null_count=nulls
    )


def _int64(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    values = np.ascontiguousarray(values)
    if valid is None or valid.all():
        return pa.array(values, pa.int64())
    return pa.array(values, pa.int64(), mask=~valid)


def _dates(days: np.ndarray) -> pa.Array:
    days = days.astype(np.int32)
    missing = days == NO_DATE
    if missing.any():
        return pa.array(np.where(missing, 0, days), pa.int32(), mask=missing).cast(pa.date32())
    return pa.Array.from_buffers(pa.date32(), len(days), [None, pa.py_buffer(days)])


def _constant(value: str, n: int) -> pa.Array:
    raw = value.encode()
    offsets = np.arange(n + 1, dtype=np.int64) * len(raw)
    if offsets[-1] > 2**31 - 1:
        raise OverflowError("string column over 2 GiB")
    data = np.frombuffer(raw * n, np.uint8) if raw else np.zeros(0, np.uint8)
    offsets = pa.py_buffer(offsets.astype(np.int32))
    return pa.StringArray.from_buffers(n, offsets, pa.py_buffer(data))


def _payments(out: Out, source_format: str, path: str) -> pa.Table | None:
    n, m = out.rows, out.lines
    rows, lines, heap = out.row_numbers[:n], out.line_numbers[:m], out.heap
    try:

        def strings(column: int) -> pa.Array:
            return _strings(out.pay_offs[column, : n + 1], heap[column])

        line_fields = {
            "invoice_ref": _strings(out.line_offs[0, : m + 1], heap[INVOICE]),
            "adjustment_reason": _strings(out.line_offs[1, : m + 1], heap[REASON]),
        }
        for i, name in enumerate(
            ("amount_paid_minor", "invoice_amount_minor", "discount_minor", "adjustment_minor")
        ):
            line_fields[name] = _int64(lines[:, i], lines[:, 4 + i] != 0)
        struct = pa.StructArray.from_arrays(
            [line_fields[f.name] for f in REMITTANCE_LINE], fields=list(REMITTANCE_LINE)
        )
        ends = np.concatenate([[0], rows[:, LINES_END]]).astype(np.int32)
        remittance = pa.ListArray.from_arrays(
            pa.array(ends), struct, type=PAYMENTS.field("remittance").type
        )
        columns = {
            "payment_id": strings(PAYMENT_ID),
            "amount_minor": _int64(rows[:, AMOUNT]),
            "currency": _CURRENCIES.take(pa.array(np.ascontiguousarray(rows[:, CURRENCY]))),
            "value_date": _dates(rows[:, VALUE]),
            "payer_name": strings(PAYER),
            "payer_account": strings(ACCOUNT),
            "reference_text": strings(REFERENCE),
            "booking_date": _dates(rows[:, BOOKING]),
            "source_format": _constant(source_format, n),
            "source_file": _constant(path, n),
            # Set by camt._load_fast from ``positions``, as the reader sets it.
            "source_location": pa.nulls(n, pa.string()),
            "check_number": strings(CHECK),
            "trace_id": strings(TRACE),
            "end_to_end_id": strings(E2E),
            "remittance": remittance,
        }
    except OverflowError:
        return None  # columns past Arrow's 2 GiB string limit: the reader batches them
    # statement_account and bank_reference: filled by the camt reader's rewrite (ldr).
    return pa.Table.from_arrays(
        [columns.get(f.name, pa.nulls(n, f.type)) for f in PAYMENTS], schema=PAYMENTS
    )

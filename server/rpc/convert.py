"""Protobuf <-> Arrow: tables as chunked IPC streams, checked whole before the engine sees them.

The sender writes a table as one Arrow IPC stream and cuts the bytes into
pieces of :data:`~cashmatch.server.limits.CHUNK_BYTES`; the receiver joins
the pieces of each table and reads them with :func:`read_ipc`, which, in this
order, before any compute kernel touches a value:

1. reads what the stream declares (:mod:`.ipc_sizes`): rows per batch and
   bytes once decompressed, refused past the limits before anything inflates;
2. validates every batch fully (``validate(full=True)``: offsets inside their
   buffers, valid UTF-8), which Arrow's reader does not; a stream that fails
   is refused naming batch, column and, for bad UTF-8, row;
3. applies the engine's door (:mod:`cashmatch.engine.validate`) to each batch
   and to the whole table, and the service's bound on string lengths.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.errors import InputError
from cashmatch.engine.schemas import MATCHES, PAYMENTS
from cashmatch.engine.validate import (
    check_unique,
    validate_customers,
    validate_open_items,
    validate_payments,
)
from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2 as pb
from cashmatch.server.errors import InvalidArgument, ResourceExhausted, bounded, quote
from cashmatch.server.limits import CHUNK_BYTES, Limits
from cashmatch.server.rpc.ipc_sizes import MalformedStream, declared_sizes

DOORS = {
    "payments": (validate_payments, "payment_id"),
    "open_items": (validate_open_items, "invoice_id"),
    "customers": (validate_customers, "customer_id"),
}


def table_to_ipc(table: pa.Table, batch_rows: int = 65_536) -> bytes:
    """Serialise ``table`` as Arrow IPC stream bytes, in batches of ``batch_rows``."""
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=batch_rows):
            writer.write_batch(batch)
    return sink.getvalue()


def split(data: bytes, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Cut ``data`` into pieces of at most ``size`` bytes (one empty piece for no data)."""
    if not data:
        yield b""
        return
    view = memoryview(data)
    for start in range(0, len(data), size):
        yield bytes(view[start : start + size])


class Reassembler:
    """Collects the chunks of the tables of one call, bounded in total size."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.parts: dict[str, bytearray] = {}
        self.total = 0

    def add(self, table: str, data: bytes) -> None:
        self.total += len(data)
        if self.total > self.limits.max_call_bytes:
            raise ResourceExhausted(
                f"call sends more than {self.limits.max_call_bytes} bytes: split it"
            )
        self.parts.setdefault(table, bytearray()).extend(data)

    def has(self, table: str) -> bool:
        return table in self.parts

    def take(self, table: str) -> pa.Buffer:
        """The joined bytes of one table (no copy); forgotten here."""
        return pa.py_buffer(self.parts.pop(table, bytearray()))


def read_ipc(data: bytes | pa.Buffer, name: str, limits: Limits) -> pa.Table:
    """Read Arrow IPC stream bytes into the engine schema of table ``name``, checked whole.

    ``name`` is ``payments``, ``open_items`` or ``customers``. Missing nullable
    columns become nulls; extra columns are dropped.

    Raises:
        InvalidArgument: not an IPC stream, a batch that fails full validation,
            a value the engine's door refuses, a string longer than allowed, a
            batch with too many rows; with a field violation naming
            ``<name>.batch[i].row[j].<column>``.
        ResourceExhausted: more rows or decoded bytes than one call may send.
    """
    try:
        sizes = declared_sizes(data)
    except MalformedStream as error:
        raise _unreadable(name, error) from None
    for number, rows in enumerate(sizes.rows):
        if rows > limits.max_batch_rows or rows < 0:
            where = f"{name}.batch[{number}]"
            raise InvalidArgument(
                f"{where}: {rows} rows, more than {limits.max_batch_rows} in one batch",
                [(where, f"at most {limits.max_batch_rows} rows per record batch")],
            )
    if sum(sizes.rows) > limits.max_call_rows:
        raise ResourceExhausted(
            f"{name}: more than {limits.max_call_rows} rows in one call: split it"
        )
    if sizes.decoded_bytes > limits.max_call_bytes:
        raise ResourceExhausted(
            f"{name}: the stream decodes to {sizes.decoded_bytes} bytes, more than the"
            f" {limits.max_call_bytes} one call may send (compressed or not)"
        )
    try:
        reader = pa.ipc.open_stream(pa.BufferReader(data))
        _check_names(reader.schema)
        batches = list(reader)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OSError) as error:
        raise _unreadable(name, error) from None
    except UnicodeDecodeError:
        raise _unreadable(name, "a column name is not UTF-8") from None
    for number, batch in enumerate(batches):
        _validate_fully(batch, f"{name}.batch[{number}]")
    door, id_column = DOORS[name]
    try:
        # Columns first, for the whole stream: missing, or money sent as floats.
        empty = door(reader.schema.empty_table(), name)
    except InputError as error:
        raise _violation(name, error.row, error.column, error.message) from None
    out = []
    for number, batch in enumerate(batches):
        where = f"{name}.batch[{number}]"
        try:
            table = door(pa.Table.from_batches([batch]), where)
        except InputError as error:
            raise _violation(where, error.row, error.column, error.message) from None
        _check_lengths(table, where, limits)
        out.append(table)
    try:
        if not out:
            return empty
        table = pa.concat_tables(out)
        check_unique(table[id_column], name, id_column)
    except InputError as error:
        raise _violation(name, error.row, error.column, error.message) from None
    return table


def _check_names(schema: pa.Schema) -> None:
    """Read every field name, nested ones too (raises UnicodeDecodeError for bad bytes)."""

    def walk(kind: pa.DataType) -> None:
        for k in range(kind.num_fields):
            child = kind.field(k)
            _ = child.name
            walk(child.type)

    for field in schema:
        _ = field.name
        walk(field.type)


def _unreadable(name: str, error: BaseException | str) -> InvalidArgument:
    text = bounded(str(error).splitlines()[0] if str(error) else type(error).__name__)
    return InvalidArgument(
        f"{name}: not a readable Arrow IPC stream",
        [(name, f"not a readable Arrow IPC stream: {text}")],
    )


def _violation(where: str, row: int | None, column: str | None, message: str) -> InvalidArgument:
    field = where
    if row is not None:
        field += f".row[{row}]"
    if column is not None:
        field += f".{column}"
    return InvalidArgument(f"{field}: {message}", [(field, message)])


def _validate_fully(batch: pa.RecordBatch, where: str) -> None:
    """Refuse a batch whose buffers do not hold what its metadata says, naming the column."""
    try:
        batch.validate(full=True)
        return
    except (pa.ArrowInvalid, pa.ArrowException) as error:
        whole = error
    for k, column in enumerate(batch.columns):
        name = batch.schema.field(k).name
        try:
            column.validate(full=True)
            continue
        except (pa.ArrowInvalid, pa.ArrowException) as error:
            problem = error
        row = _bad_utf8_row(column)
        if row is not None:
            raise _violation(where, row, name, "invalid UTF-8") from None
        raise _violation(where, None, name, f"invalid Arrow data: {bounded(str(problem), 200)}")
    raise _violation(where, None, None, f"invalid Arrow data: {bounded(str(whole), 200)}")


def _bad_utf8_row(column: pa.Array) -> int | None:
    """The first row of a string column that is not UTF-8, when its offsets are sound."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return None
    binary = column.view(pa.binary() if pa.types.is_string(column.type) else pa.large_binary())
    try:
        binary.validate(full=True)
    except (pa.ArrowInvalid, pa.ArrowException):
        return None  # broken offsets, not text
    for row, value in enumerate(binary.to_pylist()):
        if value is not None:
            try:
                value.decode("utf-8")
            except UnicodeDecodeError:
                return row
    return None


def _check_lengths(table: pa.Table, where: str, limits: Limits) -> None:
    for field in table.schema:
        if not pa.types.is_string(field.type) or not table.num_rows:
            continue
        lengths = pc.fill_null(pc.utf8_length(table[field.name]), 0)
        if pc.max(lengths).as_py() > limits.max_string_chars:
            row = pc.index(pc.greater(lengths, limits.max_string_chars), True).as_py()
            raise _violation(
                where, row, field.name, f"longer than {limits.max_string_chars} characters"
            )


# -- messages -----------------------------------------------------------------

_PAYMENT_TEXTS = (
    "payment_id", "currency", "payer_name", "payer_account", "reference_text", "check_number",
    "trace_id", "end_to_end_id", "statement_account", "bank_reference",
)  # fmt: skip
_LINE_AMOUNTS = ("amount_paid_minor", "invoice_amount_minor", "discount_minor", "adjustment_minor")
_MATCH_FIELDS = set(MATCHES.names)


def payment_table(message: pb.Payment, limits: Limits) -> pa.Table:
    """One PAYMENTS row from a Payment message, through the engine's door; every fault at once."""
    where = "payment"
    violations = []
    for name in _PAYMENT_TEXTS:
        if len(getattr(message, name)) > limits.max_string_chars:
            violations.append((f"{where}.{name}", f"longer than {limits.max_string_chars}"))
    if len(message.remittance) > limits.max_allocations:
        violations.append((f"{where}.remittance", f"more than {limits.max_allocations} lines"))
    dates = {}
    for name in ("value_date", "booking_date"):
        text = getattr(message, name)
        try:
            dates[name] = dt.date.fromisoformat(text) if text else None
        except ValueError:
            violations.append((f"{where}.{name}", f"not an ISO date: {quote(text)}"))
            dates[name] = None
    if dates["value_date"] is None and not any(f.endswith(".value_date") for f, _ in violations):
        violations.append((f"{where}.value_date", "a value is required"))
    row = {name: getattr(message, name) or None for name in _PAYMENT_TEXTS}
    row.update(
        payment_id=message.payment_id,  # an empty id is the door's to refuse
        currency=message.currency,
        amount_minor=message.amount_minor,
        value_date=dates["value_date"] or dt.date(1970, 1, 1),
        booking_date=dates["booking_date"],
        source_format="grpc",
        remittance=[
            {
                "invoice_ref": line.invoice_ref or None,
                **{a: getattr(line, a) if line.HasField(a) else None for a in _LINE_AMOUNTS},
                "adjustment_reason": line.adjustment_reason or None,
            }
            for line in message.remittance[: limits.max_allocations]
        ],
    )
    try:
        table = validate_payments(pa.Table.from_pylist([row], schema=PAYMENTS), where)
    except InputError as error:
        violations.append((f"{where}.{error.column}", error.message))
    if violations:
        raise InvalidArgument(f"{violations[0][0]}: {violations[0][1]}", violations)
    return table


def payment_message(p: dict) -> pb.Payment:
    """A stored payment (see :func:`cashmatch.server.store.payments.payment_dict`) as a message."""
    return pb.Payment(
        payment_id=p["payment_id"],
        amount_minor=p["amount_minor"],
        currency=p["currency"],
        value_date=p["value_date"].isoformat(),
        booking_date=p["booking_date"].isoformat() if p["booking_date"] else "",
        **{name: p[name] or "" for name in _PAYMENT_TEXTS[2:]},
        possible_duplicate_of=p["possible_duplicate_of"] or "",
        source_file=p["source_file"] or "",
        source_location=p["source_location"] or "",
        remittance=[
            pb.RemittanceLine(**{k: v for k, v in line.items() if v is not None})
            for line in p["remittance"]
        ],
    )


def match_rows(rows: list[dict]) -> list[pb.MatchRow]:
    return [
        pb.MatchRow(**{k: v for k, v in r.items() if v is not None and k in _MATCH_FIELDS})
        for r in rows
    ]


def duplicate_messages(verdicts, most: int = 1000) -> list[pb.DuplicatePayment]:
    return [
        pb.DuplicatePayment(
            payment_id=v.payment_id, earlier_payment_id=v.earlier or "", identified_by=v.by or ""
        )
        for v in verdicts[:most]
    ]

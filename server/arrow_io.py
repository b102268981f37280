"""Arrow tables over gRPC: IPC stream bytes cut into chunks, reassembled and validated.

The sender writes a table as one Arrow IPC stream and cuts the bytes into
pieces of :data:`~cashmatch.server.limits.CHUNK_BYTES`; the receiver
concatenates the pieces of each table and checks the result against the
engine schema, naming batch, row and column of the first bad values.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.server.errors import InvalidArgument, ResourceExhausted
from cashmatch.server.limits import CHUNK_BYTES, Limits


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
    """Collects the chunks of several tables of one call, bounded in total size."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.parts: dict[str, list[bytes]] = {}
        self.total = 0

    def add(self, table: str, data: bytes) -> None:
        self.total += len(data)
        if self.total > self.limits.max_call_bytes:
            raise ResourceExhausted(
                f"call sends more than {self.limits.max_call_bytes} bytes: split it"
            )
        self.parts.setdefault(table, []).append(data)

    def has(self, table: str) -> bool:
        return table in self.parts

    def bytes_of(self, table: str) -> bytes:
        return b"".join(self.parts.get(table, []))


def read_ipc(data: bytes, schema: pa.Schema, name: str, limits: Limits) -> pa.Table:
    """Read Arrow IPC stream bytes and conform them to ``schema``.

    Missing nullable columns become nulls; extra columns are dropped.

    Raises:
        InvalidArgument: not an IPC stream, a missing required column, a value
            that cannot be cast, a null where one is required, a string that is
            too long, a batch with too many rows; with a field violation naming
            ``<name>.batch[i].row[j].<column>``.
        ResourceExhausted: more rows than one call may send.
    """
    try:
        reader = pa.ipc.open_stream(pa.BufferReader(data))
        batches = list(reader)
        sent = reader.schema
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as error:
        raise InvalidArgument(
            f"{name}: not a readable Arrow IPC stream",
            [(name, f"not a readable Arrow IPC stream: {str(error).splitlines()[0]}")],
        ) from None
    missing = [f.name for f in schema if not f.nullable and f.name not in sent.names]
    if missing:
        raise InvalidArgument(
            f"{name}: missing required column {missing[0]!r}",
            [(f"{name}.{column}", "missing required column") for column in missing],
        )
    rows = 0
    out = []
    for number, batch in enumerate(batches):
        where = f"{name}.batch[{number}]"
        if batch.num_rows > limits.max_batch_rows:
            raise InvalidArgument(
                f"{where}: {batch.num_rows} rows, more than {limits.max_batch_rows} in one batch",
                [(where, f"at most {limits.max_batch_rows} rows per record batch")],
            )
        rows += batch.num_rows
        if rows > limits.max_call_rows:
            raise ResourceExhausted(
                f"{name}: more than {limits.max_call_rows} rows in one call: split it"
            )
        out.append(_conform_batch(batch, schema, where, limits))
    return pa.Table.from_batches(out, schema=schema)


def _violation(where: str, row: int, column: str, message: str) -> InvalidArgument:
    field = f"{where}.row[{row}].{column}"
    return InvalidArgument(f"{field}: {message}", [(field, message)])


def _first(mask: pa.Array) -> int:
    return int(np.flatnonzero(mask.to_numpy(zero_copy_only=False))[0])


def _conform_batch(
    batch: pa.RecordBatch, schema: pa.Schema, where: str, limits: Limits
) -> pa.RecordBatch:
    columns = []
    for field in schema:
        if field.name not in batch.schema.names:
            columns.append(pa.nulls(batch.num_rows, field.type))
            continue
        column = batch.column(field.name)
        try:
            column = column.cast(field.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            # Cast element by element to find the row at fault.
            for row in range(len(column)):
                try:
                    column.slice(row, 1).cast(field.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                    raise _violation(
                        where, row, field.name,
                        f"{column[row].as_py()!r} cannot be read as {field.type}",
                    ) from None  # fmt: skip
            raise InvalidArgument(
                f"{where}.{field.name}: {batch.schema.field(field.name).type} "
                f"cannot be read as {field.type}",
                [(f"{where}.{field.name}", f"expected {field.type}")],
            ) from None
        if not field.nullable and column.null_count:
            raise _violation(where, _first(column.is_null()), field.name, "a value is required")
        if pa.types.is_string(field.type) and len(column):
            lengths = pc.fill_null(pc.utf8_length(column), 0)
            if pc.max(lengths).as_py() > limits.max_string_chars:
                row = _first(pc.greater(lengths, limits.max_string_chars))
                raise _violation(
                    where, row, field.name,
                    f"longer than {limits.max_string_chars} characters",
                )  # fmt: skip
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=schema)

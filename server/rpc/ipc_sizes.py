"""How many bytes an Arrow IPC stream declares it will take once decoded, read before decoding.

A compressed buffer (zstd or lz4 body compression) starts with its
uncompressed length, and Arrow allocates that much and inflates into it when a
batch is read: a few kilobytes of zeros can declare gigabytes. pyarrow exposes
no way to see those lengths before it reads a batch, so this module walks the
stream's messages itself (pyarrow's ``MessageReader`` frames them) and reads,
from each record batch's flatbuffer metadata, its row count and its buffers,
then the 8-byte length prefix of each compressed buffer in the body. It is
about a hundred lines because the part of the flatbuffer format it needs is
small: tables, vtables, vectors of structs; anything malformed is refused.

Example:
    >>> import io
    >>> table = pa.table({"x": pa.array([0] * 100_000, pa.int64())})
    >>> sink = io.BytesIO()
    >>> options = pa.ipc.IpcWriteOptions(compression="zstd")
    >>> with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
    ...     writer.write_table(table)
    >>> sizes = declared_sizes(sink.getvalue())
    >>> sizes.rows, sizes.decoded_bytes >= 800_000, len(sink.getvalue()) < 10_000
    ([100000], True, True)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import pyarrow as pa

_HEADER_DICTIONARY_BATCH, _HEADER_RECORD_BATCH = 2, 3


class MalformedStream(ValueError):
    """The stream's framing or metadata cannot be read."""


@dataclass
class DeclaredSizes:
    """What the stream's record batches declare.

    Attributes:
        rows: each record batch's row count, in order (dictionary batches left out).
        decoded_bytes: the bytes of every body buffer once decompressed, in all.
        messages: record and dictionary batches.
    """

    rows: list[int] = field(default_factory=list)
    decoded_bytes: int = 0
    messages: int = 0


class _Table:
    """A flatbuffer table: its fields by index, each read through the vtable."""

    def __init__(self, data: bytes, position: int):
        self.data, self.position = data, position
        (back,) = _unpack("<i", data, position)
        self.vtable = position - back
        self.vtable_size, _ = _unpack("<HH", data, self.vtable)

    def _offset(self, index: int) -> int:
        slot = 4 + 2 * index
        if slot + 2 > self.vtable_size:
            return 0
        (offset,) = _unpack("<H", self.data, self.vtable + slot)
        return offset

    def scalar(self, index: int, fmt: str, default: int = 0) -> int:
        offset = self._offset(index)
        return _unpack(fmt, self.data, self.position + offset)[0] if offset else default

    def table(self, index: int) -> _Table | None:
        offset = self._offset(index)
        if not offset:
            return None
        at = self.position + offset
        return _Table(self.data, at + _unpack("<I", self.data, at)[0])

    def structs(self, index: int, size: int) -> list[bytes]:
        """A vector of structs, each ``size`` bytes."""
        offset = self._offset(index)
        if not offset:
            return []
        at = self.position + offset
        start = at + _unpack("<I", self.data, at)[0]
        (count,) = _unpack("<I", self.data, start)
        end = start + 4 + count * size
        if end > len(self.data):
            raise MalformedStream("a vector runs past its metadata")
        return [self.data[start + 4 + k * size : start + 4 + (k + 1) * size] for k in range(count)]


def _unpack(fmt: str, data: bytes, at: int) -> tuple:
    if at < 0 or at + struct.calcsize(fmt) > len(data):
        raise MalformedStream("an offset points outside its metadata")
    return struct.unpack_from(fmt, data, at)


def declared_sizes(data: bytes | pa.Buffer) -> DeclaredSizes:
    """The row counts and decoded size an IPC stream declares, without decoding a batch.

    Raises:
        MalformedStream: framing or metadata that cannot be read.
    """
    sizes = DeclaredSizes()
    try:
        reader = pa.ipc.MessageReader.open_stream(pa.BufferReader(data))
        while True:
            try:
                message = reader.read_next_message()
            except StopIteration:
                break
            if message.type not in ("record batch", "dictionary"):
                continue
            _add(sizes, message)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError, struct.error) as error:
        raise MalformedStream(str(error).splitlines()[0] if str(error) else "unreadable") from None
    return sizes


def _add(sizes: DeclaredSizes, message: pa.ipc.Message) -> None:
    metadata = message.metadata.to_pybytes()
    body = message.body.to_pybytes() if message.body is not None else b""
    root = _Table(metadata, _unpack("<I", metadata, 0)[0])
    header_type = root.scalar(1, "<B")
    batch = root.table(2)
    if batch is None:
        raise MalformedStream("a batch message without its header")
    if header_type == _HEADER_DICTIONARY_BATCH:
        batch = batch.table(1)
        if batch is None:
            raise MalformedStream("a dictionary batch without its data")
    elif header_type != _HEADER_RECORD_BATCH:
        raise MalformedStream(f"unexpected message header {header_type}")
    else:
        sizes.rows.append(batch.scalar(0, "<q"))
    compressed = batch.table(3) is not None
    for raw in batch.structs(2, 16):
        offset, length = struct.unpack("<qq", raw)
        if offset < 0 or length < 0 or offset + length > len(body):
            raise MalformedStream("a buffer lies outside its message body")
        if compressed and length >= 8:
            (inflated,) = struct.unpack_from("<q", body, offset)
            # -1: this buffer was left uncompressed; its bytes follow the prefix.
            length = length - 8 if inflated == -1 else inflated
            if length < 0:
                raise MalformedStream("a negative uncompressed length")
        sizes.decoded_bytes += length
    sizes.messages += 1

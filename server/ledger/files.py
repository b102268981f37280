"""Uploaded bank, lockbox and remittance files: received to disk, bounded, read, checked.

A file arrives in pieces; each piece goes straight to a private temporary
file (under the data directory, owner-only), hashed on the way, so that a
call's files never sit in memory as bytes. Bounds, in bytes as the file is
decoded (:class:`~cashmatch.server.limits.Limits`): ``max_file_bytes`` a file,
``max_call_bytes`` a call; a Parquet file is measured by the uncompressed
sizes its footer declares, before any page is inflated. A file whose bytes
were ingested before is not read again: its payments are the ones already held.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cashmatch.engine.errors import InputError
from cashmatch.engine.validate import validate_advices, validate_payments
from cashmatch.loaders import LoadError
from cashmatch.loaders.detect import load_file
from cashmatch.server.errors import InvalidArgument, ResourceExhausted, quote
from cashmatch.server.limits import Limits
from cashmatch.server.store import private_dir


@dataclass
class Upload:
    """One received file: the name the client gave, where its bytes are, their hash and size."""

    name: str
    path: str
    sha256: str
    size: int


class Uploads:
    """The files of one call, written to a private temporary directory as they arrive.

    Use as a context manager: the directory and everything in it go when it ends.

    Args:
        root: a directory under the data directory (created owner-only).
        limits: the bounds of one file and one call.
    """

    def __init__(self, root: str, limits: Limits):
        self.root, self.limits = root, limits
        self.files: list[Upload] = []
        self.total = 0
        self._handle = None
        self._hash = None
        self._dir: str | None = None

    def __enter__(self) -> Uploads:
        private_dir(self.root)
        self._dir = tempfile.mkdtemp(prefix="call-", dir=self.root)
        return self

    def __exit__(self, *exc) -> None:
        self._close()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def begin(self, name: str) -> None:
        """Start the next file, named as the client names it (no path)."""
        if len(self.files) >= self.limits.max_files_per_call:
            raise ResourceExhausted(f"more than {self.limits.max_files_per_call} files in one call")
        if not name or len(name) > 255 or "/" in name or "\\" in name or "\0" in name:
            raise InvalidArgument(
                f"bad file name {quote(name)}",
                [(f"files[{len(self.files)}].file_name", "1-255 characters, no path")],
            )
        self._close()
        suffix = os.path.splitext(name)[1].lower()
        # The tabular reader goes by extension; other formats by content.
        suffix = suffix if suffix in (".csv", ".txt", ".parquet", ".pq") else ".csv"
        path = os.path.join(self._dir, f"{len(self.files)}{suffix}")
        self._handle = open(path, "wb")  # noqa: SIM115 (closed by _close)
        self._hash = hashlib.sha256()
        self.files.append(Upload(name, path, "", 0))

    def write(self, data: bytes) -> None:
        """Append a piece of the current file."""
        if self._handle is None:
            raise InvalidArgument(
                "data before a file header", [("header", "send a FileHeader first")]
            )
        current = self.files[-1]
        current.size += len(data)
        self.total += len(data)
        if current.size > self.limits.max_file_bytes or self.total > self.limits.max_call_bytes:
            raise ResourceExhausted(
                f"file {quote(current.name)} or the call is too large (at most"
                f" {self.limits.max_file_bytes} bytes a file, {self.limits.max_call_bytes} a call)"
            )
        self._hash.update(data)
        self._handle.write(data)

    def finish(self) -> list[Upload]:
        """The files received, complete."""
        self._close()
        if not self.files:
            raise InvalidArgument("no file sent", [("header", "send at least one file")])
        return self.files

    def _close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self.files[-1].sha256 = self._hash.hexdigest()
            self._handle = None


@dataclass
class ReadFile:
    """What one uploaded file holds, read and checked."""

    format: str
    payments: pa.Table
    advices: pa.Table
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def read_upload(upload: Upload, lenient: bool, limits: Limits) -> ReadFile:
    """Read an uploaded file of any format the loaders know, and check its tables at the door.

    Raises:
        LoadError: the file cannot be read (named as the client named it).
        ResourceExhausted: a Parquet file that would inflate past ``max_file_bytes``.
        InvalidArgument: its payments break a rule of :mod:`cashmatch.engine.validate`.
    """
    _check_parquet(upload, limits)
    try:
        loaded = load_file(upload.path, lenient=lenient)
    except LoadError as error:
        # Name the file as the client did, not our temporary copy.
        raise LoadError(
            upload.name, error.message.replace(upload.path, upload.name), line=error.line,
            row=error.row, element=error.element, field=error.field,
        ) from None  # fmt: skip
    payments = loaded.payments
    if "source_file" in payments.column_names:
        index = payments.schema.get_field_index("source_file")
        named = pa.array([upload.name] * payments.num_rows, pa.string())
        payments = payments.set_column(index, payments.schema.field(index), named)
    try:
        payments = validate_payments(payments, upload.name)
        advices = validate_advices(loaded.advices, upload.name)
    except InputError as error:
        where = upload.name
        if error.row is not None:
            where += f".payments[{error.row}]"
        if error.column is not None:
            where += f".{error.column}"
        raise InvalidArgument(f"{where}: {error.message}", [(where, error.message)]) from None
    problems = [str(p).replace(upload.path, upload.name) for p in loaded.problems]
    return ReadFile(loaded.format, payments, advices, dict(loaded.skipped), problems)


def _check_parquet(upload: Upload, limits: Limits) -> None:
    """Refuse a Parquet file whose columns decode to more than a file may hold, before reading it.

    Three measures, each read without decoding more than a batch: the pages'
    uncompressed sizes (footer), eight bytes per value (footer: run-length
    encoding packs millions of values in a few bytes), and for text columns
    the bytes their dictionary-encoded values expand to (read as dictionaries,
    a batch at a time). The tabular reader reads flat columns only.
    """
    with open(upload.path, "rb") as handle:
        if handle.read(4) != b"PAR1":
            return
    bound = limits.max_file_bytes
    try:
        meta = pq.ParquetFile(upload.path).metadata
        chunks = [
            meta.row_group(g).column(c)
            for g in range(meta.num_row_groups)
            for c in range(meta.num_columns)
        ]
        inflated = max(
            sum(c.total_uncompressed_size for c in chunks), 8 * sum(c.num_values for c in chunks)
        )
        if inflated <= bound:
            schema = pq.read_schema(upload.path)
            texts = [f.name for f in schema if _is_text(f.type)]
            if texts:
                reader = pq.ParquetFile(upload.path, read_dictionary=texts)
                for batch in reader.iter_batches(batch_size=65_536, columns=texts):
                    inflated += sum(_expanded(column) for column in batch.columns)
                    if inflated > bound:
                        break
    except (pa.ArrowInvalid, OSError) as error:
        raise LoadError(upload.name, f"not a readable Parquet file: {error}") from None
    if inflated > bound:
        raise ResourceExhausted(
            f"{quote(upload.name)}: its Parquet data inflate to more than the {bound} bytes"
            " one file may hold"
        )


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    checks = (pa.types.is_string, pa.types.is_binary, pa.types.is_large_string,
              pa.types.is_large_binary)  # fmt: skip
    return any(check(kind) for check in checks)


def _expanded(column: pa.Array) -> int:
    """Bytes of a text column once its dictionary is expanded into plain values."""
    if pa.types.is_dictionary(column.type):
        lengths = pc.binary_length(column.dictionary)
        return int(pc.sum(pc.take(lengths, column.indices)).as_py() or 0)
    return column.nbytes

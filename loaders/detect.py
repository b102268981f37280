"""Recognise a payment or remittance file from its content and load it.

The extension is not trusted: banks name statements ``.txt``, ``.dat`` or
nothing at all. Each format's sniffer looks at the first few KiB; the first
that recognises the file loads it.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from cashmatch.loaders.bai2 import load_bai2, sniff_bai2
from cashmatch.loaders.base import LoadedFile
from cashmatch.loaders.camt import (
    load_camt052,
    load_camt053,
    load_camt054,
    sniff_camt052,
    sniff_camt053,
    sniff_camt054,
)
from cashmatch.loaders.cfonb120 import load_cfonb120, sniff_cfonb120
from cashmatch.loaders.edi820 import load_edi820, sniff_edi820
from cashmatch.loaders.errors import LoadError
from cashmatch.loaders.lockbox import load_layouts, load_lockbox, sniff_lockbox
from cashmatch.loaders.mt940 import load_mt940, sniff_mt940
from cashmatch.loaders.remittance_csv import load_remittance_csv, sniff_remittance_csv
from cashmatch.loaders.remt import load_remt001, sniff_remt001
from cashmatch.loaders.tabular import read_payments

HEAD_BYTES = 4096


def _csv_header(head: bytes) -> list[str]:
    text = head.decode("utf-8-sig", errors="replace")
    first = text.splitlines()[0] if text else ""
    return [c.strip() for c in next(csv.reader([first]), [])]


def sniff_payments_table(head: bytes) -> bool:
    """The file contract's payments CSV (or Parquet: magic bytes ``PAR1``)."""
    return head.startswith(b"PAR1") or "payment_id" in _csv_header(head)


def load_payments_table(
    path: str, *, data: bytes | None = None, lenient: bool = False
) -> LoadedFile:
    """Load the file contract's payments CSV/Parquet as a LoadedFile."""
    del lenient  # the tabular contract has no record to skip: a bad row rejects the file
    if data is None:
        payments = read_payments(path)
    else:
        suffix = ".parquet" if data.startswith(b"PAR1") else ".csv"
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, os.path.basename(path) or "upload")
            copy = copy if copy.lower().endswith(suffix) else copy + suffix
            with open(copy, "wb") as handle:
                handle.write(data)
            try:
                payments = read_payments(copy)
            except LoadError as error:
                raise LoadError(path, error.message, row=error.row, field=error.field) from None
        payments = payments.set_column(
            payments.schema.get_field_index("source_file"),
            "source_file",
            payments["source_file"].cast("string").fill_null(path),
        )
    return LoadedFile(
        format="payments_table", payments=payments, summary={"payments": payments.num_rows}
    )


def load_lockbox_any_layout(
    path: str, *, data: bytes | None = None, lenient: bool = False
) -> LoadedFile:
    """Load a lockbox file with the first layout of ``lockbox_layouts.toml`` that reads it.

    Banks place the fields differently; a file read with the wrong layout fails
    its totals. When no layout reads it, the error of the layout that got
    furthest into the file is the one reported.
    """
    errors: list[LoadError] = []
    for layout in load_layouts():
        try:
            return load_lockbox(path, data=data, lenient=lenient, layout=layout)
        except LoadError as error:
            errors.append(error)
    raise max(errors, key=lambda e: e.line or 0)


@dataclass(frozen=True)
class Format:
    """A file format: its name, how to recognise it and how to load it."""

    name: str
    sniff: Callable[[bytes], bool]
    load: Callable[..., LoadedFile]


# Most specific first: XML by namespace, then record layouts, then CSV headers.
FORMATS: tuple[Format, ...] = (
    Format("camt.052", sniff_camt052, load_camt052),
    Format("camt.053", sniff_camt053, load_camt053),
    Format("camt.054", sniff_camt054, load_camt054),
    Format("remt.001", sniff_remt001, load_remt001),
    Format("edi820", sniff_edi820, load_edi820),
    Format("bai2", sniff_bai2, load_bai2),
    Format("lockbox", sniff_lockbox, load_lockbox_any_layout),
    Format("mt940", sniff_mt940, load_mt940),
    Format("cfonb120", sniff_cfonb120, load_cfonb120),
    Format("remittance_csv", sniff_remittance_csv, load_remittance_csv),
    Format("payments_table", sniff_payments_table, load_payments_table),
)


def detect_format(head: bytes) -> Format | None:
    """The format whose sniffer recognises these first bytes, or None."""
    for fmt in FORMATS:
        if fmt.sniff(head):
            return fmt
    return None


def load_file(
    path: str | os.PathLike, *, data: bytes | None = None, lenient: bool = False
) -> LoadedFile:
    """Detect a file's format from its content and load it.

    Args:
        path: the file (read unless ``data`` is given; always used in messages).
        data: the file's bytes, for uploads.
        lenient: skip and report bad records where the format allows it.

    Raises:
        LoadError: the file is of no supported format, or its loader rejects it.
    """
    path = str(path)
    if data is None:
        try:
            with open(path, "rb") as handle:
                head = handle.read(HEAD_BYTES)
        except OSError as error:
            raise LoadError(path, f"cannot open: {error.strerror}") from None
    else:
        head = bytes(io.BytesIO(data).read(HEAD_BYTES))
    if not head.strip():
        raise LoadError(path, "the file is empty")
    fmt = detect_format(head)
    if fmt is None:
        names = ", ".join(f.name for f in FORMATS)
        raise LoadError(path, f"unrecognised format (supported: {names})")
    return fmt.load(path, data=data, lenient=lenient)

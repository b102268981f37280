"""The file contract: open items, customers, payments and matches as CSV or Parquet.

Files carry money as decimal strings and dates as ISO strings; these readers
turn them into the engine's Arrow schemas (int64 minor units, date32) and reject
the whole file, naming row and column, at the first value they cannot read.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cashmatch.engine.errors import InputError
from cashmatch.engine.schemas import CUSTOMERS, MATCHES, MONEY_COLUMNS, OPEN_ITEMS, PAYMENTS
from cashmatch.engine.validate import validate_customers, validate_open_items, validate_payments
from cashmatch.loaders.columns import (
    format_amount_column,
    parse_amount_column,
    parse_currency_column,
    parse_date_column,
)
from cashmatch.loaders.errors import LoadError

OPEN_ITEM_COLUMNS = (
    "invoice_id",
    "invoice_number",
    "customer_id",
    "customer_name",
    "currency",
    "amount_open",
    "issue_date",
    "due_date",
)
CUSTOMER_COLUMNS = ("customer_id", "name")
PAYMENT_COLUMNS = (
    "payment_id",
    "amount",
    "currency",
    "value_date",
    "payer_name",
    "payer_account",
    "reference_text",
)
_PAYMENT_OPTIONAL_TEXT = (
    "source_format",
    "check_number",
    "trace_id",
    "end_to_end_id",
    "statement_account",
    "bank_reference",
)


def _kind(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise LoadError(path, f"unknown file type {suffix!r}: use .csv or .parquet")


def read_text_table(path: str | os.PathLike) -> pa.Table:
    """Read a CSV or Parquet file with every column as text (money and dates unparsed)."""
    path = str(path)
    if not os.path.exists(path):
        raise LoadError(path, "no such file")
    try:
        if _kind(path) == "parquet":
            # Flat columns only: the file contract has no nested one to read.
            flat = [f.name for f in pq.read_schema(path) if not pa.types.is_nested(f.type)]
            table = pq.read_table(path, columns=flat)
            return pa.table(
                {n: c.cast(pa.string()) for n, c in zip(table.column_names, table.columns)}
            )
        with open(path, "rb") as handle:
            header = handle.readline().decode("utf-8-sig", errors="replace")
        names = [n.strip() for n in next(csv.reader([header]), [])]
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except LoadError:
        raise
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, UnicodeError) as error:
        text = str(error)
        row = re.search(r"[Rr]ow #(\d+)", text)
        raise LoadError(
            path, f"cannot read: {text.splitlines()[0]}", row=int(row.group(1)) - 1 if row else None
        ) from None


def _require_columns(table: pa.Table, columns: tuple[str, ...], path: str) -> None:
    for column in columns:
        if column not in table.column_names:
            raise LoadError(path, "missing required column", field=column)


def _text(table: pa.Table, column: str, path: str, required: bool = False) -> pa.Array:
    if column not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    values = pc.utf8_trim_whitespace(table[column].combine_chunks())
    if required:
        missing = pc.or_kleene(pc.is_null(values), pc.equal(values, ""))
        if pc.any(missing).as_py():
            row = int(np.flatnonzero(missing.to_numpy(zero_copy_only=False))[0])
            raise LoadError(path, "a value is required", row=row + 1, field=column)
    return values


def _at_the_door(validate, table: pa.Table, path: str) -> pa.Table:
    """The engine's own checks of a table (:mod:`cashmatch.engine.validate`), located in the file.

    Rows are 1-based data rows here, as in every LoadError of a tabular file.
    """
    try:
        return validate(table)
    except InputError as error:
        row = None if error.row is None else error.row + 1
        field = MONEY_COLUMNS.get(error.column, error.column)
        raise LoadError(path, error.message, row=row, field=field) from None


def _split_list(values: pa.Array) -> pa.Array:
    parts = pc.split_pattern(pc.fill_null(values, ""), "|")
    flat = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    keep = pc.not_equal(flat, "")
    offsets = np.concatenate([[0], np.cumsum(pc.list_value_length(parts).to_numpy())])
    kept = np.concatenate([[0], np.cumsum(keep.to_numpy(zero_copy_only=False))])
    return pa.ListArray.from_arrays(pa.array(kept[offsets], pa.int32()), pc.filter(flat, keep))


def _amount_original(
    table: pa.Table, amount_open: np.ndarray, exponents: np.ndarray, path: str
) -> np.ndarray:
    """The optional ``amount_original`` column: empty means ``amount_open`` (nothing paid).

    An open amount larger than the original, or of the other sign, is an error:
    the invoice cannot owe more than it was issued for.
    """
    if "amount_original" not in table.column_names:
        return amount_open
    values = pc.utf8_trim_whitespace(table["amount_original"].combine_chunks().cast(pa.string()))
    empty = pc.fill_null(pc.equal(values, ""), True)
    parsed = parse_amount_column(
        pc.if_else(empty, "0", values), exponents, path=path, field="amount_original"
    )
    original = np.where(empty.to_numpy(zero_copy_only=False), amount_open, parsed)
    bad = (np.abs(amount_open) > np.abs(original)) | (np.sign(amount_open) * np.sign(original) < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise LoadError(
            path,
            "amount_open is larger than amount_original or of the other sign",
            row=row + 1,
            field="amount_original",
        )
    return original


def read_open_items(path: str | os.PathLike) -> pa.Table:
    """Read open items into :data:`~cashmatch.engine.schemas.OPEN_ITEMS`.

    Raises:
        LoadError: a missing column, an empty required value, an unparsable amount
            or date, an unknown currency or a duplicate ``invoice_id``.
    """
    path = str(path)
    from cashmatch.loaders.paid import refuse_float_columns

    refuse_float_columns(path, ("amount_open", "amount_original"))
    return open_items_from_text(read_text_table(path), path)


def open_items_from_text(table: pa.Table, path: str) -> pa.Table:
    """Open items of a text table (:func:`read_text_table`) read from ``path``.

    Rows are numbered from 1 within ``table`` (what errors name).
    """
    _require_columns(table, OPEN_ITEM_COLUMNS, path)
    invoice_id = _text(table, "invoice_id", path, required=True)
    currency = pc.utf8_upper(_text(table, "currency", path))
    exponents = parse_currency_column(currency, path=path)
    amount = parse_amount_column(
        table["amount_open"].combine_chunks(), exponents, path=path, field="amount_open"
    )
    original = _amount_original(table, amount, exponents, path)
    items = pa.table(
        {
            "invoice_id": invoice_id,
            "invoice_number": _text(table, "invoice_number", path, required=True),
            "customer_id": _text(table, "customer_id", path, required=True),
            "customer_name": _text(table, "customer_name", path),
            "currency": currency,
            "amount_open_minor": pa.array(amount, pa.int64()),
            "issue_date": parse_date_column(
                table["issue_date"].combine_chunks(), path=path, field="issue_date"
            ),
            "due_date": parse_date_column(
                table["due_date"].combine_chunks(), path=path, field="due_date"
            ),
            "po_number": _text(table, "po_number", path),
            "amount_original_minor": pa.array(original, pa.int64()),
        },
        schema=OPEN_ITEMS,
    )
    return _at_the_door(validate_open_items, items, path)


def read_customers(path: str | os.PathLike) -> pa.Table:
    """Read the customer master into :data:`~cashmatch.engine.schemas.CUSTOMERS`."""
    return customers_from_text(read_text_table(path), str(path))


def customers_from_text(table: pa.Table, path: str) -> pa.Table:
    """The customer master of a text table (:func:`read_text_table`) read from ``path``.

    Rows are numbered from 1 within ``table`` (what errors name).
    """
    _require_columns(table, CUSTOMER_COLUMNS, path)
    customer_id = _text(table, "customer_id", path, required=True)
    parent = _text(table, "parent_customer_id", path)
    parent = pc.if_else(pc.equal(parent, ""), pa.scalar(None, pa.string()), parent)
    customers = pa.table(
        {
            "customer_id": customer_id,
            "name": _text(table, "name", path, required=True),
            "aliases": _split_list(_text(table, "aliases", path)),
            "bank_accounts": _split_list(_text(table, "bank_accounts", path)),
            "parent_customer_id": parent,
        },
        schema=CUSTOMERS,
    )
    return _at_the_door(validate_customers, customers, path)


def read_payments(path: str | os.PathLike) -> pa.Table:
    """Read payments in the file contract's CSV/Parquet layout into PAYMENTS."""
    return payments_from_text(read_text_table(path), str(path))


def payments_from_text(table: pa.Table, path: str) -> pa.Table:
    """Payments of a text table (:func:`read_text_table`) read from ``path``.

    Rows are numbered from 1 within ``table`` (what errors name).
    """
    _require_columns(table, PAYMENT_COLUMNS, path)
    payment_id = _text(table, "payment_id", path, required=True)
    currency = pc.utf8_upper(_text(table, "currency", path))
    exponents = parse_currency_column(currency, path=path)
    amount = parse_amount_column(
        table["amount"].combine_chunks(), exponents, path=path, field="amount"
    )
    n = table.num_rows
    columns = {
        "payment_id": payment_id,
        "amount_minor": pa.array(amount, pa.int64()),
        "currency": currency,
        "value_date": parse_date_column(
            table["value_date"].combine_chunks(), path=path, field="value_date"
        ),
        "payer_name": _text(table, "payer_name", path),
        "payer_account": _text(table, "payer_account", path),
        "reference_text": _text(table, "reference_text", path),
        "booking_date": (
            parse_date_column(
                table["booking_date"].combine_chunks(),
                path=path,
                field="booking_date",
                required=False,
            )
            if "booking_date" in table.column_names
            else pa.nulls(n, pa.date32())
        ),
        "source_file": pa.array([path] * n, pa.string()),
        "source_location": pa.array([f"row {k}" for k in range(1, n + 1)], pa.string()),
        "remittance": pa.nulls(n, PAYMENTS.field("remittance").type),
    }
    for name in _PAYMENT_OPTIONAL_TEXT:
        columns[name] = _text(table, name, path)
    if "source_format" not in table.column_names:
        columns["source_format"] = pa.array(["csv"] * n, pa.string())
    payments = pa.table({f.name: columns[f.name] for f in PAYMENTS}, schema=PAYMENTS)
    return _at_the_door(validate_payments, payments, path)


def to_file_columns(table: pa.Table) -> pa.Table:
    """Turn ``*_minor`` money columns into decimal-string columns named as in files."""
    columns, names = [], []
    for name in table.column_names:
        column = table[name].combine_chunks()
        if name in MONEY_COLUMNS:
            formatted = format_amount_column(
                pc.fill_null(column, 0).to_numpy(), table["currency"].combine_chunks()
            )
            # An empty optional amount (amount_original) stays empty, not "0".
            column = (
                pc.if_else(pc.is_valid(column), formatted, None) if column.null_count else formatted
            )
            name = MONEY_COLUMNS[name]
        columns.append(column)
        names.append(name)
    return pa.table(columns, names=names)


def write_table_atomically(table: pa.Table, path: str | os.PathLike) -> None:
    """Write CSV or Parquet (by extension) so that the file appears whole or not at all."""
    path = str(path)
    kind = _kind(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(prefix=".cashmatch-", suffix=".tmp", dir=directory)
    os.close(handle)
    try:
        if kind == "parquet":
            pq.write_table(table, tmp)
        else:
            pacsv.write_csv(table, tmp)
        # mkstemp makes the file private; the result should get the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_matches(matches: pa.Table, path: str | os.PathLike) -> None:
    """Write a MATCHES table in the file contract (decimal strings), atomically."""
    write_table_atomically(to_file_columns(matches.select(MATCHES.names)), path)

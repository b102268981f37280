"""The history of paid invoices (``PAID.csv``) that AR analytics learn from.

One row per invoice paid in full: ``invoice_id, invoice_number, customer_id,
customer_name, currency, amount, issue_date, due_date, paid_date``. Money is a
decimal string (or an integer column in Parquet), dates ISO ``YYYY-MM-DD``. As
with every reader, the whole file is rejected at the first value it cannot
read, naming file, row and field; a floating-point amount column in Parquet
is refused, never reinterpreted.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "PAID.csv"
    >>> _ = path.write_text(
    ...     "invoice_id,invoice_number,customer_id,customer_name,currency,amount,"
    ...     "issue_date,due_date,paid_date\\n"
    ...     "I1,INV-1,C1,Acme,EUR,120.50,2024-01-01,2024-01-31,2024-02-09\\n")
    >>> table = read_paid_invoices(path)
    >>> table["amount_minor"].to_pylist(), str(table["paid_date"][0])
    ([12050], '2024-02-09')
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cashmatch.engine.schemas import PAID_INVOICES
from cashmatch.engine.validate import check_unique
from cashmatch.loaders.columns import parse_amount_column, parse_currency_column, parse_date_column
from cashmatch.loaders.errors import LoadError
from cashmatch.loaders.tabular import (
    _at_the_door,
    _kind,
    _require_columns,
    _text,
    read_text_table,
)

PAID_COLUMNS = (
    "invoice_id",
    "customer_id",
    "currency",
    "amount",
    "issue_date",
    "due_date",
    "paid_date",
)


def refuse_float_columns(path: str, fields: tuple[str, ...]) -> None:
    """Reject a Parquet file whose money columns are floating point.

    A float cannot hold 0.10 exactly; reading it as text would turn a binary
    approximation into an amount. CSV has no types: its text is checked by the
    decimal parser instead.
    """
    if _kind(path) != "parquet" or not os.path.exists(path):
        return
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise LoadError(path, f"cannot read: {str(error).splitlines()[0]}") from None
    for name in fields:
        if name in schema.names and pa.types.is_floating(schema.field(name).type):
            raise LoadError(
                path,
                "a floating-point column cannot hold money exactly: "
                "write amounts as decimal strings or integers",
                field=name,
            )


def _not_before(later: pa.Array, earlier: pa.Array, path: str, field: str, what: str) -> None:
    bad = pc.less(later, earlier).to_numpy(zero_copy_only=False)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise LoadError(
            path,
            f"{later[row]} is before the {what} {earlier[row]}",
            row=row + 1,
            field=field,
        )


def read_paid_invoices(path: str | os.PathLike) -> pa.Table:
    """Read a paid-invoice history into :data:`~cashmatch.engine.schemas.PAID_INVOICES`.

    Raises:
        LoadError: a missing column, an empty required value, an unparsable or
            floating-point amount, a bad date, a due date before the issue date,
            an unknown currency or a duplicate ``invoice_id``.
    """
    path = str(path)
    refuse_float_columns(path, ("amount",))
    table = read_text_table(path)
    _require_columns(table, PAID_COLUMNS, path)
    invoice_id = _text(table, "invoice_id", path, required=True)
    # Counting every id (what locates a duplicate) takes twice as long as listing the
    # distinct ones: on 10M rows, count only when there is a duplicate to locate.
    if len(pc.unique(invoice_id)) != len(invoice_id):
        _at_the_door(_unique_invoice_ids, pa.table({"invoice_id": invoice_id}), path)
    currency = pc.utf8_upper(_text(table, "currency", path))
    exponents = parse_currency_column(currency, path=path)
    amount = parse_amount_column(
        table["amount"].combine_chunks(), exponents, path=path, field="amount"
    )
    dates = {
        name: parse_date_column(table[name].combine_chunks(), path=path, field=name)
        for name in ("issue_date", "due_date", "paid_date")
    }
    _not_before(dates["due_date"], dates["issue_date"], path, "due_date", "issue date")
    return pa.table(
        {
            "invoice_id": invoice_id,
            "invoice_number": _text(table, "invoice_number", path),
            "customer_id": _text(table, "customer_id", path, required=True),
            "customer_name": _text(table, "customer_name", path),
            "currency": currency,
            "amount_minor": pa.array(amount, pa.int64()),
            **dates,
        },
        schema=PAID_INVOICES,
    )


def _unique_invoice_ids(table: pa.Table) -> pa.Table:
    check_unique(table["invoice_id"], "paid invoices", "invoice_id")
    return table

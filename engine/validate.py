"""The engine's door: every table is checked here once, by every path that feeds the engine.

The engine (:func:`~cashmatch.engine.build_index`,
:func:`~cashmatch.engine.match_payments`), the tabular file reader
(:mod:`cashmatch.loaders.tabular`) and the service (every Arrow batch a client
sends) call the same ``validate_*`` functions, so a rule about what a table
may hold is written once. Each raises :class:`~cashmatch.engine.errors.InputError`
naming the table, the 0-based row and the column; callers translate that into
their own location (a file's 1-based row, a batch and row of an IPC stream).

The rules:

* columns are selected and cast to the schema; a missing nullable column
  becomes nulls, a missing required one or a null in it is refused;
* money (every ``*_minor`` column, nested remittance lines included) is int64
  minor units: a float, decimal or boolean column is refused, never
  reinterpreted (1250.0 could be 1250 minor units or 1,250 major ones), and
  each amount must lie within :data:`MAX_AMOUNT_MINOR` either side of zero;
* ids (``payment_id``, ``invoice_id``, ``customer_id``) are not empty or blank
  and are unique in their table;
* currencies are ISO 4217 codes the engine knows;
* dates lie between :data:`FIRST_DATE` and :data:`LAST_DATE` (a corrupt or
  careless value like year 25000 is refused rather than carried along).

Example:
    >>> import datetime as dt
    >>> payments = pa.table({"payment_id": ["P1"], "amount_minor": [1250.0],
    ...     "currency": ["EUR"], "value_date": [dt.date(2024, 5, 2)]})
    >>> validate_payments(payments)
    Traceback (most recent call last):
    ...
    cashmatch.engine.errors.InputError: payments column 'amount_minor': a double column is \
refused: money is int64 minor units (1250.00 EUR is 125000)
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.errors import InputError
from cashmatch.engine.money import CURRENCY_EXPONENTS
from cashmatch.engine.schemas import CUSTOMERS, OPEN_ITEMS, PAYMENTS, REMITTANCE_ADVICES

# The largest amount, either sign, in minor units: 10^15 is 10 trillion EUR,
# 1 quadrillion JPY, 1 trillion KWD, beyond any real payment or invoice. It
# keeps the engine's integer arithmetic (amounts times basis points, sums of
# combinations of up to 200 invoices) and a ledger's totals far inside int64.
MAX_AMOUNT_MINOR = 10**15

FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
_EPOCH = dt.date(1970, 1, 1)

_CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)
_KNOWN_CURRENCIES = pa.array(sorted(CURRENCY_EXPONENTS))


def is_money(name: str) -> bool:
    """Whether a column (or struct field) holds money: its name ends in ``_minor``."""
    return name.endswith("_minor")


def _first_true(mask: pa.Array | pa.ChunkedArray) -> int:
    return int(np.flatnonzero(mask.to_numpy(zero_copy_only=False))[0])


def _inexact_money(sent: pa.DataType, spec: pa.DataType, name: str) -> str | None:
    """The name of a money field ``sent`` carries as float/decimal/bool, or None (recursively)."""
    if is_money(name) and pa.types.is_integer(spec):
        if pa.types.is_floating(sent) or pa.types.is_decimal(sent) or pa.types.is_boolean(sent):
            return name
        return None
    if pa.types.is_struct(spec) and pa.types.is_struct(sent):
        for child in spec:
            index = sent.get_field_index(child.name)
            if index >= 0:
                found = _inexact_money(sent.field(index).type, child.type, child.name)
                if found:
                    return f"{name}.{found}"
    if (pa.types.is_list(spec) or pa.types.is_large_list(spec)) and (
        pa.types.is_list(sent) or pa.types.is_large_list(sent)
    ):
        return _inexact_money(sent.value_type, spec.value_type, name)
    return None


def conform(table: pa.Table, schema: pa.Schema, name: str) -> pa.Table:
    """Select and cast ``table`` to ``schema``; missing nullable columns become nulls.

    Raises:
        InputError: a required column is missing or holds nulls, a column cannot
            be cast, or money comes as a float, decimal or boolean column.
    """
    names = table.column_names
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise InputError(name, None, _cut(twice), "a column sent twice")
    columns = []
    for spec in schema:
        if spec.name not in names:
            if not spec.nullable:
                raise InputError(name, None, spec.name, "missing required column")
            columns.append(pa.nulls(table.num_rows, spec.type))
            continue
        column = table[spec.name]
        column = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        if column.type != spec.type:
            inexact = _inexact_money(column.type, spec.type, spec.name)
            if inexact:
                raise InputError(
                    name,
                    None,
                    inexact,
                    f"a {_type_name(column.type, inexact)} column is refused: money is int64"
                    " minor units (1250.00 EUR is 125000)",
                )
            try:
                # A cast costs tens of microseconds even to the same type: one payment's worth.
                column = column.cast(spec.type)
            except _CAST_ERRORS as error:
                row = _first_uncastable(column, spec.type)
                value = "" if row is None else f"{_cut(column[row].as_py())!r} "
                raise InputError(
                    name, row, spec.name, f"{value}cannot be read as {spec.type}: {_short(error)}"
                ) from None
        if not spec.nullable and column.null_count:
            raise InputError(name, _first_true(column.is_null()), spec.name, "a value is required")
        columns.append(column)
    return pa.table(columns, schema=schema)


def _first_uncastable(column: pa.Array, kind: pa.DataType) -> int | None:
    """The first row whose value cannot be cast (halving the column: log n casts), or None."""
    lo, hi = 0, len(column)
    if hi == 0:
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            column.slice(lo, mid - lo).cast(kind)
            lo = mid
        except _CAST_ERRORS:
            hi = mid
    try:
        column.slice(lo, 1).cast(kind)
    except _CAST_ERRORS:
        return lo
    return None


def _type_name(sent: pa.DataType, path: str) -> str:
    """The type of the field at ``path`` (``a.b``) inside ``sent``, for a message."""
    kind = sent
    for part in path.split(".")[1:]:
        while pa.types.is_list(kind) or pa.types.is_large_list(kind):
            kind = kind.value_type
        kind = kind.field(part).type
    return str(kind)


def _short(error: BaseException, most: int = 100) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text if len(text) <= most else text[: most - 3] + "..."


def check_unique(values: pa.Array | pa.ChunkedArray, table: str, column: str) -> None:
    """Raise InputError naming the second row of the first duplicate value."""
    if len(values) < 2:
        return
    counts = pc.value_counts(values)
    dupes = pc.filter(counts, pc.greater(counts.field("counts"), 1))
    if len(dupes):
        value = dupes[0]["values"].as_py()
        rows = np.flatnonzero(pc.equal(values, value).to_numpy(zero_copy_only=False))
        raise InputError(table, int(rows[1]), column, f"duplicate value {_cut(value)!r}")


def check_currencies(values: pa.Array | pa.ChunkedArray, table: str) -> None:
    """Raise InputError at the first unknown currency code."""
    known = pc.is_in(values, value_set=_KNOWN_CURRENCIES)
    if len(values) and not pc.all(known).as_py():
        row = _first_true(pc.invert(known))
        raise InputError(table, row, "currency", f"unknown currency {_cut(values[row].as_py())!r}")


def check_ids(values: pa.Array | pa.ChunkedArray, table: str, column: str) -> None:
    """Raise InputError at the first empty or blank id (whitespace only)."""
    if not len(values):
        return
    blank = pc.or_(pc.equal(pc.binary_length(values), 0), pc.utf8_is_space(values))
    if pc.any(blank).as_py():
        raise InputError(table, _first_true(pc.fill_null(blank, False)), column, "empty id")


def check_amounts(table: pa.Table, name: str) -> None:
    """Raise InputError at the first amount beyond :data:`MAX_AMOUNT_MINOR`, nested ones too."""
    for field in table.schema:
        column = table[field.name]
        if pa.types.is_integer(field.type) and is_money(field.name):
            _check_bound(column, name, field.name, None)
        elif pa.types.is_list(field.type) and pa.types.is_struct(field.type.value_type):
            nested = [f.name for f in field.type.value_type if is_money(f.name)]
            if not nested or not len(column):
                continue
            lists = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
            flat = pc.list_flatten(lists)
            if not len(flat):
                continue
            parents = pc.list_parent_indices(lists)
            for child in nested:
                _check_bound(flat.field(child), name, f"{field.name}.{child}", parents)


def _check_bound(values, table: str, column: str, parents) -> None:
    low, high = pc.min_max(values).values()
    low, high = low.as_py(), high.as_py()
    if low is None or (low >= -MAX_AMOUNT_MINOR and high <= MAX_AMOUNT_MINOR):
        return
    beyond = pc.greater(pc.abs_checked(pc.cast(values, pa.decimal128(20, 0))), MAX_AMOUNT_MINOR)
    row = _first_true(pc.fill_null(beyond, False))
    value = values[row].as_py()
    if parents is not None:
        row = parents[row].as_py()
    raise InputError(table, row, column, f"amount {value} is beyond ±10^15 minor units")


def check_dates(table: pa.Table, name: str) -> None:
    """Raise InputError at the first date outside FIRST_DATE..LAST_DATE."""
    low, high = (FIRST_DATE - _EPOCH).days, (LAST_DATE - _EPOCH).days
    for field in table.schema:
        if not pa.types.is_date32(field.type) or not table.num_rows:
            continue
        days = table[field.name].cast(pa.int32())
        lo, hi = (v.as_py() for v in pc.min_max(days).values())
        if lo is None or (lo >= low and hi <= high):
            continue
        outside = pc.or_(pc.less(days, low), pc.greater(days, high))
        row = _first_true(pc.fill_null(outside, False))
        raise InputError(name, row, field.name, f"date out of range ({FIRST_DATE} to {LAST_DATE})")


def _cut(value: object, most: int = 100) -> object:
    """A value for a message, cut to ``most`` characters: inputs can be arbitrarily long."""
    if isinstance(value, str) and len(value) > most:
        return value[: most - 3] + "..."
    return value


def validate_payments(table: pa.Table, name: str = "payments") -> pa.Table:
    """A PAYMENTS table checked by every rule above, conformed to the schema."""
    table = conform(table, PAYMENTS, name)
    check_ids(table["payment_id"], name, "payment_id")
    check_unique(table["payment_id"], name, "payment_id")
    check_currencies(table["currency"], name)
    check_amounts(table, name)
    check_dates(table, name)
    return table


def validate_open_items(table: pa.Table, name: str = "open_items") -> pa.Table:
    """An OPEN_ITEMS table checked by every rule above, conformed to the schema."""
    table = conform(table, OPEN_ITEMS, name)
    check_ids(table["invoice_id"], name, "invoice_id")
    check_unique(table["invoice_id"], name, "invoice_id")
    check_ids(table["customer_id"], name, "customer_id")
    check_currencies(table["currency"], name)
    check_amounts(table, name)
    check_dates(table, name)
    return table


def validate_customers(table: pa.Table, name: str = "customers") -> pa.Table:
    """A CUSTOMERS table checked by every rule above, conformed to the schema."""
    table = conform(table, CUSTOMERS, name)
    check_ids(table["customer_id"], name, "customer_id")
    check_unique(table["customer_id"], name, "customer_id")
    return table


def validate_advices(table: pa.Table, name: str = "remittance_advices") -> pa.Table:
    """A REMITTANCE_ADVICES table checked by every rule above, conformed to the schema."""
    table = conform(table, REMITTANCE_ADVICES, name)
    check_ids(table["advice_id"], name, "advice_id")
    check_amounts(table, name)
    check_dates(table, name)
    return table


__all__ = [
    "MAX_AMOUNT_MINOR",
    "check_amounts",
    "check_currencies",
    "check_dates",
    "check_ids",
    "check_unique",
    "conform",
    "validate_advices",
    "validate_customers",
    "validate_open_items",
    "validate_payments",
]

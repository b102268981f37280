"""Open items and the paid history as plain numpy columns with shared codes.

Every AR computation works on integers: customers and currencies as small
integer codes shared by both tables, dates as days since 1970-01-01, money as
int64 minor units. Building a :class:`Book` is the only step that touches
strings.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.errors import InputError
from cashmatch.engine.index import conform
from cashmatch.engine.schemas import OPEN_ITEMS, PAID_INVOICES

EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01, the integer a ``date32`` holds.

    Example:
        >>> day_number(dt.date(2024, 1, 1))
        19723
    """
    return (day - EPOCH).days


def days(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A ``date32`` column as int32 day numbers (no nulls)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return column.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int32, copy=False)


def _ints(column: pa.ChunkedArray) -> np.ndarray:
    return column.combine_chunks().to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


@dataclass
class Book:
    """The AR book: open items and paid invoices over shared customer and currency codes.

    Attributes:
        customer_ids: code -> customer_id (a string array).
        currencies: code -> ISO currency.
        open_*: one entry per open item; ``open_original`` is ``amount_original``
            where given, else ``amount_open``.
        paid_*: one entry per paid invoice of the history (empty without one).
    """

    customer_ids: pa.Array
    currencies: list[str]
    open_items: pa.Table
    open_customer: np.ndarray
    open_currency: np.ndarray
    open_amount: np.ndarray
    open_original: np.ndarray
    open_issue: np.ndarray
    open_due: np.ndarray
    paid_customer: np.ndarray
    paid_currency: np.ndarray
    paid_amount: np.ndarray
    paid_issue: np.ndarray
    paid_due: np.ndarray
    paid_date: np.ndarray

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)

    @property
    def customer_rank(self) -> np.ndarray:
        """Code -> position of the customer_id in sorted order."""
        return _rank(pc.sort_indices(self.customer_ids).to_numpy())

    @property
    def currency_rank(self) -> np.ndarray:
        """Code -> position of the currency in sorted order."""
        return _rank(np.argsort(np.asarray(self.currencies, dtype=object)))


def _rank(order: np.ndarray) -> np.ndarray:
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _encode(values: list[pa.Array]) -> tuple[pa.Array, list[np.ndarray]]:
    """Dictionary-encode several string arrays with one dictionary."""
    lengths = [len(v) for v in values]
    encoded = pc.dictionary_encode(pa.concat_arrays(values))
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    bounds = np.cumsum([0, *lengths])
    return encoded.dictionary, [codes[a:b] for a, b in itertools.pairwise(bounds)]


def build_book(open_items: pa.Table, paid: pa.Table | None = None) -> Book:
    """Encode open items (:data:`OPEN_ITEMS`) and paid invoices (:data:`PAID_INVOICES`).

    Raises:
        InputError: a required column is missing or holds nulls.
    """
    items = conform(open_items, OPEN_ITEMS, "open_items")
    paid = conform(paid if paid is not None else PAID_INVOICES.empty_table(), PAID_INVOICES, "paid")
    customer_ids, (open_customer, paid_customer) = _encode(
        [items["customer_id"].combine_chunks(), paid["customer_id"].combine_chunks()]
    )
    currencies, (open_currency, paid_currency) = _encode(
        [items["currency"].combine_chunks(), paid["currency"].combine_chunks()]
    )
    amount = _ints(items["amount_open_minor"])
    original = items["amount_original_minor"].combine_chunks()
    if original.null_count:
        original = pc.if_else(
            original.is_null(), items["amount_open_minor"].combine_chunks(), original
        )
    original = original.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    if paid.num_rows and items.num_rows:
        # An invoice both open and paid in full would count twice in Sales and AR_begin.
        # Hash the (smaller) open ids and probe the history with them.
        open_ids = items["invoice_id"].combine_chunks()
        hits = pc.filter(paid["invoice_id"], pc.is_in(paid["invoice_id"], value_set=open_ids))
        if len(hits):
            both = pc.is_in(open_ids, value_set=hits.combine_chunks())
            row = int(np.flatnonzero(both.to_numpy(zero_copy_only=False))[0])
            name = items["invoice_id"][row].as_py()
            raise InputError(
                "open_items", row, "invoice_id", f"{name!r} is also in the paid history"
            )
    open_issue, open_due = days(items["issue_date"]), days(items["due_date"])
    if (open_due < open_issue).any():
        row = int(np.flatnonzero(open_due < open_issue)[0])
        raise InputError("open_items", row, "due_date", "before the issue date")
    return Book(
        customer_ids=customer_ids,
        currencies=currencies.to_pylist(),
        open_items=items,
        open_customer=open_customer,
        open_currency=open_currency,
        open_amount=amount,
        open_original=original,
        open_issue=open_issue,
        open_due=open_due,
        paid_customer=paid_customer,
        paid_currency=paid_currency,
        paid_amount=_ints(paid["amount_minor"]),
        paid_issue=days(paid["issue_date"]),
        paid_due=days(paid["due_date"]),
        paid_date=days(paid["paid_date"]),
    )


def group_sums(keys: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Exact int64 sums of ``values`` per integer key in ``[0, n_groups)``.

    ``np.bincount`` would sum through float64 and lose cents past 2**53; this
    sorts and reduces in int64, and refuses a sum that would overflow.

    Example:
        >>> group_sums(np.array([1, 0, 1]), np.array([2**60, 5, 2**60 // 2]), 3).tolist()
        [5, 1729382256910270464, 0]
    """
    out = np.zeros(n_groups, dtype=np.int64)
    if len(keys) == 0:
        return out
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    sorted_values = values[order].astype(np.int64, copy=False)
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    # The float sum is close enough to tell an overflow from a large exact sum.
    approx = np.add.reduceat(sorted_values.astype(np.float64), starts)
    if np.abs(approx).max() >= 2**62:
        raise InputError("open_items", None, None, "amounts add up beyond what int64 holds")
    out[sorted_keys[starts]] = np.add.reduceat(sorted_values, starts)
    return out

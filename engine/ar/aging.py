"""Receivables by age: how much of each customer's open amount is how far past due.

Days past due = as-of date - due date. ``current`` is not yet due (0 or fewer
days past due); then 1-30, 31-60, 61-90, 91-120 and 121 or more days. Only
items issued on or before the as-of date count (an invoice dated later is not
a receivable yet), so the total of a currency is the AR_end of the metrics.
Credit notes (negative open amounts) count in the bucket of their due date:
the aging is of the net balance, as ledgers report it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from cashmatch.engine.ar.ledger import Book, day_number, group_sums
from cashmatch.engine.ar.schemas import AGING, AGING_BUCKETS

# Upper bound (inclusive) of days past due of each bucket but the last.
BUCKET_UPPER_DAYS = (0, 30, 60, 90, 120)


def aging_bucket(days_past_due: np.ndarray) -> np.ndarray:
    """The bucket index (0 = current ... 5 = 121+) of each days-past-due value.

    Example:
        >>> aging_bucket(np.array([-5, 0, 1, 30, 31, 120, 121])).tolist()
        [0, 0, 1, 1, 2, 4, 5]
    """
    return np.searchsorted(np.array(BUCKET_UPPER_DAYS), days_past_due, side="left").astype(np.int64)


def aging(book: Book, as_of: dt.date) -> pa.Table:
    """The aging table (:data:`~cashmatch.engine.ar.schemas.AGING`) at ``as_of``.

    One row per customer and currency with open items issued by ``as_of``,
    sorted by customer_id then currency; then one total row per currency
    (customer_id empty), sorted by currency.
    """
    today = day_number(as_of)
    keep = book.open_issue <= today
    customer = book.open_customer[keep].astype(np.int64)
    currency = book.open_currency[keep].astype(np.int64)
    bucket = aging_bucket(today - book.open_due[keep].astype(np.int64))
    n_cur, n_buckets = max(len(book.currencies), 1), len(AGING_BUCKETS)
    pair = customer * n_cur + currency
    pairs = np.unique(pair)
    slot = np.searchsorted(pairs, pair)
    sums = group_sums(slot * n_buckets + bucket, book.open_amount[keep], len(pairs) * n_buckets)
    sums = sums.reshape(len(pairs), n_buckets)
    pair_customer, pair_currency = pairs // n_cur, pairs % n_cur
    names = np.asarray(book.customer_ids.to_pylist(), dtype=object)
    currencies = np.asarray(book.currencies, dtype=object)
    order = np.lexsort((book.currency_rank[pair_currency], book.customer_rank[pair_customer]))
    totals = np.stack(
        [group_sums(pair_currency, sums[:, b], n_cur) for b in range(n_buckets)], axis=1
    )
    present = np.unique(pair_currency)
    present = present[np.argsort(book.currency_rank[present])]
    rows = np.concatenate([sums[order], totals[present]])
    table = {
        "customer_id": list(names[pair_customer[order]]) + [""] * len(present),
        "currency": list(currencies[pair_currency[order]]) + list(currencies[present]),
    }
    for b, name in enumerate(AGING_BUCKETS):
        table[f"{name}_minor"] = rows[:, b]
    table["total_minor"] = group_sums(
        np.repeat(np.arange(len(rows)), n_buckets), rows.ravel(), len(rows)
    )
    return pa.table(table, schema=AGING)

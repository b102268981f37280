"""DSO, best-possible DSO, average days delinquent and the collection effectiveness index.

With ``begin = as_of - period_days``:

- Sales: ``amount_original`` of invoices (open and paid) issued in (begin, as_of];
- AR_end: ``amount_open`` of open items issued on or before as_of;
- Current_AR_end: the part of AR_end not yet due at as_of (due on or after it);
- AR_begin: ``amount_original`` of invoices issued on or before begin and unpaid
  at begin (open ones, and paid ones whose paid_date is after begin).

Then DSO = AR_end / Sales x N, best_possible_dso = Current_AR_end / Sales x N,
add = DSO - best_possible_dso, CEI = (AR_begin + Sales - AR_end) /
(AR_begin + Sales - Current_AR_end) x 100; empty where a denominator is 0.
The sums are exact integers; each ratio is its exact rational value rounded
half away from zero to two decimals (so a printed ``add`` may differ from the
printed ``dso - best_possible_dso`` by 0.01).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from cashmatch.engine.ar.ledger import Book, day_number, group_sums
from cashmatch.engine.ar.schemas import METRICS
from cashmatch.engine.errors import InputError


def exact_ratio(numerator: int, denominator: int) -> str | None:
    """``numerator / denominator`` to two decimals, rounded half away from zero; None for /0.

    Example:
        >>> exact_ratio(1, 8), exact_ratio(-1, 8), exact_ratio(2, 3), exact_ratio(5, 0)
        ('0.13', '-0.13', '0.67', None)
    """
    if denominator == 0:
        return None
    negative = (numerator < 0) != (denominator < 0)
    a, b = abs(int(numerator)) * 100, abs(int(denominator))
    hundredths = (2 * a + b) // (2 * b)
    sign = "-" if negative and hundredths else ""
    return f"{sign}{hundredths // 100}.{hundredths % 100:02d}"


def _pair_sums(pair: np.ndarray, mask: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    return group_sums(pair[mask], values[mask], n)


def metrics(book: Book, as_of: dt.date, period_days: int) -> pa.Table:
    """The metrics table (:data:`~cashmatch.engine.ar.schemas.METRICS`).

    One row per customer and currency with anything in Sales, AR_begin or
    AR_end (sorted by customer_id, currency), then one row per currency for
    all customers (customer_id empty).

    Raises:
        InputError: ``period_days`` is not positive.
    """
    if period_days <= 0:
        raise InputError("--period-days", None, None, f"{period_days} is not a positive number")
    end = day_number(as_of)
    begin = end - period_days
    n_cur = max(len(book.currencies), 1)
    open_pair = book.open_customer.astype(np.int64) * n_cur + book.open_currency
    paid_pair = book.paid_customer.astype(np.int64) * n_cur + book.paid_currency
    open_sales = (book.open_issue > begin) & (book.open_issue <= end)
    paid_sales = (book.paid_issue > begin) & (book.paid_issue <= end)
    open_end = book.open_issue <= end
    open_current = open_end & (book.open_due >= end)
    open_begin = book.open_issue <= begin
    paid_begin = (book.paid_issue <= begin) & (book.paid_date > begin)

    used = np.unique(
        np.concatenate(
            [
                open_pair[open_sales | open_end],
                paid_pair[paid_sales | paid_begin],
            ]
        )
    )
    open_slot = np.searchsorted(used, open_pair)
    paid_slot = np.searchsorted(used, paid_pair)
    n = len(used)
    sales = _pair_sums(open_slot, open_sales, book.open_original, n) + _pair_sums(
        paid_slot, paid_sales, book.paid_amount, n
    )
    ar_end = _pair_sums(open_slot, open_end, book.open_amount, n)
    current = _pair_sums(open_slot, open_current, book.open_amount, n)
    ar_begin = _pair_sums(open_slot, open_begin, book.open_original, n) + _pair_sums(
        paid_slot, paid_begin, book.paid_amount, n
    )
    customer, currency = used // n_cur, used % n_cur
    order = np.lexsort((book.currency_rank[currency], book.customer_rank[customer]))
    present = np.unique(currency)
    present = present[np.argsort(book.currency_rank[present])]
    sums = np.stack([sales, ar_begin, ar_end, current], axis=1)
    totals = np.stack([group_sums(currency, sums[:, k], n_cur) for k in range(4)], axis=1)
    rows = np.concatenate([sums[order], totals[present]])
    names = book.customer_ids.take(pa.array(customer[order])).to_pylist()
    currencies = np.asarray(book.currencies, dtype=object)
    out: dict[str, list] = {
        "customer_id": names + [""] * len(present),
        "currency": list(currencies[currency[order]]) + list(currencies[present]),
        "dso": [],
        "best_possible_dso": [],
        "add": [],
        "cei": [],
    }
    for s, b, e, c in rows.tolist():
        out["dso"].append(exact_ratio(e * period_days, s))
        out["best_possible_dso"].append(exact_ratio(c * period_days, s))
        out["add"].append(exact_ratio((e - c) * period_days, s))
        out["cei"].append(exact_ratio((b + s - e) * 100, b + s - c))
    out["sales_minor"] = rows[:, 0]
    out["ar_begin_minor"] = rows[:, 1]
    out["ar_end_minor"] = rows[:, 2]
    out["current_ar_end_minor"] = rows[:, 3]
    return pa.table(out, schema=METRICS)

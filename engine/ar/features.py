"""What the paid history says about each customer, and the features of one open invoice.

Everything is columnar: a customer's statistics are grouped quantiles over the
history sorted once by (customer, delay); an open invoice's "how do this
customer's invoices that were still unpaid at this age end" is a binary search
in that same sorted array. Nothing loops over rows in Python, so 10M history
rows profile in seconds.

Delay is ``paid_date - due_date`` in days (negative: paid early).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Delays are clipped to this range so that (customer, delay) packs into one int64 key.
DELAY_LIMIT = 2000
_KEY = 2 * DELAY_LIMIT + 2


def month_of(day: np.ndarray) -> np.ndarray:
    """Month 1..12 of day numbers.

    Example:
        >>> month_of(np.array([0, 31, 19723])).tolist()
        [1, 2, 1]
    """
    return np.asarray(day).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1


def weekday(day: np.ndarray) -> np.ndarray:
    """Monday = 0 (1970-01-01 was a Thursday).

    Example:
        >>> weekday(np.array([0, 4])).tolist()
        [3, 0]
    """
    return (np.asarray(day, dtype=np.int64) + 3) % 7


def month_day(day: np.ndarray) -> np.ndarray:
    """Day of month 1..31, the last day of every month counted as 31 (month-end runs).

    Example:
        >>> month_day(np.array([0, 58, 59])).tolist()  # 1970-01-01, 02-28, 03-01
        [1, 31, 1]
    """
    d = np.asarray(day).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    dom = (d - month.astype("datetime64[D]")).astype(np.int64) + 1
    last = (month + 1).astype("datetime64[D]") - 1 == d
    return np.where(last, 31, dom)


def grouped_quantile(
    starts: np.ndarray, counts: np.ndarray, values: np.ndarray, q: float
) -> np.ndarray:
    """The ``q`` quantile (linear interpolation) of each group of sorted ``values``; NaN if empty.

    Example:
        >>> v = np.array([1.0, 2, 3, 4, 10, 20])
        >>> grouped_quantile(np.array([0, 4, 6]), np.array([4, 2, 0]), v, 0.5).tolist()
        [2.5, 15.0, nan]
    """
    out = np.full(len(counts), np.nan)
    has = counts > 0
    position = q * (counts[has] - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, counts[has] - 1)
    frac = position - low
    base = starts[has]
    out[has] = values[base + low] * (1 - frac) + values[base + high] * frac
    return out


_DAY_KEY = 1 << 20


@dataclass
class DelayIndex:
    """Paid invoices sorted by (customer, delay), for quantiles and conditional look-ups,
    and by (customer, due date), to count what the customer paid that fell due later."""

    keys: np.ndarray
    delay: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    due_keys: np.ndarray | None = None

    def paid_due_later(self, customer: np.ndarray, due: np.ndarray) -> np.ndarray:
        """How many of the customer's invoices due after ``due`` it has already paid.

        An old invoice left open while newer ones are paid is usually disputed or
        short-paid: collectors look for exactly this.
        """
        if self.due_keys is None or len(self.due_keys) == 0:
            return np.zeros(len(customer))
        probe = customer.astype(np.int64) * _DAY_KEY + np.clip(due, 0, _DAY_KEY - 1)
        first = np.searchsorted(self.due_keys, probe, side="right")
        end = self.starts[customer] + self.counts[customer]
        return np.maximum(end - first, 0).astype(np.float64)

    @classmethod
    def build(cls, customer: np.ndarray, delay: np.ndarray, n_customers: int) -> DelayIndex:
        delay = np.clip(delay, -DELAY_LIMIT, DELAY_LIMIT).astype(np.int64)
        keys = customer.astype(np.int64) * _KEY + (delay + DELAY_LIMIT)
        keys.sort()
        counts = np.bincount(customer, minlength=n_customers).astype(np.int64)
        starts = np.cumsum(counts) - counts
        return cls(keys, (keys % _KEY - DELAY_LIMIT).astype(np.float64), starts, counts)

    def quantile(self, q: float) -> np.ndarray:
        return grouped_quantile(self.starts, self.counts, self.delay, q)

    def beyond(self, customer: np.ndarray, days_late: np.ndarray, qs: tuple[float, ...]):
        """For invoices ``days_late`` past due: the share of the customer's past delays beyond
        that, and quantiles of those delays (NaN where none is beyond)."""
        days_late = np.clip(days_late, -DELAY_LIMIT, DELAY_LIMIT).astype(np.int64)
        probe = customer.astype(np.int64) * _KEY + (days_late + DELAY_LIMIT)
        first = np.searchsorted(self.keys, probe, side="right")
        end = self.starts[customer] + self.counts[customer]
        above = np.maximum(end - first, 0)
        total = self.counts[customer]
        share = np.where(total > 0, above / np.maximum(total, 1), np.nan)
        quantiles = [grouped_quantile(first, above, self.delay, q) for q in qs]
        return share, quantiles


def _group_median(customer: np.ndarray, values: np.ndarray, n_customers: int) -> np.ndarray:
    order = np.lexsort((values, customer))
    counts = np.bincount(customer, minlength=n_customers)
    return grouped_quantile(np.cumsum(counts) - counts, counts, values[order].astype(float), 0.5)


def customer_profile(
    customer: np.ndarray,
    amount: np.ndarray,
    issue: np.ndarray,
    due: np.ndarray,
    paid: np.ndarray,
    cutoff: int,
    n_customers: int,
    recent_days: int,
) -> tuple[dict[str, np.ndarray], DelayIndex]:
    """Per-customer statistics of the invoices paid on or before ``cutoff``.

    Returns the statistics (arrays indexed by customer code, NaN where the
    customer has none) and the :class:`DelayIndex` for conditional look-ups.
    """
    keep = paid <= cutoff
    customer, amount, issue, due, paid = (a[keep] for a in (customer, amount, issue, due, paid))
    delay = (paid - due).astype(np.int64)
    index = DelayIndex.build(customer, delay, n_customers)
    index.due_keys = np.sort(customer.astype(np.int64) * _DAY_KEY + np.clip(due, 0, _DAY_KEY - 1))
    counts = index.counts.astype(float)
    stats: dict[str, np.ndarray] = {"paid_count": np.log1p(counts)}
    for q in (0.1, 0.25, 0.5, 0.75, 0.9):
        stats[f"delay_q{int(q * 100)}"] = index.quantile(q)
    with np.errstate(invalid="ignore", divide="ignore"):
        sums = np.bincount(customer, weights=delay.astype(float), minlength=n_customers)
        stats["delay_mean"] = sums / counts
        late = np.bincount(customer, weights=(delay > 0).astype(float), minlength=n_customers)
        stats["late_share"] = late / counts
        very = np.bincount(customer, weights=(delay > 30).astype(float), minlength=n_customers)
        stats["very_late_share"] = very / counts
    lag = (paid - issue).astype(np.float64)
    stats["lag_median"] = _group_median(customer, lag, n_customers)
    stats["lag_iqr"] = _iqr(customer, lag, n_customers)
    stats["delay_iqr"] = stats["delay_q75"] - stats["delay_q25"]
    stats["terms_median"] = _group_median(customer, (due - issue).astype(float), n_customers)
    recent = paid > cutoff - recent_days
    stats["recent_median"] = _masked_median(customer, delay, recent, n_customers)
    stats["recent_count"] = np.bincount(customer[recent], minlength=n_customers).astype(float)
    older = (paid <= cutoff - recent_days) & (paid > cutoff - 3 * recent_days)
    stats["drift"] = stats["recent_median"] - _masked_median(customer, delay, older, n_customers)
    last_paid = np.full(n_customers, np.nan)
    if len(paid):
        last = np.full(n_customers, -(2**40), dtype=np.int64)
        np.maximum.at(last, customer, paid.astype(np.int64))
        last_paid = np.where(index.counts > 0, cutoff - last, np.nan)
    stats["days_since_payment"] = last_paid
    log_amount = np.log(np.maximum(np.abs(amount), 1).astype(float))
    stats["log_amount_median"] = _group_median(customer, log_amount, n_customers)
    big = log_amount > stats["log_amount_median"][customer] + 0.5
    stats["big_excess"] = _masked_median(customer, delay, big, n_customers) - stats["delay_q50"]
    month = month_of(paid)
    slow = (month == 8) | (month == 1)
    stats["slow_month_excess"] = (
        _masked_median(customer, delay, slow, n_customers) - stats["delay_q50"]
    )
    return stats, index


def _masked_median(customer, values, mask, n_customers):
    return _group_median(customer[mask], values[mask].astype(float), n_customers)


def _iqr(customer, values, n_customers):
    order = np.lexsort((values, customer))
    counts = np.bincount(customer, minlength=n_customers)
    starts = np.cumsum(counts) - counts
    v = values[order].astype(float)
    return grouped_quantile(starts, counts, v, 0.75) - grouped_quantile(starts, counts, v, 0.25)


def open_book_features(
    customer: np.ndarray, amount: np.ndarray, due: np.ndarray, day: int, n_customers: int
) -> dict[str, np.ndarray]:
    """Per customer, from what it has open at ``day``: how much of it is already overdue."""
    positive = np.maximum(amount, 0).astype(float)
    total = np.bincount(customer, weights=positive, minlength=n_customers)
    overdue = np.bincount(customer, weights=positive * (due < day), minlength=n_customers)
    worst = np.full(n_customers, -(2**40), dtype=np.int64)
    np.maximum.at(worst, customer, (day - due).astype(np.int64))
    count = np.bincount(customer, minlength=n_customers).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = overdue / total
    return {
        "open_count": np.log1p(count),
        "open_overdue_share": share,
        "open_worst_days_late": np.where(count > 0, worst, np.nan).astype(float),
    }


FEATURES = (
    "days_to_due",
    "age",
    "terms",
    "rel_amount",
    "is_credit",
    "ref_month",
    "ref_month_day",
    "share_beyond",
    "remaining_q50",
    "remaining_q90",
    "base_issue",
    "paid_due_later",
    "paid_count",
    "delay_q10",
    "delay_q25",
    "delay_q50",
    "delay_q75",
    "delay_q90",
    "delay_mean",
    "late_share",
    "very_late_share",
    "lag_median",
    "lag_iqr",
    "delay_iqr",
    "terms_median",
    "recent_median",
    "recent_count",
    "drift",
    "days_since_payment",
    "big_excess",
    "slow_month_excess",
    "open_count",
    "open_overdue_share",
    "open_worst_days_late",
)


@dataclass
class InvoiceFeatures:
    """The model's inputs for invoices open at ``day`` and the reference date they are
    predicted relative to (the day their customer's past invoices of the same age
    were typically paid, never before ``day + 1``)."""

    matrix: np.ndarray
    reference: np.ndarray


def invoice_features(
    day: int,
    customer: np.ndarray,
    amount: np.ndarray,
    issue: np.ndarray,
    due: np.ndarray,
    stats: dict[str, np.ndarray],
    index: DelayIndex,
    book: dict[str, np.ndarray],
    global_delay: float,
) -> InvoiceFeatures:
    """Features of invoices open at ``day`` (one row each, columns as :data:`FEATURES`)."""
    days_late = day - due
    share, (rem50, rem90) = index.beyond(customer, days_late, (0.5, 0.9))
    # Where the customer has no past delay beyond this age, fall back on its median, the
    # global median, and in any case tomorrow.
    typical = np.where(np.isnan(rem50), stats["delay_q50"][customer], rem50)
    typical = np.where(np.isnan(typical), global_delay, typical)
    reference = np.maximum(due + np.round(typical).astype(np.int64), day + 1)
    log_amount = np.log(np.maximum(np.abs(amount), 1).astype(float))
    columns = {
        "days_to_due": (due - day).astype(float),
        "age": (day - issue).astype(float),
        "terms": (due - issue).astype(float),
        "rel_amount": log_amount - stats["log_amount_median"][customer],
        "is_credit": (amount < 0).astype(float),
        "ref_month": month_of(reference).astype(float),
        "ref_month_day": month_day(reference).astype(float),
        "share_beyond": share,
        "remaining_q50": due + rem50 - reference,
        "remaining_q90": due + rem90 - reference,
        "base_issue": issue + stats["lag_median"][customer] - reference,
        "paid_due_later": np.log1p(index.paid_due_later(customer, due)),
    }
    for name in FEATURES:
        if name not in columns:
            source = stats if name in stats else book
            columns[name] = source[name][customer]
    matrix = np.column_stack([np.asarray(columns[name], dtype=np.float32) for name in FEATURES])
    return InvoiceFeatures(matrix, reference.astype(np.int64))

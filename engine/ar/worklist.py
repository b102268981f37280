"""The collections worklist: which open invoices to chase first, and why.

Two kinds of work, in one ranked list:

- ``call``: the invoice is past due (``escalate`` beyond 90 days): chase it;
- ``remind``: not yet due, due within ``remind_days``, and likely to be paid
  late (``p_late`` at least ``remind_p_late``): a friendly reminder before the
  due date is what changes that.

Priority = expected amount late (open amount x p_late, in major units of the
ranking currency) x urgency (1 + days past due / 30) x customer risk (1 + the share of
the customer's open amount already past due). Amounts in different
currencies are only comparable through exchange rates: with ``rates`` (units
of one ranking currency per unit of each currency) the list is ranked as one;
without, each currency is ranked on its own (``rank`` restarts per currency).

Each row says why it is there (``reason``, ``+``-joined): ``overdue_<bucket>``
or ``due_in_<n>d``, and notes: ``likely_late``, ``large_amount`` (in the top
tenth of the currency's open amounts), ``partly_paid``, ``paid_newer_invoices``
(the customer paid invoices that fell due later: often a dispute),
``customer_mostly_overdue`` (half or more of its open amount past due),
``predicted_<n>d_late``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.ar.aging import AGING_BUCKETS, aging_bucket
from cashmatch.engine.ar.config import ArConfig
from cashmatch.engine.ar.features import _DAY_KEY, DelayIndex
from cashmatch.engine.ar.ledger import Book, day_number
from cashmatch.engine.ar.predict import Prediction
from cashmatch.engine.ar.schemas import WORKLIST
from cashmatch.engine.errors import InputError
from cashmatch.engine.money import currency_exponent


def _paid_due_later(book: Book, today: int) -> np.ndarray:
    known = book.paid_date <= today
    customer = book.paid_customer[known]
    index = DelayIndex.build(customer, np.zeros(len(customer), np.int64), book.n_customers)
    due = np.clip(book.paid_due[known].astype(np.int64), 0, _DAY_KEY - 1)
    index.due_keys = np.sort(customer.astype(np.int64) * _DAY_KEY + due)
    return index.paid_due_later(book.open_customer, book.open_due.astype(np.int64))


def _major_per_minor(book: Book, rates: dict[str, float] | None) -> np.ndarray:
    """Per open item, the value of one minor unit in major units (of the ranking currency)."""
    if rates:
        missing = sorted(set(book.currencies) - set(rates))
        if missing:
            raise InputError("--rate", None, None, f"no exchange rate for {', '.join(missing)}")
    per_minor = np.array(
        [(rates[c] if rates else 1.0) / 10 ** currency_exponent(c) for c in book.currencies],
        dtype=np.float64,
    )
    return per_minor[book.open_currency]


def worklist(
    book: Book,
    prediction: Prediction,
    config: ArConfig | None = None,
    rates: dict[str, float] | None = None,
) -> pa.Table:
    """The :data:`~cashmatch.engine.ar.schemas.WORKLIST` table, highest priority first."""
    config = config or ArConfig()
    today = day_number(prediction.as_of)
    amount = book.open_amount
    due = book.open_due.astype(np.int64)
    days_late = today - due
    p_late = prediction.p_late
    overdue = days_late > 0
    remind = ~overdue & (due - today <= config.remind_days) & (p_late >= config.remind_p_late)
    chosen = (amount > 0) & (book.open_issue <= today) & (overdue | remind)

    positive = np.maximum(amount, 0).astype(np.float64)
    total = np.bincount(book.open_customer, weights=positive, minlength=book.n_customers)
    late_total = np.bincount(
        book.open_customer, weights=positive * overdue, minlength=book.n_customers
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        overdue_share = np.nan_to_num(late_total / total)[book.open_customer]
    valued = positive * _major_per_minor(book, rates)
    expected_late = positive * p_late
    priority = valued * p_late * (1 + np.maximum(days_late, 0) / 30) * (1 + overdue_share)

    large = np.zeros(len(amount), bool)
    for code in range(len(book.currencies)):
        rows = (book.open_currency == code) & (amount > 0)
        if rows.any():
            large |= rows & (amount >= np.quantile(amount[rows], 0.9))
    newer = _paid_due_later(book, today) > 0
    predicted_late = prediction.column(0.5) - due

    rows = np.flatnonzero(chosen)
    reasons = _reasons(
        days_late[rows],
        p_late[rows],
        large[rows],
        amount[rows] < book.open_original[rows],
        newer[rows],
        overdue_share[rows],
        predicted_late[rows],
    )
    if rates:
        order = rows[np.lexsort((np.arange(len(rows)), -priority[rows]))]
        rank = np.arange(1, len(order) + 1)
    else:
        cur_rank = book.currency_rank[book.open_currency[rows]]
        order = rows[np.lexsort((np.arange(len(rows)), -priority[rows], cur_rank))]
        rank = np.zeros(len(order), np.int64)
        codes = book.open_currency[order]
        for code in np.unique(codes):
            at = codes == code
            rank[at] = np.arange(1, int(at.sum()) + 1)
    position = np.empty(len(amount), np.int64)
    position[rows] = np.arange(len(rows))
    items = book.open_items
    take = pa.array(order)
    action = np.where(days_late[order] > 90, "escalate", np.where(overdue[order], "call", "remind"))
    return pa.table(
        {
            "rank": rank.astype(np.int64),
            "action": pa.array(action, pa.string()),
            "invoice_id": items["invoice_id"].take(take),
            "invoice_number": items["invoice_number"].take(take),
            "customer_id": items["customer_id"].take(take),
            "customer_name": items["customer_name"].take(take),
            "currency": items["currency"].take(take),
            "amount_open_minor": amount[order],
            "due_date": items["due_date"].take(take),
            "days_past_due": np.maximum(days_late[order], 0),
            "predicted_paid_date": prediction.table["predicted_paid_date"].take(take),
            "p_late": p_late[order],
            "expected_late_minor": np.round(expected_late[order]).astype(np.int64),
            "customer_overdue_pct": np.round(overdue_share[order] * 100, 1),
            "priority": np.round(priority[order], 2),
            "reason": reasons.take(pa.array(position[order])),
        },
        schema=WORKLIST,
    )


def _reasons(days_late, p_late, large, partly, newer, overdue_share, predicted_late) -> pa.Array:
    """The ``+``-joined reason of each row, built column-wise (no loop over rows)."""
    labels = np.array(["due"] + [f"overdue_{b[1:]}" for b in AGING_BUCKETS[1:]], dtype=object)
    overdue = days_late > 0

    def part(mask: np.ndarray, text) -> pa.Array:
        values = pa.array(np.broadcast_to(np.asarray(text, dtype=object), mask.shape), pa.string())
        return pc.if_else(pa.array(mask), values, pa.scalar(None, pa.string()))

    due_in = pc.binary_join_element_wise(
        "due_in_", pa.array(np.maximum(-days_late, 0)).cast(pa.string()), "d", ""
    )
    late_by = pc.binary_join_element_wise(
        "predicted_", pa.array(np.maximum(predicted_late, 0)).cast(pa.string()), "d_late", ""
    )
    parts = [
        pc.if_else(
            pa.array(overdue), pa.array(labels[aging_bucket(days_late)], pa.string()), due_in
        ),
        part((p_late >= 0.5) & ~overdue, "likely_late"),
        part(large, "large_amount"),
        part(partly, "partly_paid"),
        part(newer & overdue, "paid_newer_invoices"),
        part(overdue_share >= 0.5, "customer_mostly_overdue"),
        pc.if_else(pa.array(predicted_late > 0), late_by, pa.scalar(None, pa.string())),
    ]
    return pc.binary_join_element_wise(*parts, "+", null_handling="skip")


def parse_rates(pairs: list[str]) -> dict[str, float]:
    """``["USD=0.92", "JPY=0.0061"]`` -> rates; the ranking currency itself is 1.

    Example:
        >>> parse_rates(["USD=0.92", "eur=1"])
        {'USD': 0.92, 'EUR': 1.0}
    """
    rates = {}
    for pair in pairs:
        code, sep, value = pair.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = -1.0
        if not sep or rate <= 0 or not np.isfinite(rate):
            raise InputError("--rate", None, None, f"{pair!r}: expected CUR=positive number")
        rates[code.strip().upper()] = rate
    return rates

"""Payments that quote no usable reference, decided by amounts in one numba pass.

A third of a realistic batch quotes nothing that names an open invoice of its
currency. For those, :meth:`~cashmatch.engine.decide.Decider.decide` looks
only at amounts: the payer's family's invoices open for exactly the amount
paid, else a combination of them, else a short payment (fee or discount),
else any customer's invoice of that amount (``amount_only``). This module
settles, for a whole batch at once, the payments whose outcome is a single
invoice paid in full or nothing at all, with the same rules; the others
(combinations, short payments) are left to the full search.
``tests/engine/test_invariants.py`` checks that both paths decide alike.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from cashmatch.engine.index import OpenItemIndex
from cashmatch.engine.subset_sum import search_pool

# What the kernel found for each payment.
FALLBACK = 0  # needs the full search (a combination or a short payment is possible)
NOTHING = 1  # no hypothesis: unmatched
AMOUNT_ONLY = 2  # payer unknown: the oldest of at most three invoices of that amount
UNIQUE = 3  # the payer's one invoice of that amount, no combination rivals it
SEVERAL = 4  # several of the payer's invoices of that amount: the oldest, ambiguous
COMBINED = 5  # the payer's one invoice of that amount, but a combination fits too

REASONS = {
    AMOUNT_ONLY: "amount_only",
    UNIQUE: "customer+amount_unique",
    SEVERAL: "customer+amount_ambiguous",
    COMBINED: "customer+amount_ambiguous",
}


@nb.njit(cache=True, inline="always")
def _oldest(rows, lo, hi, issue, due, latest_issue):
    """(count, oldest, first) of rows[lo:hi] issued by ``latest_issue``; oldest by due date."""
    count, oldest, first = 0, -1, -1
    for k in range(lo, hi):
        r = rows[k]
        if issue[r] > latest_issue:
            continue
        if count == 0:
            first = r
            oldest = r
        elif due[r] < due[oldest]:
            oldest = r
        count += 1
    return count, oldest, first


@nb.njit(cache=True)
def _decide_one(
    p,
    amount,
    currency,
    value_date,
    family,
    slack,
    n_currency_keys,
    block_start,
    block_amounts,
    block_rows,
    pool_rows,
    global_start,
    global_amounts,
    global_rows,
    inv_amount,
    inv_issue,
    inv_due,
    window_days,
    max_candidates,
    max_items,
    max_size,
    max_coincidence,
    grace_days,
    amount_only_max,
    ledger_count,
):
    pay, cur, vd = amount[p], currency[p], value_date[p]
    if cur < 0 or pay <= 0:
        return NOTHING, -1
    f = family[p]
    if f >= 0:
        key = f * n_currency_keys + cur
        lo, hi = block_start[key], block_start[key + 1]
        amounts = block_amounts[lo:hi]
        a = lo + np.searchsorted(amounts, pay, "left")
        b = lo + np.searchsorted(amounts, pay, "right")
        exact, oldest, first = _oldest(block_rows, a, b, inv_issue, inv_due, vd + grace_days)
        if exact > 1:
            return SEVERAL, oldest
        count, _, _, _ = search_pool(
            pool_rows[lo:hi],
            inv_amount,
            inv_issue,
            inv_due,
            np.empty(0, np.int64),
            pay,
            pay,
            vd,
            window_days,
            max_candidates,
            max_items,
            max_size,
            max_coincidence,
            grace_days,
        )
        if exact == 1:
            return (UNIQUE if count <= 1 else COMBINED), first
        if count >= 1:
            return FALLBACK, -1
        # Invoices a little above the amount: a fee or a discount may explain it.
        c = np.searchsorted(amounts, pay + 1, "left")
        d = np.searchsorted(amounts, pay + slack[p], "right")
        if d > c:
            return FALLBACK, -1
    lo, hi = global_start[cur], global_start[cur + 1]
    amounts = global_amounts[lo:hi]
    a = lo + np.searchsorted(amounts, pay, "left")
    b = lo + np.searchsorted(amounts, pay, "right")
    # The ledger's count: an index of part of the ledger holds only some of them.
    if ledger_count > amount_only_max:
        return NOTHING, -1
    found, oldest, _ = _oldest(global_rows, a, b, inv_issue, inv_due, vd + grace_days)
    return (AMOUNT_ONLY, oldest) if found else (NOTHING, -1)


def _decide_all(
    payments,
    amount,
    currency,
    value_date,
    family,
    slack,
    n_currency_keys,
    block_start,
    block_amounts,
    block_rows,
    pool_rows,
    global_start,
    global_amounts,
    global_rows,
    inv_amount,
    inv_issue,
    inv_due,
    window_days,
    max_candidates,
    max_items,
    max_size,
    max_coincidence,
    grace_days,
    amount_only_max,
    ledger_count,
):
    kind = np.zeros(len(payments), np.int64)
    row = np.full(len(payments), -1, np.int64)
    for k in nb.prange(len(payments)):
        kind[k], row[k] = _decide_one(
            payments[k],
            amount,
            currency,
            value_date,
            family,
            slack,
            n_currency_keys,
            block_start,
            block_amounts,
            block_rows,
            pool_rows,
            global_start,
            global_amounts,
            global_rows,
            inv_amount,
            inv_issue,
            inv_due,
            window_days,
            max_candidates,
            max_items,
            max_size,
            max_coincidence,
            grace_days,
            amount_only_max,
            ledger_count[k],
        )
    return kind, row


_decide_parallel = nb.njit(cache=True, parallel=True)(_decide_all)
_decide_serial = nb.njit(cache=True)(_decide_all)


def amount_matches(
    index: OpenItemIndex,
    payments: np.ndarray,
    amount: np.ndarray,
    currency: np.ndarray,
    value_date: np.ndarray,
    family: np.ndarray,
    slack: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """What the amounts alone say of ``payments`` (positions into the batch's arrays).

    Args:
        index: the open items.
        payments: the payments to look at: those that quote no open invoice of
            their currency and carry no remittance lines.
        amount, currency, value_date, family: per payment of the batch
            (currency: code in the index, -1 when no open item has it; family:
            the identified payer's, -1 when unknown).
        slack: per payment, how far above its amount an invoice may be and
            still be paid short (a fee or a discount): such invoices are left
            to the full search, which weighs them.

    Returns:
        (kind, row) per entry of ``payments``: one of the kinds above, and the
        invoice for the kinds that name one (-1 otherwise).
    """
    config = index.config
    kernel = _decide_parallel if len(payments) >= config.parallel_min_payments else _decide_serial
    payments = np.asarray(payments, np.int64)
    return kernel(
        payments,
        amount,
        currency,
        value_date,
        family,
        slack,
        len(index.currencies) + 1,
        index.block_start,
        index.block_amounts,
        index.block_rows,
        index.pool_rows,
        index.global_start,
        index.global_amounts,
        index.global_rows,
        index.amount,
        index.issue,
        index.due,
        config.subset_window_days,
        config.subset_max_candidates,
        config.subset_max_items,
        config.subset_max_combination,
        float(config.subset_max_coincidence),
        config.issue_grace_days,
        config.amount_only_max_invoices,
        index.amount_counts(currency[payments], amount[payments]),
    )

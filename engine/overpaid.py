"""Payments that quote one invoice and pay more than it is open for, searched in one pass.

When a payment's one quote is an invoice open for less than was paid,
:meth:`~cashmatch.engine.decide.Decider.decide` asks whether other open
invoices of that invoice's family make up the excess exactly (the payer paid
an unquoted invoice too), and otherwise whether the excess is an overpayment
to leave unapplied. This module runs those searches for a whole batch in one
numba pass, on every core, and says which payments they decide without a
person's rival hypotheses: those the full search would give one hypothesis,
and no search of the payer's other invoices. The others (an unproven or
ambiguous completion, a suspicious excess, with the payer known) are left to
the full search. ``tests/engine/test_invariants.py`` checks both paths agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from cashmatch.engine.index import OpenItemIndex
from cashmatch.engine.subset_sum import search_pool


def _complete_all(
    payments,
    rows,
    amount,
    currency,
    value_date,
    n_currency_keys,
    block_start,
    block_amounts,
    pool_rows,
    inv_amount,
    inv_issue,
    inv_due,
    inv_family,
    window_days,
    max_candidates,
    max_items,
    max_size,
    max_coincidence,
    grace_days,
):
    n = len(payments)
    count = np.zeros(n, np.int64)
    proven = np.zeros(n, np.bool_)
    excess_open = np.zeros(n, np.bool_)
    found = np.full((n, max_candidates), -1, np.int64)
    for k in nb.prange(n):
        p, row = payments[k], rows[k]
        rest = amount[p] - inv_amount[row]
        key = inv_family[row] * n_currency_keys + currency[p]
        lo, hi = block_start[key], block_start[key + 1]
        exclude = np.full(1, row, np.int64)
        c, chosen, exhaustive, cut = search_pool(
            pool_rows[lo:hi],
            inv_amount,
            inv_issue,
            inv_due,
            exclude,
            rest,
            rest,
            value_date[p],
            window_days,
            max_candidates,
            max_items,
            max_size,
            max_coincidence,
            grace_days,
        )
        count[k] = c
        proven[k] = exhaustive and not cut
        found[k, : len(chosen)] = chosen
        # An invoice of the family open for exactly the excess: the payer may
        # have meant it, so the excess is not posted as an overpayment.
        amounts = block_amounts[lo:hi]
        excess_open[k] = np.searchsorted(amounts, rest, "left") < np.searchsorted(
            amounts, rest, "right"
        )
    return count, proven, excess_open, found


_complete_parallel = nb.njit(cache=True, parallel=True)(_complete_all)
_complete_serial = nb.njit(cache=True)(_complete_all)


@dataclass
class OverpaidDecisions:
    """What the searches decide, for the payments they decide.

    Attributes:
        settle_payments, settle_rows: payments left with their quoted invoice
            alone (paid in full, the excess unapplied) ...
        settle_capped: ... with the excess suspicious (too large, or another
            invoice open for it, or several ways to make it up): suggested only.
        completed_payments, completed_rows, completed_proven: payments whose
            excess other invoices make up in exactly one way: the quoted
            invoice first, then those found; whether the search was exhaustive.
    """

    settle_payments: np.ndarray
    settle_rows: np.ndarray
    settle_capped: np.ndarray
    completed_payments: list[int]
    completed_rows: list[list[int]]
    completed_proven: list[bool]


def overpaid_quote_decisions(
    index: OpenItemIndex,
    payments: np.ndarray,
    rows: np.ndarray,
    amount: np.ndarray,
    currency: np.ndarray,
    value_date: np.ndarray,
    family: np.ndarray,
) -> OverpaidDecisions:
    """Search the excess of each payment over its one quoted invoice (``rows``).

    Follows ``Decider._single`` and ``Decider._complete``: one completion found
    is the hypothesis (posted when the search was exhaustive); none or several,
    and the quoted invoice alone is, suggested only when the excess is over
    ``overpay_auto_max_ratio`` of the payment, another invoice of the family
    is open for it, or several completions exist. Where that hypothesis may
    not be posted and the payer is known, the full search goes on to the
    payer's other invoices: those payments are not decided here.

    Args:
        payments, rows: from :func:`~cashmatch.engine.decide.single_quotes`,
            with the open amount below the amount paid.
        amount, currency, value_date, family: per payment of the batch.
    """
    config = index.config
    kernel = (
        _complete_parallel if len(payments) >= config.parallel_min_payments else _complete_serial
    )
    count, proven, excess_open, found = kernel(
        np.asarray(payments, np.int64),
        np.asarray(rows, np.int64),
        amount,
        currency,
        value_date,
        len(index.currencies) + 1,
        index.block_start,
        index.block_amounts,
        index.pool_rows,
        index.amount,
        index.issue,
        index.due,
        index.family,
        config.subset_window_days,
        config.subset_max_candidates,
        config.subset_max_items,
        config.subset_max_combination,
        float(config.subset_max_coincidence),
        config.issue_grace_days,
    )
    known = family[payments] >= 0
    completed = (count == 1) & (proven | ~known)
    excess = amount[payments] - index.amount[rows]
    capped = (excess > config.overpay_auto_max_ratio * amount[payments]) | (count == 2)
    capped |= excess_open
    alone = (count != 1) & (~capped | ~known)
    chosen = np.flatnonzero(completed)
    return OverpaidDecisions(
        settle_payments=payments[alone],
        settle_rows=rows[alone],
        settle_capped=capped[alone],
        completed_payments=payments[chosen].tolist(),
        completed_rows=[
            [int(rows[k]), *[r for r in found[k].tolist() if r >= 0]] for k in chosen.tolist()
        ],
        completed_proven=proven[chosen].tolist(),
    )

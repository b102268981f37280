"""Decide with array operations the payments whose decision needs no per-payment search.

Four of five payments of a realistic batch get one hypothesis from
:meth:`~cashmatch.engine.decide.Decider.decide` and nothing to rival it: a
quoted invoice paid exactly, short (a fee, a discount, a part) or over, the
quoted invoices together, or an amount that names one invoice or none. Each
rule here finds such payments for the whole batch at once, under the
conditions that make the full search reach the same single hypothesis, and
decides them: :class:`~cashmatch.engine.settled.Settled` arrays for one
invoice each, hypotheses built directly for several. The rest go through
the full search. ``match_payments(..., fast_path=False)`` skips this module;
``tests/engine/test_invariants.py`` checks both give the same matches.
"""

from __future__ import annotations

import numpy as np

from cashmatch.engine.customers import Identification
from cashmatch.engine.decide import (
    SHORT_REASONS,
    Decider,
    Hypothesis,
    obvious_matches,
    quoted_group_matches,
    short_quote_matches,
    single_quotes,
)
from cashmatch.engine.index import OpenItemIndex
from cashmatch.engine.overpaid import overpaid_quote_decisions
from cashmatch.engine.references import ReferenceHits
from cashmatch.engine.scoring import AMOUNT_OVER
from cashmatch.engine.settled import NOT_SETTLED, Settled


def decide_by_arrays(
    index: OpenItemIndex,
    decider: Decider,
    hits: ReferenceHits,
    ident: Identification,
    amount: np.ndarray,
    currency: np.ndarray,
    value_date: np.ndarray,
    fee_max: np.ndarray,
    slack: np.ndarray,
    has_remittance: np.ndarray,
    max_refs: int,
) -> tuple[Settled, dict[int, list[Hypothesis]]]:
    """The decisions of every payment that needs no per-payment search.

    Args:
        hits: the quotes found in the payments' texts, ordered by payment.
        ident: who paid, per payment.
        amount, currency, value_date, fee_max, slack, has_remittance: per payment.
        max_refs: how many quotes the full search weighs at most.

    Returns:
        (settled, decisions): the payments decided for one invoice or none, and
        the ranked hypotheses of those decided for several invoices; the
        payments in neither are left to the full search.
    """
    n = len(amount)
    settled = Settled.nothing_yet(n)
    decisions: dict[int, list[Hypothesis]] = {}
    if decider.obvious(0, 0)[0].auto:
        settled.settle_quoted(
            decider,
            obvious_matches(
                index,
                amount,
                currency,
                value_date,
                ident.family,
                hits.payment,
                hits.invoice,
                hits.quality,
                has_remittance,
                slack,
                max_refs,
            ),
            amount,
        )

    # A payment quoting one invoice pays it short, exactly (settled above) or over.
    quoting_one, quoted = single_quotes(
        index,
        settled.row == NOT_SETTLED,
        amount,
        currency,
        ident.family,
        hits.payment,
        hits.invoice,
        hits.quality,
        has_remittance,
    )
    short_payments, short_rows, short_relation, unconfirmed = short_quote_matches(
        index, quoting_one, quoted, amount, value_date, ident.family, ident.method, fee_max
    )
    settled.settle_single(
        index,
        short_payments,
        short_rows,
        [SHORT_REASONS[r] for r in short_relation.tolist()],
        short_relation,
        unconfirmed,
        amount,
        value_date,
    )

    over = index.amount[quoted] < amount[quoting_one]
    overpaid = overpaid_quote_decisions(
        index, quoting_one[over], quoted[over], amount, currency, value_date, ident.family
    )
    settled.settle_single(
        index,
        overpaid.settle_payments,
        overpaid.settle_rows,
        ["ref_exact+overpay"] * len(overpaid.settle_payments),
        np.full(len(overpaid.settle_payments), AMOUNT_OVER),
        overpaid.settle_capped,
        amount,
        value_date,
    )
    for p, rows, proven in zip(
        overpaid.completed_payments,
        overpaid.completed_rows,
        overpaid.completed_proven,
        strict=True,
    ):
        decisions[p] = decider.completed(int(amount[p]), int(value_date[p]), rows, proven)

    usable = (index.currency[hits.invoice] == currency[hits.payment]) & (
        index.amount[hits.invoice] > 0
    )
    quoting = np.bincount(hits.payment[usable], minlength=n) > 0
    settled.settle_by_amount(
        index,
        np.flatnonzero((settled.row == NOT_SETTLED) & ~quoting & ~has_remittance),
        amount,
        currency,
        value_date,
        ident.family,
        ident.method,
        slack,
    )

    pending = settled.row == NOT_SETTLED
    pending[list(decisions)] = False
    group_payments, group_rows = quoted_group_matches(
        index,
        pending,
        amount,
        currency,
        ident.family,
        hits.payment,
        hits.invoice,
        hits.quality,
        has_remittance,
        max_refs,
    )
    starts = np.flatnonzero(np.diff(group_payments, prepend=-1)).tolist()
    group_rows = group_rows.tolist()
    ends = starts[1:] + [len(group_rows)] if starts else []
    for p, lo, hi in zip(group_payments[starts].tolist(), starts, ends, strict=True):
        decisions[p] = decider.all_quoted(int(amount[p]), int(value_date[p]), group_rows[lo:hi])
    return settled, decisions

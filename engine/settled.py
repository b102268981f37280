"""Decisions made for whole arrays of payments: one invoice each, or nothing.

Most payments of a batch need no per-payment search: one quoted invoice open
for exactly the amount paid (:func:`~cashmatch.engine.decide.obvious_matches`),
one quoted invoice paid short by a fee, a discount or a part
(:func:`~cashmatch.engine.decide.short_quote_matches`) or paid over
(:mod:`~cashmatch.engine.overpaid`), or no usable quote
and an amount that names one invoice or none
(:func:`~cashmatch.engine.amount_match.amount_matches`). Their decisions stay
arrays through the global assignment and into the matches table; building a
hypothesis object for each would cost more than deciding them did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cashmatch.engine.amount_match import (
    COMBINED,
    FALLBACK,
    NOTHING,
    REASONS,
    UNIQUE,
    amount_matches,
)
from cashmatch.engine.customers import strong_method_codes
from cashmatch.engine.decide import RESIDUAL_OF, Decider, Hypothesis
from cashmatch.engine.index import OpenItemIndex
from cashmatch.engine.schemas import RESIDUAL_NONE

NOT_SETTLED = -2  # in Settled.row: the payment goes through the full search
NO_INVOICE = -1  # in Settled.row: settled as matching nothing


@dataclass
class Settled:
    """Per payment of a batch: the invoice it pays, how much, with confidence and reason.

    Attributes:
        row: the invoice position, ``NO_INVOICE`` (unmatched) or ``NOT_SETTLED``.
        confidence: as the full search would give it, caps applied.
        auto: whether it is applied automatically.
        reason: the reason with its notes, ``+``-joined.
        applied: the amount applied to the invoice (minor units).
        residual: what stays open on the invoice after it.
        action: what to do with that residual (a ``RESIDUAL_*`` name).
    """

    row: np.ndarray
    confidence: np.ndarray
    auto: np.ndarray
    reason: np.ndarray
    applied: np.ndarray
    residual: np.ndarray
    action: np.ndarray

    @classmethod
    def nothing_yet(cls, n: int) -> Settled:
        return cls(
            np.full(n, NOT_SETTLED, np.int64),
            np.zeros(n, np.float64),
            np.zeros(n, bool),
            np.full(n, "", object),
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
            np.full(n, RESIDUAL_NONE, object),
        )

    @property
    def pending(self) -> np.ndarray:
        """Positions of the payments the full search must decide."""
        return np.flatnonzero(self.row == NOT_SETTLED)

    def hypotheses(self, p: int, amount: int) -> list[Hypothesis]:
        """Payment ``p``'s decision as the full search's ranked hypotheses (one or none)."""
        row = int(self.row[p])
        if row < 0:
            return []
        applied = int(self.applied[p])
        h = Hypothesis(
            [row],
            [applied],
            [int(self.residual[p])],
            [str(self.action[p])],
            amount - applied,
            str(self.reason[p]),
            float(self.confidence[p]),
            auto=bool(self.auto[p]),
        )
        return [h]

    def settle_quoted(self, decider: Decider, obvious: np.ndarray, amount: np.ndarray) -> None:
        """Record :func:`~cashmatch.engine.decide.obvious_matches` (its invoice, or -1)."""
        template = decider.obvious(0, 0)[0]
        chosen = np.flatnonzero(obvious >= 0)
        self.row[chosen] = obvious[chosen]
        self.confidence[chosen] = template.confidence
        self.auto[chosen] = template.auto
        self.reason[chosen] = "+".join([template.reason, *template.notes])
        self.applied[chosen] = amount[chosen]

    def settle_single(
        self,
        index: OpenItemIndex,
        payments: np.ndarray,
        rows: np.ndarray,
        reasons: list[str],
        relation: np.ndarray,
        capped: np.ndarray,
        amount: np.ndarray,
        value_date: np.ndarray,
    ) -> None:
        """Settle payments each left with one quoted invoice, paid short, in full or over.

        The confidence follows :meth:`Decider.hypothesis`, ``Decider._single``
        and ``Decider._rank`` in the same order of float operations: the
        reason's base figure, x0.85 when paid before the invoice was issued;
        where ``capped`` (a part payment by a payer not known to be the
        invoice's customer, a suspicious overpayment) the mismatch figure at
        most and never automatic; then the auto threshold and the suggestion
        cap. The payment is applied up to the open amount; the invoice's
        residual gets the action of the amount ``relation``.
        """
        config = index.config
        confidence = np.array([config.rule_confidence.get(r, 0.5) for r in reasons], np.float64)
        early = value_date[payments] < index.issue[rows] - config.paid_before_issue_days
        confidence = np.where(early, confidence * config.paid_before_issue_factor, confidence)
        mismatch = config.rule_confidence.get("ref+amount_mismatch", 0.6)
        confidence = np.where(capped, np.minimum(confidence, mismatch), confidence)
        auto = np.array([r in config.auto_reasons for r in reasons], bool) & ~capped
        auto &= confidence >= config.auto_threshold
        confidence = np.where(auto, confidence, np.minimum(confidence, config.suggestion_cap))
        applied = np.minimum(amount[payments], index.amount[rows])
        residual = index.amount[rows] - applied
        self.row[payments] = rows
        self.confidence[payments] = confidence
        self.auto[payments] = auto
        self.reason[payments] = [
            r + "+paid_before_issue" if e else r for r, e in zip(reasons, early.tolist())
        ]
        self.applied[payments] = applied
        self.residual[payments] = residual
        self.action[payments] = [
            RESIDUAL_OF[r] if left else RESIDUAL_NONE
            for r, left in zip(relation.tolist(), residual.tolist())
        ]

    def settle_by_amount(
        self,
        index: OpenItemIndex,
        payments: np.ndarray,
        amount: np.ndarray,
        currency: np.ndarray,
        value_date: np.ndarray,
        family: np.ndarray,
        method: np.ndarray,
        slack: np.ndarray,
    ) -> None:
        """Settle the ``payments`` whose amount alone decides them (see amount_match).

        The confidence follows :meth:`Decider.hypothesis` and ``Decider._rank``
        step by step, in the same order of float operations: the reason's base
        figure, x0.85 when paid before the invoice was issued, x0.9 and never
        automatic when the payer was found by a fuzzy name only, the auto
        threshold, then the suggestion cap.
        """
        config = index.config
        kind, row = amount_matches(index, payments, amount, currency, value_date, family, slack)
        strong_methods = strong_method_codes(config)
        decided = kind != FALLBACK
        payments, kind, row = payments[decided], kind[decided], row[decided]
        named = kind != NOTHING
        reasons = [REASONS.get(int(k), "") for k in kind]
        confidence = np.array([config.rule_confidence.get(r, 0.5) for r in reasons])
        early = np.zeros(len(row), bool)
        early[named] = (
            value_date[payments[named]] < index.issue[row[named]] - config.paid_before_issue_days
        )
        confidence = np.where(early, confidence * config.paid_before_issue_factor, confidence)
        weak = ((kind == UNIQUE) | (kind == COMBINED)) & ~np.isin(method[payments], strong_methods)
        confidence = np.where(weak, confidence * config.fuzzy_payer_factor, confidence)
        auto = np.array([r in config.auto_reasons for r in reasons], bool) & ~weak
        auto &= confidence >= config.auto_threshold
        confidence = np.where(auto, confidence, np.minimum(confidence, config.suggestion_cap))
        self.row[payments] = np.where(named, row, NO_INVOICE)
        self.applied[payments] = np.where(named, amount[payments], 0)
        self.confidence[payments] = np.where(named, confidence, 0.0)
        self.auto[payments] = named & auto
        self.reason[payments] = [
            "+".join([r] + ["paid_before_issue"] * e + ["payer_identified_by_fuzzy_name"] * w)
            for r, e, w in zip(reasons, early.tolist(), weak.tolist())
        ]

"""Decide, payment by payment, which invoices it pays and whether that is safe to post.

For each payment a few hypotheses are built from the evidence (the invoices
it quotes, the customer who paid, the amounts), each with a machine-readable
reason and a confidence taken from the reason's base figure
(:data:`~cashmatch.engine.config.DEFAULT_RULE_CONFIDENCE`) and lowered by what
contradicts it (a payment dated before the invoice, a payer who is another
customer, a rival hypothesis almost as good). The best one is applied
automatically when its confidence reaches ``auto_threshold`` and its reason is
one that may be; otherwise it is suggested.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cashmatch.engine.customers import strong_method_codes
from cashmatch.engine.index import OpenItemIndex
from cashmatch.engine.schemas import (
    RESIDUAL_BANK_FEE,
    RESIDUAL_DISCOUNT,
    RESIDUAL_LEAVE_OPEN,
    RESIDUAL_NONE,
)
from cashmatch.engine.scoring import (
    AMOUNT_DISCOUNT,
    AMOUNT_EXACT,
    AMOUNT_FEE,
    AMOUNT_OVER,
    AMOUNT_PARTIAL,
    classify_amount,
    classify_amounts,
)
from cashmatch.engine.subset_sum import find_subsets, search_pool

RESIDUAL_OF = {
    AMOUNT_EXACT: RESIDUAL_NONE,
    AMOUNT_FEE: RESIDUAL_BANK_FEE,
    AMOUNT_DISCOUNT: RESIDUAL_DISCOUNT,
    AMOUNT_PARTIAL: RESIDUAL_LEAVE_OPEN,
    AMOUNT_OVER: RESIDUAL_NONE,
}
_NO_REFS = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool))


@dataclass
class Hypothesis:
    """Invoices a payment may pay, with the amounts applied and what happens to differences."""

    rows: list[int]
    applied: list[int]
    residual: list[int]
    actions: list[str]
    unapplied: int
    reason: str
    confidence: float
    auto: bool = False
    notes: list[str] = field(default_factory=list)
    # The confidence before any cap: what a rival is judged on.
    raw_confidence: float = 0.0

    def __post_init__(self) -> None:
        self.raw_confidence = self.raw_confidence or self.confidence

    @property
    def key(self) -> tuple[int, ...]:
        return tuple(sorted(self.rows))


@dataclass
class PaymentFacts:
    """What is known of one payment when deciding it."""

    amount: int
    currency: int  # code in the index, -1 when no open item has it
    value_date: int
    customer: int
    family: int
    method: int
    fee_max: int
    slack: int  # how far above the amount an invoice may be and be paid short
    ref_rows: np.ndarray
    ref_quality: np.ndarray
    ref_structured: np.ndarray
    remittance: list[tuple[int, int, int]]  # (invoice row, amount paid, discount)


def allocate(index: OpenItemIndex, pay: int, rows: list[int], relation: int) -> tuple:
    """Spread a payment over invoices, oldest due first; the last one takes any difference.

    Returns:
        (rows, applied, residual, actions, unapplied), rows in due-date order.
    """
    if len(rows) == 1:
        # Most hypotheses are one invoice: no sorting, no array indexing by list.
        row = rows[0]
        amount = int(index.amount[row])
        applied = min(pay, amount)
        residual = amount - applied
        action = RESIDUAL_OF[relation] if residual else RESIDUAL_NONE
        return [row], [applied], [residual], [action], max(pay - amount, 0)
    due = index.due[rows].tolist()
    rows = [r for _, r in sorted(zip(due, rows))]
    amounts = index.amount[rows].tolist()
    total = sum(amounts)
    applied = list(amounts)
    unapplied = 0
    if pay >= total:
        unapplied = pay - total
    else:
        short = total - pay
        for k in range(len(rows) - 1, -1, -1):
            take = min(short, applied[k])
            applied[k] -= take
            short -= take
            if short == 0:
                break
    residual = [a - b for a, b in zip(amounts, applied)]
    action = RESIDUAL_OF[relation]
    actions = [action if r else RESIDUAL_NONE for r in residual]
    return rows, applied, residual, actions, unapplied


class Decider:
    """Builds and ranks hypotheses for payments against one index."""

    def __init__(self, index: OpenItemIndex):
        self.index = index
        self.config = index.config
        self.rule = self.config.rule_confidence
        self.auto_reasons = frozenset(self.config.auto_reasons)
        self.strong_methods = tuple(strong_method_codes(self.config).tolist())
        self.discount_bp = np.array(self.config.discount_rates_bp, np.int64)

    def relation(self, facts: PaymentFacts, total: int, rows: list[int]) -> int:
        days = facts.value_date - int(min(self.index.issue[r] for r in rows))
        return int(
            classify_amount(
                np.int64(facts.amount),
                np.int64(total),
                np.int64(facts.fee_max),
                self.config.fee_max_ratio,
                self.discount_bp,
                days,
                self.config.discount_days,
            )
        )

    def hypothesis(
        self,
        facts: PaymentFacts,
        rows: list[int],
        reason: str,
        relation: int | None = None,
        conflict: bool = False,
    ) -> Hypothesis:
        index = self.index
        total = int(sum(int(index.amount[r]) for r in rows))
        if relation is None:
            relation = self.relation(facts, total, rows)
        rows, applied, residual, actions, unapplied = allocate(index, facts.amount, rows, relation)
        config = self.config
        confidence = self.rule.get(reason, 0.5)
        notes = []
        if any(
            facts.value_date < int(index.issue[r]) - config.paid_before_issue_days for r in rows
        ):
            confidence *= config.paid_before_issue_factor
            notes.append("paid_before_issue")
        if conflict:
            confidence *= config.other_customer_factor
            notes.append("payer_is_other_customer")
        return Hypothesis(
            rows,
            applied,
            residual,
            actions,
            unapplied,
            reason,
            confidence,
            auto=reason in self.auto_reasons,
            notes=notes,
        )

    def all_quoted(self, amount: int, value_date: int, rows: list[int]) -> list[Hypothesis]:
        """The decision for a payment :func:`quoted_group_matches` found: its quotes, in full."""
        facts = PaymentFacts(amount, -1, value_date, -1, -1, 0, 0, 0, *_NO_REFS, [])
        return self._rank([self.hypothesis(facts, rows, "refs_all+amount_exact", AMOUNT_EXACT)])

    def completed(
        self, amount: int, value_date: int, rows: list[int], proven: bool
    ) -> list[Hypothesis]:
        """The decision for an overpaid quote whose excess other invoices make up exactly.

        ``rows``: the quoted invoice, then those found (see :mod:`~cashmatch.engine.overpaid`).
        """
        facts = PaymentFacts(amount, -1, value_date, -1, -1, 0, 0, 0, *_NO_REFS, [])
        h = self.hypothesis(facts, rows, "ref+subset_sum", AMOUNT_EXACT)
        self._unproven(h, proven)
        return self._rank([h])

    def obvious(self, amount: int, row: int) -> list[Hypothesis]:
        """The decision for a payment :func:`obvious_matches` settled: its one quote, in full."""
        reason = "ref_exact+amount_exact"
        h = Hypothesis(
            [row],
            [amount],
            [0],
            [RESIDUAL_NONE],
            0,
            reason,
            self.rule.get(reason, 0.5),
            auto=reason in self.auto_reasons,
        )
        return self._rank([h])

    def decide(self, facts: PaymentFacts) -> list[Hypothesis]:
        """All hypotheses for one payment, best first; the best is auto only if safe."""
        if facts.currency < 0 or facts.amount <= 0:
            return []
        hyps: list[Hypothesis] = []
        self._from_remittance(facts, hyps)
        self._from_references(facts, hyps)
        if not any(h.auto for h in hyps) and facts.family >= 0:
            self._from_customer(facts, hyps)
        if not hyps:
            self._from_amount(facts, hyps)
        return self._rank(hyps)

    # -- evidence -----------------------------------------------------------------

    def _from_remittance(self, facts: PaymentFacts, hyps: list[Hypothesis]) -> None:
        lines = facts.remittance
        if not lines or any(row < 0 for row, _, _ in lines):
            return
        index = self.index
        rows = [row for row, _, _ in lines]
        if len(set(rows)) != len(rows) or sum(paid for _, paid, _ in lines) != facts.amount:
            return
        if any(paid > int(index.amount[row]) or paid <= 0 for row, paid, _ in lines):
            return
        applied = [paid for _, paid, _ in lines]
        residual = [int(index.amount[row]) - paid for row, paid, _ in lines]
        actions = [
            RESIDUAL_NONE
            if res == 0
            else RESIDUAL_DISCOUNT
            if disc and disc == res
            else RESIDUAL_LEAVE_OPEN
            for res, (_, _, disc) in zip(residual, lines)
        ]
        hyps.append(
            Hypothesis(
                rows,
                applied,
                residual,
                actions,
                0,
                "remittance_advice",
                self.rule.get("remittance_advice", 0.5),
                auto="remittance_advice" in self.auto_reasons,
            )
        )

    def _from_references(self, facts: PaymentFacts, hyps: list[Hypothesis]) -> None:
        if not len(facts.ref_rows):
            return
        index = self.index
        amount, family_of = index.amount, index.family
        # A payment quotes a few invoices: Python lists beat numpy calls on arrays this small.
        quoted = [
            (row, quality)
            for row, quality in zip(facts.ref_rows.tolist(), facts.ref_quality.tolist())
            if index.currency[row] == facts.currency and amount[row] > 0
        ]
        if not quoted:
            return
        conflict = False
        if facts.family >= 0:
            own = [(row, q) for row, q in quoted if family_of[row] == facts.family]
            if own:
                quoted = own
            else:
                conflict = facts.method in self.strong_methods
        strong_quality = self.config.strong_reference_quality
        strong = [row for row, q in quoted if q >= strong_quality]
        weak = [row for row, q in quoted if q < strong_quality]
        # When a quoted invoice is open for exactly the amount paid, the other
        # quoted numbers can only be rivals of equal amount: combination searches
        # for them are skipped.
        exact = [row for row in strong if amount[row] == facts.amount]
        for row in exact:
            hyps.append(
                self.hypothesis(facts, [row], "ref_exact+amount_exact", AMOUNT_EXACT, conflict)
            )
        searching = not exact
        strong = [row for row in strong if amount[row] != facts.amount]
        for family in sorted({int(family_of[row]) for row in strong}):
            group = [row for row in strong if family_of[row] == family]
            if not searching:
                for row in group:
                    rel = self.relation(facts, int(amount[row]), [row])
                    if rel in (AMOUNT_FEE, AMOUNT_DISCOUNT):
                        self._single(facts, row, hyps, conflict)
                continue
            if len(group) > 1 and sum(int(amount[row]) for row in group) == facts.amount:
                # The quoted invoices add up to the payment: none of them alone,
                # each open for less than was paid, could rival that.
                self._group(facts, group, hyps, conflict)
                continue
            # With several invoices quoted, a combination must hold all of them.
            for row in group:
                self._single(facts, row, hyps, conflict, complete=len(group) == 1)
            if len(group) > 1:
                self._group(facts, group, hyps, conflict)
        # Sequential numbering puts a dozen invoices one edit from any number:
        # those that fit the amount all count; of the others, the best-scored one
        # (the rows come ranked) is enough for a suggestion.
        fits = [row for row in weak if amount[row] == facts.amount]
        mismatches = [row for row in weak if amount[row] != facts.amount][:1]
        for row in fits + mismatches:
            rel = self.relation(facts, int(index.amount[row]), [row])
            reason = (
                "ref_fuzzy+amount_exact" if rel == AMOUNT_EXACT else "ref_fuzzy+amount_mismatch"
            )
            h = self.hypothesis(facts, [row], reason, rel, conflict)
            # A number one edit away is only trusted when the payer is known to be
            # the invoice's customer: otherwise it may be another company's number.
            if facts.family != index.family[row]:
                h.auto = False
                h.confidence = min(h.confidence, self.config.suggestion_cap)
                h.notes.append("payer_not_confirmed")
            hyps.append(h)

    def _single(
        self,
        facts: PaymentFacts,
        row: int,
        hyps: list[Hypothesis],
        conflict: bool,
        complete: bool = True,
    ) -> None:
        index, config = self.index, self.config
        open_amount = int(index.amount[row])
        rel = self.relation(facts, open_amount, [row])
        if rel == AMOUNT_EXACT:
            hyps.append(self.hypothesis(facts, [row], "ref_exact+amount_exact", rel, conflict))
        elif rel == AMOUNT_FEE:
            hyps.append(self.hypothesis(facts, [row], "ref_exact+fee_shortpay", rel, conflict))
        elif rel == AMOUNT_DISCOUNT:
            hyps.append(self.hypothesis(facts, [row], "ref_exact+discount", rel, conflict))
        elif rel == AMOUNT_PARTIAL:
            # A part payment of a quoted invoice is posted only when the payer is
            # known to be its customer.
            h = self.hypothesis(facts, [row], "ref_exact+partial", rel, conflict)
            if not (facts.method in self.strong_methods and facts.family == index.family[row]):
                h.confidence = min(h.confidence, self.rule.get("ref+amount_mismatch", 0.6))
                h.auto = False
            hyps.append(h)
        else:
            explained = self._complete(facts, [row], hyps, conflict) if complete else 0
            if explained != 1:
                h = self.hypothesis(facts, [row], "ref_exact+overpay", rel, conflict)
                excess = facts.amount - open_amount
                family = int(index.family[row])
                if (
                    excess > config.overpay_auto_max_ratio * facts.amount
                    or explained == 2
                    or len(index.amount_rows(family, facts.currency, excess, excess))
                ):
                    h.confidence = min(h.confidence, self.rule.get("ref+amount_mismatch", 0.6))
                    h.auto = False
                hyps.append(h)

    def _group(
        self, facts: PaymentFacts, group: list[int], hyps: list[Hypothesis], conflict: bool
    ) -> None:
        index, config = self.index, self.config
        total = int(sum(int(index.amount[r]) for r in group))
        rel = self.relation(facts, total, group)
        if rel == AMOUNT_EXACT:
            hyps.append(self.hypothesis(facts, group, "refs_all+amount_exact", rel, conflict))
        elif rel == AMOUNT_FEE:
            hyps.append(self.hypothesis(facts, group, "refs_all+fee_shortpay", rel, conflict))
        elif rel == AMOUNT_DISCOUNT:
            hyps.append(self.hypothesis(facts, group, "refs_all+discount", rel, conflict))
        elif rel == AMOUNT_OVER:
            if self._complete(facts, group, hyps, conflict) != 1:
                hyps.append(self.hypothesis(facts, group, "ref+amount_mismatch", rel, conflict))
        else:
            # Some quoted numbers are not what was paid (a PO number that looks
            # like another invoice's, an invoice paid earlier): which of them add up?
            amounts = np.array([index.amount[r] for r in group], np.int64)
            count, positions, proven = find_subsets(
                amounts,
                facts.amount,
                config.subset_max_items,
                config.subset_max_combination,
                float(config.subset_max_coincidence),
            )
            if count == 1 and proven and len(positions) > 1:
                rows = [group[k] for k in positions.tolist()]
                hyps.append(self.hypothesis(facts, rows, "ref+subset_sum", AMOUNT_EXACT, conflict))
            else:
                hyps.append(self.hypothesis(facts, group, "ref+amount_mismatch", rel, conflict))

    def _search(
        self, facts: PaymentFacts, family: int, target: int, exclude: list[int]
    ) -> tuple[int, list[int], bool]:
        """Which of a family's open invoices (not ``exclude``) add up to ``target``.

        Returns:
            (count, rows, proven): 0, 1 or 2 (several) combinations, the rows of
            one, and whether it is proven unique (an exhaustive search of the
            whole pool where a chance fit is unlikely).
        """
        index, config = self.index, self.config
        count, rows, proven, cut = search_pool(
            index.family_rows(family, facts.currency),
            index.amount,
            index.issue,
            index.due,
            np.array(exclude, np.int64),
            target,
            target,
            facts.value_date,
            config.subset_window_days,
            config.subset_max_candidates,
            config.subset_max_items,
            config.subset_max_combination,
            config.subset_max_coincidence,
            config.issue_grace_days,
        )
        return int(count), rows.tolist(), bool(proven and not cut)

    def _complete(
        self, facts: PaymentFacts, quoted: list[int], hyps: list[Hypothesis], conflict: bool
    ) -> int:
        """Quoted invoices pay less than the payment: do unquoted ones make up the rest?

        Returns:
            How many combinations make up the rest: 0, 1 (added as a hypothesis) or 2 (several).
        """
        index = self.index
        rest = facts.amount - int(sum(int(index.amount[r]) for r in quoted))
        count, rows, proven = self._search(facts, int(index.family[quoted[0]]), rest, quoted)
        if count != 1:
            return count
        h = self.hypothesis(facts, quoted + rows, "ref+subset_sum", AMOUNT_EXACT, conflict)
        self._unproven(h, proven)
        hyps.append(h)
        return 1

    def _from_customer(self, facts: PaymentFacts, hyps: list[Hypothesis]) -> None:
        index, config = self.index, self.config
        strong = facts.method in self.strong_methods
        exact = index.amount_rows(facts.family, facts.currency, facts.amount, facts.amount)
        exact = exact[index.issue[exact] <= facts.value_date + config.issue_grace_days]
        if len(exact) > 1:
            oldest = int(exact[np.argmin(index.due[exact])])
            hyps.append(self.hypothesis(facts, [oldest], "customer+amount_ambiguous", AMOUNT_EXACT))
            return
        count, chosen, proven = self._search(facts, facts.family, facts.amount, [])
        if len(exact) == 1:
            # One invoice of that amount: unless several others add up to it too.
            reason = "customer+amount_unique" if count <= 1 else "customer+amount_ambiguous"
            h = self.hypothesis(facts, [int(exact[0])], reason, AMOUNT_EXACT)
            self._weak_identity(facts, h, strong)
            hyps.append(h)
            return
        if count >= 1:
            reason = "customer+subset_sum" if count == 1 else "customer+subset_ambiguous"
            h = self.hypothesis(facts, chosen, reason, AMOUNT_EXACT)
            self._weak_identity(facts, h, strong)
            self._unproven(h, proven)
            hyps.append(h)
            return
        # Short payments without a reference: a person decides between fee,
        # discount and dispute.
        high = facts.amount + facts.slack
        short = index.amount_rows(facts.family, facts.currency, facts.amount + 1, high)
        for row in short[: config.customer_short_candidates]:
            row = int(row)
            rel = self.relation(facts, int(index.amount[row]), [row])
            reason = {AMOUNT_FEE: "customer+fee_shortpay", AMOUNT_DISCOUNT: "customer+discount"}
            if rel in reason:
                hyps.append(self.hypothesis(facts, [row], reason[rel], rel))

    def _unproven(self, h: Hypothesis, proven: bool) -> None:
        """A combination found in part of the pool may have a twin outside it: suggest it."""
        if not proven:
            h.auto = False
            h.confidence = min(h.confidence, self.config.suggestion_cap)
            h.notes.append("search_not_exhaustive")

    def _weak_identity(self, facts: PaymentFacts, h: Hypothesis, strong: bool) -> None:
        if not strong:
            h.confidence *= self.config.fuzzy_payer_factor
            h.auto = False
            h.notes.append("payer_identified_by_fuzzy_name")

    def _from_amount(self, facts: PaymentFacts, hyps: list[Hypothesis]) -> None:
        config = self.config
        rows = self.index.global_amount_rows(
            facts.currency, facts.amount, limit=config.amount_only_max_invoices
        )
        rows = rows[self.index.issue[rows] <= facts.value_date + config.issue_grace_days]
        if len(rows):
            oldest = int(rows[np.argmin(self.index.due[rows])])
            hyps.append(self.hypothesis(facts, [oldest], "amount_only", AMOUNT_EXACT))

    # -- ranking ------------------------------------------------------------------

    def _rank(self, hyps: list[Hypothesis]) -> list[Hypothesis]:
        best: dict[tuple[int, ...], Hypothesis] = {}
        for h in hyps:
            if h.key not in best or h.confidence > best[h.key].confidence:
                best[h.key] = h
        ranked = sorted(best.values(), key=lambda h: -h.confidence)
        if not ranked:
            return ranked
        config = self.config
        cap = config.suggestion_cap
        top = ranked[0]
        top.auto = top.auto and top.confidence >= config.auto_threshold
        rival = max((h.raw_confidence for h in ranked[1:]), default=0.0)
        if rival >= top.confidence - config.ambiguity_margin:
            if top.auto:
                top.notes.append("rival_hypothesis")
            top.auto = False
            top.confidence = min(top.confidence, cap)
        for h in ranked[1:]:
            h.auto = False
            h.confidence = min(h.confidence, cap)
        if not top.auto:
            top.confidence = min(top.confidence, cap)
        return ranked


def obvious_matches(
    index: OpenItemIndex,
    amount: np.ndarray,
    currency: np.ndarray,
    value_date: np.ndarray,
    family: np.ndarray,
    hit_payment: np.ndarray,
    hit_invoice: np.ndarray,
    hit_quality: np.ndarray,
    has_remittance: np.ndarray,
    slack: np.ndarray,
    max_hits: int,
) -> np.ndarray:
    """The invoice of each payment decided by one quote alone (-1 for the others), vectorised.

    Most payments quote one invoice that is open for exactly the amount paid.
    When nothing else the payment quotes fits its amount or falls short of it by
    a fee or discount (``slack``), when the payer is not known to be another
    customer, the date is plausible and the payment has at most ``max_hits``
    references (the full search weighs that many),
    :meth:`Decider.decide` would build that one hypothesis and nothing to rival
    it: this finds those payments with array operations, so that only the rest
    go through the per-payment search. ``tests/engine`` checks both paths agree.
    """
    n = len(amount)
    if len(index) == 0:
        return np.full(n, -1, np.int64)
    config = index.config
    payment, invoice = hit_payment, hit_invoice
    valid = (index.currency[invoice] == currency[payment]) & (index.amount[invoice] > 0)
    strong = valid & (hit_quality >= config.strong_reference_quality)
    fits = valid & (index.amount[invoice] == amount[payment])
    fits_count = np.bincount(payment[fits], minlength=n)
    row = np.full(n, -1, np.int64)
    chosen = strong & fits
    row[payment[chosen]] = invoice[chosen]
    # Other quoted invoices may stand beside it (a PO number that reads as
    # another invoice's digits) unless one could rival it: short of the amount
    # by a fee or a discount, among those the full search weighs (the payer's
    # family's when the payer is known).
    payer_family = family[payment]
    weighed = strong & ((payer_family < 0) | (index.family[invoice] == payer_family))
    short = index.amount[invoice] - amount[payment]
    rivals = weighed & (short > 0) & (short <= slack[payment])
    rival_count = np.bincount(payment[rivals], minlength=n)
    hit_count = np.bincount(payment, minlength=n)
    ok = (fits_count == 1) & (rival_count == 0) & (row >= 0) & ~has_remittance
    ok &= hit_count <= max_hits
    safe_row = np.maximum(row, 0)
    ok &= (family < 0) | (family == index.family[safe_row])
    ok &= value_date >= index.issue[safe_row] - config.paid_before_issue_days
    return np.where(ok, row, -1)


def single_quotes(
    index: OpenItemIndex,
    pending: np.ndarray,
    amount: np.ndarray,
    currency: np.ndarray,
    family: np.ndarray,
    hit_payment: np.ndarray,
    hit_invoice: np.ndarray,
    hit_quality: np.ndarray,
    has_remittance: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Pending payments that quote exactly one number: an invoice they may pay, strongly.

    The invoice is open, of the payment's currency and of the payer's family
    (of anyone's when the payer is unknown), and the payment carries no
    remittance lines and is a credit: :meth:`Decider.decide` then weighs that
    invoice alone (``Decider._single``), and the customer's other invoices only
    if no hypothesis from it may be posted.

    Returns:
        (payments, rows): each such payment and its quoted invoice.
    """
    n = len(amount)
    hit_count = np.bincount(hit_payment, minlength=n)
    chosen = (hit_count[hit_payment] == 1) & pending[hit_payment] & ~has_remittance[hit_payment]
    payment, invoice = hit_payment[chosen], hit_invoice[chosen]
    payer_family = family[payment]
    ok = (hit_quality[chosen] >= index.config.strong_reference_quality) & (amount[payment] > 0)
    ok &= (index.currency[invoice] == currency[payment]) & (index.amount[invoice] > 0)
    ok &= (payer_family < 0) | (payer_family == index.family[invoice])
    return payment[ok], invoice[ok]


# The reason :meth:`Decider._single` gives one quoted invoice paid short.
SHORT_REASONS = {
    AMOUNT_FEE: "ref_exact+fee_shortpay",
    AMOUNT_DISCOUNT: "ref_exact+discount",
    AMOUNT_PARTIAL: "ref_exact+partial",
}


def short_quote_matches(
    index: OpenItemIndex,
    payments: np.ndarray,
    rows: np.ndarray,
    amount: np.ndarray,
    value_date: np.ndarray,
    family: np.ndarray,
    method: np.ndarray,
    fee_max: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Of payments quoting one invoice (:func:`single_quotes`), those it decides paid short.

    A payment whose text quotes one number only, an invoice of the payer's
    family (or of anyone, when the payer is unknown), and that pays a bank fee,
    an early-payment discount or a part short of it, gets exactly one
    hypothesis from :meth:`Decider.decide`: that invoice, with the difference
    left as fee, discount or open balance. Nothing rivals it, and no customer
    search runs after it, except for a part payment by a payer identified
    only by a fuzzy name: those stay with the full search. ``tests/engine``
    checks both paths agree.

    Returns:
        (payments, rows, relations, unconfirmed): the payments so decided, the
        invoice each pays, the amount relation (``AMOUNT_FEE``,
        ``AMOUNT_DISCOUNT`` or ``AMOUNT_PARTIAL``), and whether it is a part
        payment by an unknown payer, which is only suggested.
    """
    config = index.config
    shorter = index.amount[rows] > amount[payments]
    payment, invoice = payments[shorter], rows[shorter]
    relation = classify_amounts(
        amount[payment],
        index.amount[invoice],
        fee_max[payment],
        config.fee_max_ratio,
        np.array(config.discount_rates_bp, np.int64),
        value_date[payment] - index.issue[invoice],
        config.discount_days,
    )
    # single_quotes keeps only invoices of the payer's family, or any when the
    # payer is unknown: a part payment is posted when the payer is known
    # strongly, suggested when unknown, and left to the full search (which then
    # looks at the payer's own open items) when known by a fuzzy name only.
    partial = relation == AMOUNT_PARTIAL
    known = family[payment] >= 0
    searched = partial & known & ~np.isin(method[payment], strong_method_codes(config))
    keep = ~searched
    return payment[keep], invoice[keep], relation[keep], (partial & ~known)[keep]


def quoted_group_matches(
    index: OpenItemIndex,
    pending: np.ndarray,
    amount: np.ndarray,
    currency: np.ndarray,
    family: np.ndarray,
    hit_payment: np.ndarray,
    hit_invoice: np.ndarray,
    hit_quality: np.ndarray,
    has_remittance: np.ndarray,
    max_hits: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Payments whose quoted invoices add up to exactly what was paid, vectorised.

    When every number a payment quotes (of the payer's family, when the payer
    is known) is a strong quote of an invoice of one family, there are at least
    two and their open amounts add up to the payment, :meth:`Decider.decide`
    builds one hypothesis, ``refs_all+amount_exact``, and nothing rivals it.
    This finds those payments with array operations; ``Decider.all_quoted``
    then builds their hypothesis directly.

    Args:
        pending: which payments are still undecided (a boolean mask).
        hit_payment, hit_invoice, hit_quality: the quotes, one per (payment,
            invoice), ordered by payment as :func:`find_references` gives them.

    Returns:
        (payments, rows): for each payment so decided, one entry per invoice it
        pays, grouped by payment.
    """
    n = len(amount)
    if not len(hit_payment):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    payment, invoice = hit_payment, hit_invoice
    payer_family = family[payment]
    usable = (index.currency[invoice] == currency[payment]) & (index.amount[invoice] > 0)
    weighed = usable & ((payer_family < 0) | (index.family[invoice] == payer_family))
    strong = weighed & (hit_quality >= index.config.strong_reference_quality)
    count = np.bincount(payment[weighed], minlength=n)
    total = np.bincount(payment[weighed], weights=index.amount[invoice][weighed], minlength=n)
    lowest = np.full(n, np.iinfo(np.int64).max, np.int64)
    highest = np.full(n, -1, np.int64)
    np.minimum.at(lowest, payment[weighed], index.family[invoice][weighed])
    np.maximum.at(highest, payment[weighed], index.family[invoice][weighed])
    ok = pending & ~has_remittance & (amount > 0) & (np.bincount(payment, minlength=n) <= max_hits)
    ok &= (count >= 2) & (np.bincount(payment[strong], minlength=n) == count)
    ok &= lowest == highest
    # Float sums of int64 amounts are exact below 2**53 minor units; confirm in integers.
    ok &= total == amount
    chosen = weighed & ok[payment]
    payments, rows = payment[chosen], invoice[chosen]
    exact = np.zeros(n, np.int64)
    np.add.at(exact, payments, index.amount[rows])
    wrong = exact[payments] != amount[payments]
    return payments[~wrong], rows[~wrong]

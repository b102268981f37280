"""What a person reviewing a payment needs beside the engine's answer: its rivals.

For every payment that is suggested or unmatched, the next best candidates
(up to :data:`MAX_ALTERNATIVES`), and for every payment that lost (or kept)
an invoice to another payment, who the other payment is. Built once, at the
end of :func:`~cashmatch.engine.api.match_payments`, from what the decision
left behind; nothing here changes a decision.

The candidates come, in this order, from:

* ``hypothesis``: the engine's own ranked hypotheses after the one shown
  (:meth:`~cashmatch.engine.decide.Decider.decide`; a payment decided by the
  array rules has none, see :mod:`~cashmatch.engine.array_decisions`);
* ``same_amount``: when the reason says the amount was ambiguous
  (``customer+amount_ambiguous``, ``amount_only``), the other open invoices of
  that amount the rule looked at, weighed by the same rule;
* ``other_combination``: when a combination rivals the invoice shown, or
  several combinations fit, one that shares no invoice with it;
* ``nearest_amount``: for an unmatched payment whose payer is known, that
  customer's open invoices nearest in amount. The engine did not weigh these:
  their confidence is null.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cashmatch.engine.decide import Decider, Hypothesis, PaymentFacts
from cashmatch.engine.index import OpenItemIndex
from cashmatch.engine.schemas import ALTERNATIVES, CONTESTS
from cashmatch.engine.scoring import AMOUNT_EXACT
from cashmatch.engine.settled import NOT_SETTLED, Settled
from cashmatch.engine.subset_sum import search_pool

MAX_ALTERNATIVES = 3
_NO_REFS = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool))
# Columns taken from the batch and the index for all candidates at once.
_FROM_INDEX = (
    "payment_id",
    "invoice_id",
    "invoice_number",
    "currency",
    "invoice_open_minor",
    "customer_id",
)


@dataclass
class BatchFacts:
    """Per payment of a batch, what the decision knew (positions as in ``payments``)."""

    payment_id: pa.Array
    amount: np.ndarray
    currency: np.ndarray  # code in the index, -1 when no open item has it
    value_date: np.ndarray
    customer: np.ndarray
    family: np.ndarray
    method: np.ndarray
    fee_max: np.ndarray
    slack: np.ndarray

    def facts(self, p: int) -> PaymentFacts:
        return PaymentFacts(
            amount=int(self.amount[p]),
            currency=int(self.currency[p]),
            value_date=int(self.value_date[p]),
            customer=int(self.customer[p]),
            family=int(self.family[p]),
            method=int(self.method[p]),
            fee_max=int(self.fee_max[p]),
            slack=int(self.slack[p]),
            ref_rows=_NO_REFS[0],
            ref_quality=_NO_REFS[1],
            ref_structured=_NO_REFS[2],
            remittance=[],
        )


def exceptions(decisions: dict[int, list[Hypothesis]], settled: Settled) -> np.ndarray:
    """Positions of the payments not applied automatically (suggested or unmatched), sorted.

    Every payment is either settled by the array rules or in ``decisions``.
    """
    fast = (settled.row != NOT_SETTLED) & ~((settled.row >= 0) & settled.auto)
    searched = [p for p, ranked in decisions.items() if not (ranked and ranked[0].auto)]
    return np.union1d(np.flatnonzero(fast), np.array(searched, np.int64)).astype(np.int64)


def _decision(
    p: int, decisions: dict[int, list[Hypothesis]], settled: Settled, amount: int, floor: float
) -> tuple[list[Hypothesis], bool]:
    """(ranked hypotheses, shown): ``shown`` when the first one is in the matches."""
    ranked = decisions[p] if p in decisions else settled.hypotheses(p, amount)
    return ranked, bool(ranked) and ranked[0].confidence >= floor


class _Candidates:
    """The alternatives of one payment, in order, without repeating an invoice set."""

    def __init__(self, exclude: list[tuple[int, ...]]):
        self.seen = set(exclude)
        self.found: list[tuple[str, Hypothesis, bool]] = []

    def add(self, kind: str, h: Hypothesis, weighed: bool = True) -> None:
        if h.key in self.seen or len(self.found) >= MAX_ALTERNATIVES:
            return
        self.seen.add(h.key)
        self.found.append((kind, h, weighed))

    @property
    def room(self) -> int:
        return MAX_ALTERNATIVES - len(self.found)

    @property
    def full(self) -> bool:
        return self.room <= 0


def _rival(decider: Decider, facts: PaymentFacts, rows: list[int], reason: str, relation: int):
    """A rival as the rule builds it, capped as :meth:`Decider._rank` caps any runner-up."""
    h = decider.hypothesis(facts, rows, reason, relation)
    h.auto = False
    h.confidence = min(h.confidence, decider.config.suggestion_cap)
    return h


def _issued_by(index: OpenItemIndex, rows: np.ndarray, value_date: int) -> np.ndarray:
    return rows[index.issue[rows] <= value_date + index.config.issue_grace_days]


def _same_amount(decider: Decider, facts: PaymentFacts, reason: str, out: _Candidates) -> None:
    """The other invoices of the amount paid that made the rule ambiguous, oldest due first."""
    index = decider.index
    if reason == "amount_only":
        rows = index.global_amount_rows(facts.currency, facts.amount, limit=MAX_ALTERNATIVES + 1)
    elif facts.family >= 0:
        rows = index.amount_rows(facts.family, facts.currency, facts.amount, facts.amount)
    else:
        return
    rows = _issued_by(index, rows, facts.value_date)
    # A customer may have hundreds of invoices of one amount (a subscription):
    # only the oldest few are built into candidates.
    rows = rows[np.argsort(index.due[rows], kind="stable")].tolist()
    for row in [r for r in rows if (r,) not in out.seen][: out.room]:
        out.add("same_amount", _rival(decider, facts, [row], reason, AMOUNT_EXACT))


def _other_combination(
    decider: Decider, facts: PaymentFacts, shown: list[int], out: _Candidates
) -> None:
    """A combination of the payer's invoices that adds up to the payment, sharing none shown."""
    index, config = decider.index, decider.config
    if facts.family < 0 or out.full:
        return
    count, rows, _, _ = search_pool(
        index.family_rows(facts.family, facts.currency),
        index.amount,
        index.issue,
        index.due,
        np.array(shown, np.int64),
        facts.amount,
        facts.amount,
        facts.value_date,
        config.subset_window_days,
        config.subset_max_candidates,
        config.subset_max_items,
        config.subset_max_combination,
        config.subset_max_coincidence,
        config.issue_grace_days,
    )
    if count >= 1 and len(rows):
        reason = "customer+subset_ambiguous" if len(rows) > 1 else "customer+amount_ambiguous"
        h = _rival(decider, facts, rows.tolist(), reason, AMOUNT_EXACT)
        out.add("other_combination", h)


def _nearest_amount(decider: Decider, facts: PaymentFacts, out: _Candidates) -> None:
    """The payer's open invoices nearest in amount to the payment, not weighed by any rule."""
    index = decider.index
    if facts.family < 0:
        return
    key = index.block_key(facts.family, facts.currency)
    lo, hi = int(index.block_start[key]), int(index.block_start[key + 1])
    amounts, rows = index.block_amounts[lo:hi], index.block_rows[lo:hi]
    at = int(np.searchsorted(amounts, facts.amount))
    # The sorted amounts around the payment's: the nearest are among these.
    window = np.arange(max(at - MAX_ALTERNATIVES, 0), min(at + MAX_ALTERNATIVES, len(rows)))
    window = window[amounts[window] > 0]
    order = np.argsort(np.abs(amounts[window] - facts.amount), kind="stable")
    for row in rows[window[order]].tolist():
        rel = decider.relation(facts, int(index.amount[row]), [row])
        h = decider.hypothesis(facts, [row], "customer+nearest_amount", rel)
        h.auto = False
        out.add("nearest_amount", h, weighed=False)


def _alternatives_of(
    decider: Decider,
    facts: PaymentFacts,
    ranked: list[Hypothesis],
    shown: bool,
) -> list[tuple[str, Hypothesis, bool]]:
    top = ranked[0] if shown else None
    out = _Candidates([top.key] if top else [])
    for h in ranked[1:] if shown else ranked:
        out.add("hypothesis", h)
    if facts.currency < 0 or facts.amount <= 0:
        return out.found
    if top is not None:
        if top.reason in ("customer+amount_ambiguous", "amount_only"):
            _same_amount(decider, facts, top.reason, out)
        if top.reason in ("customer+amount_ambiguous", "customer+subset_ambiguous"):
            _other_combination(decider, facts, top.rows, out)
    else:
        _nearest_amount(decider, facts, out)
    return out.found


def build_alternatives(
    decider: Decider,
    batch: BatchFacts,
    decisions: dict[int, list[Hypothesis]],
    settled: Settled,
) -> pa.Table:
    """The next best candidates of every suggested or unmatched payment (ALTERNATIVES).

    Args:
        decider: the decider the batch was decided with (its index and rules).
        batch: the batch's per-payment facts.
        decisions: the ranked hypotheses of the payments searched one by one.
        settled: the decisions made by array operations.

    Returns:
        One row per (payment, candidate, invoice), candidates ranked from 1, in
        payment order.
    """
    index = decider.index
    floor = index.config.suggest_threshold
    cols: dict[str, list] = {name: [] for name in ALTERNATIVES.names if name not in _FROM_INDEX}
    positions: list[int] = []
    invoice_rows: list[int] = []
    for p in exceptions(decisions, settled).tolist():
        ranked, shown = _decision(p, decisions, settled, int(batch.amount[p]), floor)
        found = _alternatives_of(decider, batch.facts(p), ranked, shown)
        for rank, (kind, h, weighed) in enumerate(found, start=1):
            for row, applied, residual, action in zip(h.rows, h.applied, h.residual, h.actions):
                positions.append(p)
                invoice_rows.append(row)
                cols["rank"].append(rank)
                cols["kind"].append(kind)
                cols["amount_applied_minor"].append(applied)
                cols["invoice_residual_minor"].append(residual)
                cols["residual_action"].append(action)
                cols["payment_unapplied_minor"].append(h.unapplied)
                cols["confidence"].append(round(h.confidence, 4) if weighed else None)
                cols["reason"].append("+".join([h.reason, *h.notes]))
    rows = np.array(invoice_rows, np.int64)
    taken = pa.array(rows, pa.int64())
    columns = {
        name: pa.array(values, ALTERNATIVES.field(name).type) for name, values in cols.items()
    }
    columns["payment_id"] = batch.payment_id.take(pa.array(positions, pa.int64()))
    columns["invoice_id"] = index.invoice_id.take(taken).cast(pa.string())
    columns["invoice_number"] = index.invoice_number.take(taken).cast(pa.string())
    columns["currency"] = pa.array([index.currencies[c] for c in index.currency[rows].tolist()])
    columns["invoice_open_minor"] = pa.array(index.amount[rows], pa.int64())
    customer_ids = index.customers.ids
    columns["customer_id"] = pa.array(
        [customer_ids[c] for c in index.customer[rows].tolist()], pa.string()
    )
    return pa.table([columns[f.name] for f in ALTERNATIVES], schema=ALTERNATIVES)


def build_contests(
    index: OpenItemIndex,
    batch: BatchFacts,
    decisions: dict[int, list[Hypothesis]],
    withdrawn: set[int],
) -> pa.Table:
    """Who claimed the same invoice beyond its open amount, and who kept it (CONTESTS).

    After the global assignment every payment of a contest has its claim in
    ``decisions`` (see ``api._resolve_claims``): the automatic ones kept it,
    the ``withdrawn`` ones lost it and became suggestions.

    Returns:
        One row per (payment, invoice, rival payment), both directions.
    """
    cols: dict[str, list] = {name: [] for name in CONTESTS.names}
    if not withdrawn:
        return CONTESTS.empty_table()
    contested = {row for p in withdrawn for row in decisions[p][0].rows}
    claimants: dict[int, list[int]] = {}
    for p, ranked in decisions.items():
        if ranked and (ranked[0].auto or p in withdrawn):
            for row in ranked[0].rows:
                if row in contested:
                    claimants.setdefault(row, []).append(p)
    for row in sorted(contested):
        invoice_id = index.invoice_id[row].as_py()
        for p in claimants.get(row, []):
            for rival in claimants[row]:
                if rival == p:
                    continue
                cols["payment_id"].append(batch.payment_id[p].as_py())
                cols["invoice_id"].append(invoice_id)
                cols["rival_payment_id"].append(batch.payment_id[rival].as_py())
                cols["kept"].append(p not in withdrawn)
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in CONTESTS}, schema=CONTESTS)

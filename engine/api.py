"""The engine's public entry points: index open items, match payments."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.assignment import resolve_contests
from cashmatch.engine.config import MatchConfig
from cashmatch.engine.customers import METHODS
from cashmatch.engine.decide import (
    SUGGESTION_CAP,
    Decider,
    Hypothesis,
    PaymentFacts,
    obvious_matches,
)
from cashmatch.engine.hashing import PARALLEL_MIN_ITEMS
from cashmatch.engine.index import (
    OpenItemIndex,
    build_index,
    check_currencies,
    check_unique,
    conform,
)
from cashmatch.engine.money import currency_exponent, major_to_minor
from cashmatch.engine.references import find_references
from cashmatch.engine.schemas import (
    AUTO,
    MATCHES,
    PAYMENTS,
    RESIDUAL_NONE,
    SUGGESTED,
    UNMATCHED,
)
from cashmatch.engine.scoring import WEIGHTS, score_pairs, score_pairs_serial

ProgressCallback = Callable[[int, int], None]

# A payment is decided on its best-scored references, this many at most: a text
# quoting hundreds of numbers is not decided on the hundredth.
MAX_REFS_WEIGHED = 50


@dataclass
class MatchResult:
    """What matching a batch produced.

    Attributes:
        matches: one row per application (:data:`~cashmatch.engine.schemas.MATCHES`);
            every payment appears at least once.
        stats: counts by status, amounts applied automatically by currency, and
            the seconds each stage took.
    """

    matches: pa.Table
    stats: dict = field(default_factory=dict)


def _fee_max(currencies: list[str], fee_max_major: str) -> dict[str, int]:
    """The fee bound in each currency's minor units.

    Decimals a currency does not have are cut off (toward zero: a bound never
    grows by rounding): "12.5" is 1250 cents but 12 yen.
    """
    whole, _, fraction = fee_max_major.strip().partition(".")
    return {
        code: major_to_minor(
            f"{whole}.{fraction[: currency_exponent(code)]}" if fraction else whole, code
        )
        for code in currencies
    }


def _csr(owner: np.ndarray, n: int) -> np.ndarray:
    return np.searchsorted(owner, np.arange(n + 1), "left")


def _remittance_lines(index: OpenItemIndex, payments: pa.Table, config: MatchConfig):
    """Resolve structured remittance lines to invoice rows (-1 when not found or ambiguous)."""
    lists = payments["remittance"].combine_chunks()
    lines = pc.list_flatten(lists)
    if len(lines) == 0:
        return {}, pa.array([], pa.string()), np.zeros(0, np.int64)
    owner = pc.list_parent_indices(lists).to_numpy().astype(np.int64)
    refs = pc.fill_null(pc.struct_field(lines, "invoice_ref"), "")
    hits = find_references(index.references, refs, config)
    strong = hits.quality >= 0.9
    resolved = np.full(len(lines), -1, np.int64)
    counts = np.bincount(hits.payment[strong], minlength=len(lines))
    exact = hits.quality >= 1.0
    exact_counts = np.bincount(hits.payment[exact], minlength=len(lines))
    for line, row, q in zip(hits.payment[strong], hits.invoice[strong], hits.quality[strong]):
        if counts[line] == 1 or (q >= 1.0 and exact_counts[line] == 1):
            resolved[line] = row
    # Python ints, not numpy: a column with nulls would come out as floats.
    paid = pc.struct_field(lines, "amount_paid_minor").to_pylist()
    discount = pc.fill_null(pc.struct_field(lines, "discount_minor"), 0).to_pylist()
    per_payment: dict[int, list[tuple[int, int, int]]] = {}
    for k, (amount, taken) in enumerate(zip(paid, discount)):
        # A line without an amount paid cannot say how the payment splits.
        line = (-1, 0, 0) if amount is None else (int(resolved[k]), amount, taken)
        per_payment.setdefault(int(owner[k]), []).append(line)
    return per_payment, refs, owner


def match_payments(
    index: OpenItemIndex,
    payments: pa.Table,
    progress: ProgressCallback | None = None,
    *,
    fast_path: bool = True,
) -> MatchResult:
    """Match a batch of payments against indexed open items.

    Args:
        index: open items indexed by :func:`build_index`.
        payments: a table of :data:`~cashmatch.engine.schemas.PAYMENTS`.
        progress: called as ``progress(done, total)`` while payments are decided.
        fast_path: decide the obvious payments with array operations
            (:func:`~cashmatch.engine.decide.obvious_matches`); off only to
            check that it changes nothing.

    Returns:
        A :class:`MatchResult` whose ``matches`` hold every payment at least once.

    Raises:
        InputError: a missing column, a duplicate payment_id, an unknown currency.
    """
    config = index.config
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 6)
        clock = now

    payments = conform(payments, PAYMENTS, "payments")
    check_unique(payments["payment_id"], "payments", "payment_id")
    check_currencies(payments["currency"], "payments")
    n = payments.num_rows
    amount = payments["amount_minor"].to_numpy()
    currency_names = payments["currency"].to_pylist()
    currency = np.array([index.currency_code(c) for c in currency_names], np.int64)
    value_date = payments["value_date"].cast(pa.int32()).to_numpy().astype(np.int64)
    fee_by_currency = _fee_max(sorted(set(currency_names)), config.fee_max_major)
    fee_max = np.array([fee_by_currency[c] for c in currency_names], np.int64)
    lap("prepare")

    ident = index.customers.identify(
        payments["payer_name"].combine_chunks(), payments["payer_account"].combine_chunks()
    )
    lap("identify_customers")

    # How far short of an invoice a payment may fall and still pay it in full
    # (a bank fee, an early-payment discount).
    slack = np.maximum(fee_max, amount * max(config.discount_rates_bp) // 9000)
    remittance, structured_refs, structured_owner = _remittance_lines(index, payments, config)
    hits = find_references(
        index.references,
        payments["reference_text"].combine_chunks(),
        config,
        structured_refs,
        structured_owner,
        payment_amount=amount,
        invoice_amount=index.amount,
        payment_slack=slack,
    )
    lap("extract_references")

    # Score every quoted pair; the scores rank a payment's references so that a
    # text quoting dozens of numbers is decided on its best few.
    scorer = score_pairs if len(hits.payment) >= PARALLEL_MIN_ITEMS else score_pairs_serial
    _, _, score = scorer(
        amount,
        value_date,
        ident.customer,
        ident.family,
        ident.score,
        index.amount,
        index.issue,
        index.due,
        index.customer,
        index.family,
        hits.payment,
        hits.invoice,
        hits.quality,
        fee_max,
        config.fee_max_ratio,
        np.array(config.discount_rates_bp, np.int64),
        config.discount_days,
        WEIGHTS,
    )
    order = np.lexsort((-score, hits.payment))
    ref_payment, ref_rows = hits.payment[order], hits.invoice[order]
    ref_quality, ref_structured = hits.quality[order], hits.structured[order]
    ref_start = _csr(ref_payment, n)
    lap("score_candidates")

    decider = Decider(index)
    decisions: list[list[Hypothesis]] = []
    step = max(1, n // 100)
    has_remittance = np.zeros(n, bool)
    has_remittance[list(remittance)] = True
    obvious = (
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
            MAX_REFS_WEIGHED,
        )
        if fast_path
        else np.full(n, -1)
    )
    for p in range(n):
        if obvious[p] >= 0:
            decisions.append(decider.obvious(int(amount[p]), int(obvious[p])))
            continue
        lo, hi = ref_start[p], min(ref_start[p + 1], ref_start[p] + MAX_REFS_WEIGHED)
        facts = PaymentFacts(
            amount=int(amount[p]),
            currency=int(currency[p]),
            value_date=int(value_date[p]),
            customer=int(ident.customer[p]),
            family=int(ident.family[p]),
            method=int(ident.method[p]),
            fee_max=int(fee_max[p]),
            ref_rows=ref_rows[lo:hi],
            ref_quality=ref_quality[lo:hi],
            ref_structured=ref_structured[lo:hi],
            remittance=remittance.get(p, []),
        )
        decisions.append(decider.decide(facts))
        if progress is not None and (p % step == 0 or p == n - 1):
            progress(p + 1, n)
    lap("search_combinations")

    claims = {
        p: {r: a for r, a in zip(h[0].rows, h[0].applied)}
        for p, h in enumerate(decisions)
        if h and h[0].auto
    }
    confidence = {p: decisions[p][0].confidence for p in claims}
    fifo = np.lexsort((np.arange(n), value_date))
    priority = {int(p): rank for rank, p in enumerate(fifo) if int(p) in claims}
    withdrawn = resolve_contests(
        claims, confidence, priority, index.amount, config.contest_time_limit_s
    )
    for p in withdrawn:
        top = decisions[p][0]
        top.auto = False
        top.confidence = min(top.confidence, SUGGESTION_CAP)
        top.notes.append("contested")
    lap("assign")

    matches = _matches_table(index, payments, decisions, ident, amount, currency)
    lap("decide")
    status = matches.group_by("status").aggregate([("payment_id", "count_distinct")])
    counts = dict(
        zip(status["status"].to_pylist(), status["payment_id_count_distinct"].to_pylist())
    )
    auto_rows = matches.filter(pc.equal(matches["status"], AUTO))
    applied = auto_rows.group_by("currency").aggregate([("amount_applied_minor", "sum")])
    stats = {
        "payments": n,
        "auto": counts.get(AUTO, 0),
        "suggested": counts.get(SUGGESTED, 0),
        "unmatched": counts.get(UNMATCHED, 0),
        "applied_minor": dict(
            zip(applied["currency"].to_pylist(), applied["amount_applied_minor_sum"].to_pylist())
        ),
        "contested": len(withdrawn),
        "seconds": timings,
    }
    return MatchResult(matches, stats)


def _matches_table(index, payments, decisions, ident, amount, currency) -> pa.Table:
    config = index.config
    payment_ids = payments["payment_id"].to_pylist()
    currencies = payments["currency"].to_pylist()
    out_payment, out_invoice_pos, out_applied, out_status, out_conf = [], [], [], [], []
    out_reason, out_residual, out_action, out_unapplied, out_customer = [], [], [], [], []
    customer_ids = index.customers.ids
    for p, ranked in enumerate(decisions):
        top = ranked[0] if ranked else None
        if top is None or top.confidence < config.suggest_threshold:
            reason = _unmatched_reason(amount[p], currency[p], ident.method[p])
            out_payment.append(p)
            out_invoice_pos.append(-1)
            out_applied.append(0)
            out_status.append(UNMATCHED)
            out_conf.append(0.0)
            out_reason.append(reason)
            out_residual.append(0)
            out_action.append(RESIDUAL_NONE)
            out_unapplied.append(int(amount[p]))
            out_customer.append(int(ident.customer[p]))
            continue
        status = AUTO if top.auto else SUGGESTED
        reason = "+".join([top.reason, *top.notes])
        customer = int(index.customer[top.rows[0]])
        for row, applied, residual, action in zip(top.rows, top.applied, top.residual, top.actions):
            out_payment.append(p)
            out_invoice_pos.append(row)
            out_applied.append(applied)
            out_status.append(status)
            out_conf.append(round(top.confidence, 4))
            out_reason.append(reason)
            out_residual.append(residual)
            out_action.append(action)
            out_unapplied.append(top.unapplied)
            out_customer.append(customer)
    invoice_pos = np.array(out_invoice_pos, np.int64)
    if len(index.invoice_id):
        invoice_ids = pc.take(index.invoice_id, pa.array(np.maximum(invoice_pos, 0)))
        invoice_ids = pc.if_else(pa.array(invoice_pos < 0), "", invoice_ids)
    else:
        invoice_ids = pa.array([""] * len(invoice_pos), pa.string())
    customer_codes = np.array(out_customer, np.int64)
    return pa.table(
        {
            "payment_id": pa.array([payment_ids[p] for p in out_payment], pa.string()),
            "invoice_id": invoice_ids.cast(pa.string()),
            "currency": pa.array([currencies[p] for p in out_payment], pa.string()),
            "amount_applied_minor": pa.array(out_applied, pa.int64()),
            "status": pa.array(out_status, pa.string()),
            "confidence": pa.array(out_conf, pa.float64()),
            "reason": pa.array(out_reason, pa.string()),
            "invoice_residual_minor": pa.array(out_residual, pa.int64()),
            "residual_action": pa.array(out_action, pa.string()),
            "payment_unapplied_minor": pa.array(out_unapplied, pa.int64()),
            "customer_id": pa.array(
                [customer_ids[c] if c >= 0 else None for c in customer_codes], pa.string()
            ),
        },
        schema=MATCHES,
    )


def _unmatched_reason(amount: int, currency: int, method: int) -> str:
    if amount <= 0:
        return "not_a_credit"
    if currency < 0:
        return "no_open_items_in_currency"
    if METHODS[method] == "ambiguous":
        return "payer_ambiguous"
    if METHODS[method] == "none":
        return "no_candidate+payer_unknown"
    return "no_candidate"


def match(
    open_items: pa.Table,
    payments: pa.Table,
    customers: pa.Table | None = None,
    config: MatchConfig | None = None,
) -> MatchResult:
    """Index open items and match one batch of payments against them.

    Example:
        >>> import datetime as dt
        >>> items = pa.table({"invoice_id": ["I1"], "invoice_number": ["INV-2024-0042"],
        ...     "customer_id": ["C1"], "customer_name": ["Acme"], "currency": ["EUR"],
        ...     "amount_open_minor": [125000], "issue_date": [dt.date(2024, 3, 1)],
        ...     "due_date": [dt.date(2024, 3, 31)]})
        >>> pays = pa.table({"payment_id": ["P1"], "amount_minor": [125000], "currency": ["EUR"],
        ...     "value_date": [dt.date(2024, 3, 20)], "payer_name": ["ACME"],
        ...     "reference_text": ["INV 2024 0042"]})
        >>> row = match(items, pays).matches.to_pylist()[0]
        >>> row["invoice_id"], row["status"], row["reason"]
        ('I1', 'auto', 'ref_exact+amount_exact')
    """
    return match_payments(build_index(open_items, customers, config), payments)


__all__ = ["MatchResult", "build_index", "match", "match_payments"]

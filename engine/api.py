"""The engine's public entry points: index open items, match payments."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.alternatives import BatchFacts, build_alternatives, build_contests
from cashmatch.engine.array_decisions import decide_by_arrays
from cashmatch.engine.assignment import resolve_contests
from cashmatch.engine.config import MatchConfig
from cashmatch.engine.customers import METHODS
from cashmatch.engine.decide import Decider, Hypothesis, PaymentFacts
from cashmatch.engine.global_facts import (
    GlobalFacts,
    RemittanceLines,
    identify_payers,
    quotes_of_index,
    remittance_lines,
)
from cashmatch.engine.index import OpenItemIndex, build_index
from cashmatch.engine.money import currency_exponent, major_to_minor
from cashmatch.engine.references import ReferenceHits
from cashmatch.engine.rules import shortfall_slack
from cashmatch.engine.schemas import (
    ALTERNATIVES,
    AUTO,
    CONTESTS,
    MATCHES,
    RESIDUAL_NONE,
    SUGGESTED,
    UNMATCHED,
)
from cashmatch.engine.scoring import score_pairs
from cashmatch.engine.settled import NO_INVOICE, NOT_SETTLED, Settled
from cashmatch.engine.validate import validate_payments

ProgressCallback = Callable[[int, int], None]


@dataclass
class MatchResult:
    """What matching a batch produced.

    Attributes:
        matches: one row per application (:data:`~cashmatch.engine.schemas.MATCHES`);
            every payment appears at least once.
        stats: counts by status, amounts applied automatically by currency, and
            the seconds each stage took.
        alternatives: the next best candidates of each suggested or unmatched
            payment (:data:`~cashmatch.engine.schemas.ALTERNATIVES`, see
            :mod:`~cashmatch.engine.alternatives`), when asked for.
        contests: payments that claimed the same invoice beyond its open
            amount, and which kept it (:data:`~cashmatch.engine.schemas.CONTESTS`).
    """

    matches: pa.Table
    stats: dict = field(default_factory=dict)
    alternatives: pa.Table = field(default_factory=ALTERNATIVES.empty_table)
    contests: pa.Table = field(default_factory=CONTESTS.empty_table)


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


def payment_bounds(
    amount: np.ndarray, currency_names: list[str], config: MatchConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Per payment: the bank-fee bound, and how far above the amount an invoice may be
    and still be paid in full by it (a bank fee, an early-payment discount).

    Example:
        >>> fee, slack = payment_bounds(np.array([100_000]), ["EUR"], MatchConfig())
        >>> int(fee[0]), int(slack[0])
        (5000, 5555)
    """
    fee_by_currency = _fee_max(sorted(set(currency_names)), config.fee_max_major)
    fee_max = np.array([fee_by_currency[c] for c in currency_names], np.int64)
    return fee_max, shortfall_slack(amount, fee_max, config)


def _resolve_remittance(
    lines: RemittanceLines, line_hits: ReferenceHits, config: MatchConfig
) -> dict[int, list[tuple[int, int, int]]]:
    """Each payment's remittance lines as (invoice row, paid, discount); row -1 when the
    line's reference names no invoice, or not one alone across the ledger."""
    if not len(lines.refs):
        return {}
    hits = line_hits
    strong = hits.quality >= config.strong_reference_quality
    resolved = np.full(len(lines.refs), -1, np.int64)
    counts = np.bincount(hits.payment[strong], minlength=len(lines.refs))
    exact = hits.quality >= config.quality_exact
    exact_counts = np.bincount(hits.payment[exact], minlength=len(lines.refs))
    for line, row, q in zip(hits.payment[strong], hits.invoice[strong], hits.quality[strong]):
        if counts[line] == 1 or (q >= config.quality_exact and exact_counts[line] == 1):
            resolved[line] = row
    per_payment: dict[int, list[tuple[int, int, int]]] = {}
    for k, (amount, taken) in enumerate(zip(lines.paid, lines.discount)):
        # A line without an amount paid cannot say how the payment splits.
        line = (-1, 0, 0) if amount is None else (int(resolved[k]), amount, taken)
        per_payment.setdefault(int(lines.owner[k]), []).append(line)
    return per_payment


def match_payments(
    index: OpenItemIndex,
    payments: pa.Table,
    progress: ProgressCallback | None = None,
    *,
    alternatives: bool = False,
    global_facts: GlobalFacts | None = None,
) -> MatchResult:
    """Match a batch of payments against indexed open items.

    Args:
        index: open items indexed by :func:`build_index`.
        payments: a table of :data:`~cashmatch.engine.schemas.PAYMENTS`.
        progress: called as ``progress(done, total)`` while payments are decided.
        alternatives: also rank the next best candidates of every suggested
            or unmatched payment into ``MatchResult.alternatives``, for a
            person to review (:mod:`~cashmatch.engine.alternatives`; about
            40 us per such payment).
        global_facts: what the decisions read of the whole ledger (who paid,
            what the texts and remittance lines quote), when ``index`` holds
            only a part of it (:mod:`~cashmatch.engine.global_facts`); by
            default they are found in ``index``.

    In batches of ``config.array_decisions_min_payments`` or more, the
    payments that need no search are decided with array operations
    (:mod:`~cashmatch.engine.array_decisions`: a quoted invoice paid exactly,
    short or over, quoted invoices paid together, an amount that names one
    invoice or none); the others, and every payment of a smaller batch, one
    by one. Both decide alike.

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

    payments = validate_payments(payments)
    n = payments.num_rows
    amount = payments["amount_minor"].to_numpy()
    currency_names = payments["currency"].to_pylist()
    currency = np.array([index.currency_code(c) for c in currency_names], np.int64)
    value_date = payments["value_date"].cast(pa.int32()).to_numpy().astype(np.int64)
    fee_max, slack = payment_bounds(amount, currency_names, config)
    lines = remittance_lines(payments)
    lap("prepare")

    if global_facts is None:
        ident = identify_payers(index.customers, payments)
        lap("identify_customers")
        hits, line_hits = quotes_of_index(index, payments, lines, amount, slack)
    else:
        ident, hits, line_hits = global_facts.ident, global_facts.hits, global_facts.line_hits
        lap("identify_customers")
    remittance = _resolve_remittance(lines, line_hits, config)
    lap("extract_references")

    # Score every quoted pair; the scores rank a payment's references so that a
    # text quoting dozens of numbers is decided on its best few.
    _, _, score = score_pairs(
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
        config,
    )
    order = np.lexsort((-score, hits.payment))
    ref_payment, ref_rows = hits.payment[order], hits.invoice[order]
    ref_quality, ref_structured = hits.quality[order], hits.structured[order]
    ref_start = _csr(ref_payment, n)
    lap("score_candidates")

    decider = Decider(index)
    has_remittance = np.zeros(n, bool)
    has_remittance[list(remittance)] = True
    # A handful of payments is decided faster one by one than by the array
    # rules' few dozen whole-batch operations; both decide alike.
    if n >= config.array_decisions_min_payments:
        settled, decisions = decide_by_arrays(
            index,
            decider,
            hits,
            ident,
            amount,
            currency,
            value_date,
            fee_max,
            slack,
            has_remittance,
            config.max_refs_weighed,
        )
    else:
        settled, decisions = Settled.nothing_yet(n), {}
    searched = np.setdiff1d(settled.pending, np.fromiter(decisions, np.int64), assume_unique=True)
    step = max(1, len(searched) // 100)
    # Each searched payment's values, gathered as Python ints in one go.
    columns = zip(
        searched.tolist(),
        amount[searched].tolist(),
        currency[searched].tolist(),
        value_date[searched].tolist(),
        ident.customer[searched].tolist(),
        ident.family[searched].tolist(),
        ident.method[searched].tolist(),
        fee_max[searched].tolist(),
        slack[searched].tolist(),
        ref_start[searched].tolist(),
        np.minimum(ref_start[searched + 1], ref_start[searched] + config.max_refs_weighed).tolist(),
    )
    for done, (p, paid, code, day, customer, family, method, fee, short, lo, hi) in enumerate(
        columns
    ):
        facts = PaymentFacts(
            amount=paid,
            currency=code,
            value_date=day,
            customer=customer,
            family=family,
            method=method,
            fee_max=fee,
            slack=short,
            ref_rows=ref_rows[lo:hi],
            ref_quality=ref_quality[lo:hi],
            ref_structured=ref_structured[lo:hi],
            remittance=remittance.get(p, []),
        )
        decisions[p] = decider.decide(facts)
        if progress is not None and (done % step == 0 or done == len(searched) - 1):
            progress(n - len(searched) + done + 1, n)
    lap("search_combinations")

    withdrawn = _resolve_claims(index, decisions, settled, amount, value_date)
    for p in withdrawn:
        top = decisions[p][0]
        top.auto = False
        top.confidence = min(top.confidence, config.suggestion_cap)
        top.notes.append("contested")
    lap("assign")

    matches = _matches_table(index, payments, decisions, settled, ident, amount, currency)
    lap("decide")
    # What a person reviewing the exceptions needs; no decision changes here.
    batch = BatchFacts(
        payments["payment_id"].combine_chunks(),
        amount,
        currency,
        value_date,
        ident.customer,
        ident.family,
        ident.method,
        fee_max,
        slack,
    )
    contests = build_contests(index, batch, decisions, withdrawn)
    ranked = (
        build_alternatives(decider, batch, decisions, settled)
        if alternatives
        else ALTERNATIVES.empty_table()
    )
    lap("alternatives")
    counts, applied = _summary(matches, config.small_table_rows)
    stats = {
        "payments": n,
        "auto": counts.get(AUTO, 0),
        "suggested": counts.get(SUGGESTED, 0),
        "unmatched": counts.get(UNMATCHED, 0),
        "applied_minor": applied,
        "contested": len(withdrawn),
        # Decided one by one (the others by array operations, see above).
        "searched": len(searched),
        "seconds": timings,
    }
    return MatchResult(matches, stats, ranked, contests)


def _summary(matches: pa.Table, small_table_rows: int) -> tuple[dict[str, int], dict[str, int]]:
    """Payments per status, and amounts applied automatically per currency.

    The table holds each payment's rows together, all of one status; plain
    array work, since a grouped aggregation costs a millisecond even for one
    payment.
    """
    ids, status = matches["payment_id"], matches["status"]
    if len(matches) <= small_table_rows:
        # A few rows: Python over lists beats a dozen Arrow calls at ~10 us each.
        counts: Counter = Counter()
        applied: dict[str, int] = {}
        previous = None
        for payment_id, state, code, amount in zip(
            ids.to_pylist(),
            status.to_pylist(),
            matches["currency"].to_pylist(),
            matches["amount_applied_minor"].to_pylist(),
        ):
            if payment_id != previous:
                counts[state] += 1
                previous = payment_id
            if state == AUTO:
                applied[code] = applied.get(code, 0) + amount
        return dict(counts), applied
    first = np.ones(len(matches), bool)
    if len(matches) > 1:
        same = pc.equal(ids.slice(1), ids.slice(0, len(matches) - 1))
        first[1:] = ~same.to_numpy(zero_copy_only=False)
    counts = Counter(pc.filter(status, pa.array(first)).to_pylist())
    auto = pc.equal(status, AUTO)
    currencies = pc.filter(matches["currency"], auto)
    amounts = pc.filter(matches["amount_applied_minor"], auto).to_numpy()
    applied = {
        code: int(amounts[pc.equal(currencies, code).to_numpy(zero_copy_only=False)].sum())
        for code in pc.unique(currencies).to_pylist()
    }
    return dict(counts), applied


def _resolve_claims(
    index: OpenItemIndex,
    decisions: dict[int, list[Hypothesis]],
    settled: Settled,
    amount: np.ndarray,
    value_date: np.ndarray,
) -> set[int]:
    """Payments whose automatic application must be withdrawn: they over-claim an invoice.

    Claims are totalled per invoice with array operations; only the payments
    that claim an over-claimed invoice go to :func:`resolve_contests`, which
    sees the same totals for those invoices as if it were given every claim.
    A settled payment among them is given its hypothesis in ``decisions`` (and
    leaves ``settled``) so that it can be withdrawn like any other.
    """
    fast = np.flatnonzero((settled.row >= 0) & settled.auto)
    auto = [p for p, ranked in decisions.items() if ranked and ranked[0].auto]
    tops = [decisions[p][0] for p in auto]
    claim_payment = np.concatenate(
        [fast, np.repeat(np.array(auto, np.int64), [len(h.rows) for h in tops])]
    ).astype(np.int64)
    claim_row = np.concatenate([settled.row[fast], [r for h in tops for r in h.rows]])
    claim_row = claim_row.astype(np.int64)
    claim_amount = np.concatenate([settled.applied[fast], [a for h in tops for a in h.applied]])
    claim_amount = claim_amount.astype(np.int64)
    order = np.argsort(claim_row, kind="stable")
    rows, first = np.unique(claim_row[order], return_index=True)
    if not len(rows):
        return set()
    totals = np.add.reduceat(claim_amount[order], first)
    contested = rows[totals > index.amount[rows]]
    if not len(contested):
        return set()
    involved = np.unique(claim_payment[np.isin(claim_row, contested)]).tolist()
    for p in involved:
        if settled.row[p] != NOT_SETTLED:
            decisions[p] = settled.hypotheses(p, int(amount[p]))
            settled.row[p] = NOT_SETTLED
    claims = {
        p: {r: a for r, a in zip(decisions[p][0].rows, decisions[p][0].applied)} for p in involved
    }
    confidence = {p: decisions[p][0].confidence for p in involved}
    # Among equals the earlier payment keeps its claim: value date, then batch order.
    rank = np.empty(len(amount), np.int64)
    rank[np.lexsort((np.arange(len(amount)), value_date))] = np.arange(len(amount))
    priority = {p: int(rank[p]) for p in involved}
    return resolve_contests(
        claims, confidence, priority, index.amount, index.config.contest_time_limit_s
    )


def _matches_table(index, payments, decisions, settled, ident, amount, currency) -> pa.Table:
    """The matches of every payment, in payment order.

    The searched payments' rows are built one by one; the settled ones (one
    invoice each, or nothing) are appended as arrays, and the whole is put back
    in payment order.
    """
    config = index.config
    out_payment, out_invoice_pos, out_applied, out_status, out_conf = [], [], [], [], []
    out_reason, out_residual, out_action, out_unapplied, out_customer = [], [], [], [], []
    for p in sorted(decisions):
        ranked = decisions[p]
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

    fast = np.flatnonzero(settled.row != NOT_SETTLED)
    if not len(fast) and len(out_payment) <= config.small_table_rows:
        # A few rows, all decided one by one: plain lists, no Arrow kernels.
        ids = payments["payment_id"].to_pylist()
        codes = payments["currency"].to_pylist()
        invoice_ids = index.invoice_id
        customer_ids = index.customers.ids
        columns = [
            [ids[p] for p in out_payment],
            ["" if row < 0 else invoice_ids[row].as_py() for row in out_invoice_pos],
            [codes[p] for p in out_payment],
            out_applied,
            out_status,
            out_conf,
            out_reason,
            out_residual,
            out_action,
            out_unapplied,
            [None if code < 0 else customer_ids[code] for code in out_customer],
        ]
        return pa.Table.from_arrays(
            [pa.array(c, field.type) for c, field in zip(columns, MATCHES)], schema=MATCHES
        )
    k = len(fast)
    rows, confidence = settled.row[fast], settled.confidence[fast]
    unmatched = (rows == NO_INVOICE) | (confidence < config.suggest_threshold)
    matched = ~unmatched
    reasons = settled.reason[fast]
    reasons[unmatched] = [
        _unmatched_reason(amount[p], currency[p], ident.method[p]) for p in fast[unmatched]
    ]
    # Python's round, as for the searched payments (numpy's can differ in the last digit).
    values, which = np.unique(np.where(matched, confidence, 0.0), return_inverse=True)
    rounded = np.array([round(v, 4) for v in values.tolist()], np.float64)[which]
    status = np.where(matched, np.where(settled.auto[fast], AUTO, SUGGESTED), UNMATCHED)
    fast_rows = np.where(matched, rows, -1)
    fast_amount = np.where(matched, settled.applied[fast], 0)

    def joined(decided: list, fast_part: np.ndarray, kind: pa.DataType) -> pa.Array:
        if not k:
            return pa.array(decided, kind)
        return pa.concat_arrays([pa.array(decided, kind), pa.array(fast_part, kind)])

    payment = np.concatenate([np.array(out_payment, np.int64), fast]).astype(np.int64)
    invoice_pos = np.concatenate([np.array(out_invoice_pos, np.int64), fast_rows])
    fast_customer = ident.customer[fast].astype(np.int64)
    fast_customer[matched] = index.customer[rows[matched]]
    customer_codes = np.concatenate([np.array(out_customer, np.int64), fast_customer])
    if len(index.invoice_id):
        invoice_ids = pc.take(index.invoice_id, pa.array(np.maximum(invoice_pos, 0)))
        invoice_ids = pc.if_else(pa.array(invoice_pos < 0), "", invoice_ids)
    else:
        invoice_ids = pa.array([""] * len(invoice_pos), pa.string())
    payment_column = pa.array(payment)
    table = pa.table(
        {
            "payment_id": pc.take(payments["payment_id"].combine_chunks(), payment_column),
            "invoice_id": invoice_ids.cast(pa.string()),
            "currency": pc.take(payments["currency"].combine_chunks(), payment_column),
            "amount_applied_minor": joined(out_applied, fast_amount, pa.int64()),
            "status": joined(out_status, status, pa.string()),
            "confidence": joined(out_conf, rounded, pa.float64()),
            "reason": joined(out_reason, reasons, pa.string()),
            "invoice_residual_minor": joined(
                out_residual, np.where(matched, settled.residual[fast], 0), pa.int64()
            ),
            "residual_action": joined(
                out_action,
                np.where(matched, settled.action[fast], RESIDUAL_NONE),
                pa.string(),
            ),
            "payment_unapplied_minor": joined(
                out_unapplied, amount[fast] - fast_amount, pa.int64()
            ),
            "customer_id": pc.take(
                index.customers.id_array,
                pa.array(customer_codes, pa.int64(), mask=customer_codes < 0),
            ),
        },
        schema=MATCHES,
    )
    return table.take(pa.array(np.argsort(payment, kind="stable"))) if k else table


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


__all__ = ["MatchResult", "build_index", "match", "match_payments", "payment_bounds"]

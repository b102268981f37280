"""Invariants of every batch, on generated data (hypothesis picks seeds and sizes)."""

from __future__ import annotations

import sys
from collections import defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bench.generator import generate
from cashmatch.engine import MatchConfig, OpenItemIndex, build_index, match_payments
from cashmatch.engine.schemas import RESIDUAL_ACTIONS, STATUSES


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10**6), invoices=st.integers(50, 1500))
def test_no_invoice_over_applied_and_no_payment_over_spent(seed, invoices):
    data = generate(seed, invoices, max(10, invoices // 5))
    index = build_index(data.open_items, data.customers)
    matches = match_payments(index, data.payments).matches.to_pylist()
    open_amount = dict(
        zip(
            data.open_items["invoice_id"].to_pylist(),
            data.open_items["amount_open_minor"].to_pylist(),
        )
    )
    pay_amount = dict(
        zip(data.payments["payment_id"].to_pylist(), data.payments["amount_minor"].to_pylist())
    )
    per_invoice: dict[str, int] = defaultdict(int)
    per_payment: dict[str, int] = defaultdict(int)
    statuses: dict[str, set[str]] = defaultdict(set)
    for row in matches:
        assert row["status"] in STATUSES and row["residual_action"] in RESIDUAL_ACTIONS
        assert 0 <= row["confidence"] <= 1
        statuses[row["payment_id"]].add(row["status"])
        if row["status"] == "auto":
            per_invoice[row["invoice_id"]] += row["amount_applied_minor"]
            per_payment[row["payment_id"]] += row["amount_applied_minor"]
            assert row["amount_applied_minor"] > 0
            # What is applied plus what is left equals what was open.
            assert (
                row["amount_applied_minor"] + row["invoice_residual_minor"]
                == open_amount[row["invoice_id"]]
            )
        if row["status"] == "unmatched":
            assert row["invoice_id"] == "" and row["amount_applied_minor"] == 0
    assert set(statuses) == set(pay_amount), "every payment appears in the output"
    assert all(len(s) == 1 for s in statuses.values()), "one status per payment"
    for invoice, total in per_invoice.items():
        assert total <= open_amount[invoice], f"{invoice} over-applied"
    for payment, total in per_payment.items():
        assert total <= pay_amount[payment], f"{payment} applies more than it pays"
    for row in matches:
        if row["status"] == "auto":
            assert (
                per_payment[row["payment_id"]] + row["payment_unapplied_minor"]
                == pay_amount[row["payment_id"]]
            )


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_fast_path_decides_exactly_like_the_full_search(seed):
    data = generate(seed, 3000, 800)
    index = build_index(data.open_items, data.customers)
    fast = match_payments(index, data.payments).matches
    full = match_payments(_searching_all(data), data.payments).matches
    assert fast.equals(full)


def _searching_all(data) -> OpenItemIndex:
    """The data's index with no array decisions: every payment is searched one by one."""
    config = MatchConfig(array_decisions_min_payments=sys.maxsize)
    return build_index(data.open_items, data.customers, config)


def _partly_unknown_payers(data) -> pa.Table:
    """The payments with every third payer unknown (no name, no account)."""
    payments = data.payments
    unknown = pa.array(np.arange(payments.num_rows) % 3 == 0)
    for column in ("payer_name", "payer_account"):
        position = payments.schema.get_field_index(column)
        blanked = pc.if_else(unknown, pa.scalar(None, pa.string()), payments[column])
        payments = payments.set_column(position, column, blanked)
    return payments


def test_array_paths_decide_payments_of_every_kind(monkeypatch):
    # The equality above only means something if the array paths decide some
    # payments of each kind they claim: fee, discount, part payment posted and
    # suggested (its payer unknown), several quoted invoices paid together, an
    # overpayment posted or suggested, an unquoted invoice paid beside a quoted one.
    from cashmatch.engine import array_decisions
    from cashmatch.engine.scoring import AMOUNT_DISCOUNT, AMOUNT_FEE, AMOUNT_PARTIAL

    seen = {}

    def spy_on(name):
        original = getattr(array_decisions, name)

        def spy(*args):
            seen[name] = original(*args)
            return seen[name]

        monkeypatch.setattr(array_decisions, name, spy)

    for name in ("short_quote_matches", "quoted_group_matches", "overpaid_quote_decisions"):
        spy_on(name)
    data = generate(11, 6000, 3000)
    index = build_index(data.open_items, data.customers)
    payments = _partly_unknown_payers(data)
    result = match_payments(index, payments)
    matches = result.matches
    ids = payments["payment_id"].to_numpy(zero_copy_only=False)
    by_id = {r["payment_id"]: r for r in matches.to_pylist()}

    def kinds(positions):
        return {(by_id[i]["reason"], by_id[i]["status"]) for i in ids[positions].tolist()}

    short, _, relation, _ = seen["short_quote_matches"]
    assert {AMOUNT_FEE, AMOUNT_DISCOUNT, AMOUNT_PARTIAL} <= set(relation.tolist())
    assert {
        ("ref_exact+fee_shortpay", "auto"),
        ("ref_exact+discount", "auto"),
        ("ref_exact+partial", "auto"),
        ("ref_exact+partial", "suggested"),
    } <= kinds(short)
    grouped, rows = seen["quoted_group_matches"]
    assert len(np.unique(grouped)) < len(rows)
    assert ("refs_all+amount_exact", "auto") in kinds(grouped)
    overpaid = seen["overpaid_quote_decisions"]
    assert ("ref_exact+overpay", "auto") in kinds(overpaid.settle_payments)
    assert ("ref_exact+overpay", "suggested") in kinds(overpaid.settle_payments)
    assert ("ref+subset_sum", "auto") in kinds(overpaid.completed_payments)
    full = match_payments(_searching_all(data), payments)
    assert full.matches.equals(matches)
    # Most payments never reach the per-payment search.
    assert full.stats["searched"] == payments.num_rows
    assert result.stats["searched"] < payments.num_rows / 3


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10**6), closing=st.integers(1, 60))
# Two invoices of one customer with equal amount and due date: the update used
# to re-insert a changed one after its twin, the rebuild before it.
@example(seed=139, closing=11)
def test_updating_open_amounts_equals_rebuilding(seed, closing):
    data = generate(seed, 800, 150)
    index = build_index(data.open_items, data.customers)
    rng = np.random.default_rng(seed)
    ids = data.open_items["invoice_id"].to_pylist()
    chosen = sorted(set(rng.choice(len(ids), size=closing).tolist()))
    amounts = data.open_items["amount_open_minor"].to_numpy()
    new = [int(amounts[k] * rng.choice([0, 0.5, 1])) for k in chosen]
    updated = index.with_open_amounts([ids[k] for k in chosen], new)
    changed = dict(zip([ids[k] for k in chosen], new))
    items = data.open_items.set_column(
        data.open_items.schema.get_field_index("amount_open_minor"),
        "amount_open_minor",
        pa.array([changed.get(i, int(a)) for i, a in zip(ids, amounts)], pa.int64()),
    )
    rebuilt = build_index(items, data.customers)
    got = match_payments(updated, data.payments).matches
    want = match_payments(rebuilt, data.payments).matches
    assert got.equals(want)
    # The original is untouched: matches in flight keep their view.
    assert match_payments(index, data.payments).matches.equals(
        match_payments(build_index(data.open_items, data.customers), data.payments).matches
    )
    # In place (the service's way): the same arrays as the copy, the same matches.
    index.update_open_amounts([ids[k] for k in chosen], new)
    for name in ("amount", "block_amounts", "block_rows", "global_amounts", "global_rows"):
        assert np.array_equal(getattr(index, name), getattr(updated, name)), name
    assert match_payments(index, data.payments).matches.equals(want)


def test_amount_kernel_on_every_core_decides_like_on_one():
    from cashmatch.engine import amount_match

    data = generate(5, 20_000, 6000)
    index = build_index(data.open_items, data.customers)
    n = data.payments.num_rows
    rng = np.random.default_rng(5)
    # Payers known or not (any family), all in the index's first currency.
    payments = np.arange(n, dtype=np.int64)
    amount = data.payments["amount_minor"].to_numpy()
    family = rng.integers(-1, len(index.customers), n).astype(np.int64)
    args = (
        amount,
        np.zeros(n, np.int64),
        data.payments["value_date"].cast(pa.int32()).to_numpy().astype(np.int64),
        family,
        np.full(n, 5000, np.int64),
    )
    assert n >= index.config.parallel_min_payments
    kind, row = amount_match.amount_matches(index, payments, *args)
    for k in range(0, n, 97):
        one_kind, one_row = amount_match.amount_matches(index, payments[k : k + 1], *args)
        assert (one_kind[0], one_row[0]) == (kind[k], row[k])
    assert len(set(kind.tolist())) >= 4, "the data reaches most outcomes"

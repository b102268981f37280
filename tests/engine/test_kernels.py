"""Each numba kernel against its plain twin (tests/naive.py), written from its docstring."""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cashmatch.engine.config import MatchConfig
from cashmatch.engine.hashing import hash_deletions, hash_strings
from cashmatch.engine.scoring import classify_amount, classify_amounts, score_pairs
from cashmatch.engine.subset_sum import find_subsets, search_pool, subset_sum_small
from tests import naive

texts = st.lists(st.text(alphabet="AB0129-é ", max_size=12), min_size=1, max_size=20)


@given(texts)
def test_hash_strings_matches_naive(values):
    assert hash_strings(pa.array(values)).tolist() == naive.hash_strings(values).tolist()


@given(texts, st.integers(1, 6))
def test_hash_deletions_matches_naive(values, min_len):
    hashes, owner = hash_deletions(pa.array(values), min_len)
    assert (hashes.tolist(), owner.tolist()) == naive.hash_deletions(values, min_len)


def test_hash_of_sliced_array_uses_the_slice():
    sliced = pa.array(["x", "INV-1", "INV-2"]).slice(1)
    assert hash_strings(sliced).tolist() == naive.hash_strings(["INV-1", "INV-2"]).tolist()


def _find_subsets(amounts, target, max_items, max_size, max_coincidence=1e-3):
    """The kernel's result as Python values."""
    count, positions, proven = find_subsets(
        np.array(amounts, np.int64), target, max_items, max_size, max_coincidence
    )
    return int(count), positions.tolist(), bool(proven)


amount_lists = st.lists(st.integers(1, 60), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(amount_lists, st.integers(1, 200))
def test_exhaustive_subset_sum_counts_like_brute_force(amounts, target):
    count, positions, _ = _find_subsets(amounts, target, max_items=24, max_size=3)
    expected_count, solutions = naive.subset_sum(amounts, target)
    assert count == expected_count
    if count == 1:
        assert positions == solutions[0]
    if count:
        assert sum(amounts[i] for i in positions) == target


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=14), st.integers(1, 120))
def test_small_combination_search_counts_like_brute_force(amounts, target):
    count, i, j, k = subset_sum_small(np.array(amounts, np.int64), target, 3)
    solutions = [s for s in naive.subset_sum(amounts, target)[1] if len(s) <= 3]
    assert count == min(len(solutions), 2)
    if count:
        chosen = [x for x in (i, j, k) if x >= 0]
        assert sum(amounts[x] for x in chosen) == target


def test_equal_amounts_make_a_combination_ambiguous():
    # Two invoices of 1300.00: swapping one for the other is a second solution.
    amounts = np.array([130000, 46203, 71895, 130000] + list(range(1000, 1030)), np.int64)
    count, _, _ = _find_subsets(amounts, 130000 + 46203 + 71895, max_items=24, max_size=3)
    assert count == 2


def test_a_unique_fit_among_many_small_amounts_proves_nothing():
    rng = np.random.default_rng(3)
    many = rng.integers(10000, 20000, 20)
    few = many[:6] * 100
    assert _find_subsets(many, int(many[[1, 4, 7]].sum()), 24, 3)[2] is False
    assert _find_subsets(few, int(few[[1, 4]].sum()), 24, 3) == (1, [1, 4], True)


def test_prefix_of_oldest_invoices_is_found_beyond_exhaustive_size():
    amounts = np.arange(1, 41, dtype=np.int64) * 100000 + 7
    target = int(amounts[:10].sum())
    count, positions, proven = _find_subsets(amounts, target, max_items=24, max_size=3)
    assert positions == list(range(10)) and count == 1 and proven


# Pools of every shape find_subsets has a branch for: exhaustive (up to 6 here),
# small combinations and the oldest-first prefix beyond, round amounts that
# collide, repeated amounts that make a prefix ambiguous.
pool_amounts = st.lists(
    st.one_of(st.integers(1, 40), st.integers(1, 5).map(lambda k: k * 10_000)),
    min_size=0,
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@given(pool_amounts, st.integers(1, 200_000), st.integers(0, 8), st.integers(1, 4), st.data())
def test_find_subsets_matches_brute_force(amounts, target, max_items, max_size, data):
    if data.draw(st.booleans()) and amounts:
        # Aim at a prefix or at a real combination, not only at random targets.
        target = sum(amounts[: data.draw(st.integers(1, len(amounts)))])
    coincidence = data.draw(st.sampled_from([1e-3, 0.5, 1e9]))
    count, positions, proven = _find_subsets(amounts, target, max_items, max_size, coincidence)
    expected = naive.find_subsets(amounts, target, max_items, max_size, coincidence)
    assert (count, proven) == (expected[0], expected[2])
    if count == 1:
        assert positions == expected[1]
    if count:
        # Of several solutions, any one.
        assert sum(amounts[k] for k in positions) == target


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_search_pool_matches_naive(data):
    n = data.draw(st.integers(0, 30))
    amount = np.array(data.draw(st.lists(st.integers(-50, 60), min_size=n, max_size=n)), np.int64)
    issue = np.array(data.draw(st.lists(st.integers(0, 60), min_size=n, max_size=n)), np.int64)
    due = np.sort(issue + 30)
    pool = np.array(
        sorted(data.draw(st.sets(st.integers(0, max(n - 1, 0)))) if n else []), np.int64
    )
    exclude = data.draw(st.lists(st.sampled_from(pool.tolist()), max_size=3)) if len(pool) else []
    target = data.draw(st.integers(1, 150))
    args = (
        target,
        data.draw(st.integers(1, 80)),  # limit
        data.draw(st.integers(0, 70)),  # value date
        data.draw(st.integers(0, 50)),  # window
        data.draw(st.integers(1, 12)),  # max candidates
        data.draw(st.integers(0, 8)),  # max items searched exhaustively
        3,
        0.5,
        data.draw(st.integers(0, 10)),  # grace days
    )
    count, rows, proven, cut = search_pool(
        pool, amount, issue, due, np.array(exclude, np.int64), *args
    )
    expected = naive.search_pool(pool.tolist(), amount, issue, due, exclude, *args)
    assert (int(count), bool(proven), bool(cut)) == (expected[0], expected[2], expected[3])
    if count == 1:
        assert sorted(rows.tolist()) == expected[1]
    if count:
        assert int(amount[rows].sum()) == target


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_pair_scorer_matches_naive(data):
    n_pay, n_inv = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 6))
    pays = [
        {
            "amount": data.draw(st.integers(1, 100000)),
            "date": data.draw(st.integers(19000, 19100)),
            "customer": data.draw(st.integers(-1, 3)),
            "family": 0,
            "name_score": data.draw(st.sampled_from([0.0, 0.8, 0.95, 1.0])),
            "fee_max": data.draw(st.integers(0, 5000)),
        }
        for _ in range(n_pay)
    ]
    for p in pays:
        p["family"] = -1 if p["customer"] < 0 else p["customer"] // 2
    invoices = []
    for _ in range(n_inv):
        customer = data.draw(st.integers(0, 3))
        issue = data.draw(st.integers(18900, 19100))
        invoices.append(
            {
                "amount": data.draw(st.integers(1, 100000)),
                "issue": issue,
                "due": issue + 30,
                "customer": customer,
                "family": customer // 2,
            }
        )
    pairs = [
        (
            data.draw(st.integers(0, n_pay - 1)),
            data.draw(st.integers(0, n_inv - 1)),
            data.draw(st.sampled_from([0.0, 0.8, 0.93, 1.0])),
        )
        for _ in range(8)
    ]
    # The default figures, or others: the kernel must read them from the config.
    config = data.draw(
        st.sampled_from(
            [
                MatchConfig(discount_rates_bp=(100, 200, 300)),
                MatchConfig(
                    discount_rates_bp=(250,),
                    score_weights=(3.0, 2.0, 1.0, 1.0, 0.5, -4.0),
                    amount_fit=(1.0, 0.8, 0.7, 0.3, 0.2),
                    customer_fit=(1.0, 0.8, 0.4, 0.1),
                    date_fit=(0.1, 1.0, 0.6),
                    paid_before_issue_days=7,
                    late_payment_days=30,
                ),
            ]
        )
    )

    def col(rows, key, dtype):
        return np.array([r[key] for r in rows], dtype)

    args = (
        col(pays, "amount", np.int64),
        col(pays, "date", np.int64),
        col(pays, "customer", np.int64),
        col(pays, "family", np.int64),
        col(pays, "name_score", np.float64),
        col(invoices, "amount", np.int64),
        col(invoices, "issue", np.int64),
        col(invoices, "due", np.int64),
        col(invoices, "customer", np.int64),
        col(invoices, "family", np.int64),
        np.array([p for p, _, _ in pairs], np.int64),
        np.array([i for _, i, _ in pairs], np.int64),
        np.array([q for _, _, q in pairs]),
        col(pays, "fee_max", np.int64),
    )
    expected = naive.score_pairs(pays, invoices, pairs, config)
    # On one core and on every core (a threshold of 0 pairs).
    for variant in (config, dataclasses.replace(config, parallel_min_items=0)):
        relation, features, score = score_pairs(*args, variant)
        for k, (rel, feats, sc) in enumerate(expected):
            assert relation[k] == rel
            assert np.allclose(features[k], feats)
            assert abs(score[k] - sc) < 1e-12


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text("0129", max_size=7), st.text("0129", max_size=7)), min_size=1))
def test_one_edit_check_matches_osa_distance(pairs):
    from rapidfuzz.distance import OSA

    from cashmatch.engine.hashing import one_edit_apart

    left = pa.array([a for a, _ in pairs])
    right = pa.array([b for _, b in pairs])
    idx = np.arange(len(pairs))
    got = one_edit_apart(left, right, idx, idx, min_len=0)
    assert got.tolist() == [OSA.distance(a, b) == 1 for a, b in pairs]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text("0129", min_size=6, max_size=9), min_size=1, max_size=40),
    st.text("0129", min_size=6, max_size=9),
)
def test_typo_join_on_one_core_and_on_every_core_is_the_naive_join(keys, token):
    from cashmatch.engine.hashing import typo_join
    from cashmatch.engine.references import KeyIndex

    invoice_keys, tokens = pa.array(keys), pa.array([token])
    hashes = hash_strings(invoice_keys)
    index = KeyIndex.build(hashes, np.arange(len(keys)))
    queries, _ = hash_deletions(tokens, 1)
    n = len(queries)
    zeros = np.zeros(n, np.int64)
    expected = naive.typo_join(
        naive.hash_strings(keys).tolist(),
        list(range(len(keys))),
        queries.tolist(),
        [0] * n,
        [token],
        keys,
        100,
        [0] * n,
        [0] * n,
        [0] * len(keys),
    )
    # Serial, parallel (a threshold of 0 queries), and with the queries grouped first.
    for parallel_min, ordered_min in ((10**9, 10**9), (0, 10**9), (0, 0)):
        got = typo_join(
            queries,
            zeros,
            index.hashes,
            index.directory,
            index.shift,
            index.starts,
            index.rows,
            tokens,
            invoice_keys,
            100,
            zeros,
            zeros,
            np.zeros(len(keys), np.int64),
            parallel_min=parallel_min,
            ordered_min=ordered_min,
        )
        assert list(zip(*(part.tolist() for part in got))) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.text(alphabet="0125OILSBZDQaz -/._éÜ", max_size=16)),
        min_size=1,
        max_size=30,
    )
)
def test_reference_keys_kernel_matches_the_arrow_reference(values):
    from cashmatch.engine.normalize import reference_keys

    fast, slow = (
        reference_keys(pa.array(values, pa.string())),
        naive.reference_keys(pa.array(values, pa.string())),
    )
    for name in ("alnum", "folded", "digits", "groups"):
        assert fast[name].to_pylist() == slow[name].to_pylist(), name


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 200_000),
            st.integers(1, 200_000),
            st.integers(0, 5000),
            st.integers(-10, 60),
            st.booleans(),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_amount_classifier_one_by_one_and_on_arrays_is_the_naive_one(cases):
    bp = np.array([200, 300], np.int64)
    # Some payments short by exactly a discount: random amounts rarely are.
    rows = [
        (open_ - (open_ * 200 + 5000) // 10000 if discounted else pay, open_, fee, days)
        for pay, open_, fee, days, discounted in cases
    ]
    want = [naive.amount_relation(p, o, f, d, 0.05, [200, 300], 30) for p, o, f, d in rows]
    pay, open_amount, fee_max, days = (np.array(column, np.int64) for column in zip(*rows))
    assert classify_amounts(pay, open_amount, fee_max, 0.05, bp, days, 30).tolist() == want
    assert [classify_amount(p, o, f, 0.05, bp, d, 30) for p, o, f, d in rows] == want


@settings(max_examples=200, deadline=None)
@given(st.data(), st.booleans())
def test_moving_rows_to_new_amounts_equals_sorting_again(data, merged):
    from cashmatch.engine.moved_rows import move_rows

    n = data.draw(st.integers(1, 40))
    key = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), np.int64)
    amount = np.array(data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)), np.int64)
    order = np.lexsort((np.arange(n), amount, key))
    moved = np.array(data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n)), np.int64)
    new = np.array(
        data.draw(st.lists(st.integers(0, 5), min_size=len(moved), max_size=len(moved))),
        np.int64,
    )
    # Both ways: each row shifted into place, or all merged at once; in new
    # arrays, or in place.
    in_place = data.draw(st.booleans())
    sorted_amounts, sorted_rows = amount[order], order.copy()
    got = move_rows(
        key[order],
        sorted_amounts,
        sorted_rows,
        moved,
        key[moved],
        amount[moved],
        new,
        in_place=in_place,
        move_each_max=-1 if merged else 64,
    )
    assert (got[1] is sorted_amounts and got[2] is sorted_rows) == in_place
    changed = amount.copy()
    changed[moved] = new
    again = np.lexsort((np.arange(n), changed, key))
    assert [a.tolist() for a in got] == [
        key[again].tolist(),
        changed[again].tolist(),
        again.tolist(),
    ]

"""Each numba kernel against a plain implementation written from its docstring."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cashmatch.engine.hashing import hash_deletions, hash_strings, hash_strings_naive
from cashmatch.engine.scoring import (
    WEIGHTS,
    classify_amount,
    classify_amounts,
    score_pairs,
    score_pairs_naive,
    score_pairs_serial,
)
from cashmatch.engine.subset_sum import (
    find_subsets,
    find_subsets_kernel,
    search_pool,
    subset_sum_naive,
    subset_sum_small,
)

texts = st.lists(st.text(alphabet="AB0129-é ", max_size=12), min_size=1, max_size=20)


@given(texts)
def test_hash_strings_matches_naive(values):
    assert hash_strings(pa.array(values)).tolist() == hash_strings_naive(values).tolist()


@given(texts, st.integers(1, 6))
def test_hash_deletions_matches_naive(values, min_len):
    hashes, owner = hash_deletions(pa.array(values), min_len)
    expected, expected_owner = [], []
    for k, text in enumerate(values):
        raw = text.encode()
        if len(raw) >= min_len:
            for skip in range(len(raw)):
                expected.append(int(hash_strings_naive([text], skip=skip)[0]))
                expected_owner.append(k)
    assert hashes.tolist() == expected
    assert owner.tolist() == expected_owner


def test_hash_of_sliced_array_uses_the_slice():
    sliced = pa.array(["x", "INV-1", "INV-2"]).slice(1)
    assert hash_strings(sliced).tolist() == hash_strings_naive(["INV-1", "INV-2"]).tolist()


amount_lists = st.lists(st.integers(1, 60), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(amount_lists, st.integers(1, 200))
def test_exhaustive_subset_sum_counts_like_brute_force(amounts, target):
    count, positions, _ = find_subsets(np.array(amounts), target, max_items=24, max_size=3)
    expected_count, solutions = subset_sum_naive(amounts, target)
    assert count == expected_count
    if count == 1:
        assert positions == solutions[0]
    if count:
        assert sum(amounts[i] for i in positions) == target


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=14), st.integers(1, 120))
def test_small_combination_search_counts_like_brute_force(amounts, target):
    count, i, j, k = subset_sum_small(np.array(amounts, np.int64), target, 3)
    solutions = [s for s in subset_sum_naive(amounts, target)[1] if len(s) <= 3]
    assert count == min(len(solutions), 2)
    if count:
        chosen = [x for x in (i, j, k) if x >= 0]
        assert sum(amounts[x] for x in chosen) == target


def test_equal_amounts_make_a_combination_ambiguous():
    # Two invoices of 1300.00: swapping one for the other is a second solution.
    amounts = np.array([130000, 46203, 71895, 130000] + list(range(1000, 1030)), np.int64)
    count, _, _ = find_subsets(amounts, 130000 + 46203 + 71895, max_items=24, max_size=3)
    assert count == 2


def test_a_unique_fit_among_many_small_amounts_proves_nothing():
    rng = np.random.default_rng(3)
    many = rng.integers(10000, 20000, 20)
    few = many[:6] * 100
    assert find_subsets(many, int(many[[1, 4, 7]].sum()), 24, 3)[2] is False
    assert find_subsets(few, int(few[[1, 4]].sum()), 24, 3) == (1, [1, 4], True)


def test_prefix_of_oldest_invoices_is_found_beyond_exhaustive_size():
    amounts = np.arange(1, 41, dtype=np.int64) * 100000 + 7
    target = int(amounts[:10].sum())
    count, positions, proven = find_subsets(amounts, target, max_items=24, max_size=3)
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
def test_find_subsets_kernel_matches_find_subsets(amounts, target, max_items, max_size, data):
    if data.draw(st.booleans()) and amounts:
        # Aim at a prefix or at a real combination, not only at random targets.
        target = sum(amounts[: data.draw(st.integers(1, len(amounts)))])
    coincidence = data.draw(st.sampled_from([1e-3, 0.5, 1e9]))
    array = np.array(amounts, np.int64)
    count, positions, proven = find_subsets(array, target, max_items, max_size, coincidence)
    k_count, k_positions, k_proven = find_subsets_kernel(
        array, target, max_items, max_size, coincidence
    )
    assert (int(k_count), bool(k_proven)) == (count, proven)
    assert k_positions.tolist() == sorted(positions)


def search_pool_naive(pool, amount, issue, due, exclude, target, limit, value_date, window,
                      max_candidates, max_items, max_size, max_coincidence):  # fmt: skip
    """search_pool written plainly from its docstring, with find_subsets."""
    rows = [
        r
        for r in pool
        if 0 < amount[r] <= limit
        and value_date - window <= issue[r] <= value_date + 5
        and r not in exclude
    ]
    cut = len(rows) > max_candidates
    if cut:
        by_distance = sorted(range(len(rows)), key=lambda k: (abs(due[rows[k]] - value_date), k))
        rows = [rows[k] for k in sorted(by_distance[:max_candidates])]
    count, positions, proven = find_subsets(
        np.array([amount[r] for r in rows], np.int64), target, max_items, max_size, max_coincidence
    )
    return count, sorted(rows[k] for k in positions), proven, cut


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
    args = (
        data.draw(st.integers(1, 150)),  # target
        data.draw(st.integers(1, 80)),  # limit
        data.draw(st.integers(0, 70)),  # value date
        data.draw(st.integers(0, 50)),  # window
        data.draw(st.integers(1, 12)),  # max candidates
        data.draw(st.integers(0, 8)),  # max items searched exhaustively
        3,
        0.5,
    )
    count, rows, proven, cut = search_pool(
        pool, amount, issue, due, np.array(exclude, np.int64), *args
    )
    expected = search_pool_naive(pool.tolist(), amount, issue, due, exclude, *args)
    assert (int(count), sorted(rows.tolist()), bool(proven), bool(cut)) == expected


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
    bp = [100, 200, 300]

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
        0.05,
        np.array(bp, np.int64),
        30,
        WEIGHTS,
    )
    relation, features, score = score_pairs(*args)
    serial = score_pairs_serial(*args)
    for parallel_out, serial_out in zip((relation, features, score), serial, strict=True):
        assert np.array_equal(parallel_out, serial_out)
    expected = score_pairs_naive(pays, invoices, pairs, 0.05, bp, 30)
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
def test_typo_join_serial_and_parallel_find_the_same(keys, token):
    from cashmatch.engine.hashing import _buffers, _typo_join_pass, _typo_join_serial
    from cashmatch.engine.references import KeyIndex

    invoice_keys, tokens = pa.array(keys), pa.array([token])
    owners, hashes = np.arange(len(keys)), hash_strings(invoice_keys)
    index = KeyIndex.build(hashes, owners)
    queries, _ = hash_deletions(tokens, 1)
    t_off, t_data = _buffers(tokens)
    i_off, i_data = _buffers(invoice_keys)
    n = len(queries)
    args = (
        queries,
        np.zeros(n, np.int64),
        index.hashes,
        index.directory,
        index.shift,
        index.starts,
        index.rows,
        t_off,
        t_data,
        i_off,
        i_data,
        100,
        np.zeros(n, np.int64),
        np.zeros(n, np.int64),
        np.zeros(len(keys), np.int64),
    )
    for got, expected in zip(_typo_join_pass(*args), _typo_join_serial(*args)):
        assert np.array_equal(got, expected)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.text(alphabet="0125OILSBZDQaz -/._éÜ", max_size=16)),
        min_size=1,
        max_size=30,
    )
)
def test_reference_keys_kernel_matches_the_arrow_reference(values):
    from cashmatch.engine.normalize import reference_keys, reference_keys_arrow

    fast, slow = (
        reference_keys(pa.array(values, pa.string())),
        reference_keys_arrow(pa.array(values, pa.string())),
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
def test_amount_classifier_on_arrays_matches_one_by_one(cases):
    bp = np.array([200, 300], np.int64)
    # Some payments short by exactly a discount: random amounts rarely are.
    rows = [
        (open_ - (open_ * 200 + 5000) // 10000 if discounted else pay, open_, fee, days)
        for pay, open_, fee, days, discounted in cases
    ]
    pay, open_amount, fee_max, days = (np.array(column, np.int64) for column in zip(*rows))
    got = classify_amounts(pay, open_amount, fee_max, 0.05, bp, days, 30)
    want = [classify_amount(p, o, f, 0.05, bp, d, 30) for p, o, f, d in rows]
    assert got.tolist() == want


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

"""The reference-extraction kernels against plain implementations of what they compute."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cashmatch.engine.config import MatchConfig
from cashmatch.engine.hashing import (
    _buffers,
    hash_deletions,
    hash_deletions_of,
    hash_order,
    hash_strings,
    typo_join,
)
from cashmatch.engine.keys_kernel import hash_keys, key_buffers
from cashmatch.engine.normalize import reference_keys
from cashmatch.engine.references import KeyIndex, _pair_order, extract_references
from tests import naive

QUALITY_LEVELS = MatchConfig().quality_levels

# Separators of every kind, slashes, characters RE2's \s does not cover
# (vertical tab, no-break space), and letters pyarrow upper-cases beyond ASCII.
remittance = st.text(alphabet="aZ09-/. \t\n\x0b\xa0,;:()[]{}#'\"+&*=éßı", max_size=24)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.none(), remittance), min_size=1, max_size=12))
def test_candidates_kernel_matches_the_arrow_reference(texts):
    fast = extract_references(pa.array(texts, pa.string()), with_kind=True)
    slow = naive.extract_references(pa.array(texts, pa.string()))
    assert fast[0].to_pylist() == slow[0].to_pylist()
    assert fast[1].tolist() == slow[1].tolist()
    assert fast[2].tolist() == slow[2].tolist()


def test_candidates_of_a_slice_read_only_the_slice():
    texts = pa.array(["skip me", "INV 1/2", "x"]).slice(1, 1)
    candidates, owner = extract_references(texts)
    assert candidates.to_pylist() == ["INV", "1/2", "INV1/2", "1", "2"]
    assert owner.tolist() == [0] * 5


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), remittance), min_size=1, max_size=12))
def test_key_hashes_are_the_hashes_of_the_keys(values):
    strings = pa.array(values, pa.string())
    offsets, data = key_buffers(*_buffers(strings))
    hashes = hash_keys(offsets, data)
    for row, name in enumerate(("alnum", "folded", "digits", "groups")):
        key = reference_keys(strings)[name]
        assert hashes[row].tolist() == hash_strings(key).tolist()
        lengths = [len(v.encode()) for v in key.to_pylist()]
        assert np.diff(offsets[row]).tolist() == lengths


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text("0129", max_size=6), min_size=1, max_size=20), st.data())
def test_deletions_of_selected_strings_are_those_of_the_strings_taken(values, data):
    selected = data.draw(st.lists(st.integers(0, len(values) - 1), max_size=10))
    offsets, data_bytes = _buffers(pa.array(values))
    got, owner = hash_deletions_of(offsets, data_bytes, np.array(selected, np.int64), 3)
    expected, expected_owner = hash_deletions(pa.array([values[i] for i in selected]), 3)
    assert got.tolist() == expected.tolist()
    assert owner.tolist() == expected_owner.tolist()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 50)), max_size=60),
    st.lists(st.integers(0, 40), max_size=30),
    st.integers(1, 4),
)
def test_lookup_matches_a_dictionary(entries, queries, max_hits):
    # Small integers, spread over the 64 bits so that the directory's buckets are used.
    def spread(k: int) -> int:
        return k * 0x9E3779B97F4A7C15 % 2**64

    keys = [spread(k) for k, _ in entries]
    owners = [o for _, o in entries]
    index = KeyIndex.build(np.array(keys, np.uint64), np.array(owners, np.int64))
    hashed = np.array([spread(q) for q in queries], np.uint64)
    query_of, rows = index.lookup(hashed, max_hits)
    expected = naive.lookup(keys, owners, hashed.tolist(), max_hits)
    assert list(zip(query_of.tolist(), rows.tolist())) == expected


def test_lookup_of_many_queries_in_grouped_order_keeps_query_order():
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 2**63, 3000, dtype=np.uint64) * np.uint64(2)
    owners = rng.integers(0, 500, 3000)
    index = KeyIndex.build(keys, owners)
    ordered_min = MatchConfig().ordered_min_queries
    queries = np.concatenate([rng.choice(keys, 3 * ordered_min), keys[:100] + 1])
    queries = rng.permutation(queries)
    selected = np.flatnonzero(rng.random(len(queries)) < 0.8)
    query_of, rows = index.lookup(queries, 3, selected)
    expected = naive.lookup(keys.tolist(), owners.tolist(), queries[selected].tolist(), 3)
    expected = [(int(selected[q]), r) for q, r in expected]
    assert list(zip(query_of.tolist(), rows.tolist())) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.text("0129", min_size=3, max_size=7), st.integers(0, 3)), min_size=1),
    st.lists(st.text("0129", min_size=3, max_size=7), min_size=1, max_size=8),
    st.integers(1, 6),
)
def test_typo_join_matches_the_naive_join(invoices, tokens, max_hits):
    keys = [k for k, _ in invoices]
    amount = np.array([a for _, a in invoices], np.int64)
    index_hashes, index_owner = hash_deletions(pa.array(keys), 1)
    index = KeyIndex.build(index_hashes, index_owner)
    queries, query_token = hash_deletions(pa.array(tokens), 1)
    low = np.arange(len(queries)) % 3
    high = low + 1
    got = typo_join(
        queries,
        query_token,
        index.hashes,
        index.directory,
        index.shift,
        index.starts,
        index.rows,
        pa.array(tokens),
        pa.array(keys),
        max_hits,
        low,
        high,
        amount,
    )
    expected = naive.typo_join(
        [int(h) for h in index_hashes],
        index_owner.tolist(),
        queries.tolist(),
        query_token.tolist(),
        tokens,
        keys,
        max_hits,
        low.tolist(),
        high.tolist(),
        amount.tolist(),
    )
    assert list(zip(got[0].tolist(), got[1].tolist())) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.integers(0, 7),
            st.sampled_from(QUALITY_LEVELS),
        ),
        max_size=40,
    )
)
def test_pair_order_is_the_lexsort(rows):
    payment = np.array([p for p, _, _ in rows], np.int64)
    invoice = np.array([i for _, i, _ in rows], np.int64)
    quality = np.array([q for _, _, q in rows], np.float64)
    expected = np.lexsort((-quality, invoice, payment))
    assert _pair_order(payment, invoice, quality, 8, QUALITY_LEVELS).tolist() == expected.tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 2**64 - 1), max_size=300),
    st.integers(0, 5),
)
def test_hash_order_is_a_stable_argsort(values, repeats):
    # Repeats make equal hashes (one deletion variant shared by many invoices);
    # a narrow range fills a bucket past the insertion-sort limit.
    hashes = np.array(values + values[:repeats] * 40 + [7] * repeats * 10, np.uint64)
    expected = np.argsort(hashes, kind="stable")
    assert hash_order(hashes).tolist() == expected.tolist()


def test_key_index_sorts_by_hash_then_owner_whatever_the_owner_order():
    hashes = np.array([5, 3, 5, 3, 9, 5], np.uint64)
    in_order = KeyIndex.build(hashes, np.array([0, 1, 1, 2, 3, 3]))
    shuffled = KeyIndex.build(hashes[::-1].copy(), np.array([3, 3, 2, 1, 1, 0]))
    for index in (in_order, shuffled):
        assert index.hashes.tolist() == [3, 5, 9]
        rows = [index.rows[index.starts[k] : index.starts[k + 1]].tolist() for k in range(3)]
        assert rows == [[1, 2], [0, 1, 3], [3]]

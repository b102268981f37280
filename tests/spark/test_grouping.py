"""Grouping's union-find and bucket packing, against plain twins (no Spark needed)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from cashmatch.server.spark.grouping import components, pack


def _components_by_search(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Each node's smallest reachable node, by breadth-first search from every node."""
    neighbours: dict[int, set[int]] = {k: set() for k in range(n)}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    label = []
    for start in range(n):
        seen, frontier = {start}, [start]
        while frontier:
            frontier = [m for k in frontier for m in neighbours[k] if m not in seen]
            seen.update(frontier)
        label.append(min(seen))
    return label


@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)))
        )
    )
)
def test_components_are_those_a_search_finds(case):
    n, edges = case
    left = np.array([a for a, _ in edges], np.int64)
    right = np.array([b for _, b in edges], np.int64)
    assert components(n, left, right).tolist() == _components_by_search(n, edges)


def test_a_long_chain_is_one_component():
    n = 10_000
    label = components(n, np.arange(1, n), np.arange(n - 1))
    assert set(label.tolist()) == {0}


@given(st.lists(st.integers(0, 50), max_size=60), st.integers(1, 60))
def test_packing_puts_every_component_in_one_bucket_near_the_target(weights, target):
    weight = np.array(weights, np.int64)
    bucket, n = pack(weight, target)
    assert len(bucket) == len(weight)
    assert ((bucket >= 0) & (bucket < max(n, 1))).all() or not len(weight)
    load = np.bincount(bucket, weights=weight, minlength=n) if len(weight) else np.zeros(0)
    heavy = weight >= target
    # A component at least as heavy as the target is a bucket of its own.
    for item in np.flatnonzero(heavy):
        assert (bucket == bucket[item]).sum() == 1
    # The others share buckets, each within one component of the target.
    light = np.unique(bucket[~heavy])
    if len(light):
        assert load[light].max() <= target + weight[~heavy].max()
        assert len(light) == max(1, -(-int(weight[~heavy].sum()) // target))

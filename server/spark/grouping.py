"""Which customer families must be matched together, and how they are packed into buckets.

A payment may point at several families: the one its payer was identified
with, those of every invoice it or its remittance lines quote, those of the
few invoices of the ledger open for its amount. Families linked this way
(and a customer's family with its parent's) form one connected component,
and a component is never split: each invoice sits in exactly one bucket with
every payment that could apply cash to it, so the engine's global assignment
(no invoice applied beyond its open amount) holds across buckets as it does
in one process.

The links are few (one row per payment that points at two families or more)
and are collected to the driver, where :func:`components` runs a union-find
over them: a Spark graph library would cost a dependency and several jobs for
a table that fits in memory. :func:`pack` then fills buckets with components,
largest first, each into the lightest bucket: many small families share a
bucket, a component larger than the target is a bucket of its own.
"""

from __future__ import annotations

import heapq

import numpy as np


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The connected components of ``n`` nodes linked by the edges (left[k], right[k]).

    Returns:
        Per node, the smallest node of its component (its label).

    Example:
        >>> components(5, np.array([0, 3]), np.array([2, 2])).tolist()
        [0, 1, 0, 0, 4]
    """
    parent = np.arange(n, dtype=np.int64)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for a, b in zip(np.asarray(left, np.int64).tolist(), np.asarray(right, np.int64).tolist()):
        ra, rb = find(a), find(b)
        if ra != rb:
            # The smaller root wins, so that the label is the component's smallest node.
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(x) for x in range(n)], np.int64)


def pack(weight: np.ndarray, target: int) -> tuple[np.ndarray, int]:
    """Assign weighted items (components) to buckets of about ``target`` weight.

    Items at least ``target`` heavy get a bucket each; the others are spread,
    heaviest first, each into the currently lightest of
    ``ceil(their total / target)`` buckets (ties: the lower bucket), so the
    buckets come out within one item of each other.

    Returns:
        (bucket of each item, number of buckets).

    Example:
        >>> pack(np.array([10, 1, 2, 3, 4]), 6)
        (array([0, 1, 2, 2, 1]), 3)
    """
    weight = np.asarray(weight, np.int64)
    bucket = np.zeros(len(weight), np.int64)
    large = np.flatnonzero(weight >= target)
    bucket[large] = np.arange(len(large))
    small = np.flatnonzero(weight < target)
    total = int(weight[small].sum())
    shared = max(1, -(-total // max(target, 1))) if len(small) else 0
    heap = [(0, len(large) + k) for k in range(shared)]
    # Heaviest first; among equals the first item first (a stable order).
    for item in small[np.argsort(-weight[small], kind="stable")].tolist():
        load, b = heapq.heappop(heap)
        bucket[item] = b
        heapq.heappush(heap, (load + int(weight[item]), b))
    return bucket, len(large) + shared

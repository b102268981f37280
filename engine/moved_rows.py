"""Sorted (key, amount, row) lookup arrays with a few rows moved to new amounts, in one pass.

The index's amount lookups are sorted by key (a family and currency, or a
currency), then open amount, then row. When payments are applied, a few
invoices change amount: rather than rebuild, or delete and insert (each a
full copy of the arrays, with a membership test of every row), this finds
the moved rows by binary search and writes the new arrays in a single merge.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from cashmatch.engine.config import MatchConfig


@nb.njit(cache=True, inline="always")
def _before(key_a, amount_a, row_a, key_b, amount_b, row_b):
    if key_a != key_b:
        return key_a < key_b
    if amount_a != amount_b:
        return amount_a < amount_b
    return row_a < row_b


@nb.njit(cache=True, inline="always")
def _position(keys, amounts, rows, key, amount, row):
    """Where (key, amount, row) lies in the sorted arrays: the first entry not before it."""
    lo, hi = 0, len(keys)
    while lo < hi:
        mid = (lo + hi) >> 1
        if _before(keys[mid], amounts[mid], rows[mid], key, amount, row):
            lo = mid + 1
        else:
            hi = mid
    return lo


@nb.njit(cache=True)
def _merge(keys, amounts, rows, old_amounts, new_keys, new_amounts, new_rows):
    """The arrays with the moved rows' entries taken out and merged back at their new amounts.

    A moved row keeps its key, so every key keeps its range of positions: the
    keys are not rewritten, only amounts and rows.
    """
    n, m = len(keys), len(new_keys)
    removed = np.empty(m, np.int64)
    for j in range(m):
        removed[j] = _position(keys, amounts, rows, new_keys[j], old_amounts[j], new_rows[j])
    removed.sort()
    out_amounts = np.empty(n, amounts.dtype)
    out_rows = np.empty(n, rows.dtype)
    i = j = r = o = 0
    while o < n:
        if r < m and i == removed[r]:
            i += 1
            r += 1
            continue
        if j < m and (
            i >= n
            or _before(new_keys[j], new_amounts[j], new_rows[j], keys[i], amounts[i], rows[i])
        ):
            out_amounts[o], out_rows[o] = new_amounts[j], new_rows[j]
            j += 1
        else:
            out_amounts[o], out_rows[o] = amounts[i], rows[i]
            i += 1
        o += 1
    return out_amounts, out_rows


@nb.njit(cache=True)
def _move_each(keys, amounts, rows, old_amounts, new_keys, new_amounts, new_rows):
    """The moved rows' entries shifted one at a time, in the arrays given.

    Each move writes only the entries between its old and new position, within
    its key's range: for a few moves, far less than a merge of every entry.
    """
    for j in range(len(new_keys)):
        key, row, new = new_keys[j], new_rows[j], new_amounts[j]
        at = _position(keys, amounts, rows, key, old_amounts[j], row)
        to = _position(keys, amounts, rows, key, new, row)
        if to > at:
            # Everything between moves down one place; the row lands just before ``to``.
            for k in range(at, to - 1):
                amounts[k], rows[k] = amounts[k + 1], rows[k + 1]
            to -= 1
        else:
            for k in range(at, to, -1):
                amounts[k], rows[k] = amounts[k - 1], rows[k - 1]
        amounts[to], rows[to] = new, row
    return amounts, rows


def move_rows(
    keys: np.ndarray,
    amounts: np.ndarray,
    rows: np.ndarray,
    moved: np.ndarray,
    moved_keys: np.ndarray,
    old_amounts: np.ndarray,
    new_amounts: np.ndarray,
    *,
    in_place: bool = False,
    move_each_max: int = MatchConfig.move_each_max,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted lookup arrays where rows ``moved`` (distinct) go from old to new amounts.

    Rows of equal key and amount stay in row order, as
    :func:`~cashmatch.engine.index.build_index` sorts them: an index updated
    this way and one rebuilt break ties alike. The keys, which a move does not
    change, are returned as they are. Up to ``move_each_max`` rows are
    shifted into place one by one, more are merged. ``amounts`` and ``rows``
    are changed only ``in_place``; otherwise new arrays are returned.

    Example:
        >>> keys, amounts, rows = np.array([0, 0, 1]), np.array([5, 9, 5]), np.array([1, 0, 2])
        >>> [a.tolist() for a in move_rows(keys, amounts, rows, np.array([0]),
        ...     np.array([0]), np.array([9]), np.array([2]))]
        [[0, 0, 1], [2, 5, 5], [0, 1, 2]]
    """
    order = np.lexsort((moved, new_amounts, moved_keys))
    changes = (
        np.asarray(old_amounts, amounts.dtype)[order],
        np.asarray(moved_keys, keys.dtype)[order],
        np.asarray(new_amounts, amounts.dtype)[order],
        np.asarray(moved, rows.dtype)[order],
    )
    if len(moved) <= move_each_max:
        if not in_place:
            amounts, rows = amounts.copy(), rows.copy()
        _move_each(keys, amounts, rows, *changes)
        return keys, amounts, rows
    merged_amounts, merged_rows = _merge(keys, amounts, rows, *changes)
    if not in_place:
        return keys, merged_amounts, merged_rows
    amounts[:] = merged_amounts
    rows[:] = merged_rows
    return keys, amounts, rows

"""Which of a customer's open invoices add up to a payment: exact subset sums in numba.

Up to ``subset_max_items`` invoices the search is exhaustive (meet in the
middle: each half's subset sums, one half sorted, each sum of the other looked
up). Beyond that, combinations of up to three invoices are searched, plus the
"everything due so far" prefix. Both count solutions (up to two): when two
different sets of invoices fit the amount, the payment is ambiguous and a
person must choose.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def _half_sums(amounts):
    """The sum of every subset, indexed by its bit mask over ``amounts``."""
    sums = np.zeros(1 << len(amounts), np.int64)
    for i in range(len(amounts)):
        # Subsets holding item i are those without it, plus it.
        step = 1 << i
        for mask in range(step):
            sums[step + mask] = sums[mask] + amounts[i]
    return sums


@nb.njit(cache=True, inline="always")
def _slot(value, bits):
    """A hash table slot of ``bits`` bits for an int64, in int64 arithmetic without overflow.

    Fold the high bits in, keep 31, multiply by a 32-bit odd constant (the
    product stays below 2**63) and take the top ``bits`` of its low 32 bits:
    Knuth's multiplicative hash.
    """
    folded = (value ^ (value >> 31)) & 0x7FFFFFFF
    return ((folded * 2654435761) & 0xFFFFFFFF) >> (32 - bits)


@nb.njit(cache=True)
def subset_sum_exhaustive(amounts, target):
    """Count the subsets (non-empty, capped at 2) of ``amounts`` summing to ``target``.

    Meet in the middle: every sum of the second half goes into a hash table
    (its smallest masks and how many masks share it); each sum of the first
    half then looks up what it still needs. Solutions are taken in the order of
    (first-half mask, second-half mask), so the one returned is the same
    whatever the table's layout.

    Returns:
        (count, mask): ``count`` is 0, 1 or 2 (meaning two or more); ``mask`` is
        a bit mask over ``amounts`` of one solution (0 when none).
    """
    n = len(amounts)
    half = n // 2
    left = _half_sums(amounts[:half])
    right = _half_sums(amounts[half:])
    bits = 1
    while (1 << bits) < 2 * len(right):
        bits += 1
    size = 1 << bits
    keys = np.zeros(size, np.int64)
    first = np.full(size, -1, np.int64)  # smallest mask with this sum
    second = np.full(size, -1, np.int64)  # the next one
    many = np.zeros(size, np.int64)  # how many masks have this sum
    for rmask in range(len(right)):
        value = right[rmask]
        slot = _slot(value, bits)
        while first[slot] >= 0 and keys[slot] != value:
            slot = (slot + 1) & (size - 1)
        if first[slot] < 0:
            keys[slot] = value
            first[slot] = rmask
        elif second[slot] < 0:
            second[slot] = rmask
        many[slot] += 1
    count = 0
    best = np.int64(0)
    for lmask in range(len(left)):
        need = target - left[lmask]
        slot = _slot(need, bits)
        while first[slot] >= 0 and keys[slot] != need:
            slot = (slot + 1) & (size - 1)
        if first[slot] < 0:
            continue
        found, rmask = many[slot], first[slot]
        if lmask == 0 and rmask == 0:
            # The empty set is not a solution.
            found, rmask = found - 1, second[slot]
        if found <= 0:
            continue
        if count == 0:
            best = np.int64(lmask) | (np.int64(rmask) << half)
        count += found
        if count >= 2:
            return 2, best
    return count, best


@nb.njit(cache=True)
def subset_sum_small(amounts, target, max_size):
    """Count combinations of 1..``max_size`` (at most 3) amounts summing to ``target``.

    Returns:
        (count, i, j, k): count capped at 2, and the positions of one solution
        (-1 for unused places).
    """
    n = len(amounts)
    count = 0
    bi, bj, bk = -1, -1, -1
    for i in range(n):
        if amounts[i] == target:
            count += 1
            if count == 1:
                bi = i
    if max_size >= 2:
        for i in range(n):
            for j in range(i + 1, n):
                if amounts[i] + amounts[j] == target:
                    count += 1
                    if count == 1:
                        bi, bj = i, j
                    if count >= 2:
                        return 2, bi, bj, bk
    if max_size >= 3 and count < 2:
        order = np.argsort(amounts)
        sorted_amounts = amounts[order]
        for a in range(n):
            lo, hi = a + 1, n - 1
            while lo < hi:
                s = sorted_amounts[a] + sorted_amounts[lo] + sorted_amounts[hi]
                if s == target:
                    count += 1
                    if count == 1:
                        bi, bj, bk = order[a], order[lo], order[hi]
                    # An equal amount next to lo or hi is another solution the
                    # pointers would step over.
                    if (sorted_amounts[lo + 1] == sorted_amounts[lo] and lo + 1 < hi) or (
                        sorted_amounts[hi - 1] == sorted_amounts[hi] and hi - 1 > lo
                    ):
                        count += 1
                    if count >= 2:
                        return 2, bi, bj, bk
                    lo += 1
                elif s < target:
                    lo += 1
                else:
                    hi -= 1
    return min(count, 2), bi, bj, bk


@nb.njit(cache=True)
def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


@nb.njit(cache=True)
def expected_coincidences(amounts, target, exhaustive, max_size):
    """How many subsets of ``amounts`` would sum to ``target`` by chance.

    The subsets searched (all of them when ``exhaustive``, else those of up to
    ``min(max_size, 3)`` amounts) spread their sums over about the pool's
    total; an amount in that span is hit by chance about (subsets searched) /
    (total) times. With 24 invoices of a few hundred euros that is several:
    any amount "fits", and a unique fit proves nothing. Sums can only differ
    by multiples of the amounts' common divisor (with the target's), so the
    total is counted in units of it: round amounts (1400.00 + 900.00 =
    2300.00) collide far more often than cents do.

    Example:
        >>> round(expected_coincidences(np.full(10, 150001), 1, True, 3), 4)
        0.0007
    """
    n = len(amounts)
    unit = abs(target)
    total = 0
    for a in amounts:
        unit = _gcd(unit, abs(a))
        total += abs(a)
    spread = float(total) / (float(unit) if unit else 1.0)
    if spread == 0.0:
        spread = 1.0
    if exhaustive:
        return 2.0**n / spread
    size = min(max_size, 3)
    searched = n
    if size >= 2:
        searched += n * (n - 1) // 2
    if size >= 3:
        searched += n * (n - 1) * (n - 2) // 6
    return float(searched) / spread


@nb.njit(cache=True)
def find_subsets(amounts, target, max_items, max_size, max_coincidence):
    """Find the invoices among ``amounts`` that sum exactly to ``target``.

    Args:
        amounts: candidate open amounts (int64 minor units), in the order to
            prefer (oldest due first).
        target: the amount to reach.
        max_items: exhaustive search up to this many amounts.
        max_size: beyond that, combinations of at most this many (capped at 3),
            plus the oldest-first prefix.
        max_coincidence: a unique solution is proven only when fewer than this
            many subsets are expected to hit the target by chance
            (:func:`expected_coincidences`).

    Returns:
        (count, positions, proven): count 0, 1 or 2 (two or more solutions),
        the positions of one solution (a sorted int64 array), and whether a
        unique solution is proven: found by an exhaustive search (or as the
        oldest-first prefix) in a pool where a chance fit is unlikely. Only
        small combinations of a large pool prove nothing: another combination
        may fit as well, unseen.

    Example:
        >>> def found(amounts, target):
        ...     count, positions, proven = find_subsets(np.array(amounts), target, 24, 3, 1e-3)
        ...     return int(count), positions.tolist(), bool(proven)
        >>> found([50013, 30007, 25011, 12503], 62516)
        (1, [0, 3], True)
        >>> found([500, 300, 250, 125], 625)  # small amounts: chance fits
        (1, [0, 3], False)
        >>> found([100, 200, 300], 300)[0]
        2
    """
    n = len(amounts)
    if n == 0:
        return 0, np.empty(0, np.int64), True
    if n <= max_items:
        count, mask = subset_sum_exhaustive(amounts, target)
        proven = expected_coincidences(amounts, target, True, max_size) <= max_coincidence
        chosen = np.array([i for i in range(n) if (mask >> i) & 1], np.int64)
        return count, chosen, proven
    count, i, j, k = subset_sum_small(amounts, target, min(max_size, 3))
    found = np.array([x for x in (i, j, k) if x >= 0], np.int64)
    found.sort()
    hit = -1
    running = 0
    for m in range(n):
        running += amounts[m]
        if running == target:
            hit = m
            break
    if hit < 0:
        return count, found, False
    prefix = np.arange(hit + 1)
    # An invoice inside the prefix and one outside it of the same amount can be
    # swapped: then which ones were paid is not known.
    inside = np.sort(amounts[: hit + 1])
    for m in range(hit + 1, n):
        at = np.searchsorted(inside, amounts[m])
        if at < len(inside) and inside[at] == amounts[m]:
            return 2, prefix, False
    spread = 0
    for m in range(n):
        spread += abs(amounts[m])
    proven = n / max(float(spread), 1.0) <= max_coincidence
    if count == 0:
        return 1, prefix, proven
    if len(found) != len(prefix) or (found != prefix).any():
        return 2, found, False
    return 1, prefix, proven


@nb.njit(cache=True, inline="always")
def _is_candidate(r, amount, issue, exclude, limit, value_date, window_days, grace_days):
    a = amount[r]
    if a <= 0 or a > limit:
        return False
    if issue[r] > value_date + grace_days or issue[r] < value_date - window_days:
        return False
    excluded = False
    for x in exclude:
        excluded |= x == r
    return not excluded


@nb.njit(cache=True)
def nearest_candidates(
    pool, amount, issue, due, exclude, limit, value_date, window_days, max_candidates, grace_days
):
    """The pool's candidates for a combination, at most ``max_candidates`` due nearest.

    Candidates are open for more than zero and at most ``limit``, issued from
    ``window_days`` before the value date to ``grace_days`` after it, and not in
    ``exclude``. The pool is in due-date order, so the walk starts where the
    value date falls and goes outwards, a group of equal distance at a time,
    until it has ``max_candidates`` and has seen one more: a family with
    thousands of open invoices costs about what one with hundreds does. Among
    equal distances the earlier in the pool come first.

    Returns:
        (rows, cut): the candidates in pool order, and whether there were more.
    """
    n = len(pool)
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if due[pool[mid]] < value_date:
            lo = mid + 1
        else:
            hi = mid
    left, right = lo - 1, lo  # next positions to look at on either side
    chosen = np.empty(min(n, max_candidates), np.int64)
    m = 0
    while left >= 0 or right < n:
        far = np.iinfo(np.int64).max
        d_left = value_date - due[pool[left]] if left >= 0 else far
        d_right = due[pool[right]] - value_date if right < n else far
        d = min(d_left, d_right)
        left_end = left
        while left_end >= 0 and value_date - due[pool[left_end]] == d:
            left_end -= 1
        right_end = right
        while right_end < n and due[pool[right_end]] - value_date == d:
            right_end += 1
        # This distance's group in pool order: its left part, then its right part.
        for k in range(left_end + 1, left + 1):
            if _is_candidate(
                pool[k], amount, issue, exclude, limit, value_date, window_days, grace_days
            ):
                if m == max_candidates:
                    return pool[np.sort(chosen)], True
                chosen[m] = k
                m += 1
        for k in range(right, right_end):
            if _is_candidate(
                pool[k], amount, issue, exclude, limit, value_date, window_days, grace_days
            ):
                if m == max_candidates:
                    return pool[np.sort(chosen)], True
                chosen[m] = k
                m += 1
        left, right = left_end, right_end
    return pool[np.sort(chosen[:m])], False


@nb.njit(cache=True)
def search_pool(
    pool,
    amount,
    issue,
    due,
    exclude,
    target,
    limit,
    value_date,
    window_days,
    max_candidates,
    max_items,
    max_size,
    max_coincidence,
    grace_days,
):
    """Which invoices of a pool (a family's, in due-date order) add up to ``target``.

    The candidates are those of :func:`nearest_candidates`. One call does what
    a dozen array operations per payment did.

    Returns:
        (count, rows, proven, cut): as :func:`find_subsets` with the solution as
        invoice rows; ``cut`` when the candidates were cut to the nearest.
    """
    rows, cut = nearest_candidates(
        pool,
        amount,
        issue,
        due,
        exclude,
        limit,
        value_date,
        window_days,
        max_candidates,
        grace_days,
    )
    count, positions, proven = find_subsets(
        amount[rows], target, max_items, max_size, max_coincidence
    )
    return count, rows[positions], proven, cut

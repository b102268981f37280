"""64-bit hashes of Arrow strings and of their one-deletion variants, in numba.

Reference lookups are joins on hashed keys: sorting the hashes once makes each
lookup a binary search, with no Python dict of millions of strings.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.config import MatchConfig

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def _buffers(strings: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (int64, from 0) and bytes of strings (nulls read as ""), copying no string data.

    An index keeps its keys as large_string without nulls, so that this costs
    nothing per call on a million keys. A slice reads only its own bytes (not
    the whole buffer it shares), and a ``string`` array is read in place, its
    int32 offsets widened: no pyarrow kernel runs, as those cost tens of
    microseconds each, more than the work for one payment's text.
    """
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    if strings.null_count:
        strings = strings.fill_null("")
    if strings.type not in (pa.string(), pa.large_string()):
        strings = strings.cast(pa.large_string())
    n = len(strings)
    _, offsets, data = strings.buffers()
    width = np.int64 if strings.type == pa.large_string() else np.int32
    if offsets is None or n == 0:
        return np.zeros(n + 1, np.int64), np.zeros(0, np.uint8)
    offsets = np.frombuffer(offsets, dtype=width)[strings.offset : strings.offset + n + 1]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    first, last = int(offsets[0]), int(offsets[-1])
    if first:
        offsets = offsets - first
    return offsets.astype(np.int64, copy=False), data[first:last]


@nb.njit(cache=True)
def _fnv(data, start, end, skip):
    h = _FNV_OFFSET
    for k in range(start, end):
        if k != skip:
            h = (h ^ np.uint64(data[k])) * _FNV_PRIME
    return h


@nb.njit(cache=True)
def _hash_all(offsets, data):
    n = len(offsets) - 1
    out = np.empty(n, np.uint64)
    for i in range(n):
        out[i] = _fnv(data, offsets[i], offsets[i + 1], -1)
    return out


@nb.njit(cache=True)
def _hash_deletions(offsets, data, selected, min_len):
    """Deletion hashes of the strings ``selected`` (positions), owner = position in ``selected``."""
    total = 0
    for s in range(len(selected)):
        i = selected[s]
        m = offsets[i + 1] - offsets[i]
        if m >= min_len:
            total += m
    hashes = np.empty(total, np.uint64)
    owner = np.empty(total, np.int32)  # positions: int32 halves the largest index array
    j = 0
    for s in range(len(selected)):
        i = selected[s]
        start, end = offsets[i], offsets[i + 1]
        if end - start >= min_len:
            for skip in range(start, end):
                hashes[j] = _fnv(data, start, end, skip)
                owner[j] = s
                j += 1
    return hashes, owner


def hash_strings(strings: pa.Array) -> np.ndarray:
    """FNV-1a 64-bit hash of each string's UTF-8 bytes (nulls hash as empty)."""
    offsets, data = _buffers(strings)
    # FNV wraps around 2**64 by design; without the JIT numpy would warn.
    with np.errstate(over="ignore"):
        return _hash_all(offsets, data)


class StringLookup:
    """Positions of strings in a fixed set of distinct strings, found by sorted hashes.

    Built once (an index's invoice ids, a customer master's accounts), it
    answers a batch in O(batch x log set) with no per-call hash table over the
    whole set, so one payment costs microseconds even against a million values.

    Example:
        >>> StringLookup(pa.array(["I1", "I2"])).find(pa.array(["I2", "X"])).tolist()
        [1, -1]
    """

    def __init__(self, values: pa.Array):
        self.values = values
        hashes = hash_strings(values)
        self._order = np.argsort(hashes, kind="stable")
        self._hashes = hashes[self._order]

    def find(self, queries: pa.Array) -> np.ndarray:
        """Each query's position in the set, -1 when it is not there."""
        if not len(self.values) or not len(queries):
            return np.full(len(queries), -1, np.int64)
        wanted = hash_strings(queries)
        at = np.minimum(np.searchsorted(self._hashes, wanted), len(self._hashes) - 1)
        positions = np.where(self._hashes[at] == wanted, self._order[at], -1).astype(np.int64)
        # A 64-bit collision is astronomically rare; the strings are compared anyway.
        ok = np.flatnonzero(positions >= 0)
        if len(ok):
            same = pc.equal(
                pc.take(self.values, pa.array(positions[ok])), pc.take(queries, pa.array(ok))
            )
            positions[ok[~same.to_numpy(zero_copy_only=False)]] = -1
        return positions


def hash_deletions(strings: pa.Array, min_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every one-character deletion of each string at least ``min_len`` long.

    Returns:
        (hashes, owner): ``owner[k]`` is the index of the string ``hashes[k]`` came from.
    """
    offsets, data = _buffers(strings)
    with np.errstate(over="ignore"):
        return _hash_deletions(offsets, data, np.arange(len(offsets) - 1), min_len)


def hash_deletions_of(
    offsets: np.ndarray, data: np.ndarray, selected: np.ndarray, min_len: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`hash_deletions` of the strings at ``selected`` of the buffers (see ``_buffers``).

    Returns:
        (hashes, owner): ``owner[k]`` is the position in ``selected`` of the string
        ``hashes[k]`` came from.
    """
    with np.errstate(over="ignore"):
        return _hash_deletions(offsets, data, np.asarray(selected, np.int64), min_len)


# Buckets of the hash sort larger than this are merge-sorted, not insertion-sorted.
_INSERTION_MAX = 32


@nb.njit(cache=True)
def hash_order(hashes):
    """The stable sorting permutation of uniformly distributed uint64 ``hashes``.

    ``np.argsort(hashes, kind="stable")``, in a third of the time on millions
    of hashes: a counting sort by the top bits (stable, linear), then each
    small bucket sorted by insertion (stable), larger ones by merge sort.

    Example:
        >>> hash_order(np.array([3 << 60, 1 << 60, 3 << 60, 2], np.uint64)).tolist()
        [3, 1, 0, 2]
    """
    n = len(hashes)
    bits = 1
    while bits < 20 and (1 << (bits + 1)) <= n:
        bits += 1
    shift = np.uint64(64 - bits)
    first = np.zeros((1 << bits) + 1, np.int64)
    for k in range(n):
        first[np.int64(hashes[k] >> shift) + 1] += 1
    for b in range(1 << bits):
        first[b + 1] += first[b]
    order = np.empty(n, np.int64)
    fill = first[:-1].copy()
    for k in range(n):
        b = np.int64(hashes[k] >> shift)
        order[fill[b]] = k
        fill[b] += 1
    for b in range(1 << bits):
        lo, hi = first[b], first[b + 1]
        if hi - lo > _INSERTION_MAX:
            part = order[lo:hi]
            order[lo:hi] = part[np.argsort(hashes[part], kind="mergesort")]
            continue
        for i in range(lo + 1, hi):
            x = order[i]
            h = hashes[x]
            j = i - 1
            while j >= lo and hashes[order[j]] > h:
                order[j + 1] = order[j]
                j -= 1
            order[j + 1] = x
    return order


def bucket_directory(hashes: np.ndarray) -> tuple[np.ndarray, int]:
    """A radix directory over sorted hashes: where each run of equal top bits starts.

    Hashes are uniform, so about four fall in each run; a probe reads the
    directory and a few neighbouring hashes instead of binary-searching the
    whole array (two cache misses instead of twenty-odd on a million keys), and
    queries need no sorting first.

    Returns:
        (directory, shift): hashes with ``h >> shift == b`` lie in
        ``hashes[directory[b]:directory[b + 1]]``.
    """
    bits = max(1, min(40, int(len(hashes)).bit_length() - 2))
    shift = 64 - bits
    bounds = np.arange(1 << bits, dtype=np.uint64) << np.uint64(shift)
    directory = np.empty((1 << bits) + 1, np.int64)
    directory[:-1] = np.searchsorted(hashes, bounds)
    directory[-1] = len(hashes)
    return directory, shift


@nb.njit(cache=True, inline="always")
def _probe(hashes, directory, shift, h):
    """Position of ``h`` in the sorted ``hashes``, -1 when absent (see bucket_directory)."""
    b = h >> np.uint64(shift)
    lo, hi = directory[b], directory[b + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if hashes[mid] < h:
            lo = mid + 1
        else:
            hi = mid
    if lo < directory[b + 1] and hashes[lo] == h:
        return lo
    return -1


@nb.njit(cache=True)
def _probe_order(queries, selected, ordered_min):
    """``queries[selected]`` grouped by their top bits, and each one's position in ``selected``.

    A counting sort: it reads the queries in order and writes each group as a
    stream, so that the probes after it read the index, the queries and their
    results sequentially rather than at random: several times faster on a
    million queries. Below ``ordered_min`` queries they are probed as they come.
    """
    n = len(selected)
    if n < ordered_min:
        return queries[selected], np.arange(n)
    bits = min(12, np.int64(np.log2(n)) - 1)
    shift = np.uint64(64 - bits)
    first = np.zeros((1 << bits) + 1, np.int64)
    for k in range(n):
        first[np.int64(queries[selected[k]] >> shift) + 1] += 1
    for b in range(1 << bits):
        first[b + 1] += first[b]
    grouped = np.empty(n, np.uint64)
    origin = np.empty(n, np.int64)
    for k in range(n):
        h = queries[selected[k]]
        b = np.int64(h >> shift)
        grouped[first[b]] = h
        origin[first[b]] = k
        first[b] += 1
    return grouped, origin


@nb.njit(cache=True)
def _lookup(hashes, directory, shift, starts, rows, queries, selected, max_hits, ordered_min):
    """(query, row) pairs of ``queries[selected]`` in query order, buckets over max_hits skipped."""
    n = len(selected)
    grouped, origin = _probe_order(queries, selected, ordered_min)
    pos = np.full(n, -1, np.int64)
    for m in range(n):
        p = _probe(hashes, directory, shift, grouped[m])
        if p >= 0 and starts[p + 1] - starts[p] <= max_hits:
            pos[origin[m]] = p  # only hits write out of order
    total = 0
    for k in range(n):
        if pos[k] >= 0:
            total += starts[pos[k] + 1] - starts[pos[k]]
    query_of = np.empty(total, np.int64)
    out = np.empty(total, np.int64)
    j = 0
    for k in range(n):
        p = pos[k]
        if p >= 0:
            for r in range(starts[p], starts[p + 1]):
                query_of[j] = selected[k]
                out[j] = rows[r]
                j += 1
    return query_of, out


def lookup_hashes(
    hashes: np.ndarray,
    directory: np.ndarray,
    shift: int,
    starts: np.ndarray,
    rows: np.ndarray,
    queries: np.ndarray,
    selected: np.ndarray,
    max_hits: int,
    ordered_min: int = MatchConfig.ordered_min_queries,
) -> tuple[np.ndarray, np.ndarray]:
    """Every (query, row) hit of the queries ``queries[selected]`` in a CSR hash index.

    The index is ``hashes`` (sorted, distinct, with its :func:`bucket_directory`)
    and, for hash ``p``, the rows ``rows[starts[p]:starts[p + 1]]``; a hash
    carried by more than ``max_hits`` rows is skipped. From ``ordered_min``
    queries they are grouped by their top bits before probing (speed only).

    Returns:
        (query, row): ``query`` is the position in ``queries`` (taken from
        ``selected``, in its order), ``row`` the int64 row, in bucket order.
    """
    return _lookup(
        hashes,
        directory,
        shift,
        starts,
        rows,
        np.asarray(queries, np.uint64),
        np.asarray(selected, np.int64),
        max_hits,
        ordered_min,
    )


@nb.njit(cache=True)
def _one_edit(a, a_start, a_end, b, b_start, b_end):
    """True when the byte strings are exactly one edit apart (OSA: substitution,
    insertion, deletion, or transposition of neighbours)."""
    la, lb = a_end - a_start, b_end - b_start
    if abs(la - lb) > 1:
        return False
    if la == lb:
        first = -1
        second = -1
        for k in range(la):
            if a[a_start + k] != b[b_start + k]:
                if first < 0:
                    first = k
                elif second < 0:
                    second = k
                else:
                    return False
        if first < 0:
            return False  # identical
        if second < 0:
            return True  # one substitution
        return (
            second == first + 1
            and a[a_start + first] == b[b_start + second]
            and a[a_start + second] == b[b_start + first]
        )
    # One insertion: walk the longer one, allowing a single skip.
    if la < lb:
        a, a_start, a_end, b, b_start, b_end = b, b_start, b_end, a, a_start, a_end
        la, lb = lb, la
    i, j, skipped = 0, 0, False
    while i < la and j < lb:
        if a[a_start + i] == b[b_start + j]:
            i += 1
            j += 1
        elif skipped:
            return False
        else:
            skipped = True
            i += 1
    return True


@nb.njit(cache=True)
def _one_edit_pairs(a_off, a_data, b_off, b_data, left, right, min_len):
    out = np.zeros(len(left), np.bool_)
    for k in range(len(left)):
        i, j = left[k], right[k]
        if a_off[i + 1] - a_off[i] >= min_len:
            out[k] = _one_edit(a_data, a_off[i], a_off[i + 1], b_data, b_off[j], b_off[j + 1])
    return out


def one_edit_apart(
    left_strings: pa.Array,
    right_strings: pa.Array,
    left: np.ndarray,
    right: np.ndarray,
    min_len: int,
) -> np.ndarray:
    """For each pair (left[k], right[k]), whether the two strings are exactly one edit apart.

    An edit is a substitution, an insertion, a deletion or the transposition of
    two neighbouring characters (optimal string alignment distance 1). Strings of
    ``left_strings`` shorter than ``min_len`` never match. The matching itself
    uses the same check inside :func:`typo_join`; this is its window for tests
    and for callers holding pairs already.
    """
    a_off, a_data = _buffers(left_strings)
    b_off, b_data = _buffers(right_strings)
    return _one_edit_pairs(
        a_off,
        a_data,
        b_off,
        b_data,
        np.asarray(left, np.int64),
        np.asarray(right, np.int64),
        min_len,
    )


@nb.njit(cache=True, inline="always")
def _bucket_matches(p, t, low, high, starts, rows, t_off, t_data, i_off, i_data, i_amount, out):
    """Invoices of bucket ``p`` one edit from token ``t``, amount in [low, high]: how many.

    They are written to ``out`` when it is not empty. The token's bounds and the
    amount range are read once: the loop runs over every invoice of the bucket.
    """
    t_lo, t_hi = t_off[t], t_off[t + 1]
    found = 0
    for r in range(starts[p], starts[p + 1]):
        inv = rows[r]
        # The amount first: an integer compare spares most byte-by-byte checks.
        amount = i_amount[inv]
        if amount < low or amount > high:
            continue
        if _one_edit(t_data, t_lo, t_hi, i_data, i_off[inv], i_off[inv + 1]):
            if len(out):
                out[found] = inv
            found += 1
    return found


@nb.njit(cache=True, parallel=True)
def _typo_join_pass(
    q_hash,
    q_tok,
    hashes,
    directory,
    shift,
    starts,
    rows,
    t_off,
    t_data,
    i_off,
    i_data,
    max_hits,
    q_low,
    q_high,
    i_amount,
    ordered_min,
):
    """The (token, invoice) one-edit matches of every query, in query order then bucket order.

    A first pass probes each query's bucket and counts its matches; only the
    few queries that matched are compared again to write them, into slots
    the counts set aside, so the output needs no growing and no sort.
    """
    n = len(q_hash)
    counts = np.zeros(n, np.int64)
    bucket = np.full(n, -1, np.int64)
    grouped, origin = _probe_order(q_hash, np.arange(n), ordered_min)
    none = np.empty(0, np.int64)
    for m in nb.prange(n):
        p = _probe(hashes, directory, shift, grouped[m])
        if p < 0 or starts[p + 1] - starts[p] > max_hits:
            continue
        k = origin[m]
        bucket[k] = p
        counts[k] = _bucket_matches(
            p,
            q_tok[k],
            q_low[k],
            q_high[k],
            starts,
            rows,
            t_off,
            t_data,
            i_off,
            i_data,
            i_amount,
            none,
        )
    offsets = np.zeros(n + 1, np.int64)
    for k in range(n):
        offsets[k + 1] = offsets[k] + counts[k]
    matched = np.nonzero(counts)[0]
    out_tok = np.empty(offsets[n], np.int64)
    out_inv = np.empty(offsets[n], np.int64)
    for m in nb.prange(len(matched)):
        k = matched[m]
        lo, hi = offsets[k], offsets[k + 1]
        out_tok[lo:hi] = q_tok[k]
        _bucket_matches(
            bucket[k],
            q_tok[k],
            q_low[k],
            q_high[k],
            starts,
            rows,
            t_off,
            t_data,
            i_off,
            i_data,
            i_amount,
            out_inv[lo:hi],
        )
    return out_tok, out_inv


_typo_join_serial = nb.njit(cache=True)(getattr(_typo_join_pass, "py_func", _typo_join_pass))


def typo_join_buffers(
    query_hashes: np.ndarray,
    query_token: np.ndarray,
    hashes: np.ndarray,
    directory: np.ndarray,
    shift: int,
    starts: np.ndarray,
    rows: np.ndarray,
    tokens: tuple[np.ndarray, np.ndarray],
    invoice_keys: tuple[np.ndarray, np.ndarray],
    max_hits: int,
    amount_low: np.ndarray | None = None,
    amount_high: np.ndarray | None = None,
    invoice_amount: np.ndarray | None = None,
    parallel_min: int = MatchConfig.parallel_min_items,
    ordered_min: int = MatchConfig.ordered_min_queries,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`typo_join` on strings already read into (offsets, bytes) buffers (see ``_buffers``).

    ``directory`` and ``shift`` are the index hashes' :func:`bucket_directory`;
    from ``parallel_min`` queries the join runs on every core (speed only).
    """
    t_off, t_data = tokens
    i_off, i_data = invoice_keys
    n = len(query_hashes)
    if invoice_amount is None:
        invoice_amount = np.zeros(len(i_off) - 1, np.int64)
        amount_low, amount_high = np.zeros(n, np.int64), np.zeros(n, np.int64)
    kernel = _typo_join_pass if n >= parallel_min else _typo_join_serial
    return kernel(
        np.asarray(query_hashes, np.uint64),
        np.asarray(query_token, np.int64),
        hashes,
        directory,
        shift,
        starts,
        rows,
        t_off,
        t_data,
        i_off,
        i_data,
        max_hits,
        np.asarray(amount_low, np.int64),
        np.asarray(amount_high, np.int64),
        np.asarray(invoice_amount, np.int64),
        ordered_min,
    )


def typo_join(
    query_hashes: np.ndarray,
    query_token: np.ndarray,
    hashes: np.ndarray,
    directory: np.ndarray,
    shift: int,
    starts: np.ndarray,
    rows: np.ndarray,
    tokens: pa.Array,
    invoice_keys: pa.Array,
    max_hits: int,
    amount_low: np.ndarray | None = None,
    amount_high: np.ndarray | None = None,
    invoice_amount: np.ndarray | None = None,
    parallel_min: int = MatchConfig.parallel_min_items,
    ordered_min: int = MatchConfig.ordered_min_queries,
) -> tuple[np.ndarray, np.ndarray]:
    """Join hashed query keys against an index and keep the pairs exactly one edit apart.

    Each query hash ``query_hashes[k]`` comes from token ``query_token[k]``; each
    index hash ``hashes[p]`` (sorted, with its :func:`bucket_directory`
    ``directory``, ``shift``) is carried by the invoices
    ``rows[starts[p]:starts[p+1]]`` (buckets larger than ``max_hits`` are
    skipped). A pair is kept when the token and the invoice's key are one edit
    apart (see :func:`one_edit_apart`). Nothing is materialised but the
    matches, so a bucket shared by dozens of sequentially numbered invoices
    costs comparisons, not memory. With ``amount_low`` / ``amount_high`` (per
    query) and ``invoice_amount``, only invoices whose amount lies in the
    query's range are compared at all. ``parallel_min`` and ``ordered_min``
    choose how the join runs (see :func:`typo_join_buffers`), never what it finds.

    Returns:
        (token, invoice) positions of the matches (may repeat), in query order.
    """
    return typo_join_buffers(
        query_hashes,
        query_token,
        hashes,
        directory,
        shift,
        starts,
        rows,
        _buffers(tokens),
        _buffers(invoice_keys),
        max_hits,
        amount_low,
        amount_high,
        invoice_amount,
        parallel_min,
        ordered_min,
    )

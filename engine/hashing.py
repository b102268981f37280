"""64-bit hashes of Arrow strings and of their one-deletion variants, in numba.

Reference lookups are joins on hashed keys: sorting the hashes once makes each
lookup a binary search, with no Python dict of millions of strings.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Below this many items a kernel runs on one thread: starting the parallel
# threads costs milliseconds, more than the work of a small batch or one payment.
PARALLEL_MIN_ITEMS = 20_000

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def _buffers(strings: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets and bytes of strings (nulls read as ""), without copying a large_string array.

    An index keeps its keys as large_string without nulls, so that this costs
    nothing per call on a million keys.
    """
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    if strings.null_count:
        strings = strings.fill_null("")
    strings = strings.cast(pa.large_string()) if strings.type == pa.string() else strings
    strings = pa.concat_arrays([strings]) if strings.offset else strings
    _, offsets, data = strings.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64)[: len(strings) + 1]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return offsets, data


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
def _hash_deletions(offsets, data, min_len):
    n = len(offsets) - 1
    total = 0
    for i in range(n):
        m = offsets[i + 1] - offsets[i]
        if m >= min_len:
            total += m
    hashes = np.empty(total, np.uint64)
    owner = np.empty(total, np.int32)  # positions: int32 halves the largest index array
    j = 0
    for i in range(n):
        start, end = offsets[i], offsets[i + 1]
        if end - start >= min_len:
            for skip in range(start, end):
                hashes[j] = _fnv(data, start, end, skip)
                owner[j] = i
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
        return _hash_deletions(offsets, data, min_len)


def hash_strings_naive(strings: list[str], skip: int = -1) -> np.ndarray:
    """Plain-Python FNV-1a, the reference the numba kernels are tested against."""
    out = []
    for text in strings:
        h = 0xCBF29CE484222325
        for k, byte in enumerate(text.encode()):
            if k != skip:
                h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        out.append(h)
    return np.array(out, dtype=np.uint64)


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


@nb.njit(cache=True, parallel=True)
def _typo_join_pass(
    q_hash,
    q_tok,
    hashes,
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
    offsets,
    out_tok,
    out_inv,
    fill,
):
    """Count (fill=False) or write (fill=True) the one-edit matches of each query."""
    counts = np.zeros(len(q_hash), np.int64)
    for k in nb.prange(len(q_hash)):
        p = np.searchsorted(hashes, q_hash[k])
        if p >= len(hashes) or hashes[p] != q_hash[k]:
            continue
        lo, hi = starts[p], starts[p + 1]
        if hi - lo > max_hits:
            continue
        t = q_tok[k]
        found = 0
        for r in range(lo, hi):
            inv = rows[r]
            # The amount first: an integer compare spares most byte-by-byte checks.
            if i_amount[inv] < q_low[k] or i_amount[inv] > q_high[k]:
                continue
            if _one_edit(t_data, t_off[t], t_off[t + 1], i_data, i_off[inv], i_off[inv + 1]):
                if fill:
                    out_tok[offsets[k] + found] = t
                    out_inv[offsets[k] + found] = inv
                found += 1
        counts[k] = found
    return counts


_typo_join_serial = nb.njit(cache=True)(getattr(_typo_join_pass, "py_func", _typo_join_pass))


def typo_join(
    query_hashes: np.ndarray,
    query_token: np.ndarray,
    hashes: np.ndarray,
    starts: np.ndarray,
    rows: np.ndarray,
    tokens: pa.Array,
    invoice_keys: pa.Array,
    max_hits: int,
    amount_low: np.ndarray | None = None,
    amount_high: np.ndarray | None = None,
    invoice_amount: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Join hashed query keys against an index and keep the pairs exactly one edit apart.

    Each query hash ``query_hashes[k]`` comes from token ``query_token[k]``; each
    index hash ``hashes[p]`` is carried by the invoices ``rows[starts[p]:starts[p+1]]``
    (buckets larger than ``max_hits`` are skipped). A pair is kept when the token
    and the invoice's key are one edit apart (see :func:`one_edit_apart`). Nothing
    is materialised but the matches, so a bucket shared by dozens of sequentially
    numbered invoices costs comparisons, not memory. With ``amount_low`` /
    ``amount_high`` (per query) and ``invoice_amount``, only invoices whose
    amount lies in the query's range are compared at all.

    Returns:
        (token, invoice) positions of the matches (may repeat).
    """
    t_off, t_data = _buffers(tokens)
    i_off, i_data = _buffers(invoice_keys)
    n = len(query_hashes)
    if invoice_amount is None:
        invoice_amount = np.zeros(len(invoice_keys), np.int64)
        amount_low, amount_high = np.zeros(n, np.int64), np.zeros(n, np.int64)
    query_hashes = np.asarray(query_hashes, np.uint64)
    query_token = np.asarray(query_token, np.int64)
    amount_low = np.asarray(amount_low, np.int64)
    amount_high = np.asarray(amount_high, np.int64)
    invoice_amount = np.asarray(invoice_amount, np.int64)
    index_args = (hashes, starts, rows, t_off, t_data, i_off, i_data, max_hits)
    kernel = _typo_join_pass if n >= PARALLEL_MIN_ITEMS else _typo_join_serial
    empty = np.zeros(0, np.int64)

    def run(queries, offsets, out_tok, out_inv, fill):
        return kernel(
            query_hashes[queries],
            query_token[queries],
            *index_args,
            amount_low[queries],
            amount_high[queries],
            invoice_amount,
            offsets,
            out_tok,
            out_inv,
            fill,
        )

    # Counting probes the buckets in hash order, so that neighbouring queries
    # share the index's cache lines; few queries match at all, and only those
    # are probed again to write their matches, in query order.
    by_hash = np.argsort(query_hashes, kind="stable")
    counts = np.empty(n, np.int64)
    counts[by_hash] = run(by_hash, empty, empty, empty, False)
    matched = np.flatnonzero(counts)
    offsets = np.concatenate(([0], np.cumsum(counts[matched])))
    out_tok, out_inv = np.empty(offsets[-1], np.int64), np.empty(offsets[-1], np.int64)
    run(matched, offsets, out_tok, out_inv, True)
    return out_tok, out_inv

"""64-bit hashes of Arrow strings and of their one-deletion variants, in numba.

Reference lookups are joins on hashed keys: sorting the hashes once makes each
lookup a binary search, with no Python dict of millions of strings.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import pyarrow as pa

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def _buffers(strings: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
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
    owner = np.empty(total, np.int64)
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
    offsets, data = _buffers(strings.fill_null(""))
    # FNV wraps around 2**64 by design; without the JIT numpy would warn.
    with np.errstate(over="ignore"):
        return _hash_all(offsets, data)


def hash_deletions(strings: pa.Array, min_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every one-character deletion of each string at least ``min_len`` long.

    Returns:
        (hashes, owner): ``owner[k]`` is the index of the string ``hashes[k]`` came from.
    """
    offsets, data = _buffers(strings.fill_null(""))
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

"""The reference keys of :func:`cashmatch.engine.normalize.reference_keys`, in one numba pass.

Regular expressions over Arrow strings run at a few million strings a second
per pass, and the keys need seven passes: indexing a million invoice numbers
took seconds. This kernel reads the UTF-8 bytes once and writes the four keys.
tests/naive.py holds its plain twin, written with pyarrow's regular expressions.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import pyarrow as pa

from cashmatch.engine.hashing import _FNV_OFFSET, _FNV_PRIME, _buffers

# Characters OCR and people confuse with digits. A letter is folded onto its
# digit only between two digits ("2O24", "000I23"): at the edge of a number it
# is as likely a real prefix letter ("S2024-001").
OCR_FOLDS = {"0": "OQD", "1": "IL", "5": "S", "8": "B", "2": "Z"}
# Letter -> digit it is folded onto between two digits (0 when not foldable).
_FOLD = np.zeros(256, np.uint8)
for _digit, _letters in OCR_FOLDS.items():
    for _letter in _letters:
        _FOLD[ord(_letter)] = ord(_digit)


@nb.njit(cache=True, inline="always")
def _is_digit(c):
    return 48 <= c <= 57


@nb.njit(cache=True)
def _keys(offsets, data, fold):
    n = len(offsets) - 1
    size = len(data)
    outs_off = np.zeros((4, n + 1), np.int64)
    outs = np.empty((4, max(size, 1)), np.uint8)
    cursor = np.zeros(4, np.int64)
    seq = np.empty(max(size, 1), np.uint8)  # upper-cased alnum, 45 ('-') for separator runs
    for i in range(n):
        m = 0
        for k in range(offsets[i], offsets[i + 1]):
            c = data[k]
            if 97 <= c <= 122:
                c -= 32
            if _is_digit(c) or 65 <= c <= 90:
                seq[m] = c
                m += 1
            elif m == 0 or seq[m - 1] != 45:
                # A run of separators becomes one '-' (one also leads an empty start).
                seq[m] = 45
                m += 1
        # alnum and folded
        for k in range(m):
            c = seq[k]
            if c == 45:
                continue
            outs[0, cursor[0]] = c
            cursor[0] += 1
            if fold[c] and 0 < k < m - 1 and _is_digit(seq[k - 1]) and _is_digit(seq[k + 1]):
                c = fold[c]
                seq[k] = c  # the folded sequence feeds digits and groups
            outs[1, cursor[1]] = c
            cursor[1] += 1
        # digits: the folded digits, leading zeros dropped
        leading = True
        for k in range(m):
            c = seq[k]
            if _is_digit(c):
                if leading and c == 48:
                    continue
                leading = False
                outs[2, cursor[2]] = c
                cursor[2] += 1
        # groups: each digit run without its leading zeros (a lone 0 kept)
        k = 0
        while k < m:
            if _is_digit(seq[k]):
                end = k
                while end < m and _is_digit(seq[end]):
                    end += 1
                start = k
                while start < end - 1 and seq[start] == 48:
                    start += 1
                for j in range(start, end):
                    outs[3, cursor[3]] = seq[j]
                    cursor[3] += 1
                k = end
            else:
                k += 1
        for o in range(4):
            outs_off[o, i + 1] = cursor[o]
    return outs_off, outs


def reference_keys_fast(raw: pa.Array) -> dict[str, pa.Array]:
    """The four keys of :func:`~cashmatch.engine.normalize.reference_keys`, in one pass."""
    if isinstance(raw, pa.ChunkedArray):
        raw = raw.combine_chunks()
    offsets, data = _buffers(raw)
    outs_off, outs = _keys(offsets, data, _FOLD)
    keys = {}
    for o, name in enumerate(("alnum", "folded", "digits", "groups")):
        end = int(outs_off[o, -1])
        array = pa.LargeStringArray.from_buffers(
            len(raw), pa.py_buffer(outs_off[o].copy()), pa.py_buffer(outs[o, :end].copy())
        )
        keys[name] = array.cast(pa.string())
    return keys


def key_buffers(offsets: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The four keys of strings held as (offsets, bytes) buffers, as buffers.

    Returns:
        (offsets, data): row ``o`` of each is key ``o`` in the order alnum,
        folded, digits, groups; the keys are ASCII letters and digits, so a
        key's byte length is its length in characters.
    """
    return _keys(offsets, data, _FOLD)


@nb.njit(cache=True)
def _hash_keys(outs_off, outs):
    n = outs_off.shape[1] - 1
    hashes = np.empty((4, n), np.uint64)
    for o in range(4):
        for i in range(n):
            h = _FNV_OFFSET
            for k in range(outs_off[o, i], outs_off[o, i + 1]):
                h = (h ^ np.uint64(outs[o, k])) * _FNV_PRIME
            hashes[o, i] = h
    return hashes


def hash_keys(outs_off: np.ndarray, outs: np.ndarray) -> np.ndarray:
    """FNV-1a hashes (as :func:`~cashmatch.engine.hashing.hash_strings`) of the four keys.

    Returns:
        uint64 array of shape (4, number of strings).
    """
    # FNV wraps around 2**64 by design; without the JIT numpy would warn.
    with np.errstate(over="ignore"):
        return _hash_keys(outs_off, outs)

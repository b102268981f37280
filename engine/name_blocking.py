"""Fuzzy name search that compares a payer name only with names that can reach the cutoff.

:func:`rapidfuzz.fuzz.ratio` is the normalised Indel similarity::

    ratio(a, b) = 100 * (1 - d / (len(a) + len(b))),   d = len(a) + len(b) - 2 * LCS(a, b)

A common subsequence uses each character at most as often as both strings
hold it, so ``LCS <= sum over characters of min(count_a, count_b)``, hence
``d >= sum over characters of |count_a - count_b|`` (the histograms' L1
distance), which is itself ``>= |len(a) - len(b)|``. Merging characters into
buckets only lowers an L1 distance (``|x + y - u - v| <= |x - u| + |y - v|``),
and for counts ``|x - u| = sum over t >= 1 of |[x >= t] - [u >= t]|``, so the
popcount of the XOR of two signatures holding the bits ``[bucket count >= 1]``
and ``[bucket count >= 2]`` is a lower bound of the L1 distance too.

Every such lower bound ``lb <= d`` gives an upper bound of the ratio,
``100 * (n - lb) / n`` with ``n = len(a) + len(b)``. :func:`rapidfuzz.process.cdist`
with ``score_cutoff=c`` returns 0 for a pair whose ratio is under ``c`` (the
cutoff is applied to the exact score, before any rounding to ``uint8``). A name
is skipped only when its bound is under ``c - 1/2``: its exact ratio is then at
least half a point under the cutoff, far more than the floating-point error of
rapidfuzz's arithmetic (and its 1e-5 tolerance), so the full scan would have
scored it 0 as well. The names kept are scored by the same ``cdist`` call, and
each pair's score does not depend on the other names compared, so the scores
are exactly those of a full scan.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from rapidfuzz import fuzz, process

# Histogram columns: A-Z, 0-9, space, anything else (normalised names hold only
# the first 37; any other character shares the last column, which keeps the
# bound a lower bound).
_COLUMNS = 38
_COLUMN_OF = np.full(128, _COLUMNS - 1, np.int64)
_COLUMN_OF[ord("A") : ord("Z") + 1] = np.arange(26)
_COLUMN_OF[ord("0") : ord("9") + 1] = 26 + np.arange(10)
_COLUMN_OF[ord(" ")] = 36
# Signature buckets (32, two bits each fill 64): a letter each, digits in pairs,
# space and the rest together.
_BUCKET_OF_COLUMN = np.concatenate([np.arange(26), 26 + np.arange(10) // 2, [31, 31]])
# The bucket numbers ascend with the columns: buckets are sums of adjacent columns.
_BUCKET_STARTS = np.searchsorted(_BUCKET_OF_COLUMN, np.arange(32))


def _histograms(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The lengths (characters) and character-column histograms (rows) of texts."""
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
    columns = _COLUMN_OF[np.minimum(points, 127)]
    owner = np.repeat(np.arange(len(texts)), lengths)
    counts = np.bincount(owner * _COLUMNS + columns, minlength=len(texts) * _COLUMNS)
    return lengths, counts.reshape(len(texts), _COLUMNS).astype(np.int32)


def _signatures(histograms: np.ndarray) -> np.ndarray:
    """64-bit signatures: bit b is [bucket b count >= 1], bit 32 + b [bucket b count >= 2]."""
    buckets = np.add.reduceat(histograms, _BUCKET_STARTS, axis=1)
    bits = np.concatenate([buckets >= 1, buckets >= 2], axis=1)
    return np.packbits(bits, axis=1, bitorder="little").view("<u8").ravel()


@nb.njit(cache=True, inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@nb.njit(cache=True)
def _candidates(length, signature, histogram, lengths, signatures, histograms, score_cutoff):
    """Positions of the names whose ratio bound reaches ``score_cutoff - 1/2`` (module doc).

    Keep when ``100 * (n - lb) / n >= c - 1/2``, in integers
    ``200 * (n - lb) >= (2c - 1) * n``: first with the cheap bound (signatures
    and lengths), then with the exact histogram distance for the few left.
    """
    out = np.empty(len(lengths), np.int64)
    m = 0
    for k in range(len(lengths)):
        total = length + lengths[k]
        need = (2 * score_cutoff - 1) * total
        bound = max(_popcount(signatures[k] ^ signature), abs(lengths[k] - length))
        if 200 * (total - bound) < need:
            continue
        exact = 0
        for c in range(histograms.shape[1]):
            exact += abs(np.int64(histograms[k, c]) - np.int64(histogram[c]))
        if 200 * (total - exact) >= need:
            out[m] = k
            m += 1
    return out[:m]


class FuzzyNames:
    """Names to search by :func:`rapidfuzz.fuzz.ratio`, blocked by lossless filters.

    Example:
        >>> names = FuzzyNames(["ACME TRADING", "ACME TRADNG", "BLUE RIVER FOODS"])
        >>> [(int(k), int(s)) for k, s in zip(*names.scores("ACME TRADING", 84))]
        [(0, 100), (1, 96)]
    """

    def __init__(self, names: list[str]):
        self.names = names
        self._lengths, self._histograms = _histograms(names)
        self._signatures = _signatures(self._histograms)

    def __len__(self) -> int:
        return len(self.names)

    def candidates(self, query: str, score_cutoff: int) -> np.ndarray:
        """Positions, ascending, of the names whose ratio with query may reach score_cutoff."""
        if not self.names:
            return np.zeros(0, np.int64)
        length, histogram = _histograms([query])
        # The popcount multiplies modulo 2**64; without the JIT numpy would warn.
        with np.errstate(over="ignore"):
            return _candidates(
                int(length[0]),
                _signatures(histogram)[0],
                histogram[0],
                self._lengths,
                self._signatures,
                self._histograms,
                score_cutoff,
            )

    def scores(self, query: str, score_cutoff: int) -> tuple[np.ndarray, np.ndarray]:
        """The names scoring at least score_cutoff: positions ascending, and their uint8 scores.

        Exactly the non-zero entries of ``process.cdist([query], names,
        scorer=fuzz.ratio, dtype=np.uint8, score_cutoff=score_cutoff)``.
        """
        kept = self.candidates(query, score_cutoff)
        if not len(kept):
            return kept, np.zeros(0, np.uint8)
        # One query against a few names: a single thread (workers=-1 costs more
        # in thread start-up than the comparisons).
        row = process.cdist(
            [query],
            [self.names[k] for k in kept.tolist()],
            scorer=fuzz.ratio,
            dtype=np.uint8,
            score_cutoff=score_cutoff,
            workers=1,
        )[0]
        scored = np.flatnonzero(row)
        return kept[scored], row[scored]

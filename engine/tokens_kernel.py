"""The candidate references of payment texts, cut in one numba pass over their bytes.

See :func:`cashmatch.engine.references.extract_references`.

Its plain twin (tests/naive.py) runs a dozen pyarrow kernels; each costs tens
of microseconds whatever the input size, which made the fixed cost of
matching a single payment.
"""

from __future__ import annotations

import numba as nb
import numpy as np

# Token separators in free remittance text: RE2's \s is
# ASCII [\t\n\f\r ] only. Dashes, dots and slashes are kept inside tokens.
SEPARATORS = np.zeros(256, np.bool_)
for _c in "\t\n\f\r ,;:()[]{}#'\"+&*=":
    SEPARATORS[ord(_c)] = True
_SLASH = 47


@nb.njit(cache=True)
def _candidates(offsets, data, separators):
    n = len(offsets) - 1
    # Tokens: maximal runs of non-separator bytes, upper-cased (ASCII; other
    # letters are upper-cased by the caller beforehand).
    up = data.copy()
    for k in range(len(up)):
        if 97 <= up[k] <= 122:
            up[k] -= 32
    t = 0
    for i in range(n):
        inside = False
        for k in range(offsets[i], offsets[i + 1]):
            if separators[up[k]]:
                inside = False
            elif not inside:
                inside = True
                t += 1
    tok_start = np.empty(t, np.int64)
    tok_end = np.empty(t, np.int64)
    tok_owner = np.empty(t, np.int64)
    t = 0
    for i in range(n):
        k = offsets[i]
        while k < offsets[i + 1]:
            if separators[up[k]]:
                k += 1
                continue
            start = k
            while k < offsets[i + 1] and not separators[up[k]]:
                k += 1
            tok_start[t], tok_end[t], tok_owner[t] = start, k, i
            t += 1
    # Sizes: tokens, runs of two and of three tokens of one text, slash parts.
    count, size = t, 0
    slashes = 0
    for j in range(t):
        size += tok_end[j] - tok_start[j]
        has = 0
        for k in range(tok_start[j], tok_end[j]):
            if up[k] == _SLASH:
                has += 1
        if has:
            count += has + 1
            size += tok_end[j] - tok_start[j] - has
            slashes += 1
    for width in (2, 3):
        for j in range(t - width + 1):
            if tok_owner[j + width - 1] == tok_owner[j]:
                count += 1
                size += tok_end[j + width - 1] - tok_start[j]
    out_off = np.zeros(count + 1, np.int64)
    out = np.empty(size, np.uint8)
    owner = np.empty(count, np.int64)
    joined = np.zeros(count, np.bool_)
    c, w = 0, 0
    for j in range(t):
        for k in range(tok_start[j], tok_end[j]):
            out[w] = up[k]
            w += 1
        owner[c] = tok_owner[j]
        c += 1
        out_off[c] = w
    for width in (2, 3):
        for j in range(t - width + 1):
            if tok_owner[j + width - 1] == tok_owner[j]:
                for m in range(j, j + width):
                    for k in range(tok_start[m], tok_end[m]):
                        out[w] = up[k]
                        w += 1
                owner[c] = tok_owner[j]
                joined[c] = True
                c += 1
                out_off[c] = w
    if slashes:
        for j in range(t):
            has = False
            for k in range(tok_start[j], tok_end[j]):
                if up[k] == _SLASH:
                    has = True
            if not has:
                continue
            # Every part, empty ones too ("2024/" gives "2024" and "").
            for k in range(tok_start[j], tok_end[j] + 1):
                if k == tok_end[j] or up[k] == _SLASH:
                    owner[c] = tok_owner[j]
                    c += 1
                    out_off[c] = w
                else:
                    out[w] = up[k]
                    w += 1
    return out_off, out, owner, joined


def candidate_buffers(
    offsets: np.ndarray, data: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Candidates of texts held as (offsets, bytes), upper-cased on ASCII letters only.

    Candidates come in the order of ``extract_references``: every token, the
    runs of two adjacent tokens of one text, of three, then the parts of the
    tokens that hold a slash.

    Returns:
        (offsets, data, owner, joined) of the candidates.
    """
    return _candidates(offsets, data, SEPARATORS)

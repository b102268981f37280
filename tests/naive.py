"""Plain twins of the engine's numba kernels, written from their docstrings.

The tests compare each kernel with its twin here (as STUMPY keeps its
``naive.py``): brute force where the kernel is clever, Python or pyarrow
where it walks bytes. Nothing in the library imports this module, so a twin
can never stand in for the code it checks, and the comparisons mean
something under ``NUMBA_DISABLE_JIT=1`` too.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz.distance import OSA

from cashmatch.engine.config import MatchConfig
from cashmatch.engine.keys_kernel import OCR_FOLDS
from cashmatch.engine.scoring import (
    AMOUNT_DISCOUNT,
    AMOUNT_EXACT,
    AMOUNT_FEE,
    AMOUNT_OVER,
    AMOUNT_PARTIAL,
)

# -- hashing ------------------------------------------------------------------


def hash_strings(strings: list[str], skip: int = -1) -> np.ndarray:
    """FNV-1a 64-bit of each string's UTF-8 bytes, the byte at ``skip`` left out."""
    out = []
    for text in strings:
        h = 0xCBF29CE484222325
        for k, byte in enumerate(text.encode()):
            if k != skip:
                h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        out.append(h)
    return np.array(out, dtype=np.uint64)


def hash_deletions(strings: list[str], min_len: int) -> tuple[list[int], list[int]]:
    """(hashes, owner) of every one-byte deletion of each string of at least ``min_len`` bytes."""
    hashes, owner = [], []
    for k, text in enumerate(strings):
        size = len(text.encode())
        if size >= min_len:
            for skip in range(size):
                hashes.append(int(hash_strings([text], skip=skip)[0]))
                owner.append(k)
    return hashes, owner


def lookup(keys: list[int], owners: list[int], queries: list[int], max_hits: int):
    """Every (query position, owner) pair of a hash lookup, in query order then owner order.

    A key carried by more than ``max_hits`` distinct owners is skipped.
    """
    buckets: dict[int, list[int]] = {}
    for key, owner in sorted(set(zip(keys, owners)), key=lambda pair: pair[1]):
        buckets.setdefault(key, []).append(owner)
    pairs = []
    for q, key in enumerate(queries):
        rows = buckets.get(key, [])
        if len(rows) <= max_hits:
            pairs += [(q, r) for r in rows]
    return pairs


def typo_join(
    index_hashes: list[int],
    index_owner: list[int],
    queries: list[int],
    query_token: list[int],
    tokens: list[str],
    keys: list[str],
    max_hits: int,
    low: list[int],
    high: list[int],
    amount: list[int],
) -> list[tuple[int, int]]:
    """(token, invoice) pairs of :func:`~cashmatch.engine.hashing.typo_join`, by brute force.

    Each query hash is looked up among the index's (hash, owner) pairs; a hash
    of more than ``max_hits`` owners is skipped; an owner is kept when its
    amount lies in the query's range and its key is one OSA edit from the
    query's token. Pairs in query order, owners ascending.
    """
    out = []
    for k, h in enumerate(queries):
        rows = sorted({o for hh, o in zip(index_hashes, index_owner) if hh == h})
        if not rows or len(rows) > max_hits:
            continue
        t = query_token[k]
        for inv in rows:
            if low[k] <= amount[inv] <= high[k] and OSA.distance(tokens[t], keys[inv]) == 1:
                out.append((t, inv))
    return out


# -- reference keys and candidates (pyarrow and regular expressions) ----------


def fold_ocr(values: pa.Array) -> pa.Array:
    """Fold OCR-confusable letters that stand between digits onto those digits.

    Example:
        >>> fold_ocr(pa.array(["2O24-000I23", "SO-100", "1O1O1"])).to_pylist()
        ['2024-000123', 'SO-100', '10101']
    """
    out = values
    for digit, group in OCR_FOLDS.items():
        pattern = f"([0-9])[{group}]([0-9])"
        # Twice, because a match consumes the digit a neighbouring match needs ("1O1O1").
        for _ in range(2):
            out = pc.replace_substring_regex(out, pattern, rf"\1{digit}\2")
    return out


def reference_keys(raw: pa.Array) -> dict[str, pa.Array]:
    """:func:`~cashmatch.engine.normalize.reference_keys` with pyarrow's regular expressions.

    Example:
        >>> keys = reference_keys(pa.array(["INV-2024-000123", "inv 2O24/123"]))
        >>> keys["digits"].to_pylist(), keys["groups"].to_pylist()
        (['2024000123', '2024123'], ['2024123', '2024123'])
    """
    upper = pc.utf8_upper(pc.fill_null(raw, ""))
    alnum = pc.replace_substring_regex(upper, r"[^A-Z0-9]+", "")
    folded_sep = fold_ocr(pc.replace_substring_regex(upper, r"[^A-Z0-9]+", "-"))
    folded = pc.replace_substring(folded_sep, "-", "")
    digits = pc.utf8_ltrim(pc.replace_substring_regex(folded, r"[^0-9]+", ""), characters="0")
    groups = pc.replace_substring_regex(folded_sep, r"(^|[^0-9])0+([0-9])", r"\1\2")
    groups = pc.replace_substring_regex(groups, r"[^0-9]+", "")
    return {"alnum": alnum, "folded": folded, "digits": digits, "groups": groups}


# Token separators in free remittance text. Dashes, dots and slashes are kept
# inside tokens: invoice numbers use them.
_SPLIT = r"[\s,;:()\[\]{}#'\"+&*=]+"


def extract_references(texts: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """(candidates, owner, joined) of :func:`~cashmatch.engine.references.extract_references`.

    Tokens (runs between separators), runs of two and three adjacent tokens
    of one text joined, then every part of each token holding a slash.

    Example:
        >>> cands, owner, _ = extract_references(pa.array(["Inv 2024/123", None, "PO 77"]))
        >>> cands.to_pylist()
        ['INV', '2024/123', 'PO', '77', 'INV2024/123', 'PO77', '2024', '123']
        >>> owner.tolist()
        [0, 0, 2, 2, 0, 2, 0, 0]
    """
    upper = pc.utf8_upper(pc.fill_null(texts, ""))
    lists = pc.split_pattern_regex(upper, _SPLIT)
    tokens = pc.list_flatten(lists)
    owner = pc.list_parent_indices(lists).to_numpy().astype(np.int64)
    keep = pc.greater(pc.utf8_length(tokens), 0).to_numpy(zero_copy_only=False)
    tokens, owner = pc.filter(tokens, keep), owner[keep]
    parts, part_owner, part_joined = [tokens], [owner], [np.zeros(len(tokens), bool)]
    for width in (2, 3):
        if len(tokens) < width:
            continue
        same = owner[width - 1 :] == owner[: len(owner) - width + 1]
        starts = np.flatnonzero(same)
        pieces = [pc.take(tokens, pa.array(starts + k)) for k in range(width)]
        parts.append(pc.binary_join_element_wise(*pieces, ""))
        part_owner.append(owner[starts])
        part_joined.append(np.ones(len(starts), bool))
    slashed = pc.match_substring(tokens, "/").to_numpy(zero_copy_only=False)
    if slashed.any():
        split = pc.split_pattern(pc.filter(tokens, slashed), "/")
        parts.append(pc.list_flatten(split))
        part_owner.append(owner[slashed][pc.list_parent_indices(split).to_numpy()])
        part_joined.append(np.zeros(len(parts[-1]), bool))
    candidates = pa.concat_arrays([p.cast(pa.string()) for p in parts])
    return candidates, np.concatenate(part_owner), np.concatenate(part_joined)


# -- amounts and scores -------------------------------------------------------


def amount_relation(
    pay: int,
    open_amount: int,
    fee_max: int,
    days_since_issue: int,
    fee_ratio: float,
    discount_bp: list[int],
    discount_days: int,
) -> int:
    """How a payment's amount relates to an open amount (``AMOUNT_*``), from the docstring.

    Exact; over; short by a discount (a rate of ``discount_bp`` of the open
    amount, rounded, give or take a minor unit, within ``discount_days`` of
    issue); short by at most ``fee_max`` and ``fee_ratio`` of the payment (a
    fee); else a part payment.
    """
    short = open_amount - pay
    if short == 0:
        return AMOUNT_EXACT
    if short < 0:
        return AMOUNT_OVER
    if days_since_issue <= discount_days and any(
        abs(short - round(open_amount * bp / 10000 + 1e-9)) <= 1 for bp in discount_bp
    ):
        return AMOUNT_DISCOUNT
    if short <= fee_max and short <= fee_ratio * pay:
        return AMOUNT_FEE
    return AMOUNT_PARTIAL


def score_pairs(
    pays: list[dict],
    invoices: list[dict],
    pairs: list[tuple[int, int, float]],
    config: MatchConfig,
) -> list[tuple[int, list[float], float]]:
    """(relation, features, score) of each pair, as :func:`~cashmatch.engine.scoring.score_pairs`.

    Args:
        pays: per payment ``amount``, ``date``, ``customer``, ``family``,
            ``name_score``, ``fee_max``.
        invoices: per invoice ``amount``, ``issue``, ``due``, ``customer``, ``family``.
        pairs: (payment, invoice, reference quality).
    """
    same, family, unknown, other = config.customer_fit
    before_issue, on_time, late = config.date_fit
    out = []
    for p, i, ref in pairs:
        pay, inv = pays[p], invoices[i]
        rel = amount_relation(
            pay["amount"],
            inv["amount"],
            pay["fee_max"],
            pay["date"] - inv["issue"],
            config.fee_max_ratio,
            list(config.discount_rates_bp),
            config.discount_days,
        )
        if pay["customer"] < 0:
            customer, ours = unknown, False
        elif pay["customer"] == inv["customer"]:
            customer, ours = same, True
        elif pay["family"] == inv["family"]:
            customer, ours = family, True
        else:
            customer, ours = other, False
        name = pay["name_score"] if ours else 0.0
        if pay["date"] < inv["issue"] - config.paid_before_issue_days:
            date = before_issue
        elif pay["date"] <= inv["due"] + config.late_payment_days:
            date = on_time
        else:
            date = late
        feats = [ref, config.amount_fit[rel], customer, name, date]
        weights = config.score_weights
        z = weights[5] + sum(w * f for w, f in zip(weights[:5], feats))
        out.append((rel, feats, 1 / (1 + math.exp(-z))))
    return out


# -- combinations -------------------------------------------------------------


def subset_sum(amounts: list[int], target: int) -> tuple[int, list[list[int]]]:
    """Every non-empty subset summing to target, by brute force: (count capped at 2, subsets)."""
    solutions = [
        list(combo)
        for size in range(1, len(amounts) + 1)
        for combo in itertools.combinations(range(len(amounts)), size)
        if sum(amounts[i] for i in combo) == target
    ]
    return min(len(solutions), 2), solutions


def expected_coincidences(
    amounts: list[int], target: int, exhaustive: bool, max_size: int
) -> float:
    """Subsets searched over the pool's total counted in units of the amounts' common divisor.

    Example:
        >>> round(expected_coincidences([150001] * 10, 1, True, 3), 4)
        0.0007
    """
    n = len(amounts)
    unit = math.gcd(*[abs(a) for a in amounts], abs(target)) or 1
    total = sum(abs(a) for a in amounts) / unit or 1.0
    if exhaustive:
        searched = 2.0**n
    else:
        searched = float(sum(math.comb(n, k) for k in range(1, min(max_size, 3) + 1)))
    return searched / total


def find_subsets(
    amounts: list[int], target: int, max_items: int, max_size: int, max_coincidence: float
) -> tuple[int, list[int], bool]:
    """(count, positions, proven) of :func:`~cashmatch.engine.subset_sum.find_subsets`.

    Up to ``max_items`` amounts every subset is tried; beyond, the
    combinations of up to ``min(max_size, 3)`` amounts and the oldest-first
    prefix that reaches the target (ambiguous when an amount inside it is
    also outside it, or when another combination fits). ``positions`` is one
    solution (the first in the order tried).
    """
    amounts = [int(a) for a in amounts]
    n = len(amounts)
    if n == 0:
        return 0, [], True
    if n <= max_items:
        count, solutions = subset_sum(amounts, target)
        proven = expected_coincidences(amounts, target, True, max_size) <= max_coincidence
        return count, solutions[0] if count else [], proven
    combos = [
        list(combo)
        for size in range(1, min(max_size, 3) + 1)
        for combo in itertools.combinations(range(n), size)
        if sum(amounts[i] for i in combo) == target
    ]
    running = list(itertools.accumulate(amounts))
    if target in running:
        prefix = list(range(running.index(target) + 1))
        if set(amounts[: len(prefix)]) & set(amounts[len(prefix) :]):
            return 2, prefix, False
        proven = n / max(float(sum(abs(a) for a in amounts)), 1.0) <= max_coincidence
        others = [c for c in combos if c != prefix]
        return (2, others[0], False) if others else (1, prefix, proven)
    return min(len(combos), 2), combos[0] if combos else [], False


def search_pool(
    pool: list[int],
    amount: np.ndarray,
    issue: np.ndarray,
    due: np.ndarray,
    exclude: list[int],
    target: int,
    limit: int,
    value_date: int,
    window: int,
    max_candidates: int,
    max_items: int,
    max_size: int,
    max_coincidence: float,
    grace_days: int,
) -> tuple[int, list[int], bool, bool]:
    """(count, rows, proven, cut) of :func:`~cashmatch.engine.subset_sum.search_pool`.

    The candidates: open for more than zero and at most ``limit``, issued from
    ``window`` days before the value date to ``grace_days`` after, not
    excluded; when more than ``max_candidates``, those due nearest the value
    date (the earlier in the pool among equals), kept in pool order.
    """
    rows = [
        r
        for r in pool
        if 0 < amount[r] <= limit
        and value_date - window <= issue[r] <= value_date + grace_days
        and r not in exclude
    ]
    cut = len(rows) > max_candidates
    if cut:
        by_distance = sorted(range(len(rows)), key=lambda k: (abs(due[rows[k]] - value_date), k))
        rows = [rows[k] for k in sorted(by_distance[:max_candidates])]
    count, positions, proven = find_subsets(
        [int(amount[r]) for r in rows], target, max_items, max_size, max_coincidence
    )
    return count, sorted(rows[k] for k in positions), proven, cut

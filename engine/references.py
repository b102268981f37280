"""Find the invoices a payment's text refers to, however the payer wrote their numbers.

Invoice numbers are indexed under several keys (see
:func:`cashmatch.engine.normalize.reference_keys`) and, for typos, under every
one-character deletion of their digits (the symmetric-deletion trick: two
strings within one edit share a deletion). Payment texts are cut into tokens
and runs of adjacent tokens, normalised the same way and looked up. All of it
is sorted-hash joins: linear in the text, logarithmic in the open invoices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.config import MatchConfig
from cashmatch.engine.hashing import hash_deletions, hash_strings, typo_join
from cashmatch.engine.normalize import reference_keys

# Quality of a reference hit, by how the token met the invoice number.
QUALITY_EXACT = 1.0  # same letters and digits
QUALITY_OCR = 0.97  # same once OCR-confusable letters are folded
QUALITY_DIGITS = 0.93  # same digits: prefix, separators or zeros dropped
QUALITY_TYPO = 0.8  # one edit away (typo, transposition, missing digit)

# Token separators in free remittance text. Dashes, dots and slashes are kept
# inside tokens: invoice numbers use them.
_SPLIT = r"[\s,;:()\[\]{}#'\"+&*=]+"


@dataclass
class KeyIndex:
    """Sorted hashes of keys and, for each distinct hash, the invoices that carry it."""

    hashes: np.ndarray  # uint64, sorted, distinct
    starts: np.ndarray  # int64, len(hashes) + 1, CSR into rows
    rows: np.ndarray  # int32 invoice positions

    @classmethod
    def build(cls, hashes: np.ndarray, owners: np.ndarray) -> KeyIndex:
        # Invoice positions fit in int32 (2 billion open items): half the memory
        # of the deletion index's ten entries per invoice.
        owners = owners.astype(np.int32, copy=False)
        order = np.lexsort((owners, hashes))
        hashes, owners = hashes[order], owners[order]
        keep = np.ones(len(hashes), bool)
        keep[1:] = (hashes[1:] != hashes[:-1]) | (owners[1:] != owners[:-1])
        hashes, owners = hashes[keep], owners[keep]
        first = np.ones(len(hashes), bool)
        first[1:] = hashes[1:] != hashes[:-1]
        starts = np.flatnonzero(first)
        return cls(hashes[starts], np.append(starts, len(hashes)).astype(np.int64), owners)

    def lookup(self, queries: np.ndarray, max_hits: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (query position, invoice row) for every hit of every query hash."""
        if len(self.hashes) == 0 or len(queries) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        # Searched in sorted order, consecutive queries reuse the last position
        # and the cache lines around it: several times faster than random order.
        by_hash = np.argsort(queries)
        pos = np.empty(len(queries), np.int64)
        pos[by_hash] = np.searchsorted(self.hashes, queries[by_hash])
        pos_c = np.minimum(pos, len(self.hashes) - 1)
        found = self.hashes[pos_c] == queries
        q = np.flatnonzero(found)
        lo, hi = self.starts[pos_c[q]], self.starts[pos_c[q] + 1]
        counts = hi - lo
        ok = counts <= max_hits
        q, lo, counts = q[ok], lo[ok], counts[ok]
        query_of = np.repeat(q, counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return query_of, self.rows[np.repeat(lo, counts) + offsets]

    @property
    def nbytes(self) -> int:
        return self.hashes.nbytes + self.starts.nbytes + self.rows.nbytes


def _valid(keys: pa.Array, min_len: int) -> np.ndarray:
    return pc.greater_equal(pc.utf8_length(keys), min_len).to_numpy(zero_copy_only=False)


@dataclass
class ReferenceIndex:
    """The open invoices' numbers, indexed for noisy lookup."""

    alnum: KeyIndex
    folded: KeyIndex
    digits: KeyIndex  # digits and zero-stripped digit groups, together
    typo: KeyIndex  # one-deletion variants of the digits key
    digits_keys: pa.Array  # per invoice, to verify typo hits (large_string, no nulls)

    @classmethod
    def build(cls, invoice_numbers: pa.Array, config: MatchConfig) -> ReferenceIndex:
        keys = reference_keys(invoice_numbers)
        rows = np.arange(len(invoice_numbers), dtype=np.int32)

        def index(key_names: tuple[str, ...], min_len: int) -> KeyIndex:
            hashes, owners = [], []
            for name in key_names:
                ok = _valid(keys[name], min_len)
                hashes.append(hash_strings(keys[name])[ok])
                owners.append(rows[ok])
            return KeyIndex.build(np.concatenate(hashes), np.concatenate(owners))

        typo_hashes, typo_owner = hash_deletions(keys["digits"], config.min_typo_key)
        return cls(
            alnum=index(("alnum",), 1),
            folded=index(("folded",), 1),
            digits=index(("digits", "groups"), config.min_digits_key),
            typo=KeyIndex.build(typo_hashes, typo_owner),
            digits_keys=keys["digits"].fill_null("").cast(pa.large_string()),
        )

    @property
    def nbytes(self) -> int:
        parts = (self.alnum, self.folded, self.digits, self.typo)
        return sum(p.nbytes for p in parts) + self.digits_keys.nbytes


@dataclass
class ReferenceHits:
    """Which invoice each payment refers to, and how well (one row per pair, best quality)."""

    payment: np.ndarray  # int64 payment position
    invoice: np.ndarray  # int64 invoice position in the index
    quality: np.ndarray  # float64, one of the QUALITY_* values
    structured: np.ndarray  # bool: the reference came from structured remittance


def extract_references(
    texts: pa.Array, with_kind: bool = False
) -> tuple[pa.Array, np.ndarray] | tuple[pa.Array, np.ndarray, np.ndarray]:
    """Cut remittance texts into the candidate references they may quote.

    Candidates are each token, each part of a slash-separated token, and each
    run of two or three adjacent tokens joined (a payer may write
    "INV 2024 000123" for "INV-2024-000123").

    Returns:
        (candidates, owner): ``owner[k]`` is the position of the text ``candidates[k]`` came from;
        with ``with_kind``, also ``joined``: whether a candidate is a run of tokens.

    Example:
        >>> cands, owner = extract_references(pa.array(["Inv 2024/123", None, "PO 77"]))
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
    if with_kind:
        return candidates, np.concatenate(part_owner), np.concatenate(part_joined)
    return candidates, np.concatenate(part_owner)


def find_references(
    index: ReferenceIndex,
    texts: pa.Array,
    config: MatchConfig,
    structured_refs: pa.Array | None = None,
    structured_owner: np.ndarray | None = None,
    payment_amount: np.ndarray | None = None,
    invoice_amount: np.ndarray | None = None,
    payment_slack: np.ndarray | None = None,
) -> ReferenceHits:
    """Look every candidate reference of every payment up in the invoice index.

    Args:
        index: the open invoices' reference index.
        texts: one free remittance text per payment.
        config: key lengths and hit limits.
        structured_refs: invoice references from structured remittance lines.
        structured_owner: the payment position of each structured reference.
        payment_amount, invoice_amount: when given, numbers one edit away are
            only looked for in payments that quote no invoice open for exactly
            the amount paid (for the others a typo cannot change the decision),
            and only among invoices open for the amount paid up to
            ``payment_slack`` more (a fee or discount deducted): with dense
            sequential numbering dozens of invoices are one edit from any
            number, and the amount is what tells the intended one.
    """
    candidates, owner, joined = extract_references(texts, with_kind=True)
    structured = np.zeros(len(candidates), bool)
    if structured_refs is not None and len(structured_refs):
        candidates = pa.concat_arrays([candidates, structured_refs.cast(pa.string())])
        owner = np.concatenate([owner, structured_owner])
        structured = np.concatenate([structured, np.ones(len(structured_refs), bool)])
        joined = np.concatenate([joined, np.zeros(len(structured_refs), bool)])
    keys = reference_keys(candidates)
    limit = config.max_ref_hits_per_key
    found_p, found_i, found_q = [], [], []

    def record(query_of: np.ndarray, rows: np.ndarray, quality: float, among: np.ndarray) -> None:
        found_p.append(among[query_of])
        found_i.append(rows)
        found_q.append(np.full(len(rows), quality))

    all_rows = np.arange(len(candidates))
    for name, key_index, quality in (
        ("alnum", index.alnum, QUALITY_EXACT),
        ("folded", index.folded, QUALITY_OCR),
    ):
        ok = all_rows[_valid(keys[name], 1)]
        query_of, rows = key_index.lookup(hash_strings(keys[name])[ok], limit)
        record(query_of, rows, quality, ok)
    for name in ("digits", "groups"):
        ok = all_rows[_valid(keys[name], config.min_digits_key)]
        query_of, rows = index.digits.lookup(hash_strings(keys[name])[ok], limit)
        record(query_of, rows, QUALITY_DIGITS, ok)

    # Typos: the token's digits, and each of its deletions, against the invoices'
    # digits and their deletions; every hit is checked at one edit as it is found.
    digits = keys["digits"]
    wanted = _valid(digits, config.min_typo_key) & ~joined
    if payment_amount is not None and found_p:
        hit_payment = owner[np.concatenate(found_p)]
        hit_invoice = np.concatenate(found_i)
        settled = np.zeros(len(payment_amount), bool)
        settled[hit_payment[invoice_amount[hit_invoice] == payment_amount[hit_payment]]] = True
        wanted &= ~settled[owner]
    ok = all_rows[wanted]
    own_hashes = hash_strings(digits)[ok]
    del_hashes, del_owner = hash_deletions(pc.take(digits, pa.array(ok)), config.min_typo_key)
    typo_tok, typo_inv = [], []
    for queries, token_of, key_index in (
        (own_hashes, ok, index.typo),
        (del_hashes, ok[del_owner], index.digits),
        (del_hashes, ok[del_owner], index.typo),
    ):
        low = high = None
        if payment_amount is not None:
            paid = payment_amount[owner[token_of]]
            slack = payment_slack[owner[token_of]] if payment_slack is not None else 0
            low, high = paid, paid + slack
        tok, inv = typo_join(
            queries,
            token_of,
            key_index.hashes,
            key_index.starts,
            key_index.rows,
            digits,
            index.digits_keys,
            config.max_typo_hits_per_key,
            low,
            high,
            invoice_amount,
        )
        typo_tok.append(tok)
        typo_inv.append(inv)
    tok, inv = np.concatenate(typo_tok), np.concatenate(typo_inv)
    record(np.arange(len(tok)), inv, QUALITY_TYPO, tok)

    payment = owner[np.concatenate(found_p)] if found_p else np.zeros(0, np.int64)
    is_structured = structured[np.concatenate(found_p)] if found_p else np.zeros(0, bool)
    invoice = np.concatenate(found_i) if found_i else np.zeros(0, np.int64)
    quality = np.concatenate(found_q) if found_q else np.zeros(0)
    # One row per (payment, invoice): the best quality wins, structured or not.
    order = np.lexsort((-quality, invoice, payment))
    payment, invoice, quality = payment[order], invoice[order], quality[order]
    is_structured = is_structured[order]
    first = np.ones(len(payment), bool)
    first[1:] = (payment[1:] != payment[:-1]) | (invoice[1:] != invoice[:-1])
    return ReferenceHits(payment[first], invoice[first], quality[first], is_structured[first])

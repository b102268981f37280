"""Find the invoices a payment's text refers to, however the payer wrote their numbers.

Invoice numbers are indexed under several keys (see
:func:`cashmatch.engine.normalize.reference_keys`) and, for typos, under every
one-character deletion of their digits (the symmetric-deletion trick: two
strings within one edit share a deletion). Payment texts are cut into tokens
and runs of adjacent tokens, normalised the same way and looked up. All of it
is sorted-hash joins: linear in the text, logarithmic in the open invoices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.config import MatchConfig
from cashmatch.engine.hashing import (
    _buffers,
    bucket_directory,
    hash_deletions,
    hash_deletions_of,
    hash_order,
    hash_strings,
    lookup_hashes,
    typo_join_buffers,
)
from cashmatch.engine.keys_kernel import hash_keys, key_buffers
from cashmatch.engine.normalize import reference_keys
from cashmatch.engine.tokens_kernel import candidate_buffers


@dataclass
class KeyIndex:
    """Sorted hashes of keys and, for each distinct hash, the invoices that carry it."""

    hashes: np.ndarray  # uint64, sorted, distinct
    starts: np.ndarray  # int64, len(hashes) + 1, CSR into rows
    rows: np.ndarray  # int32 invoice positions
    directory: np.ndarray  # int64, see hashing.bucket_directory
    shift: int

    @classmethod
    def build(cls, hashes: np.ndarray, owners: np.ndarray) -> KeyIndex:
        # Invoice positions fit in int32 (2 billion open items): half the memory
        # of the deletion index's ten entries per invoice.
        owners = owners.astype(np.int32, copy=False)
        if len(owners) < 2 or bool(np.all(owners[1:] >= owners[:-1])):
            # Owners come in order (each key's variants together): a stable sort
            # by hash alone is the sort by (hash, owner).
            order = hash_order(np.ascontiguousarray(hashes, np.uint64))
        else:
            order = np.lexsort((owners, hashes))
        hashes, owners = hashes[order], owners[order]
        keep = np.ones(len(hashes), bool)
        keep[1:] = (hashes[1:] != hashes[:-1]) | (owners[1:] != owners[:-1])
        hashes, owners = hashes[keep], owners[keep]
        first = np.ones(len(hashes), bool)
        first[1:] = hashes[1:] != hashes[:-1]
        starts = np.flatnonzero(first)
        distinct = np.ascontiguousarray(hashes[starts])
        directory, shift = bucket_directory(distinct)
        starts = np.append(starts, len(hashes)).astype(np.int64)
        return cls(distinct, starts, owners, directory, shift)

    def lookup(
        self,
        queries: np.ndarray,
        max_hits: int,
        selected: np.ndarray | None = None,
        ordered_min: int = MatchConfig.ordered_min_queries,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return (query position, invoice row) for every hit of every query hash.

        Args:
            queries: uint64 hashes.
            max_hits: hashes carried by more invoices than this are skipped.
            selected: the positions of the queries to look up (all when None);
                the query positions returned are positions in ``queries``.
            ordered_min: see :func:`~cashmatch.engine.hashing.lookup_hashes` (speed only).
        """
        if selected is None:
            selected = np.arange(len(queries))
        return lookup_hashes(
            self.hashes,
            self.directory,
            self.shift,
            self.starts,
            self.rows,
            queries,
            selected,
            max_hits,
            ordered_min,
        )

    @property
    def nbytes(self) -> int:
        parts = (self.hashes, self.starts, self.rows, self.directory)
        return sum(p.nbytes for p in parts)


def _valid(keys: pa.Array, min_len: int) -> np.ndarray:
    return pc.greater_equal(pc.utf8_length(keys), min_len).to_numpy(zero_copy_only=False)


# The key indexes of a ReferenceIndex, by attribute name.
KEY_INDEXES = ("alnum", "folded", "digits", "typo")


def index_entries(
    invoice_numbers: pa.Array, config: MatchConfig
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], pa.Array]:
    """What each key index holds: (hashes, invoice positions), and each invoice's digits key.

    ``alnum`` and ``folded`` hold those keys of every number, ``digits`` its
    digits and zero-stripped digit groups (from ``min_digits_key``
    characters), ``typo`` every one-character deletion of its digits (from
    ``min_typo_key``). Positions are those in ``invoice_numbers``.
    """
    keys = reference_keys(invoice_numbers)
    rows = np.arange(len(invoice_numbers), dtype=np.int32)

    def entries(key_names: tuple[str, ...], min_len: int) -> tuple[np.ndarray, np.ndarray]:
        hashes, owners = [], []
        for name in key_names:
            ok = _valid(keys[name], min_len)
            hashes.append(hash_strings(keys[name])[ok])
            owners.append(rows[ok])
        return np.concatenate(hashes), np.concatenate(owners)

    return {
        "alnum": entries(("alnum",), 1),
        "folded": entries(("folded",), 1),
        "digits": entries(("digits", "groups"), config.min_digits_key),
        "typo": hash_deletions(keys["digits"], config.min_typo_key),
    }, keys["digits"].fill_null("").cast(pa.large_string())


def exact_lookups(config: MatchConfig) -> tuple[tuple[int, str, float, int], ...]:
    """How candidates are looked up, in order: (key, index, quality, least key length).

    ``key`` is a row of :func:`~cashmatch.engine.keys_kernel.key_buffers`
    (alnum, folded, digits, groups); ``index`` a :data:`KEY_INDEXES` name.
    """
    return (
        (0, "alnum", config.quality_exact, 1),
        (1, "folded", config.quality_ocr, 1),
        (2, "digits", config.quality_digits, config.min_digits_key),
        (3, "digits", config.quality_digits, config.min_digits_key),
    )


# Typos, in order: (the query is a deletion of the token's digits rather than
# the digits themselves, the index searched). Two strings one edit apart share
# a deletion, or one is a deletion of the other.
TYPO_JOINS = ((False, "typo"), (True, "digits"), (True, "typo"))


@dataclass
class ReferenceIndex:
    """The open invoices' numbers, indexed for noisy lookup."""

    alnum: KeyIndex
    folded: KeyIndex
    digits: KeyIndex  # digits and zero-stripped digit groups, together
    typo: KeyIndex  # one-deletion variants of the digits key
    digits_keys: pa.Array  # per invoice, to verify typo hits (large_string, no nulls)
    # digits_keys' (offsets, bytes), read once rather than per batch.
    digits_buffers: tuple[np.ndarray, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.digits_buffers = _buffers(self.digits_keys)

    @classmethod
    def build(cls, invoice_numbers: pa.Array, config: MatchConfig) -> ReferenceIndex:
        return cls.from_entries(*index_entries(invoice_numbers, config))

    @classmethod
    def from_entries(
        cls, entries: dict[str, tuple[np.ndarray, np.ndarray]], digits_keys: pa.Array
    ) -> ReferenceIndex:
        """The index of the (hash, invoice position) entries of :func:`index_entries`.

        The entries may be any set of invoices' (a Spark partition holds every
        entry of some hashes, :mod:`cashmatch.server.spark.routing`): a hash's
        invoices, and so the ``max_*_hits_per_key`` limits, are those given.
        """
        return cls(
            **{name: KeyIndex.build(*entries[name]) for name in KEY_INDEXES},
            digits_keys=digits_keys,
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
    quality: np.ndarray  # float64, one of MatchConfig.quality_levels
    structured: np.ndarray  # bool: the reference came from structured remittance


def _text_buffers(texts: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The texts' (offsets, bytes), nulls as "", letters beyond ASCII upper-cased by pyarrow.

    The candidate kernel upper-cases ASCII itself; only texts with other bytes
    pay for pyarrow's Unicode upper-casing.
    """
    offsets, data = _buffers(texts)
    if len(data) and data.max() >= 128:
        offsets, data = _buffers(pc.utf8_upper(texts))
    return offsets, data


def _string_array(offsets: np.ndarray, data: np.ndarray) -> pa.Array:
    array = pa.LargeStringArray.from_buffers(
        len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data)
    )
    return array.cast(pa.string())


def extract_references(
    texts: pa.Array, with_kind: bool = False
) -> tuple[pa.Array, np.ndarray] | tuple[pa.Array, np.ndarray, np.ndarray]:
    """Cut remittance texts into the candidate references they may quote.

    Candidates are each token, each part of a slash-separated token, and each
    run of two or three adjacent tokens joined (a payer may write
    "INV 2024 000123" for "INV-2024-000123"). One numba pass
    (:mod:`cashmatch.engine.tokens_kernel`); tests/naive.py holds its plain
    twin, written with pyarrow kernels.

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
    offsets, data, owner, joined = candidate_buffers(*_text_buffers(texts))
    candidates = _string_array(offsets, data)
    if with_kind:
        return candidates, owner, joined
    return candidates, owner


def _pair_order(
    payment: np.ndarray,
    invoice: np.ndarray,
    quality: np.ndarray,
    n_invoices: int,
    quality_levels: tuple[float, ...],
) -> np.ndarray:
    """The stable order by payment, invoice, then best quality first.

    That is ``np.lexsort((-quality, invoice, payment))``; with the three packed
    into one int64 key (the quality as its rank among ``quality_levels``,
    best first) a single stable sort does it, ten times faster on the
    millions of hits of a large batch.
    """
    n_payments = int(payment.max()) + 1 if len(payment) else 0
    all_levels = np.array(quality_levels, np.float64)
    levels = len(all_levels)
    rank = np.searchsorted(-all_levels, -quality)
    exact = len(payment) == 0 or (rank.max() < levels and np.array_equal(all_levels[rank], quality))
    if not exact or n_payments * max(n_invoices, 1) * levels >= 2**62:
        return np.lexsort((-quality, invoice, payment))
    key = (payment * n_invoices + invoice) * levels + rank
    return np.argsort(key, kind="stable")


@dataclass
class ReferenceQueries:
    """The candidate references of a batch's texts, each with its four hashed keys.

    Attributes:
        owner: the text (payment, or remittance line) each candidate came from.
        structured: whether it came from structured remittance (taken whole).
        joined: whether it is a run of adjacent tokens.
        key_offsets, key_data: the keys' buffers, one row per key
            (:func:`~cashmatch.engine.keys_kernel.key_buffers`).
        hashes: each candidate's key hashes, one row per key.
        lengths: each key's length in bytes, one row per key.
    """

    owner: np.ndarray
    structured: np.ndarray
    joined: np.ndarray
    key_offsets: np.ndarray
    key_data: np.ndarray
    hashes: np.ndarray
    lengths: np.ndarray

    @property
    def digits(self) -> tuple[np.ndarray, np.ndarray]:
        """The digits keys' (offsets, bytes): what typos are measured on."""
        return self.key_offsets[2], self.key_data[2]


def reference_queries(
    texts: pa.Array,
    structured_refs: pa.Array | None = None,
    structured_owner: np.ndarray | None = None,
) -> ReferenceQueries:
    """Cut texts into candidate references and hash their keys (see :func:`find_references`)."""
    # Everything runs on (offsets, bytes) buffers and numba kernels: pyarrow
    # kernels cost tens of microseconds a call whatever the size, the fixed
    # cost that dominated a single payment.
    c_off, c_data, owner, joined = candidate_buffers(*_text_buffers(texts))
    structured = np.zeros(len(owner), bool)
    if structured_refs is not None and len(structured_refs):
        s_off, s_data = _buffers(structured_refs)
        c_off = np.concatenate([c_off, s_off[1:] + c_off[-1]])
        c_data = np.concatenate([c_data, s_data])
        owner = np.concatenate([owner, structured_owner])
        structured = np.concatenate([structured, np.ones(len(structured_refs), bool)])
        joined = np.concatenate([joined, np.zeros(len(structured_refs), bool)])
    # Keys in the order alnum, folded, digits, groups (see keys_kernel.key_buffers).
    k_off, k_data = key_buffers(c_off, c_data)
    hashes = hash_keys(k_off, k_data)
    lengths = np.diff(k_off, axis=1)
    return ReferenceQueries(owner, structured, joined, k_off, k_data, hashes, lengths)


def typo_tokens(
    queries: ReferenceQueries, config: MatchConfig, settled: np.ndarray | None = None
) -> np.ndarray:
    """Positions of the candidates whose digits are looked up one edit away.

    Args:
        settled: per text, whether it already quotes an invoice open for
            exactly the amount paid (then a typo cannot change its decision).
    """
    wanted = (queries.lengths[2] >= config.min_typo_key) & ~queries.joined
    if settled is not None:
        wanted &= ~settled[queries.owner]
    return np.flatnonzero(wanted)


def quotes_amount_paid(
    hit_owner: np.ndarray,
    hit_amount: np.ndarray,
    payment_amount: np.ndarray,
) -> np.ndarray:
    """Per payment, whether one of its exact hits is an invoice open for the amount paid.

    Args:
        hit_owner: the payment of each hit of the exact lookups.
        hit_amount: the open amount of each hit's invoice.
        payment_amount: per payment.
    """
    settled = np.zeros(len(payment_amount), bool)
    settled[hit_owner[hit_amount == payment_amount[hit_owner]]] = True
    return settled


def distinct_pairs(
    payment: np.ndarray,
    invoice: np.ndarray,
    quality: np.ndarray,
    structured: np.ndarray,
    n_invoices: int,
    config: MatchConfig,
) -> ReferenceHits:
    """One hit per (payment, invoice), the best quality first found; ordered by payment, invoice.

    The hits come in the order they were found: by lookup (:func:`exact_lookups`,
    then :data:`TYPO_JOINS`), then by candidate.
    """
    payment = np.asarray(payment, np.int64)
    invoice = np.asarray(invoice, np.int64)
    order = _pair_order(payment, invoice, quality, n_invoices, config.quality_levels)
    payment, invoice, quality = payment[order], invoice[order], quality[order]
    structured = structured[order]
    first = np.ones(len(payment), bool)
    first[1:] = (payment[1:] != payment[:-1]) | (invoice[1:] != invoice[:-1])
    return ReferenceHits(payment[first], invoice[first], quality[first], structured[first])


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

    Each step is a declaration or a function of its own (:func:`reference_queries`,
    :func:`exact_lookups`, :func:`typo_tokens`, :data:`TYPO_JOINS`,
    :func:`distinct_pairs`), so that a lookup split by key across machines
    (:mod:`cashmatch.server.spark.routing`) finds what this finds.
    """
    queries = reference_queries(texts, structured_refs, structured_owner)
    found_c, found_i, found_q = [], [], []

    def record(candidate: np.ndarray, rows: np.ndarray, quality: float) -> None:
        found_c.append(candidate)
        found_i.append(rows)
        found_q.append(np.full(len(rows), quality))

    for key, name, quality, min_len in exact_lookups(config):
        ok = np.flatnonzero(queries.lengths[key] >= min_len)
        key_index: KeyIndex = getattr(index, name)
        hits = key_index.lookup(
            queries.hashes[key], config.max_ref_hits_per_key, ok, config.ordered_min_queries
        )
        record(*hits, quality)

    # Typos: the token's digits, and each of its deletions, against the invoices'
    # digits and their deletions; every hit is checked at one edit as it is found.
    settled = None
    if payment_amount is not None:
        candidate = np.concatenate(found_c)
        settled = quotes_amount_paid(
            queries.owner[candidate], invoice_amount[np.concatenate(found_i)], payment_amount
        )
    ok = typo_tokens(queries, config, settled)
    own_hashes = queries.hashes[2][ok]
    del_hashes, del_owner = hash_deletions_of(*queries.digits, ok, config.min_typo_key)
    typo_tok, typo_inv = [], []
    for by_deletion, name in TYPO_JOINS:
        hashes, token_of = (del_hashes, ok[del_owner]) if by_deletion else (own_hashes, ok)
        key_index = getattr(index, name)
        low = high = None
        if payment_amount is not None:
            paid = payment_amount[queries.owner[token_of]]
            slack = payment_slack[queries.owner[token_of]] if payment_slack is not None else 0
            low, high = paid, paid + slack
        tok, inv = typo_join_buffers(
            hashes,
            token_of,
            key_index.hashes,
            key_index.directory,
            key_index.shift,
            key_index.starts,
            key_index.rows,
            queries.digits,
            index.digits_buffers,
            config.max_typo_hits_per_key,
            low,
            high,
            invoice_amount,
            config.parallel_min_items,
            config.ordered_min_queries,
        )
        typo_tok.append(tok)
        typo_inv.append(inv)
    record(np.concatenate(typo_tok), np.concatenate(typo_inv), config.quality_typo)

    candidate = np.concatenate(found_c)
    return distinct_pairs(
        queries.owner[candidate],
        np.concatenate(found_i),
        np.concatenate(found_q),
        queries.structured[candidate],
        len(index.digits_keys),
        config,
    )

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
from cashmatch.engine.shorthand import expand_shorthand
from cashmatch.engine.tokens_kernel import candidate_buffers
from cashmatch.engine.year_sequence import invoice_keys, text_keys


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


# The key indexes of a ReferenceIndex, by attribute name: the invoice numbers'
# keys, the one-deletion variants of their digits, the open items' PO numbers,
# and numbers that restart every year by "YYYY#sequence".
KEY_INDEXES = ("alnum", "folded", "digits", "typo", "po", "year_seq")


def _po_entries(po_numbers: pa.Array, config: MatchConfig) -> tuple[np.ndarray, np.ndarray] | None:
    """The PO numbers by their letters and digits ("PO-7700441" as "PO7700441"), and by the
    digits when letters come first ("7700441": payers drop "PO-" as they drop "INV-").
    None when no item has one."""
    # Most items carry no PO: only those that do are read.
    rows = np.flatnonzero(pc.is_valid(po_numbers).to_numpy(zero_copy_only=False))
    if not len(rows):
        return None
    keys = reference_keys(po_numbers.take(pa.array(rows)))
    rows = rows.astype(np.int32)
    hashes, owners = [], []
    for name in ("alnum", "digits"):
        ok = _valid(keys[name], config.min_digits_key)
        hashes.append(hash_strings(keys[name])[ok])
        owners.append(rows[ok])
    return np.concatenate(hashes), np.concatenate(owners)


def _year_seq_entries(invoice_numbers: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    keys = invoice_keys(invoice_numbers)
    valid = pc.is_valid(keys).to_numpy(zero_copy_only=False)
    rows = np.arange(len(keys), dtype=np.int32)[valid]
    return hash_strings(pc.filter(keys, pa.array(valid))), rows


def index_entries(
    invoice_numbers: pa.Array,
    config: MatchConfig,
    po_numbers: pa.Array | None = None,
    year_sequences: bool = True,
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], pa.Array]:
    """What each key index holds: (hashes, invoice positions), and each invoice's digits key.

    ``alnum`` and ``folded`` hold those keys of every number, ``digits`` its
    digits and zero-stripped digit groups (from ``min_digits_key``
    characters), ``typo`` every one-character deletion of its digits (from
    ``min_typo_key``), ``po`` the PO numbers' keys (only when an item has
    one), ``year_seq`` the numbers' year and sequence (with
    ``year_sequences``; in process it is built on first need). Positions are
    those in ``invoice_numbers``.
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

    found = {
        "alnum": entries(("alnum",), 1),
        "folded": entries(("folded",), 1),
        "digits": entries(("digits", "groups"), config.min_digits_key),
        "typo": hash_deletions(keys["digits"], config.min_typo_key),
    }
    po = _po_entries(po_numbers, config) if po_numbers is not None else None
    if po is not None:
        found["po"] = po
    if year_sequences:
        found["year_seq"] = _year_seq_entries(invoice_numbers)
    return found, keys["digits"].fill_null("").cast(pa.large_string())


def exact_lookups(config: MatchConfig) -> tuple[tuple[int, str, float, int], ...]:
    """How candidates are looked up before typos, in order: (key, index, quality, least length).

    ``key`` is a row of :func:`~cashmatch.engine.keys_kernel.key_buffers`
    (alnum, folded, digits, groups); ``index`` a :data:`KEY_INDEXES` name. PO
    numbers name every invoice issued under them, as strongly as an invoice's
    digits: a candidate's letters and digits, or its digits.
    """
    return (
        (0, "alnum", config.quality_exact, 1),
        (1, "folded", config.quality_ocr, 1),
        (2, "digits", config.quality_digits, config.min_digits_key),
        (3, "digits", config.quality_digits, config.min_digits_key),
        (0, "po", config.quality_digits, config.min_digits_key),
        (2, "po", config.quality_digits, config.min_digits_key),
    )


# Typos, in order: (the query is a deletion of the token's digits rather than
# the digits themselves, the index searched). Two strings one edit apart share
# a deletion, or one is a deletion of the other.
TYPO_JOINS = ((False, "typo"), (True, "digits"), (True, "typo"))
# Lookups are numbered in the order they run (engine/global_facts.ROUTED_HITS):
# exact_lookups(), then TYPO_JOINS, then sequence-and-year quotes.
FIRST_TYPO = 6
YEAR_SEQ_LOOKUP = FIRST_TYPO + len(TYPO_JOINS)


@dataclass
class ReferenceIndex:
    """The open invoices' numbers, indexed for noisy lookup."""

    alnum: KeyIndex
    folded: KeyIndex
    digits: KeyIndex  # digits and zero-stripped digit groups, together
    typo: KeyIndex  # one-deletion variants of the digits key
    digits_keys: pa.Array  # per invoice, to verify typo hits (large_string, no nulls)
    po: KeyIndex | None = None  # the open items' purchase-order numbers, letters and digits
    # The numbers themselves, for the index built on first need below.
    numbers: pa.Array | None = field(default=None, repr=False)
    # digits_keys' (offsets, bytes), read once rather than per batch.
    digits_buffers: tuple[np.ndarray, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.digits_buffers = _buffers(self.digits_keys)
        self._year_seq: KeyIndex | None = None
        self._year_seq_built = False

    def year_sequences(self) -> KeyIndex | None:
        """Numbers restarting every year, by ``"YYYY#sequence"`` (engine/year_sequence.py).

        Built the first time a payment text quotes a sequence and a year, not with
        the index: reading a million numbers' years costs a few tenths of a second.
        """
        if not self._year_seq_built and self.numbers is not None:
            hashes, rows = _year_seq_entries(self.numbers)
            self._year_seq = KeyIndex.build(hashes, rows) if len(rows) else None
            self._year_seq_built = True
        return self._year_seq

    @classmethod
    def build(
        cls, invoice_numbers: pa.Array, config: MatchConfig, po_numbers: pa.Array | None = None
    ) -> ReferenceIndex:
        """Index the invoice numbers (and, when given, each item's PO number).

        Example:
            >>> index = ReferenceIndex.build(pa.array(["INV-1", "INV-2"]), MatchConfig(),
            ...                              pa.array(["PO-7700441", None]))
            >>> hits = find_references(index, pa.array(["PO 7700441"]), MatchConfig())
            >>> hits.invoice.tolist(), hits.quality.tolist()
            ([0], [0.93])
        """
        entries, digits_keys = index_entries(
            invoice_numbers, config, po_numbers, year_sequences=False
        )
        index = cls.from_entries(entries, digits_keys)
        index.numbers = invoice_numbers
        return index

    @classmethod
    def from_entries(
        cls, entries: dict[str, tuple[np.ndarray, np.ndarray]], digits_keys: pa.Array
    ) -> ReferenceIndex:
        """The index of the (hash, invoice position) entries of :func:`index_entries`.

        The entries may be any set of invoices' (a Spark partition holds every
        entry of some hashes, :mod:`cashmatch.server.spark.routing`): a hash's
        invoices, and so the ``max_*_hits_per_key`` limits, are those given.
        """
        index = cls(
            **{name: KeyIndex.build(*entries[name]) for name in KEY_INDEXES[:4]},
            digits_keys=digits_keys,
            po=KeyIndex.build(*entries["po"]) if "po" in entries else None,
        )
        if "year_seq" in entries:
            index._year_seq, index._year_seq_built = KeyIndex.build(*entries["year_seq"]), True
        return index

    @property
    def nbytes(self) -> int:
        extra = tuple(k for k in (self.po, self._year_seq) if k is not None)
        parts = (self.alnum, self.folded, self.digits, self.typo) + extra
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
        joined: whether it is a run of adjacent tokens, or derived from the
            text (shorthand written out): not looked for at one edit.
        key_offsets, key_data: the keys' buffers, one row per key
            (:func:`~cashmatch.engine.keys_kernel.key_buffers`).
        hashes: each candidate's key hashes, one row per key.
        lengths: each key's length in bytes, one row per key.
        year_quotes, year_owner: the texts' sequence-and-year quotes
            (:func:`~cashmatch.engine.year_sequence.text_keys`), candidates
            after the others (numbered from ``len(owner)``).
    """

    owner: np.ndarray
    structured: np.ndarray
    joined: np.ndarray
    key_offsets: np.ndarray
    key_data: np.ndarray
    hashes: np.ndarray
    lengths: np.ndarray
    year_quotes: list[str]
    year_owner: np.ndarray

    @property
    def digits(self) -> tuple[np.ndarray, np.ndarray]:
        """The digits keys' (offsets, bytes): what typos are measured on."""
        return self.key_offsets[2], self.key_data[2]

    @property
    def year_hashes(self) -> np.ndarray:
        return hash_strings(pa.array(self.year_quotes, pa.string()))

    def text_of(self, candidate: np.ndarray) -> np.ndarray:
        """The text each candidate (sequence-and-year quotes included) came from."""
        return np.concatenate([self.owner, self.year_owner])[candidate]

    def structured_of(self, candidate: np.ndarray) -> np.ndarray:
        return np.concatenate([self.structured, np.zeros(len(self.year_owner), bool)])[candidate]


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
    # The kernel may size its byte buffer a little above what it wrote: what is
    # appended below must start where the last candidate ends.
    c_data = c_data[: c_off[-1]]
    structured = np.zeros(len(owner), bool)
    if structured_refs is not None and len(structured_refs):
        s_off, s_data = _buffers(structured_refs)
        c_off = np.concatenate([c_off, s_off[1:] + c_off[-1]])
        c_data = np.concatenate([c_data, s_data])
        owner = np.concatenate([owner, structured_owner])
        structured = np.concatenate([structured, np.ones(len(structured_refs), bool)])
        joined = np.concatenate([joined, np.zeros(len(structured_refs), bool)])
    # Numbers written as shorthand, ranges or glued, written out (engine/shorthand.py);
    # derived, so not looked for at one edit (marked as joined).
    expanded, expanded_owner = expand_shorthand(texts)
    if expanded:
        e_off, e_data = _buffers(pa.array(expanded, pa.string()))
        c_off = np.concatenate([c_off, e_off[1:] + c_off[-1]])
        c_data = np.concatenate([c_data, e_data])
        owner = np.concatenate([owner, expanded_owner])
        structured = np.concatenate([structured, np.zeros(len(expanded), bool)])
        joined = np.concatenate([joined, np.ones(len(expanded), bool)])
    # Keys in the order alnum, folded, digits, groups (see keys_kernel.key_buffers).
    k_off, k_data = key_buffers(c_off, c_data)
    hashes = hash_keys(k_off, k_data)
    lengths = np.diff(k_off, axis=1)
    quotes, quote_owner = text_keys(texts)
    return ReferenceQueries(
        owner,
        structured,
        joined,
        k_off,
        k_data,
        hashes,
        lengths,
        quotes,
        np.asarray(quote_owner, np.int64),
    )


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


def netted_by_structured(
    payment: np.ndarray, invoice: np.ndarray, structured: np.ndarray, invoice_amount: np.ndarray
) -> np.ndarray:
    """Which hits to keep: not the structured ones of a payment whose advice nets a credit note.

    A remittance advice that nets a credit note (a line naming a negative open
    item) is not used until the decisions apply credit notes: applied without
    it, its invoices would be posted as part payments.
    """
    if not structured.any():
        return np.ones(len(payment), bool)
    nets = np.zeros(int(payment.max()) + 1, bool)
    nets[payment[structured & (invoice_amount[invoice] < 0)]] = True
    return ~(structured & nets[payment])


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
    :data:`TYPO_JOINS`, sequence-and-year quotes), then by candidate.
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

    Candidates are the text's tokens and runs (:func:`extract_references`),
    the structured references, the numbers shorthand, ranges and glued
    numbers stand for (:mod:`~cashmatch.engine.shorthand`), the PO numbers of
    the open items, and sequence-and-year quotes of numbers that restart every
    year (:mod:`~cashmatch.engine.year_sequence`).

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
    :func:`netted_by_structured`, :func:`distinct_pairs`), so that a lookup
    split by key across machines (:mod:`cashmatch.server.spark.routing`)
    finds what this finds; a new lookup must be declared there too (the
    Spark sameness test shows one that is not).
    """
    queries = reference_queries(texts, structured_refs, structured_owner)
    limit = config.max_ref_hits_per_key
    found_c, found_i, found_q = [], [], []

    def record(candidate: np.ndarray, rows: np.ndarray, quality: float) -> None:
        found_c.append(candidate)
        found_i.append(rows)
        found_q.append(np.full(len(rows), quality))

    for key, name, quality, min_len in exact_lookups(config):
        key_index: KeyIndex | None = getattr(index, name)
        if key_index is None:  # no open item has a PO number
            continue
        ok = np.flatnonzero(queries.lengths[key] >= min_len)
        record(
            *key_index.lookup(queries.hashes[key], limit, ok, config.ordered_min_queries), quality
        )

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

    # Sequence-and-year quotes ("117/25", "N° 117 du 03/01/2025"), as pseudo-candidates
    # after the real ones, as strong as an invoice's digits.
    years = index.year_sequences() if queries.year_quotes else None
    if years is not None:
        q_pos, q_rows = years.lookup(queries.year_hashes, limit, None, config.ordered_min_queries)
        record(q_pos + len(queries.owner), q_rows, config.quality_digits)

    candidate = np.concatenate(found_c)
    payment = queries.text_of(candidate)
    invoice = np.concatenate(found_i)
    quality = np.concatenate(found_q)
    structured = queries.structured_of(candidate)
    if invoice_amount is not None:
        keep = netted_by_structured(payment, invoice, structured, invoice_amount)
        payment, invoice, quality, structured = (
            payment[keep],
            invoice[keep],
            quality[keep],
            structured[keep],
        )
    return distinct_pairs(payment, invoice, quality, structured, len(index.digits_keys), config)

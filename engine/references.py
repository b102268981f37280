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
            self._year_seq = _year_seq_index(self.numbers)
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
            po=_po_index(po_numbers, config),
            numbers=invoice_numbers,
        )

    @property
    def nbytes(self) -> int:
        extra = tuple(k for k in (self.po, self._year_seq) if k is not None)
        parts = (self.alnum, self.folded, self.digits, self.typo) + extra
        return sum(p.nbytes for p in parts) + self.digits_keys.nbytes


def _year_seq_index(invoice_numbers: pa.Array) -> KeyIndex | None:
    keys = invoice_keys(invoice_numbers)
    valid = pc.is_valid(keys).to_numpy(zero_copy_only=False)
    if not valid.any():
        return None
    rows = np.arange(len(keys), dtype=np.int32)[valid]
    return KeyIndex.build(hash_strings(pc.filter(keys, pa.array(valid))), rows)


def _po_index(po_numbers: pa.Array | None, config: MatchConfig) -> KeyIndex | None:
    """The PO numbers by their letters and digits ("PO-7700441" as "PO7700441"), and by the
    digits when letters come first ("7700441": payers drop "PO-" as they drop "INV-")."""
    if po_numbers is None:
        return None
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
    return KeyIndex.build(np.concatenate(hashes), np.concatenate(owners))


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
    """
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
    limit = config.max_ref_hits_per_key
    found_p, found_i, found_q = [], [], []

    def record(candidate: np.ndarray, rows: np.ndarray, quality: float) -> None:
        found_p.append(candidate)
        found_i.append(rows)
        found_q.append(np.full(len(rows), quality))

    for key, key_index, quality, min_len in (
        (0, index.alnum, config.quality_exact, 1),
        (1, index.folded, config.quality_ocr, 1),
        (2, index.digits, config.quality_digits, config.min_digits_key),
        (3, index.digits, config.quality_digits, config.min_digits_key),
    ):
        ok = np.flatnonzero(lengths[key] >= min_len)
        record(*key_index.lookup(hashes[key], limit, ok, config.ordered_min_queries), quality)
    if index.po is not None:
        # PO numbers, which name every invoice issued under them, as strongly as
        # an invoice's digits: a candidate's letters and digits, or its digits.
        for key in (0, 2):
            ok = np.flatnonzero(lengths[key] >= config.min_digits_key)
            hits = index.po.lookup(hashes[key], limit, ok, config.ordered_min_queries)
            record(*hits, config.quality_digits)

    # Typos: the token's digits, and each of its deletions, against the invoices'
    # digits and their deletions; every hit is checked at one edit as it is found.
    digits = (k_off[2], k_data[2])
    wanted = (lengths[2] >= config.min_typo_key) & ~joined
    if payment_amount is not None and found_p:
        hit_payment = owner[np.concatenate(found_p)]
        hit_invoice = np.concatenate(found_i)
        settled = np.zeros(len(payment_amount), bool)
        settled[hit_payment[invoice_amount[hit_invoice] == payment_amount[hit_payment]]] = True
        wanted &= ~settled[owner]
    ok = np.flatnonzero(wanted)
    own_hashes = hashes[2][ok]
    del_hashes, del_owner = hash_deletions_of(*digits, ok, config.min_typo_key)
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
        tok, inv = typo_join_buffers(
            queries,
            token_of,
            key_index.hashes,
            key_index.directory,
            key_index.shift,
            key_index.starts,
            key_index.rows,
            digits,
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
    quotes, quote_owner = text_keys(texts)
    years = index.year_sequences() if quotes else None
    if years is not None:
        first = len(owner)
        owner = np.concatenate([owner, np.array(quote_owner, np.int64)])
        structured = np.concatenate([structured, np.zeros(len(quotes), bool)])
        quote_hashes = hash_strings(pa.array(quotes, pa.string()))
        q_pos, q_rows = years.lookup(quote_hashes, limit, None, config.ordered_min_queries)
        record(q_pos + first, q_rows, config.quality_digits)
    payment = owner[np.concatenate(found_p)] if found_p else np.zeros(0, np.int64)
    is_structured = structured[np.concatenate(found_p)] if found_p else np.zeros(0, bool)
    invoice = np.concatenate(found_i) if found_i else np.zeros(0, np.int64)
    quality = np.concatenate(found_q) if found_q else np.zeros(0)
    if invoice_amount is not None and is_structured.any():
        # A remittance advice that nets a credit note (a line naming a negative open
        # item) is not used until the decisions apply credit notes: applied without
        # it, its invoices would be posted as part payments.
        nets = np.zeros(int(owner.max()) + 1 if len(owner) else 0, bool)
        nets[payment[is_structured & (invoice_amount[invoice] < 0)]] = True
        keep = ~(is_structured & nets[payment])
        payment, invoice, quality = payment[keep], invoice[keep], quality[keep]
        is_structured = is_structured[keep]
    # One row per (payment, invoice): the best quality wins, structured or not.
    order = _pair_order(payment, invoice, quality, len(index.digits_keys), config.quality_levels)
    payment, invoice, quality = payment[order], invoice[order], quality[order]
    is_structured = is_structured[order]
    first = np.ones(len(payment), bool)
    first[1:] = (payment[1:] != payment[:-1]) | (invoice[1:] != invoice[:-1])
    return ReferenceHits(payment[first], invoice[first], quality[first], is_structured[first])

"""What deciding a batch reads of the whole ledger, declared once.

A payment's decision reads the invoices of the customer families it points
at: its payer's, those it quotes. A few facts are the whole ledger's:

* **who paid**: the payer is identified against the whole customer master
  (and the names on every open item);
* **what the texts quote**: a reference key carried by more than
  ``max_ref_hits_per_key`` open items of the ledger (``max_typo_hits_per_key``
  for one-deletion keys) is skipped, and numbers one edit away are looked
  for only in payments that quote no invoice open for exactly the amount
  paid, anywhere;
* **what a remittance line names**: an invoice only when it is the one
  strong (or exact) hit of the line across the ledger;
* **how many open items of the ledger are open for exactly an amount**: the
  amount-only fallback suggests the oldest of at most
  ``amount_only_max_invoices``;
* **which currencies the ledger has open items in** (a payment in another
  one is ``no_open_items_in_currency``).

An index of the whole ledger answers all of them itself: that is the
in-process path (:func:`identify_payers` and :func:`quotes_of_index`, and ``ledger=None`` in
:func:`~cashmatch.engine.index.build_index`). An index of a part of the
ledger (one Spark bucket, :mod:`cashmatch.server.spark`) is given them: the
first three per batch as :class:`GlobalFacts` found by routing over the
whole ledger (:func:`facts_from_routed`), the last two as
:class:`LedgerCounts`. Both paths then run the same decisions on the same
facts. Everything here is pure computation; the routed facts come as Arrow
tables of :data:`ROUTED_PAYERS` and :data:`ROUTED_HITS`, in ids, not positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.customers import CustomerIndex, Identification, method_scores
from cashmatch.engine.references import (
    FIRST_TYPO,
    YEAR_SEQ_LOOKUP,
    ReferenceHits,
    distinct_pairs,
    find_references,
    netted_by_structured,
    quotes_amount_paid,
)

# Per payment, who routing identified: the customer's id (null when none or
# ambiguous) and the method's code (engine.customers.METHODS).
ROUTED_PAYERS = pa.schema(
    [
        pa.field("payment_id", pa.string(), nullable=False),
        pa.field("customer_id", pa.string()),
        pa.field("method", pa.int8(), nullable=False),
    ]
)

# Every hit routing's lookups found: ``line`` -1 for the payment's own
# references (its text and its structured ones), k for its k-th remittance
# line; ``lookup`` the lookup's number in the order find_references runs them
# (exact_lookups(), TYPO_JOINS, sequence-and-year quotes), ``candidate`` the
# candidate's position in routing's batch (only its order among one
# payment's candidates counts).
ROUTED_HITS = pa.schema(
    [
        pa.field("payment_id", pa.string(), nullable=False),
        pa.field("line", pa.int32(), nullable=False),
        pa.field("invoice_id", pa.string(), nullable=False),
        pa.field("quality", pa.float64(), nullable=False),
        pa.field("structured", pa.bool_(), nullable=False),
        pa.field("lookup", pa.int8(), nullable=False),
        pa.field("candidate", pa.int64(), nullable=False),
    ]
)


_NO_HITS = ReferenceHits(
    np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, bool)
)


@dataclass(frozen=True)
class LedgerCounts:
    """The ledger-wide counts an index of part of the ledger answers as the whole would.

    Attributes:
        currencies: every currency the ledger has open items in.
        amounts: (currency, amount) -> how many open items of the ledger are
            open for exactly that amount, for every amount the index will be
            asked about (its payments' amounts).

    Example:
        >>> counts = LedgerCounts(("EUR",), {("EUR", 1000): 4})
        >>> counts.count("EUR", 1000)
        4
    """

    currencies: tuple[str, ...]
    amounts: dict[tuple[str, int], int] = field(default_factory=dict)

    def count(self, currency: str, amount: int) -> int:
        try:
            return self.amounts[(currency, int(amount))]
        except KeyError:
            raise KeyError(
                f"the ledger's count of {currency} {amount} was not routed to this index"
            ) from None


@dataclass
class GlobalFacts:
    """What one batch's decisions read from the whole ledger, by position in the batch.

    Attributes:
        ident: who paid each payment.
        hits: the invoices each payment quotes (its text and structured
            references), as :func:`~cashmatch.engine.references.find_references`
            gives them.
        line_hits: the invoices each remittance line quotes, by line position
            in :func:`remittance_lines` order.
    """

    ident: Identification
    hits: ReferenceHits
    line_hits: ReferenceHits


@dataclass
class RemittanceLines:
    """The structured remittance lines of a batch, flattened in payment order."""

    refs: pa.Array  # the invoice reference of each line ("" when none)
    owner: np.ndarray  # the payment position of each line
    paid: list  # the amount paid of each line (None when not given)
    discount: list  # the discount taken (0 when not given)


def remittance_lines(payments: pa.Table) -> RemittanceLines:
    """Every remittance line of the (conformed) payments, in payment then line order."""
    lists = payments["remittance"].combine_chunks()
    lines = pc.list_flatten(lists)
    if len(lines) == 0:
        return RemittanceLines(pa.array([], pa.string()), np.zeros(0, np.int64), [], [])
    owner = pc.list_parent_indices(lists).to_numpy().astype(np.int64)
    refs = pc.fill_null(pc.struct_field(lines, "invoice_ref"), "")
    # Python ints, not numpy: a column with nulls would come out as floats.
    paid = pc.struct_field(lines, "amount_paid_minor").to_pylist()
    discount = pc.fill_null(pc.struct_field(lines, "discount_minor"), 0).to_pylist()
    return RemittanceLines(refs, owner, paid, discount)


def identify_payers(customers: CustomerIndex, payments: pa.Table) -> Identification:
    """Who paid each payment, against the whole customer master."""
    return customers.identify(
        payments["payer_name"].combine_chunks(), payments["payer_account"].combine_chunks()
    )


def quotes_of_index(
    index, payments: pa.Table, lines: RemittanceLines, amount: np.ndarray, slack: np.ndarray
) -> tuple[ReferenceHits, ReferenceHits]:
    """What the batch's texts and remittance lines quote, from an index of the whole ledger.

    Args:
        index: the ledger's :class:`~cashmatch.engine.index.OpenItemIndex`.
        payments: the batch, conformed to PAYMENTS.
        lines: its :func:`remittance_lines`.
        amount, slack: per payment, the amount paid and how far above it an
            invoice may be and still be paid by it (see ``api.payment_bounds``).

    Returns:
        (hits, line_hits): see :class:`GlobalFacts`.
    """
    config = index.config
    line_hits = _NO_HITS
    if len(lines.refs):
        line_hits = find_references(index.references, lines.refs, config)
    hits = find_references(
        index.references,
        payments["reference_text"].combine_chunks(),
        config,
        lines.refs,
        lines.owner,
        payment_amount=amount,
        invoice_amount=index.amount,
        payment_slack=slack,
    )
    return hits, line_hits


def _positions(values: pa.Array, known: pa.Array, what: str) -> np.ndarray:
    at = pc.index_in(values, value_set=known)
    if at.null_count:
        missing = values[int(np.flatnonzero(at.is_null().to_numpy(zero_copy_only=False))[0])]
        raise ValueError(f"routed facts name {what} {missing.as_py()!r} that this batch lacks")
    return at.to_numpy().astype(np.int64)


def facts_from_routed(
    index, payments: pa.Table, lines: RemittanceLines, payers: pa.Table, hits: pa.Table
) -> GlobalFacts:
    """The global facts of a batch from routing's tables, in this index's positions.

    Args:
        index: the index of the part of the ledger the batch is matched against;
            it holds every invoice the hits name and every customer identified.
        payments: the batch (conformed to PAYMENTS), in the ledger's batch order.
        lines: its :func:`remittance_lines`.
        payers: :data:`ROUTED_PAYERS` rows of the batch's payments.
        hits: :data:`ROUTED_HITS` rows of the batch's payments.

    Raises:
        ValueError: a routed fact names a payment, invoice or customer this
            batch or index does not hold (routing and grouping disagree).
    """
    config = index.config
    payment_ids = payments["payment_id"].combine_chunks()
    n = len(payment_ids)
    payers = payers.select(ROUTED_PAYERS.names).cast(ROUTED_PAYERS)
    at = _positions(payment_ids, payers["payment_id"].combine_chunks(), "no payer for payment")
    method = payers["method"].to_numpy().astype(np.int64)[at]
    customer_ids = payers["customer_id"].combine_chunks().take(pa.array(at))
    customer = np.full(n, -1, np.int64)
    known = np.flatnonzero(customer_ids.is_valid().to_numpy(zero_copy_only=False))
    if len(known):
        found = customer_ids.take(pa.array(known))
        _positions(found, index.customers.id_array, "customer")
        customer[known] = index.customers.codes(found)
    family = np.full(n, -1, np.int64)
    family[known] = index.customers.family[customer[known]]
    ident = Identification(customer, family, method, method_scores(config)[method])

    hits = hits.select(ROUTED_HITS.names).cast(ROUTED_HITS)
    payment = _positions(hits["payment_id"].combine_chunks(), payment_ids, "payment")
    line = hits["line"].to_numpy().astype(np.int64)
    invoice = index.positions_of(hits["invoice_id"].to_pylist())
    if (invoice < 0).any():
        missing = hits["invoice_id"][int(np.flatnonzero(invoice < 0)[0])].as_py()
        raise ValueError(f"routed facts quote invoice {missing!r} that this index lacks")
    quality = hits["quality"].to_numpy()
    structured = hits["structured"].to_numpy(zero_copy_only=False)
    # The order routing found them in: by lookup, then candidate (distinct_pairs
    # keeps the first of equally good hits of one pair).
    order = np.lexsort((hits["candidate"].to_numpy(), hits["lookup"].to_numpy().astype(np.int64)))
    # What find_references does after its lookups, as it does it.
    own = order[line[order] < 0]
    lookup = hits["lookup"].to_numpy().astype(np.int64)
    exact = own[lookup[own] < FIRST_TYPO]
    settled = quotes_amount_paid(
        payment[exact], index.amount[invoice[exact]], payments["amount_minor"].to_numpy()
    )
    typo = (lookup[own] >= FIRST_TYPO) & (lookup[own] < YEAR_SEQ_LOOKUP)
    own = own[~(typo & settled[payment[own]])]
    own = own[netted_by_structured(payment[own], invoice[own], structured[own], index.amount)]
    payment_hits = distinct_pairs(
        payment[own], invoice[own], quality[own], structured[own], len(index), config
    )
    on_line = order[line[order] >= 0]
    line_start = np.searchsorted(lines.owner, np.arange(n), "left")
    line_of = line_start[payment[on_line]] + line[on_line]
    line_hits = distinct_pairs(
        line_of, invoice[on_line], quality[on_line], structured[on_line], len(index), config
    )
    return GlobalFacts(ident, payment_hits, line_hits)


__all__ = [
    "ROUTED_HITS",
    "ROUTED_PAYERS",
    "GlobalFacts",
    "LedgerCounts",
    "RemittanceLines",
    "facts_from_routed",
    "identify_payers",
    "quotes_of_index",
    "remittance_lines",
]

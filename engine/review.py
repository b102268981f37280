"""The matches as a person reviews them: each row with its invoice, its payment, its origin.

The engine's matches name payments and invoices by id; an AR analyst working
the exceptions needs the invoice number the customer quoted, the amount and
date of the payment, who paid from which account with what text, and where in
which bank file to find it. :func:`review_matches` joins those onto the
matches (their columns first and unchanged, so readers of the matches contract
are not affected), with the other payments that claimed the same invoice and
how many alternatives there are.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.api import MatchResult
from cashmatch.engine.index import OpenItemIndex, conform
from cashmatch.engine.schemas import (
    ALTERNATIVES_FOR_REVIEW,
    MATCHES,
    MATCHES_FOR_REVIEW,
    PAYMENTS,
)

# Payment columns copied onto every match row of the payment, by their names there.
_FROM_PAYMENT = {
    "payment_amount_minor": "amount_minor",
    "value_date": "value_date",
    "payer_name": "payer_name",
    "payer_account": "payer_account",
    "reference_text": "reference_text",
    "source_file": "source_file",
    "source_location": "source_location",
}


def _customer_names(index: OpenItemIndex, customer_ids: pa.Array) -> pa.Array:
    customers = index.customers
    known = pa.array(customers.ids, pa.string())
    at = pc.index_in(customer_ids, value_set=known)
    return pa.array(customers.names, pa.string()).take(at)


def _per_payment(payment_ids: pa.Array, keys: pa.Array, values: list[str]) -> pa.Array:
    """For each payment id, the values whose key is that id, "|"-joined ("" when none)."""
    joined: dict[str, list[str]] = {}
    for key, value in zip(keys.to_pylist(), values):
        joined.setdefault(key, [])
        if value not in joined[key]:
            joined[key].append(value)
    if not joined:
        return pa.array([""] * len(payment_ids), pa.string())
    return pa.array(["|".join(joined.get(p, ())) for p in payment_ids.to_pylist()], pa.string())


def review_matches(index: OpenItemIndex, payments: pa.Table, result: MatchResult) -> pa.Table:
    """The matches of ``result`` with what a reviewer needs (MATCHES_FOR_REVIEW).

    Args:
        index: the open items the payments were matched against.
        payments: the payments matched (PAYMENTS).
        result: what :func:`~cashmatch.engine.api.match_payments` returned for them.

    Example:
        >>> import datetime as dt
        >>> from cashmatch.engine import build_index, match_payments
        >>> index = build_index(pa.table({"invoice_id": ["I1"], "invoice_number": ["INV-42"],
        ...     "customer_id": ["C1"], "customer_name": ["Acme"], "currency": ["EUR"],
        ...     "amount_open_minor": [125000], "issue_date": [dt.date(2024, 3, 1)],
        ...     "due_date": [dt.date(2024, 3, 31)]}))
        >>> pays = pa.table({"payment_id": ["P1"], "amount_minor": [125000], "currency": ["EUR"],
        ...     "value_date": [dt.date(2024, 3, 20)], "payer_name": ["ACME"],
        ...     "reference_text": ["INV 42"], "source_location": ["row 1"]})
        >>> row = review_matches(index, pays, match_payments(index, pays)).to_pylist()[0]
        >>> row["invoice_number"], row["payer_name"], row["payment_amount_minor"], row["status"]
        ('INV-42', 'ACME', 125000, 'auto')
    """
    payments = conform(payments, PAYMENTS, "payments")
    matches = result.matches.select(MATCHES.names)
    ids = matches["payment_id"].combine_chunks()
    at = pc.index_in(ids, value_set=payments["payment_id"].combine_chunks())
    invoice_ids = matches["invoice_id"].combine_chunks()
    rows = index.positions_of(invoice_ids.to_pylist())
    numbers = index.invoice_number.take(pa.array(rows, mask=rows < 0)).cast(pa.string())
    columns = {name: matches[name] for name in MATCHES.names}
    columns["invoice_number"] = pc.fill_null(numbers, "")
    columns["customer_name"] = _customer_names(index, matches["customer_id"].combine_chunks())
    for name, source in _FROM_PAYMENT.items():
        columns[name] = payments[source].combine_chunks().take(at)
    contests = result.contests
    columns["contested_with"] = _per_payment(
        ids, contests["payment_id"].combine_chunks(), contests["rival_payment_id"].to_pylist()
    )
    # Candidates are ranked from 1 without gaps: a payment's highest rank is their number.
    alternatives = result.alternatives
    counts: dict[str, int] = {}
    for payment_id, rank in zip(
        alternatives["payment_id"].to_pylist(), alternatives["rank"].to_pylist()
    ):
        counts[payment_id] = max(rank, counts.get(payment_id, 0))
    columns["alternatives"] = pa.array([counts.get(p, 0) for p in ids.to_pylist()], pa.int32())
    return pa.table([columns[f.name] for f in MATCHES_FOR_REVIEW], schema=MATCHES_FOR_REVIEW)


def review_alternatives(index: OpenItemIndex, result: MatchResult) -> pa.Table:
    """The alternatives of ``result`` with each candidate's customer name.

    Returns:
        A table of :data:`~cashmatch.engine.schemas.ALTERNATIVES_FOR_REVIEW`.
    """
    alternatives = result.alternatives
    names = _customer_names(index, alternatives["customer_id"].combine_chunks())
    return pa.table([*alternatives.columns, names], schema=ALTERNATIVES_FOR_REVIEW)

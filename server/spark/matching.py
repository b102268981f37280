"""Matching: today's engine on one bucket, with the ledger-wide facts routing found.

``cogroup(bucket's open items and master rows, bucket's payments)
.applyInArrow(match_bucket)``: the bucket's index is built from whole
customer families (:func:`~cashmatch.engine.index.build_index` with the
ledger's :class:`~cashmatch.engine.global_facts.LedgerCounts`), the routed
facts are turned into its positions
(:func:`~cashmatch.engine.global_facts.facts_from_routed`), and
:func:`~cashmatch.engine.api.match_payments` decides the bucket's payments
with them, then :mod:`~cashmatch.engine.review` adds what a reviewer reads.
Open items and payments are put in the ledger's order first (their ``_row``
and ``_pos``): ties between equal invoices and the earlier payment's
priority in a contest follow it, as in one process.

One function returns one table, so the bucket's matches, alternatives and
figures come out as rows of :data:`OUTPUT`, told apart by ``_kind``.
"""

from __future__ import annotations

import json
import resource
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine import build_index, match_payments
from cashmatch.engine.config import MatchConfig
from cashmatch.engine.global_facts import (
    ROUTED_HITS,
    ROUTED_PAYERS,
    LedgerCounts,
    facts_from_routed,
    remittance_lines,
)
from cashmatch.engine.index import conform
from cashmatch.engine.review import review_alternatives, review_matches
from cashmatch.engine.schemas import (
    ALTERNATIVES_FOR_REVIEW,
    AUTO,
    CUSTOMERS,
    MATCHES_FOR_REVIEW,
    OPEN_ITEMS,
    PAYMENTS,
)

# The routed facts carried on each payment's row into its bucket.
ROUTED_HIT = pa.struct(
    [
        pa.field("line", pa.int32(), nullable=False),
        pa.field("row", pa.int64(), nullable=False),
        pa.field("quality", pa.float64(), nullable=False),
        pa.field("structured", pa.bool_(), nullable=False),
        pa.field("lookup", pa.int8(), nullable=False),
        pa.field("candidate", pa.int64(), nullable=False),
    ]
)
PAYMENT_FACTS = [
    pa.field("_pos", pa.int64(), nullable=False),
    pa.field("_bucket", pa.int32(), nullable=False),
    pa.field("_payer_id", pa.string()),
    pa.field("_method", pa.int8(), nullable=False),
    pa.field("_amount_count", pa.int64(), nullable=False),
    pa.field("_hits", pa.list_(ROUTED_HIT)),
]

MATCH, ALTERNATIVE, BUCKET, VIOLATION = "match", "alternative", "bucket", "violation"


def _nullable(fields) -> list[pa.Field]:
    return [f.with_nullable(True) for f in fields]


_ALTERNATIVE_ONLY = [f for f in ALTERNATIVES_FOR_REVIEW if f.name not in MATCHES_FOR_REVIEW.names]
OUTPUT = pa.schema(
    [
        pa.field("_kind", pa.string(), nullable=False),
        pa.field("_bucket", pa.int32(), nullable=False),
        pa.field("_pos", pa.int64(), nullable=False),
        pa.field("_seq", pa.int64(), nullable=False),
    ]
    + _nullable(MATCHES_FOR_REVIEW)
    + _nullable(_ALTERNATIVE_ONLY)
    + [pa.field("_family", pa.int64()), pa.field("_figures", pa.string())]
)
for _name in set(MATCHES_FOR_REVIEW.names) & set(ALTERNATIVES_FOR_REVIEW.names):
    assert MATCHES_FOR_REVIEW.field(_name).type == ALTERNATIVES_FOR_REVIEW.field(_name).type, _name


def _rss_bytes() -> int:
    """This process's resident memory now (Linux), 0 where it cannot be read."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def _as_output(table: pa.Table, kind: str, bucket: int, pos: np.ndarray) -> pa.Table:
    n = table.num_rows
    columns = {
        "_kind": pa.array([kind] * n, pa.string()),
        "_bucket": pa.array(np.full(n, bucket, np.int32)),
        "_pos": pa.array(pos, pa.int64()),
        "_seq": pa.array(np.arange(n, dtype=np.int64)),
    }
    for spec in OUTPUT:
        if spec.name not in columns:
            columns[spec.name] = (
                table[spec.name].cast(spec.type)
                if spec.name in table.column_names
                else pa.nulls(n, spec.type)
            )
    return pa.table([columns[f.name] for f in OUTPUT], schema=OUTPUT)


def _sorted(table: pa.Table, column: str) -> pa.Table:
    return table.take(pc.sort_indices(table[column]))


def bucket_inputs(
    left: pa.Table, right: pa.Table, ledger_currencies: tuple[str, ...]
) -> tuple[pa.Table, pa.Table | None, pa.Table, pa.Table, pa.Table, LedgerCounts, pa.Table]:
    """The bucket's open items, master rows, payments and routed facts, in ledger order.

    Returns:
        (open_items, customers or None, payments, payers, hits, ledger, payment positions).
    """
    kind = left["_kind"]
    items = _sorted(left.filter(pc.equal(kind, "item")), "_row")
    master = _sorted(left.filter(pc.equal(kind, "customer")), "_crow")
    right = _sorted(right, "_pos")
    open_items = conform(items, OPEN_ITEMS, "open_items")
    customers = conform(master, CUSTOMERS, "customers") if master.num_rows else None
    payments = conform(right, PAYMENTS, "payments")
    payment_ids = payments["payment_id"].combine_chunks()
    payers = pa.table(
        {
            "payment_id": payment_ids,
            "customer_id": right["_payer_id"].combine_chunks(),
            "method": right["_method"].combine_chunks(),
        },
        schema=ROUTED_PAYERS,
    )
    nested = right["_hits"].combine_chunks()
    flat = pc.list_flatten(nested)
    owner = pc.list_parent_indices(nested)
    item_rows = items["_row"].combine_chunks()
    at = pc.index_in(pc.struct_field(flat, "row"), value_set=item_rows)
    if at.null_count:
        raise ValueError("a routed hit names an open item of another bucket")
    hits = pa.table(
        {
            "payment_id": payment_ids.take(owner),
            "line": pc.struct_field(flat, "line"),
            "invoice_id": open_items["invoice_id"].combine_chunks().take(at),
            "quality": pc.struct_field(flat, "quality"),
            "structured": pc.struct_field(flat, "structured"),
            "lookup": pc.struct_field(flat, "lookup"),
            "candidate": pc.struct_field(flat, "candidate"),
        },
        schema=ROUTED_HITS,
    )
    counts = dict(
        zip(
            zip(payments["currency"].to_pylist(), payments["amount_minor"].to_pylist()),
            right["_amount_count"].to_pylist(),
        )
    )
    ledger = LedgerCounts(ledger_currencies, counts)
    return open_items, customers, payments, payers, hits, ledger, right["_pos"]


def match_bucket(
    key: tuple,
    left: pa.Table,
    right: pa.Table,
    config: MatchConfig,
    ledger_currencies: tuple[str, ...],
) -> pa.Table:
    """Cogroup function: match one bucket's payments (rows of :data:`OUTPUT`)."""
    bucket = int(key[0].as_py()) if hasattr(key[0], "as_py") else int(key[0])
    if not right.num_rows:
        return OUTPUT.empty_table()
    rss_before = _rss_bytes()
    clock = time.perf_counter()
    open_items, customers, payments, payers, hits, ledger, pos = bucket_inputs(
        left, right, ledger_currencies
    )
    index = build_index(open_items, customers, config, ledger=ledger)
    built = time.perf_counter()
    facts = facts_from_routed(index, payments, remittance_lines(payments), payers, hits)
    result = match_payments(index, payments, alternatives=True, global_facts=facts)
    matched = time.perf_counter()
    reviewed = review_matches(index, payments, result)
    alternatives = review_alternatives(index, result)
    done = time.perf_counter()
    violations = _cash_on_guests(left, reviewed)
    pos = pos.to_numpy()
    position_of = pc.index_in(reviewed["payment_id"], value_set=payments["payment_id"])
    alt_position = pc.index_in(alternatives["payment_id"], value_set=payments["payment_id"])
    figures = {
        "bucket": bucket,
        "open_items": len(index),
        "guests": int(pc.sum(left["_guest"].fill_null(False).cast(pa.int64())).as_py() or 0),
        "payments": payments.num_rows,
        "index_bytes": index.nbytes,
        "build_s": round(built - clock, 6),
        "match_s": round(matched - built, 6),
        "review_s": round(done - matched, 6),
        "rss_before": rss_before,
        "rss_after": _rss_bytes(),
        # ru_maxrss is in KiB on Linux: the worker's peak so far, this bucket's or an earlier's.
        "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "stats": result.stats,
    }
    stats = pa.table({"_figures": [json.dumps(figures)]})
    return pa.concat_tables(
        [
            _as_output(reviewed, MATCH, bucket, pos[position_of.to_numpy()]),
            _as_output(alternatives, ALTERNATIVE, bucket, pos[alt_position.to_numpy()]),
            _as_output(stats, BUCKET, bucket, np.zeros(1, np.int64)),
            _as_output(violations, VIOLATION, bucket, np.zeros(violations.num_rows, np.int64)),
        ]
    )


def _cash_on_guests(left: pa.Table, reviewed: pa.Table) -> pa.Table:
    """The automatic applications to guests (read-only copies of another bucket's invoices).

    Routing gives a payment the families it may apply cash to; should the
    engine apply cash beyond them, the payment and the guest's family are
    reported (payment_id, invoice_id, _family), and matched together again.
    """
    guests = left.filter(pc.fill_null(left["_guest"], False))
    auto = reviewed.filter(pc.equal(reviewed["status"], AUTO))
    at = pc.index_in(auto["invoice_id"], value_set=guests["invoice_id"])
    hit = auto.filter(pc.is_valid(at))
    family = guests["family"].take(pc.drop_null(at))
    return pa.table(
        {"payment_id": hit["payment_id"], "invoice_id": hit["invoice_id"], "_family": family}
    )

"""Routing: each payment's ledger-wide facts, found over the whole ledger with the engine's code.

Three maps over payments (``mapInArrow``) and one join:

* **who paid**: :func:`~cashmatch.engine.global_facts.identify_payers` against
  the customer master and the names on every open item, broadcast (a master
  of a million customers is tens of megabytes);
* **what the texts quote**: each payment's candidate references and their
  hashed keys (:func:`~cashmatch.engine.references.reference_queries`), and
  each open item's index entries
  (:func:`~cashmatch.engine.references.index_entries`), both keyed by hash
  modulo ``key_partitions``, are cogrouped by that partition. A partition
  holds every entry of its hashes, so the engine's own lookups
  (:class:`~cashmatch.engine.references.KeyIndex`, and
  :func:`~cashmatch.engine.hashing.typo_join_buffers` for numbers one edit
  away) run on it as on the whole ledger's index, ``max_ref_hits_per_key``
  and ``max_typo_hits_per_key`` counting every invoice of the ledger. No
  executor holds the whole invoice-key table: at tens of millions of
  invoices it is far too large to broadcast;
* **how many open items are open for the amount paid**: a join on currency
  and amount with the ledger's counts, and the few invoices of the amounts
  that at most ``amount_only_max_invoices`` invoices are open for.

The hits go to the buckets as found, lookup by lookup: what the engine
does with them after its lookups (a payment that quotes an invoice open for
exactly the amount paid drops its typos, an advice that nets a credit note
its structured quotes, one hit per pair) it does there
(:func:`~cashmatch.engine.global_facts.facts_from_routed`), with the same code.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from cashmatch.engine.api import payment_bounds
from cashmatch.engine.config import MatchConfig
from cashmatch.engine.customers import CustomerIndex
from cashmatch.engine.global_facts import identify_payers, remittance_lines
from cashmatch.engine.hashing import _buffers, hash_deletions_of, typo_join_buffers
from cashmatch.engine.index import conform
from cashmatch.engine.references import (
    FIRST_TYPO,
    KEY_INDEXES,
    TYPO_JOINS,
    YEAR_SEQ_LOOKUP,
    KeyIndex,
    exact_lookups,
    index_entries,
    reference_queries,
    typo_tokens,
)
from cashmatch.engine.schemas import PAYMENTS

# An index entry of an open item: which key index (KEY_INDEXES), the key's
# hash (uint64 bits as int64), the item (its ledger row), its open amount and,
# for the digits and typo indexes, its digits key (what typos are measured on).
ENTRIES = pa.schema(
    [
        pa.field("part", pa.int32(), nullable=False),
        pa.field("index", pa.int8(), nullable=False),
        pa.field("hash", pa.int64(), nullable=False),
        pa.field("row", pa.int64(), nullable=False),
        pa.field("amount", pa.int64(), nullable=False),
        pa.field("digits", pa.string()),
    ]
)

# A lookup of a candidate reference: ``lookup`` its position among
# exact_lookups() then TYPO_JOINS; for typos the candidate's digits and, for
# a payment's own references, the amount window of the invoices it may mean
# (null for a remittance line's, which has none).
QUERIES = pa.schema(
    [
        pa.field("part", pa.int32(), nullable=False),
        pa.field("lookup", pa.int8(), nullable=False),
        pa.field("hash", pa.int64(), nullable=False),
        pa.field("payment_id", pa.string(), nullable=False),
        pa.field("line", pa.int32(), nullable=False),
        pa.field("candidate", pa.int64(), nullable=False),
        pa.field("structured", pa.bool_(), nullable=False),
        pa.field("digits", pa.string()),
        pa.field("low", pa.int64()),
        pa.field("high", pa.int64()),
    ]
)

# A hit, as engine.global_facts.ROUTED_HITS with the invoice by ledger row and
# its open amount (grouping: may the payment apply cash to it).
HITS = pa.schema(
    [
        pa.field("payment_id", pa.string(), nullable=False),
        pa.field("line", pa.int32(), nullable=False),
        pa.field("row", pa.int64(), nullable=False),
        pa.field("amount", pa.int64(), nullable=False),
        pa.field("quality", pa.float64(), nullable=False),
        pa.field("structured", pa.bool_(), nullable=False),
        pa.field("lookup", pa.int8(), nullable=False),
        pa.field("candidate", pa.int64(), nullable=False),
    ]
)

# Who routing identified (engine.global_facts.ROUTED_PAYERS), with the
# family's code in the routing master (-1 when none), which grouping links.
PAYERS = pa.schema(
    [
        pa.field("payment_id", pa.string(), nullable=False),
        pa.field("customer_id", pa.string()),
        pa.field("method", pa.int8(), nullable=False),
        pa.field("family", pa.int64(), nullable=False),
    ]
)


def _part(hashes: np.ndarray, key_partitions: int) -> np.ndarray:
    return (hashes % np.uint64(key_partitions)).astype(np.int32)


def _key_strings(offsets: np.ndarray, data: np.ndarray, take: np.ndarray) -> pa.Array:
    keys = pa.LargeStringArray.from_buffers(
        len(offsets) - 1, pa.py_buffer(np.ascontiguousarray(offsets)), pa.py_buffer(data)
    )
    return keys.take(pa.array(take, pa.int64())).cast(pa.string())


# -- the open items' side ----------------------------------------------------------------


def invoice_entries(batches, config: MatchConfig, key_partitions: int):
    """``mapInArrow`` over open items (_row, invoice_number, po_number, amount_open_minor):
    every index entry of every item."""
    for batch in batches:
        if not batch.num_rows:
            continue
        rows = batch.column("_row").to_numpy()
        amounts = batch.column("amount_open_minor").to_numpy()
        entries, digits_keys = index_entries(
            batch.column("invoice_number"), config, batch.column("po_number")
        )
        for code, name in enumerate(KEY_INDEXES):
            if name not in entries:
                continue
            hashes, owners = entries[name]
            owners = owners.astype(np.int64)
            digits = (
                digits_keys.take(pa.array(owners)).cast(pa.string())
                if name in ("digits", "typo")
                else pa.nulls(len(owners), pa.string())
            )
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(_part(hashes, key_partitions)),
                    pa.array(np.full(len(owners), code, np.int8)),
                    pa.array(hashes.view(np.int64)),
                    pa.array(rows[owners]),
                    pa.array(amounts[owners]),
                    digits,
                ],
                schema=ENTRIES,
            )


# -- the payments' side ------------------------------------------------------------------


def _queries_of(
    queries,
    config: MatchConfig,
    payment_ids: pa.Array,
    text_payment: np.ndarray,
    text_line: np.ndarray,
    window: tuple[np.ndarray, np.ndarray] | None,
    key_partitions: int,
):
    """The query rows of one set of texts' candidates, lookup by lookup, in the engine's order.

    ``text_payment``, ``text_line``: per text, the payment position and the
    line (-1 for the payment's own text); ``window``: per text, the invoice
    amounts a typo may mean (None: any).
    """

    def rows(lookup: int, hashes: np.ndarray, candidate: np.ndarray, digits=None):
        n = len(candidate)
        text = queries.text_of(candidate)
        p = text_payment[text]
        low = high = pa.nulls(n, pa.int64())
        if window is not None and digits is not None:
            low, high = pa.array(window[0][text]), pa.array(window[1][text])
        return pa.RecordBatch.from_arrays(
            [
                pa.array(_part(hashes, key_partitions)),
                pa.array(np.full(n, lookup, np.int8)),
                pa.array(hashes.view(np.int64)),
                payment_ids.take(pa.array(p, pa.int64())),
                pa.array(text_line[text].astype(np.int32)),
                pa.array(candidate.astype(np.int64)),
                pa.array(queries.structured_of(candidate)),
                digits if digits is not None else pa.nulls(n, pa.string()),
                low,
                high,
            ],
            schema=QUERIES,
        )

    for lookup, (key, _, _, min_len) in enumerate(exact_lookups(config)):
        ok = np.flatnonzero(queries.lengths[key] >= min_len)
        yield rows(lookup, queries.hashes[key][ok], ok)
    ok = typo_tokens(queries, config)
    del_hashes, del_owner = hash_deletions_of(*queries.digits, ok, config.min_typo_key)
    for j, (by_deletion, _) in enumerate(TYPO_JOINS):
        if by_deletion:
            hashes, token_of = del_hashes, ok[del_owner]
        else:
            hashes, token_of = queries.hashes[2][ok], ok
        digits = _key_strings(*queries.digits, token_of)
        yield rows(FIRST_TYPO + j, hashes, token_of, digits)
    if queries.year_quotes:
        first = len(queries.owner)
        candidate = np.arange(first, first + len(queries.year_quotes))
        yield rows(YEAR_SEQ_LOOKUP, queries.year_hashes, candidate)


def payment_queries(batches, config: MatchConfig, key_partitions: int):
    """``mapInArrow`` over payments (PAYMENTS): the lookups of their references and lines."""
    for batch in batches:
        if not batch.num_rows:
            continue
        payments = conform(pa.Table.from_batches([batch]), PAYMENTS, "payments")
        payment_ids = payments["payment_id"].combine_chunks()
        amount = payments["amount_minor"].to_numpy()
        _, slack = payment_bounds(amount, payments["currency"].to_pylist(), config)
        lines = remittance_lines(payments)
        texts = payments["reference_text"].combine_chunks()
        own = reference_queries(texts, lines.refs, lines.owner)
        yield from _queries_of(
            own,
            config,
            payment_ids,
            np.arange(len(amount)),
            np.full(len(amount), -1),
            (amount, amount + slack),
            key_partitions,
        )
        if len(lines.refs):
            line_start = np.searchsorted(lines.owner, np.arange(len(amount)), "left")
            yield from _queries_of(
                reference_queries(lines.refs),
                config,
                payment_ids,
                lines.owner,
                np.arange(len(lines.owner)) - line_start[lines.owner],
                None,
                key_partitions,
            )


# -- the lookups, per key partition ------------------------------------------------------


def _column(table: pa.Table, name: str) -> np.ndarray:
    return table[name].combine_chunks().to_numpy(zero_copy_only=False)


def lookup_partition(entries: pa.Table, queries: pa.Table, config: MatchConfig) -> pa.Table:
    """Cogroup function: the hits of one key partition's queries among its entries.

    The partition holds every entry of its hashes, so each hash's invoices, and
    the limits on how many a key may have, are the whole ledger's.
    """
    if not queries.num_rows or not entries.num_rows:
        return HITS.empty_table()
    digits_q = config.quality_digits
    rows = _column(entries, "row")
    items, local = np.unique(rows, return_inverse=True)
    first = np.full(len(items), -1, np.int64)
    has_digits = np.flatnonzero(entries["digits"].is_valid().to_numpy(zero_copy_only=False))
    first[local[has_digits]] = has_digits
    item_digits = pc.fill_null(
        entries["digits"].combine_chunks().take(pa.array(first, mask=first < 0)), ""
    ).cast(pa.large_string())
    item_amount = np.zeros(len(items), np.int64)
    item_amount[local] = _column(entries, "amount")
    index_code = _column(entries, "index")
    hashes = _column(entries, "hash").view(np.uint64)
    key_index = {
        name: KeyIndex.build(hashes[index_code == code], local[index_code == code])
        for code, name in enumerate(KEY_INDEXES)
    }
    lookup = _column(queries, "lookup")
    q_hash = _column(queries, "hash").view(np.uint64)
    found_query, found_row, found_quality = [], [], []
    exact = [(name, quality) for _, name, quality, _ in exact_lookups(config)]
    for k, (name, quality) in [*enumerate(exact), (YEAR_SEQ_LOOKUP, ("year_seq", digits_q))]:
        selected = np.flatnonzero(lookup == k)
        query, row = key_index[name].lookup(
            q_hash, config.max_ref_hits_per_key, selected, config.ordered_min_queries
        )
        found_query.append(query)
        found_row.append(row)
        found_quality.append(np.full(len(row), quality))
    windowed = queries["low"].is_valid().to_numpy(zero_copy_only=False)
    low, high = pc.fill_null(queries["low"], 0), pc.fill_null(queries["high"], 0)
    low, high = low.to_numpy(), high.to_numpy()
    item_keys = _buffers(item_digits)
    for j, (_, name) in enumerate(TYPO_JOINS):
        index = key_index[name]
        for with_window in (True, False):
            selected = np.flatnonzero((lookup == FIRST_TYPO + j) & (windowed == with_window))
            if not len(selected):
                continue
            tokens = _buffers(queries["digits"].combine_chunks().take(pa.array(selected)))
            tok, row = typo_join_buffers(
                q_hash[selected],
                np.arange(len(selected)),
                index.hashes,
                index.directory,
                index.shift,
                index.starts,
                index.rows,
                tokens,
                item_keys,
                config.max_typo_hits_per_key,
                low[selected] if with_window else None,
                high[selected] if with_window else None,
                item_amount if with_window else None,
                config.parallel_min_items,
                config.ordered_min_queries,
            )
            found_query.append(selected[tok])
            found_row.append(row)
            found_quality.append(np.full(len(row), config.quality_typo))
    query = np.concatenate(found_query).astype(np.int64)
    row = np.concatenate(found_row).astype(np.int64)
    taken = queries.take(pa.array(query))
    return pa.table(
        {
            "payment_id": taken["payment_id"],
            "line": taken["line"],
            "row": pa.array(items[row]),
            "amount": pa.array(item_amount[row]),
            "quality": pa.array(np.concatenate(found_quality)),
            "structured": taken["structured"],
            "lookup": taken["lookup"],
            "candidate": taken["candidate"],
        },
        schema=HITS,
    )


# -- who paid ----------------------------------------------------------------------------


def table_bytes(table: pa.Table | None) -> bytes | None:
    """A table as Arrow IPC bytes (what a broadcast carries)."""
    if table is None:
        return None
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def bytes_table(data: bytes | None) -> pa.Table | None:
    return None if data is None else ipc.open_stream(pa.py_buffer(data)).read_all()


# One customer index per Python worker and broadcast (workers are reused across tasks).
_CUSTOMERS: dict[int, tuple[object, CustomerIndex]] = {}


def _customer_index(value: tuple, config: MatchConfig) -> CustomerIndex:
    held = _CUSTOMERS.get(id(value))
    if held is None or held[0] is not value:
        master, names = value
        _CUSTOMERS.clear()
        held = (value, CustomerIndex(bytes_table(master), bytes_table(names), config))
        _CUSTOMERS[id(value)] = held
    return held[1]


def payers(batches, broadcast, config: MatchConfig):
    """``mapInArrow`` over payments: who paid each (PAYERS).

    ``broadcast`` holds the Arrow IPC bytes of the master and of the names on
    the open items; each Python worker builds the customer index once.
    """
    customers = _customer_index(broadcast.value, config)
    for batch in batches:
        if not batch.num_rows:
            continue
        payments = conform(pa.Table.from_batches([batch]), PAYMENTS, "payments")
        ident = identify_payers(customers, payments)
        known = ident.customer >= 0
        ids = customers.id_array.take(pa.array(np.maximum(ident.customer, 0)))
        yield pa.RecordBatch.from_arrays(
            [
                payments["payment_id"].combine_chunks(),
                pc.if_else(pa.array(known), ids, pa.scalar(None, pa.string())),
                pa.array(ident.method.astype(np.int8)),
                pa.array(ident.family.astype(np.int64)),
            ],
            schema=PAYERS,
        )


# -- the whole routing, as Spark operations ------------------------------------------------


@dataclass
class Routed:
    """What routing found for every payment (lazy DataFrames, persisted).

    Attributes:
        hits: HITS rows: every quote of every payment and remittance line.
        payers: PAYERS rows, one per payment.
        amount_count: (payment_id, _amount_count): open items of the ledger
            open for exactly the payment's amount, in its currency.
        rare_rows: (payment_id, row): those open items, where there are at
            most ``amount_only_max_invoices`` (what the amount-only fallback
            may suggest).
    """

    hits: object
    payers: object
    amount_count: object
    rare_rows: object


def route(
    spark,
    items,
    pays,
    master: pa.Table | None,
    names: pa.Table,
    config: MatchConfig,
    key_partitions: int,
) -> Routed:
    """Route every payment over the whole ledger (see the module's docstring).

    Args:
        items: the open items with ``_row`` (ledger order) and ``family``.
        pays: the payments (PAYMENTS columns).
        master: the customer master, or None; ``names``: the names on the
            open items (see :class:`~cashmatch.engine.customers.CustomerIndex`).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    keep = StorageLevel.MEMORY_AND_DISK
    entries = items.select("_row", "invoice_number", "po_number", "amount_open_minor").mapInArrow(
        functools.partial(invoice_entries, config=config, key_partitions=key_partitions),
        from_arrow_schema(ENTRIES),
    )
    queries = pays.mapInArrow(
        functools.partial(payment_queries, config=config, key_partitions=key_partitions),
        from_arrow_schema(QUERIES),
    )
    raw = (
        entries.groupBy("part")
        .cogroup(queries.groupBy("part"))
        .applyInArrow(functools.partial(lookup_partition, config=config), from_arrow_schema(HITS))
        .persist(keep)
    )
    hits = raw
    broadcast = spark.sparkContext.broadcast((table_bytes(master), table_bytes(names)))
    payers_df = pays.mapInArrow(
        functools.partial(payers, broadcast=broadcast, config=config), from_arrow_schema(PAYERS)
    )
    key = ["currency", "amount_minor"]
    ledger_amounts = items.select(
        "currency", F.col("amount_open_minor").alias("amount_minor"), F.col("_row").alias("row")
    )
    counts = ledger_amounts.groupBy(*key).agg(F.count("*").alias("_amount_count"))
    asked = pays.select("payment_id", *key)
    amount_count = asked.join(counts, key, "left").select(
        "payment_id", F.coalesce("_amount_count", F.lit(0)).alias("_amount_count")
    )
    rare = counts.filter(F.col("_amount_count") <= config.amount_only_max_invoices)
    rare_rows = asked.join(rare.select(*key), key).join(ledger_amounts, key)
    return Routed(
        hits.persist(keep),
        payers_df.persist(keep),
        amount_count.persist(keep),
        rare_rows.select("payment_id", "row").persist(keep),
    )

"""The engine's ledger-wide facts: given from outside, they decide as found inside.

``match_payments(global_facts=...)`` and ``build_index(ledger=...)`` are how
an index of part of a ledger (a Spark bucket) decides as the whole ledger's
would. These tests need no Spark: the routed facts are made from the whole
index with the engine's own functions, as routing makes them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from bench.generator import generate
from cashmatch.engine import build_index, match_payments
from cashmatch.engine.api import payment_bounds
from cashmatch.engine.global_facts import (
    ROUTED_HITS,
    ROUTED_PAYERS,
    LedgerCounts,
    facts_from_routed,
    identify_payers,
    quotes_of_index,
    remittance_lines,
)
from cashmatch.engine.index import conform
from cashmatch.engine.references import (
    KEY_INDEXES,
    ReferenceIndex,
    find_references,
    index_entries,
)
from cashmatch.engine.schemas import OPEN_ITEMS, PAYMENTS


def _routed(index, payments: pa.Table) -> tuple[pa.Table, pa.Table]:
    """The in-process facts of ``payments`` as routing's tables (ids, not positions)."""
    payments = conform(payments, PAYMENTS, "payments")
    amount = payments["amount_minor"].to_numpy()
    _, slack = payment_bounds(amount, payments["currency"].to_pylist(), index.config)
    lines = remittance_lines(payments)
    ident = identify_payers(index.customers, payments)
    hits, line_hits = quotes_of_index(index, payments, lines, amount, slack)
    ids = payments["payment_id"].combine_chunks()
    customer_ids = index.customers.id_array.take(pa.array(np.maximum(ident.customer, 0)))
    payers = pa.table(
        {
            "payment_id": ids,
            "customer_id": pc.if_else(
                pa.array(ident.customer >= 0), customer_ids, pa.scalar(None, pa.string())
            ),
            "method": pa.array(ident.method.astype(np.int8)),
        },
        schema=ROUTED_PAYERS,
    )
    line_start = np.searchsorted(lines.owner, np.arange(len(ids)))
    line_owner = lines.owner[line_hits.payment]
    payment = np.concatenate([hits.payment, line_owner])
    table = pa.table(
        {
            "payment_id": ids.take(pa.array(payment)),
            "line": pa.array(
                np.concatenate(
                    [np.full(len(hits.payment), -1), line_hits.payment - line_start[line_owner]]
                ).astype(np.int32)
            ),
            "invoice_id": index.invoice_id.take(
                pa.array(np.concatenate([hits.invoice, line_hits.invoice]))
            ),
            "quality": pa.array(np.concatenate([hits.quality, line_hits.quality])),
            "structured": pa.array(np.concatenate([hits.structured, line_hits.structured])),
            "lookup": pa.array(np.zeros(len(payment), np.int8)),
            "candidate": pa.array(np.arange(len(payment), dtype=np.int64)),
        },
        schema=ROUTED_HITS,
    )
    return payers, table


@pytest.mark.parametrize("profile", ["classic", "realistic"])
def test_routed_facts_decide_as_the_index_finds_them(profile):
    data = generate(seed=11, n_invoices=3000, n_payments=400, profile=profile)
    index = build_index(data.open_items, data.customers)
    payments = conform(data.payments, PAYMENTS, "payments")
    payers, hits = _routed(index, payments)
    facts = facts_from_routed(index, payments, remittance_lines(payments), payers, hits)
    want = match_payments(index, payments, alternatives=True)
    got = match_payments(index, payments, alternatives=True, global_facts=facts)
    assert got.matches.equals(want.matches)
    assert got.alternatives.equals(want.alternatives)
    assert got.contests.equals(want.contests)


def test_routed_facts_must_name_what_the_index_holds():
    data = generate(seed=12, n_invoices=500, n_payments=60)
    index = build_index(data.open_items, data.customers)
    payments = conform(data.payments, PAYMENTS, "payments")
    payers, hits = _routed(index, payments)
    assert hits.num_rows
    wrong = hits.set_column(2, "invoice_id", pa.array(["no such"] * hits.num_rows))
    with pytest.raises(ValueError, match="no such"):
        facts_from_routed(index, payments, remittance_lines(payments), payers, wrong)


def _items(rows):
    return pa.Table.from_pylist(
        [
            {
                "invoice_id": inv,
                "invoice_number": f"INV-{inv}",
                "customer_id": customer,
                "customer_name": customer,
                "currency": currency,
                "amount_open_minor": amount,
                "issue_date": dt.date(2024, 1, 1),
                "due_date": dt.date(2024, 1, 31) + dt.timedelta(days=k),
            }
            for k, (inv, customer, currency, amount) in enumerate(rows)
        ],
        schema=OPEN_ITEMS,
    )


def _unknown_payer(amount: int, currency: str = "EUR") -> pa.Table:
    return pa.table(
        {
            "payment_id": ["P1"],
            "amount_minor": [amount],
            "currency": [currency],
            "value_date": [dt.date(2024, 2, 10)],
            "payer_name": ["SOMEONE ELSE ENTIRELY"],
            "reference_text": ["thank you"],
        }
    )


def test_amount_only_counts_the_ledger_not_the_part():
    # The part holds two invoices of 500.00; the ledger has five: nothing to suggest.
    part = _items([("A", "C1", "EUR", 50000), ("B", "C2", "EUR", 50000)])
    alone = match_payments(build_index(part), _unknown_payer(50000)).matches
    assert alone["reason"].to_pylist() == ["amount_only"]
    ledger = LedgerCounts(("EUR",), {("EUR", 50000): 5})
    within = match_payments(build_index(part, ledger=ledger), _unknown_payer(50000)).matches
    assert within["status"].to_pylist() == ["unmatched"]
    assert within["reason"].to_pylist() == ["no_candidate+payer_unknown"]
    # Both the array rules (a batch of 32 or more) and the one-by-one search read it.
    batch = pa.concat_tables([_unknown_payer(50000)] * 40)
    batch = batch.set_column(0, "payment_id", pa.array([f"P{k}" for k in range(40)]))
    many = match_payments(build_index(part, ledger=ledger), batch).matches
    assert set(many["status"].to_pylist()) == {"unmatched"}


def test_a_currency_of_the_ledger_is_known_to_every_part():
    part = _items([("A", "C1", "EUR", 50000)])
    ledger = LedgerCounts(("EUR", "USD"), {("USD", 50000): 9})
    index = build_index(part, ledger=ledger)
    assert index.currencies == ["EUR", "USD"]
    row = match_payments(index, _unknown_payer(50000, "USD")).matches.to_pylist()[0]
    assert row["reason"] == "no_candidate+payer_unknown"
    # The whole ledger's own index says the same currency has no open items.
    row = match_payments(build_index(part), _unknown_payer(50000, "USD")).matches.to_pylist()[0]
    assert row["reason"] == "no_open_items_in_currency"


def test_amount_counts_are_the_index_own_without_a_ledger():
    part = _items([("A", "C1", "EUR", 100), ("B", "C2", "EUR", 100), ("C", "C2", "USD", 100)])
    index = build_index(part)
    eur, usd = index.currency_code("EUR"), index.currency_code("USD")
    counts = index.amount_counts(np.array([eur, usd, eur, -1]), np.array([100, 100, 7, 100]))
    assert counts.tolist() == [2, 1, 0, 0]
    with_ledger = dataclasses.replace(index, ledger=LedgerCounts(("EUR", "USD"), {("EUR", 100): 4}))
    assert with_ledger.amount_counts(np.array([eur]), np.array([100])).tolist() == [4]
    with pytest.raises(KeyError, match="not routed"):
        with_ledger.amount_counts(np.array([usd]), np.array([100]))


def test_an_index_from_entries_split_by_hash_finds_what_the_whole_finds():
    # Each hash's entries, all in one part: the limits per key count the whole ledger.
    data = generate(seed=13, n_invoices=2000, n_payments=300, profile="realistic")
    numbers = data.open_items["invoice_number"].combine_chunks()
    po_numbers = data.open_items["po_number"].combine_chunks()
    config = build_index(data.open_items).config
    whole = ReferenceIndex.build(numbers, config, po_numbers)
    entries, digits = index_entries(numbers, config, po_numbers)
    assert {"po", "year_seq"} <= set(entries)
    texts = data.payments["reference_text"].combine_chunks()
    want = find_references(whole, texts, config)
    found = []
    for part in range(3):
        kept = {}
        for name, (hashes, owners) in entries.items():
            assert name in KEY_INDEXES
            keep = hashes % np.uint64(3) == part
            kept[name] = (hashes[keep], owners[keep])
        hits = find_references(ReferenceIndex.from_entries(kept, digits), texts, config)
        found.append(np.stack([hits.payment, hits.invoice]).T)
    got = np.unique(np.concatenate(found), axis=0)
    assert len(want.payment)
    assert got.tolist() == np.unique(np.stack([want.payment, want.invoice]).T, axis=0).tolist()

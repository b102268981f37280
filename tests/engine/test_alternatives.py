"""The next best candidates of suggested and unmatched payments, and who contested whom."""

from __future__ import annotations

import sys

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.generator import generate
from cashmatch.engine import build_index, match_payments
from cashmatch.engine.alternatives import MAX_ALTERNATIVES
from cashmatch.engine.config import MatchConfig
from cashmatch.engine.review import review_alternatives, review_matches
from cashmatch.engine.schemas import ALTERNATIVES, CONTESTS, MATCHES, MATCHES_FOR_REVIEW
from tests.engine.conftest import D, customers, ledger, payments

SUGGESTION_CAP = MatchConfig().suggestion_cap


def _run(items, rows, batch_to=0):
    """Match ``rows`` (padded with unmatched refunds to ``batch_to`` payments) against ``items``."""
    padding = [{"amount_minor": 1 + k, "reference_text": "REFUND"} for k in range(batch_to)]
    table = payments(rows + padding[: max(0, batch_to - len(rows))])
    index = build_index(items, customers())
    return index, table, match_payments(index, table, alternatives=True)


def _alternatives_of(result, payment_id):
    ranked: dict[int, dict] = {}
    for row in result.alternatives.to_pylist():
        if row["payment_id"] == payment_id:
            entry = ranked.setdefault(row["rank"], {**row, "invoices": []})
            entry["invoices"].append(row["invoice_id"])
    return [ranked[k] for k in sorted(ranked)]


def test_ambiguous_amount_lists_the_rival_invoices_in_both_paths():
    issue = D(2024, 4, 15)
    items = ledger(
        [
            ("I1", "INV-1", "C5", 60000, issue, "EUR"),
            ("I2", "INV-2", "C5", 60000, D(2024, 4, 1), "EUR"),
            ("I3", "INV-3", "C5", 60000, D(2024, 3, 1), "EUR"),
            ("I4", "INV-4", "C5", 12000, issue, "EUR"),
            ("I5", "INV-5", "C1", 60000, issue, "EUR"),
        ]
    )
    row = {"amount_minor": 60000, "payer_account": "GB29 NWBK 6016 1331 9268 19"}
    for batch in (0, 40):  # decided one by one, then by the array rules
        _, _, result = _run(items, [row], batch)
        (match,) = [m for m in result.matches.to_pylist() if m["payment_id"] == "P1"]
        assert match["status"] == "suggested" and match["reason"] == "customer+amount_ambiguous"
        assert match["invoice_id"] == "I3"  # the oldest due
        alternatives = _alternatives_of(result, "P1")
        # The customer's two other invoices of that amount; never another customer's I5.
        assert [a["invoices"] for a in alternatives] == [["I2"], ["I1"]]
        assert {a["kind"] for a in alternatives} == {"same_amount"}
        assert all(a["confidence"] == match["confidence"] for a in alternatives)
        assert all(a["amount_applied_minor"] == 60000 for a in alternatives)


def test_contested_payments_name_each_other(standard_ledger):
    rows = [
        {"amount_minor": 125000, "reference_text": "INV-2024-000123", "value_date": D(2024, 5, 21)},
        {"amount_minor": 125000, "reference_text": "INV-2024-000123", "value_date": D(2024, 5, 20)},
    ]
    index, table, result = _run(standard_ledger, rows)
    assert result.contests.schema == CONTESTS
    assert sorted(result.contests.to_pylist(), key=lambda r: r["payment_id"]) == [
        {"payment_id": "P1", "invoice_id": "I1", "rival_payment_id": "P2", "kept": False},
        {"payment_id": "P2", "invoice_id": "I1", "rival_payment_id": "P1", "kept": True},
    ]
    reviewed = {r["payment_id"]: r for r in review_matches(index, table, result).to_pylist()}
    assert reviewed["P1"]["contested_with"] == "P2" and reviewed["P2"]["contested_with"] == "P1"
    assert "contested" in reviewed["P1"]["reason"] and reviewed["P2"]["status"] == "auto"


def test_rival_hypotheses_are_the_alternatives(standard_ledger):
    # Two quoted invoices of the customer, each open for exactly the amount paid.
    row = {
        "amount_minor": 60000,
        "reference_text": "INV-2024-000300 INV-2024-000301",
        "payer_account": "GB29 NWBK 6016 1331 9268 19",
    }
    _, _, result = _run(standard_ledger, [row])
    (match,) = [m for m in result.matches.to_pylist() if m["payment_id"] == "P1"]
    assert match["status"] == "suggested"
    (alternative,) = _alternatives_of(result, "P1")
    assert alternative["kind"] == "hypothesis" and alternative["reason"] == "ref_exact+amount_exact"
    assert {match["invoice_id"], *alternative["invoices"]} == {"I9", "I10"}
    assert alternative["confidence"] <= SUGGESTION_CAP


def test_unmatched_payment_of_a_known_payer_shows_its_nearest_invoices(standard_ledger):
    row = {"amount_minor": 25000, "payer_name": "ACME INTERNATIONAL SUPPLIES"}
    _, _, result = _run(standard_ledger, [row])
    (match,) = [m for m in result.matches.to_pylist() if m["payment_id"] == "P1"]
    assert match["status"] == "unmatched"
    alternatives = _alternatives_of(result, "P1")
    # C2's invoices by distance to 250.00: 200.31, 300.12, 150.79 (not 450.17).
    assert [a["invoices"] for a in alternatives] == [["I5"], ["I4"], ["I6"]]
    assert all(a["kind"] == "nearest_amount" and a["confidence"] is None for a in alternatives)
    over, short, _ = alternatives
    assert (over["amount_applied_minor"], over["payment_unapplied_minor"]) == (20031, 4969)
    assert (short["amount_applied_minor"], short["invoice_residual_minor"]) == (25000, 5012)
    assert short["residual_action"] == "leave_open"


def test_automatic_and_unknown_payers_get_no_alternatives(standard_ledger):
    rows = [
        {"amount_minor": 125000, "reference_text": "INV-2024-000123"},
        {"amount_minor": 33333, "reference_text": "REFUND", "payer_name": "SOMEBODY ELSE GMBH"},
    ]
    _, _, result = _run(standard_ledger, rows)
    assert result.alternatives.schema == ALTERNATIVES and result.alternatives.num_rows == 0


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_alternatives_are_ranked_new_and_the_same_in_both_paths(seed):
    data = generate(seed, 2500, 700)
    index = build_index(data.open_items, data.customers)
    fast = match_payments(index, data.payments, alternatives=True)
    searching_all = MatchConfig(array_decisions_min_payments=sys.maxsize)
    full_index = build_index(data.open_items, data.customers, searching_all)
    full = match_payments(full_index, data.payments, alternatives=True)
    assert fast.alternatives.equals(full.alternatives)
    assert fast.contests.equals(full.contests)
    shown: dict[str, set[str]] = {}
    status: dict[str, str] = {}
    for row in fast.matches.to_pylist():
        status[row["payment_id"]] = row["status"]
        if row["invoice_id"]:
            shown.setdefault(row["payment_id"], set()).add(row["invoice_id"])
    candidates: dict[str, dict[int, set[str]]] = {}
    for row in fast.alternatives.to_pylist():
        assert status[row["payment_id"]] != "auto"
        assert row["confidence"] is None or row["confidence"] <= SUGGESTION_CAP
        candidates.setdefault(row["payment_id"], {}).setdefault(row["rank"], set())
        candidates[row["payment_id"]][row["rank"]].add(row["invoice_id"])
    assert candidates, "some payments have alternatives"
    for payment_id, ranked in candidates.items():
        assert sorted(ranked) == list(range(1, len(ranked) + 1)) and len(ranked) <= MAX_ALTERNATIVES
        sets = [frozenset(s) for s in ranked.values()]
        assert len(set(sets)) == len(sets), "no candidate twice"
        assert frozenset(shown.get(payment_id, ())) not in sets, "never the one shown"


def test_review_keeps_the_matches_columns_first_and_adds_the_payment(standard_ledger):
    rows = [
        {
            "amount_minor": 125000,
            "reference_text": "Invoice INV-2024-000123",
            "payer_name": "NORTHWIND <b>&",
            "payer_account": "DE89 3704 0044 0532 0130 00",
            "source_file": "stmt.xml",
            "source_location": "Stmt[1]/Ntry[2]/TxDtls[1]",
        },
        {"amount_minor": 60000, "payer_name": "GRANITE LOGISTICS"},
    ]
    index, table, result = _run(standard_ledger, rows)
    reviewed = review_matches(index, table, result)
    assert reviewed.schema == MATCHES_FOR_REVIEW
    assert reviewed.schema.names[: len(MATCHES)] == MATCHES.names
    assert reviewed.select(MATCHES.names).equals(result.matches)
    first, second = reviewed.to_pylist()
    assert first["invoice_number"] == "INV-2024-000123"
    assert first["customer_name"] == "Northwind Precision Tools GmbH"
    assert (first["payment_amount_minor"], first["value_date"]) == (125000, D(2024, 5, 20))
    assert first["payer_name"] == "NORTHWIND <b>&" and first["reference_text"].endswith("000123")
    assert (first["source_file"], first["source_location"]) == (
        "stmt.xml",
        "Stmt[1]/Ntry[2]/TxDtls[1]",
    )
    assert (first["alternatives"], first["contested_with"]) == (0, "")
    assert second["status"] == "suggested" and second["alternatives"] == 1
    named = review_alternatives(index, result).to_pylist()
    assert [a["customer_name"] for a in named] == ["Granite Logistics Ltd"]


def test_review_of_an_empty_batch(standard_ledger):
    index = build_index(standard_ledger, customers())
    empty = payments([])
    result = match_payments(index, empty, alternatives=True)
    assert review_matches(index, empty, result).num_rows == 0
    assert isinstance(review_alternatives(index, result), pa.Table)


def test_alternatives_only_when_asked_for(standard_ledger):
    index = build_index(standard_ledger, customers())
    table = payments([{"amount_minor": 60000, "payer_name": "GRANITE LOGISTICS"}])
    plain = match_payments(index, table)
    assert plain.alternatives.num_rows == 0 and plain.alternatives.schema == ALTERNATIVES
    assert plain.matches.equals(match_payments(index, table, alternatives=True).matches)

"""The measurement: what counts as right, per kind, and how well confidence is calibrated."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from bench.generator import Dataset
from bench.quality import Calibration, calibration_report, compare, main, report
from cashmatch.engine.schemas import MATCHES, OPEN_ITEMS, PAYMENTS

DAY = dt.date(2024, 6, 1)


def _dataset() -> Dataset:
    items = [
        ("I1", "INV-1", 10000),
        ("I2", "INV-2", 5000),
        ("CN1", "CN-1", -2000),
        ("I3", "INV-3", 7000),
        ("I4", "INV-4", 4000),
    ]
    open_items = pa.table(
        {
            "invoice_id": [i[0] for i in items],
            "invoice_number": [i[1] for i in items],
            "customer_id": ["C1"] * len(items),
            "customer_name": ["Acme"] * len(items),
            "currency": ["EUR"] * len(items),
            "amount_open_minor": pa.array([i[2] for i in items], pa.int64()),
            "issue_date": [DAY] * len(items),
            "due_date": [DAY] * len(items),
            "po_number": [None] * len(items),
            "amount_original_minor": pa.nulls(len(items), pa.int64()),
        },
        schema=OPEN_ITEMS,
    )
    pays = [("PA", 8000), ("PB", 5000), ("PC", 6980), ("PD", 2000), ("PE", 900), ("PF", 4000)]
    payments = pa.table(
        {
            "payment_id": [p[0] for p in pays],
            "amount_minor": pa.array([p[1] for p in pays], pa.int64()),
            "currency": ["EUR"] * len(pays),
            "value_date": [DAY] * len(pays),
        }
    )
    payments = pa.Table.from_pylist(payments.to_pylist(), schema=PAYMENTS)
    truth = [
        ("PA", "I1", 10000, "none"),
        ("PA", "CN1", -2000, "none"),
        ("PB", "I2", 5000, "none"),
        ("PC", "I3", 6980, "write_off_bank_fee"),
        ("PD", "I4", 2000, "none"),  # the last of two instalments
        ("PF", "I4", 2000, "leave_open"),
    ]
    cases = [
        ("PA", "credit_note:unquoted"),
        ("PB", "single_exact_ref"),
        ("PC", "fx_charges:1_bank"),
        ("PD", "instalment:same_batch"),
        ("PE", "unmatchable:prepayment"),
        ("PF", "instalment:same_batch"),
    ]
    return Dataset(
        customers=pa.table({"customer_id": ["C1"]}),
        open_items=open_items,
        payments=payments,
        truth=pa.table(
            {
                "payment_id": [t[0] for t in truth],
                "invoice_id": [t[1] for t in truth],
                "amount_applied_minor": pa.array([t[2] for t in truth], pa.int64()),
                "residual_action": [t[3] for t in truth],
            }
        ),
        cases=pa.table({"payment_id": [c[0] for c in cases], "case": [c[1] for c in cases]}),
        as_of=DAY,
    )


def _matches(rows) -> pa.Table:
    """Match rows from (payment, invoice, applied, status, confidence, residual action)."""
    return pa.Table.from_pylist(
        [
            {
                "payment_id": p,
                "invoice_id": i,
                "currency": "EUR",
                "amount_applied_minor": a,
                "status": s,
                "confidence": c,
                "reason": "test",
                "invoice_residual_minor": 0,
                "residual_action": r,
                "payment_unapplied_minor": 0,
                "customer_id": "C1",
            }
            for p, i, a, s, c, r in rows
        ],
        schema=MATCHES,
    )


def test_what_counts_as_exactly_right():
    matches = _matches(
        [
            ("PA", "I1", 8000, "auto", 0.92, "leave_open"),  # the credit note posted as a partial
            ("PB", "I2", 5000, "auto", 0.995, "none"),
            ("PC", "I3", 6980, "auto", 0.92, "leave_open"),  # amounts right, fee left open
            ("PD", "I4", 2000, "auto", 0.92, "leave_open"),  # the batch's last instalment
            ("PE", "I2", 900, "auto", 0.91, "leave_open"),  # money for nothing open, applied
            ("PF", "I4", 2000, "suggested", 0.6, "leave_open"),
        ]
    )
    found = compare(_dataset(), matches)
    q = found.quality
    assert q["all"].payments == 6 and q["all"].matchable == 5
    assert q["all"].auto == 5 and q["all"].auto_correct == 2  # PB and PD
    assert q["all"].auto_on_matchable == 4
    assert q["credit_note"].credit_note_as_short == 1
    assert q["credit_note:unquoted"].precision == 0.0
    assert q["fx_charges"].auto_action_wrong == 1 and q["fx_charges"].auto_correct == 0
    assert q["instalment"].auto_correct == 1 and q["instalment"].suggested_correct == 1
    assert q["unmatchable"].auto == 1 and q["unmatchable"].auto_correct == 0
    assert sorted(found.wrong) == ["credit_note", "fx_charges", "unmatchable"]
    assert found.wrong["credit_note"][0]["truth"] == {"I1": 10000, "CN1": -2000}
    # One calibration sample per proposal.
    assert sorted(found.calibration.confidence.tolist()) == [0.6, 0.91, 0.92, 0.92, 0.92, 0.995]
    assert int(found.calibration.right.sum()) == 3
    table = report(q)
    assert "| credit_note | 1 | 1 | 1 | 100.0% | 0.00% | 0 | 0 | 1 |" in table


def test_a_credit_note_applied_with_its_invoice_is_right():
    matches = _matches(
        [
            ("PA", "I1", 10000, "auto", 0.99, "none"),
            ("PA", "CN1", -2000, "auto", 0.99, "none"),
        ]
    )
    q = compare(_dataset(), matches).quality
    assert q["credit_note"].auto_correct == 1 and q["credit_note"].credit_note_as_short == 0


def test_without_residual_actions_in_the_truth_only_amounts_count():
    data = _dataset()
    data.truth = data.truth.drop_columns(["residual_action"])
    matches = _matches([("PC", "I3", 6980, "auto", 0.92, "leave_open")])
    q = compare(data, matches).quality
    assert q["fx_charges"].auto_correct == 1 and q["fx_charges"].auto_action_wrong == 0


def test_expected_calibration_error_and_reliability():
    confidence = np.array([0.95] * 10 + [0.45] * 10 + [0.05] * 5)
    right = np.array([True] * 9 + [False] + [True] * 9 + [False] + [False] * 5)
    cal = Calibration(confidence, right)
    rows = cal.reliability()
    assert [r["n"] for r in rows] == [5, 0, 0, 0, 10, 0, 0, 0, 0, 10]
    assert rows[9]["right"] == pytest.approx(0.9) and rows[9]["gap"] == pytest.approx(-0.05)
    assert rows[4]["gap"] == pytest.approx(0.45)
    # (10 * 0.05 + 10 * 0.45 + 5 * 0.05) / 25
    assert cal.ece() == pytest.approx(0.21)
    assert "| 0.4-0.5 | 10 | 0.450 | 0.900 | +0.450 |" in calibration_report(cal)
    assert Calibration(np.array([1.0]), np.array([True])).reliability()[9]["n"] == 1
    assert np.isnan(Calibration().ece())


def test_command_line_on_seeds_of_the_realistic_profile(tmp_path, capsys):
    png = tmp_path / "reliability.png"
    args = ["--profile", "realistic", "--seeds", "3,4", "--invoices", "1500", "--payments", "300"]
    assert main([*args, "--reliability-png", str(png), "--wrong-by-kind", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("(realistic)") == 2
    assert "| credit_note |" in out and "Expected calibration error" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

"""Payment prediction, the cash forecast and the worklist: properties, habits, quality bar."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from bench.ar_books import generate_ar_book
from bench.ar_quality import evaluate
from cashmatch.engine.ar import build_book, forecast_cash, predict_payments
from cashmatch.engine.ar.features import weekday
from cashmatch.engine.ar.ledger import day_number
from cashmatch.engine.ar.worklist import parse_rates, worklist
from cashmatch.engine.errors import InputError
from cashmatch.engine.schemas import OPEN_ITEMS, PAID_INVOICES


@pytest.fixture(scope="module")
def generated():
    book = generate_ar_book(seed=11, n_customers=250)
    ledger = build_book(book.open_items, book.paid)
    return book, ledger, predict_payments(ledger, book.as_of)


def test_every_open_item_gets_a_prediction_in_the_contract(generated):
    book, ledger, prediction = generated
    table = prediction.table
    assert table.column_names[:5] == [
        "invoice_id",
        "predicted_paid_date",
        "paid_by_p10",
        "paid_by_p90",
        "p_late",
    ]
    assert table["invoice_id"].to_pylist() == book.open_items["invoice_id"].to_pylist()
    as_of = book.as_of
    p10, p50, p90 = (table[c].to_pylist() for c in ("paid_by_p10", "predicted_paid_date",
                                                     "paid_by_p90"))  # fmt: skip
    assert all(as_of <= a <= b <= c for a, b, c in zip(p10, p50, p90))
    p_late = table["p_late"].to_numpy()
    assert ((p_late >= 0) & (p_late <= 1)).all()
    due = ledger.open_due
    # Already past due: certainly paid late.
    assert (p_late[due < day_number(as_of)] == 1).all()
    assert 0 < p_late[due >= day_number(as_of)].mean() < 1


def test_predictions_are_reproducible(generated):
    book, ledger, prediction = generated
    again = predict_payments(ledger, book.as_of)
    assert again.table.equals(prediction.table)


def _history(customer: str, delays: list[int], start: dt.date, every: int = 7, terms: int = 30):
    rows = []
    for k, delay in enumerate(delays):
        issue = start + dt.timedelta(days=every * k)
        due = issue + dt.timedelta(days=terms)
        rows.append({"invoice_id": f"{customer}-P{k}", "customer_id": customer, "currency": "EUR",
                     "amount_minor": 10000, "issue_date": issue, "due_date": due,
                     "paid_date": due + dt.timedelta(days=delay)})  # fmt: skip
    return rows


def _open(customer: str, k: int, issue: dt.date, terms: int = 30, amount: int = 10000):
    return {"invoice_id": f"{customer}-O{k}", "invoice_number": f"N-{customer}-{k}",
            "customer_id": customer, "currency": "EUR", "amount_open_minor": amount,
            "issue_date": issue, "due_date": issue + dt.timedelta(days=terms)}  # fmt: skip


def test_each_customer_habit_is_learned():
    """An early payer, an on-time payer and a 40-days-late payer, 100 invoices each."""
    rng = np.random.default_rng(3)
    start, as_of = dt.date(2023, 1, 2), dt.date(2025, 1, 15)
    habits = {"EARLY": -5, "ONTIME": 0, "LATE": 40}
    paid, items = [], []
    for customer, delay in habits.items():
        noise = rng.integers(-2, 3, 100)
        paid += _history(customer, [delay + int(e) for e in noise], start)
        items += [_open(customer, k, as_of + dt.timedelta(days=2 + k)) for k in range(5)]
    book = build_book(pa.Table.from_pylist(items, schema=OPEN_ITEMS),
                      pa.Table.from_pylist(paid, schema=PAID_INVOICES))  # fmt: skip
    table = predict_payments(book, as_of).table.to_pylist()
    for row in table:
        habit = habits[row["customer_id"]]
        predicted = (row["predicted_paid_date"] - row["due_date"]).days
        assert abs(predicted - habit) <= 4, (row, habit)
    late = {r["customer_id"]: r["p_late"] for r in table}
    assert late["LATE"] > 0.8 and late["EARLY"] < 0.2


def test_friday_payer_is_predicted_on_fridays():
    rng = np.random.default_rng(5)
    start, as_of = dt.date(2023, 1, 2), dt.date(2025, 1, 15)
    paid = _history("FRI", [int(d) for d in rng.integers(0, 12, 120)], start, every=6)
    for row in paid:
        day = day_number(row["paid_date"])
        row["paid_date"] += dt.timedelta(days=int((4 - weekday(np.array([day]))[0]) % 7))
    items = [_open("FRI", k, as_of + dt.timedelta(days=k)) for k in range(10)]
    book = build_book(pa.Table.from_pylist(items, schema=OPEN_ITEMS),
                      pa.Table.from_pylist(paid, schema=PAID_INVOICES))  # fmt: skip
    table = predict_payments(book, as_of).table
    for column in ("predicted_paid_date", "paid_by_p10", "paid_by_p90"):
        assert {d.weekday() for d in table[column].to_pylist()} == {4}, column


def test_no_history_still_predicts_after_as_of():
    as_of = dt.date(2024, 6, 10)
    rows = [_open("NEW", 0, dt.date(2024, 5, 1)), _open("NEW", 1, dt.date(2024, 6, 5))]
    items = pa.Table.from_pylist(rows, schema=OPEN_ITEMS)
    table = predict_payments(build_book(items), as_of).table.to_pylist()
    assert all(r["paid_by_p10"] >= as_of for r in table)
    assert table[0]["p_late"] == 1.0


def test_forecast_contract_and_totals(generated):
    book, ledger, prediction = generated
    table = forecast_cash(ledger, prediction, weeks=13)
    assert table.column_names == ["currency", "week_start", "expected_amount_minor",
                                  "p10_amount_minor", "p90_amount_minor"]  # fmt: skip
    currencies = sorted(set(book.open_items["currency"].to_pylist()))
    assert table["currency"].to_pylist() == [c for c in currencies for _ in range(13)]
    starts = table["week_start"].to_pylist()[:13]
    assert starts[0] <= book.as_of < starts[0] + dt.timedelta(days=7)
    assert all(d.weekday() == 0 for d in starts)
    expected = table["expected_amount_minor"].to_numpy()
    assert (table["p10_amount_minor"].to_numpy() <= table["p90_amount_minor"].to_numpy()).all()
    # Never more than is open, per currency.
    for k, currency in enumerate(currencies):
        items = book.open_items.to_pylist()
        open_total = sum(r["amount_open_minor"] for r in items if r["currency"] == currency)
        assert expected[13 * k : 13 * (k + 1)].sum() <= open_total * 1.0001
    with pytest.raises(InputError, match="--weeks"):
        forecast_cash(ledger, prediction, weeks=0)


def test_worklist_ranks_and_explains(generated):
    book, ledger, prediction = generated
    table = worklist(ledger, prediction).to_pylist()
    assert table, "a book with overdue invoices has work"
    today = book.as_of
    for row in table:
        if row["action"] in ("call", "escalate"):
            assert row["due_date"] < today and row["reason"].startswith("overdue_")
        else:
            assert row["action"] == "remind" and row["p_late"] >= 0.5
            assert row["reason"].startswith("due_in_") and "likely_late" in row["reason"]
        assert (row["action"] == "escalate") == (row["days_past_due"] > 90)
    by_currency: dict[str, list] = {}
    for row in table:
        by_currency.setdefault(row["currency"], []).append(row)
    for rows in by_currency.values():
        assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
        priorities = [r["priority"] for r in rows]
        assert priorities == sorted(priorities, reverse=True)
    rates = {c: 1.0 for c in by_currency}
    ranked = worklist(ledger, prediction, rates=rates)
    assert ranked["rank"].to_pylist() == list(range(1, ranked.num_rows + 1))
    with pytest.raises(InputError, match="no exchange rate"):
        worklist(ledger, prediction, rates={"EUR": 1.0, "XXX": 2.0} if "EUR" in rates else {})


def test_parse_rates_refuses_nonsense():
    assert parse_rates(["usd=0.9"]) == {"USD": 0.9}
    for bad in (["USD"], ["USD=abc"], ["USD=-1"], ["USD=nan"]):
        with pytest.raises(InputError, match="--rate"):
            parse_rates(bad)


@pytest.mark.slow
def test_quality_bar_on_a_seed_never_tuned_on():
    """The issue's targets with some margin, on a small book (seed 77, 600 customers)."""
    r = evaluate(seed=77, customers=600)
    assert r["mae_ratio"] <= 0.80  # the issue's baseline: due date + customer median delay
    assert r["mae_ratio_clipped"] <= 0.93  # the same, never before the as-of date
    assert r["mae_ratio_due_date"] <= 0.55
    assert r["auc_not_yet_due"] >= 0.90
    assert 0.72 <= r["coverage_80"] <= 0.88
    assert r["wape_ratio"] <= 0.75

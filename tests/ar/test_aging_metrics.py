"""Aging and metrics, exactly, on the hand-computed book of tests/ar/books.py."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from cashmatch.engine.ar import aging, build_book, metrics
from cashmatch.engine.ar.ledger import group_sums
from cashmatch.engine.ar.metrics import exact_ratio
from cashmatch.engine.errors import InputError
from cashmatch.engine.schemas import OPEN_ITEMS
from cashmatch.loaders.paid import read_paid_invoices
from cashmatch.loaders.tabular import read_open_items
from cashmatch.server.cli import main
from tests.ar.books import AS_OF, PERIOD_DAYS, write_book

AGING_HEADER = [
    "customer_id",
    "currency",
    "current",
    "d1_30",
    "d31_60",
    "d61_90",
    "d91_120",
    "d121_plus",
    "total",
]
# Worked out by hand from the comments in books.py.
EXPECTED_AGING = [
    ["C1", "EUR", "80.00", "40.00", "75.50", "0.00", "0.00", "0.00", "195.50"],
    ["C2", "EUR", "0.00", "0.00", "0.00", "1.00", "7.00", "13.00", "21.00"],
    ["C2", "JPY", "1000", "0", "0", "0", "0", "0", "1000"],
    ["C3", "KWD", "0.000", "1.234", "2.000", "0.500", "0.000", "0.000", "3.734"],
    ["", "EUR", "80.00", "40.00", "75.50", "1.00", "7.00", "13.00", "216.50"],
    ["", "JPY", "1000", "0", "0", "0", "0", "0", "1000"],
    ["", "KWD", "0.000", "1.234", "2.000", "0.500", "0.000", "0.000", "3.734"],
]
METRICS_HEADER = ["customer_id", "currency", "dso", "best_possible_dso", "add", "cei"]
# C1 EUR: Sales 100 - 20 + 200 = 280, AR_end 195.50, current 80, AR_begin 250 + 75.50 + 300.
#   DSO 195.5/280*30 = 20.946, best 80/280*30 = 8.571, add 115.5/280*30 = 12.375 (half up),
#   CEI (625.5 + 280 - 195.5) / (625.5 + 280 - 80) = 710 / 825.5 = 86.008%.
# C2 EUR: no sales; AR_begin = AR_end = 21, current 0: CEI 0/21.
# C2 JPY: Sales 1500 (the original of A8), AR_end = current = 1000: CEI 500/500.
# C3 KWD: Sales 10 (P4), AR_end = AR_begin = 3.734 (A10 issued at begin), current 0.
# EUR: Sales 280, AR_end 216.50, current 80, AR_begin 646.50: DSO 23.196, add 14.625,
#   CEI (646.5 + 280 - 216.5) / (646.5 + 280 - 80) = 710 / 846.5 = 83.875%.
EXPECTED_METRICS = [
    ["C1", "EUR", "20.95", "8.57", "12.38", "86.01"],
    ["C2", "EUR", "", "", "", "0.00"],
    ["C2", "JPY", "20.00", "20.00", "0.00", "100.00"],
    ["C3", "KWD", "11.20", "0.00", "11.20", "72.81"],
    ["", "EUR", "23.20", "8.57", "14.63", "83.87"],
    ["", "JPY", "20.00", "20.00", "0.00", "100.00"],
    ["", "KWD", "11.20", "0.00", "11.20", "72.81"],
]


def rows(path) -> list[list[str]]:
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def book(tmp_path):
    open_path, paid_path = write_book(tmp_path)
    return build_book(read_open_items(open_path), read_paid_invoices(paid_path))


def test_aging_is_exact_in_minor_units(book):
    table = aging(book, AS_OF)
    assert table.column("customer_id").to_pylist() == ["C1", "C2", "C2", "C3", "", "", ""]
    c1 = table.slice(0, 1).to_pylist()[0]
    assert c1["current_minor"] == 8000 and c1["d1_30_minor"] == 4000
    assert c1["d31_60_minor"] == 7550 and c1["total_minor"] == 19550


def test_metrics_sums_are_exact(book):
    table = metrics(book, AS_OF, PERIOD_DAYS)
    first = table.slice(0, 1).to_pylist()[0]
    assert (first["sales_minor"], first["ar_begin_minor"]) == (28000, 62550)
    assert (first["ar_end_minor"], first["current_ar_end_minor"]) == (19550, 8000)


def test_cli_aging_and_metrics_files(tmp_path, capsys):
    open_path, paid_path = write_book(tmp_path)
    out = tmp_path / "aging.csv"
    assert main(["ar", "aging", "--open-items", str(open_path), "--as-of", "2024-06-30",
                 "--out", str(out)]) == 0  # fmt: skip
    assert rows(out) == [AGING_HEADER, *EXPECTED_AGING]
    out = tmp_path / "metrics.csv"
    args = ["--open-items", str(open_path), "--history", str(paid_path), "--as-of", "2024-06-30"]
    assert main(["ar", "metrics", *args, "--period-days", "30", "--out", str(out)]) == 0
    table = rows(out)
    assert table[0][:6] == METRICS_HEADER
    assert table[0][6:] == ["sales", "ar_begin", "ar_end", "current_ar_end"]
    assert [r[:6] for r in table[1:]] == EXPECTED_METRICS
    assert table[1][6:] == ["280.00", "625.50", "195.50", "80.00"]
    assert "metrics: 7 rows" in capsys.readouterr().out


def test_aging_total_row_equals_ar_end(book):
    age = aging(book, AS_OF).to_pylist()
    met = metrics(book, AS_OF, PERIOD_DAYS).to_pylist()
    totals = {r["currency"]: r["total_minor"] for r in age if r["customer_id"] == ""}
    ends = {r["currency"]: r["ar_end_minor"] for r in met if r["customer_id"] == ""}
    assert totals == ends == {"EUR": 21650, "JPY": 1000, "KWD": 3734}


def test_aging_matches_a_row_by_row_count_on_random_books():
    """Against a plain Python tally, on random books of several currencies."""
    rng = np.random.default_rng(7)
    n = 2000
    as_of = dt.date(2024, 6, 30)
    issue = [as_of - dt.timedelta(days=int(d)) for d in rng.integers(-5, 400, n)]
    due = [d + dt.timedelta(days=int(t)) for d, t in zip(issue, rng.integers(0, 90, n))]
    table = pa.table(
        {
            "invoice_id": [f"I{k}" for k in range(n)],
            "invoice_number": [f"N{k}" for k in range(n)],
            "customer_id": [f"C{k}" for k in rng.integers(0, 40, n)],
            "currency": rng.choice(["EUR", "JPY", "KWD"], n).tolist(),
            "amount_open_minor": rng.integers(-(10**6), 10**9, n),
            "issue_date": issue,
            "due_date": due,
        }
    )
    got = {
        (r["customer_id"], r["currency"]): r for r in aging(build_book(table), as_of).to_pylist()
    }
    names = ("current", "d1_30", "d31_60", "d61_90", "d91_120", "d121_plus")
    want: dict = {}
    for r in table.to_pylist():
        if r["issue_date"] > as_of:
            continue
        late = (as_of - r["due_date"]).days
        bucket = names[0 if late <= 0 else min((late - 1) // 30 + 1, 5)]
        for key in ((r["customer_id"], r["currency"]), ("", r["currency"])):
            cell = want.setdefault(key, dict.fromkeys(names, 0))
            cell[bucket] += r["amount_open_minor"]
    assert set(got) == set(want)
    for key, cell in want.items():
        assert [got[key][f"{b}_minor"] for b in names] == [cell[b] for b in names]
        assert got[key]["total_minor"] == sum(cell.values())


def test_sums_stay_exact_beyond_float_precision():
    # 2**53 + 1 is not a float64: a float sum would lose the cent.
    assert group_sums(np.array([0, 0]), np.array([2**53, 1]), 1).tolist() == [2**53 + 1]
    with pytest.raises(InputError, match="beyond what int64 holds"):
        group_sums(np.array([0, 0]), np.array([2**62, 2**62]), 1)


@pytest.mark.parametrize(
    ("num", "den", "text"),
    [(1, 8, "0.13"), (-1, 8, "-0.13"), (1, -8, "-0.13"), (1, 3, "0.33"), (-1, 1000, "0.00"),
     (12375, 1000, "12.38"), (0, 5, "0.00"), (5, 0, None), (10**30, 3, "3" * 30 + ".33")],
)  # fmt: skip
def test_exact_ratio_rounds_half_away_from_zero(num, den, text):
    assert exact_ratio(num, den) == text


def test_no_history_gives_dso_from_open_items_alone(tmp_path):
    open_path, _ = write_book(tmp_path)
    table = metrics(build_book(read_open_items(open_path)), AS_OF, PERIOD_DAYS).to_pylist()
    c1 = table[0]
    # Sales 100 - 20 = 80 without P1; AR_begin 250 + 75.50.
    assert (c1["sales_minor"], c1["ar_begin_minor"], c1["dso"]) == (8000, 32550, "73.31")


def test_period_must_be_positive(book):
    with pytest.raises(InputError, match="--period-days"):
        metrics(book, AS_OF, 0)


def test_empty_book():
    book = build_book(OPEN_ITEMS.empty_table())
    assert aging(book, AS_OF).num_rows == 0
    assert metrics(book, AS_OF, 30).num_rows == 0

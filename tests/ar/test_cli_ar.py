"""``cashmatch ar ...`` end to end on files: contract columns, decimal strings, one-line errors."""

from __future__ import annotations

import csv
import datetime as dt
import doctest
import importlib
from pathlib import Path

import pytest

from bench.ar_books import generate_ar_book
from cashmatch.loaders.tabular import write_table_atomically
from cashmatch.server.cli import main
from cashmatch.server.cli_ar import ar_file_columns
from tests.ar.books import write_book


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ar")
    book = generate_ar_book(seed=21, n_customers=120)
    write_table_atomically(ar_file_columns(book.open_items), directory / "OPEN.csv")
    write_table_atomically(ar_file_columns(book.paid), directory / "PAID.csv")
    return directory, book


def read(path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def run(files, command: str, *extra: str) -> list[dict]:
    directory, book = files
    out = directory / f"{command}.csv"
    code = main(["ar", command, "--open-items", str(directory / "OPEN.csv"),
                 "--history", str(directory / "PAID.csv"), "--as-of", str(book.as_of),
                 "--out", str(out), *extra])  # fmt: skip
    assert code == 0
    return read(out)


def test_predict_file(files):
    rows = run(files, "predict")
    _, book = files
    assert list(rows[0])[:5] == ["invoice_id", "predicted_paid_date", "paid_by_p10",
                                 "paid_by_p90", "p_late"]  # fmt: skip
    assert len(rows) == book.open_items.num_rows
    for row in rows:
        p10, p50, p90 = (dt.date.fromisoformat(row[c]) for c in
                         ("paid_by_p10", "predicted_paid_date", "paid_by_p90"))  # fmt: skip
        assert book.as_of <= p10 <= p50 <= p90
        assert 0 <= float(row["p_late"]) <= 1


def test_forecast_file(files):
    rows = run(files, "forecast", "--weeks", "4")
    assert list(rows[0]) == ["currency", "week_start", "expected_amount", "p10_amount",
                             "p90_amount"]  # fmt: skip
    currencies = {r["currency"] for r in rows}
    assert len(rows) == 4 * len(currencies)
    jpy = [r for r in rows if r["currency"] == "JPY"]
    assert all("." not in r["expected_amount"] for r in jpy)
    assert all(len(r["expected_amount"].split(".")[1]) == 2 for r in rows if r["currency"] == "EUR")


def test_worklist_file(files):
    rows = run(files, "worklist")
    assert list(rows[0])[:3] == ["rank", "action", "invoice_id"]
    assert {r["action"] for r in rows} <= {"call", "escalate", "remind"}
    assert all(r["reason"] for r in rows)
    ranked = run(files, "worklist", *[f"--rate={c}=1" for c in ("EUR", "USD", "GBP", "JPY", "CHF")])
    assert [int(r["rank"]) for r in ranked] == list(range(1, len(ranked) + 1))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--as-of": "2024-13-01"}, "--as-of: not an ISO date"),
        ({"--period-days": "0"}, "--period-days: 0 is not a positive number"),
        ({"--history": "missing.csv"}, "missing.csv: no such file"),
    ],
)
def test_errors_are_one_line_and_exit_2(tmp_path, capsys, change, message):
    open_path, paid_path = write_book(tmp_path)
    args = {"--open-items": str(open_path), "--history": str(paid_path), "--as-of": "2024-06-30",
            "--period-days": "30", "--out": str(tmp_path / "m.csv")}  # fmt: skip
    args.update(change)
    assert main(["ar", "metrics", *[x for kv in args.items() for x in kv]]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err and err.startswith("error: ")
    assert not (tmp_path / "m.csv").exists()


def test_bad_history_row_is_located(tmp_path, capsys):
    open_path, paid_path = write_book(tmp_path)
    lines = paid_path.read_text().splitlines()
    lines[2] = lines[2].replace("300.00", "3O0.00")
    paid_path.write_text("\n".join(lines) + "\n")
    code = main(["ar", "predict", "--open-items", str(open_path), "--history", str(paid_path),
                 "--as-of", "2024-06-30", "--out", str(tmp_path / "p.csv")])  # fmt: skip
    assert code == 2
    assert "PAID.csv: row 2, field 'amount'" in capsys.readouterr().err


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "ar"


def test_bundled_example_predicts_better_than_the_due_date(tmp_path):
    out = tmp_path / "p.csv"
    code = main(["ar", "predict", "--open-items", str(EXAMPLES / "OPEN.csv"),
                 "--history", str(EXAMPLES / "PAID.csv"), "--as-of", "2025-06-30",
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    truth = {r["invoice_id"]: r["true_paid_date"] for r in read(EXAMPLES / "truth.csv")}
    errors, due_errors = [], []
    for row in read(out):
        if truth[row["invoice_id"]]:
            paid = dt.date.fromisoformat(truth[row["invoice_id"]])
            errors.append(abs((dt.date.fromisoformat(row["predicted_paid_date"]) - paid).days))
            due_errors.append(abs((dt.date.fromisoformat(row["due_date"]) - paid).days))
    assert len(errors) > 300
    assert sum(errors) < 0.6 * sum(due_errors)


def test_invoice_both_open_and_paid_is_refused(tmp_path, capsys):
    open_path, paid_path = write_book(tmp_path)
    with paid_path.open("a") as handle:
        handle.write("A3,INV-A3,C1,Acme,EUR,75.50,2024-04-01,2024-05-01,2024-05-20\n")
    code = main(["ar", "metrics", "--open-items", str(open_path), "--history", str(paid_path),
                 "--as-of", "2024-06-30", "--out", str(tmp_path / "m.csv")])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "OPEN.csv: row 3, field 'invoice_id': 'A3' is also in the paid history" in err


@pytest.mark.parametrize(
    "name",
    [
        "cashmatch.engine.ar.aging",
        "cashmatch.engine.ar.features",
        "cashmatch.engine.ar.forecast",
        "cashmatch.engine.ar.ledger",
        "cashmatch.engine.ar.metrics",
        "cashmatch.engine.ar.predict",
        "cashmatch.engine.ar.runs",
        "cashmatch.engine.ar.worklist",
        "cashmatch.loaders.paid",
        "cashmatch.server.cli_ar",
        "bench.ar_books",
        "bench.ar_quality",
    ],
)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0

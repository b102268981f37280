"""``cashmatch match`` outputs a person reads: review columns, alternatives, summary, report."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from cashmatch.engine.schemas import ALTERNATIVES_FOR_REVIEW, MATCHES, MATCHES_FOR_REVIEW
from cashmatch.server.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _match(tmp_path, *extra: str, payments: Path = EXAMPLES / "payments.csv") -> int:
    return main(
        [
            "match",
            "--open-items",
            str(EXAMPLES / "open_items.csv"),
            "--customers",
            str(EXAMPLES / "customers.csv"),
            "--payments",
            str(payments),
            *extra,
        ]
    )


def _file_names(schema) -> list[str]:
    """Column names as files have them: money as decimal strings, without ``_minor``."""
    return [name.removesuffix("_minor") for name in schema.names]


def test_matches_keep_their_columns_first_then_what_a_reviewer_needs(tmp_path):
    out = tmp_path / "m.csv"
    assert _match(tmp_path, "--out", str(out)) == 0
    with out.open(newline="") as handle:
        header = next(csv.reader(handle))
    assert header[: len(MATCHES)] == _file_names(MATCHES)
    assert header == _file_names(MATCHES_FOR_REVIEW)
    rows = read_csv(out)
    payments = {r["payment_id"]: r for r in read_csv(EXAMPLES / "payments.csv")}
    invoices = {r["invoice_id"]: r for r in read_csv(EXAMPLES / "open_items.csv")}
    for row in rows:
        paid = payments[row["payment_id"]]
        assert row["payment_amount"] == paid["amount"] and row["value_date"] == paid["value_date"]
        assert row["payer_name"] == paid["payer_name"]
        assert row["reference_text"] == paid["reference_text"]
        assert row["source_file"].endswith("payments.csv")
        assert row["source_location"] == f"row {list(payments).index(row['payment_id']) + 1}"
        if row["invoice_id"]:
            assert row["invoice_number"] == invoices[row["invoice_id"]]["invoice_number"]
    contested = [r for r in rows if "contested" in r["reason"]]
    assert contested and all(r["contested_with"] for r in contested)
    by_id = {r["payment_id"]: r for r in rows}
    for row in contested:
        rival = by_id[row["contested_with"].split("|")[0]]
        assert rival["invoice_id"] == row["invoice_id"] and rival["status"] == "auto"


def test_alternatives_file_for_suggestions_and_unmatched(tmp_path):
    out, alternatives = tmp_path / "m.parquet", tmp_path / "a.csv"
    assert _match(tmp_path, "--out", str(out), "--alternatives", str(alternatives)) == 0
    matches = pq.read_table(out).to_pylist()
    assert pq.read_table(out).schema.field("payment_amount").type == "string"
    rows = read_csv(alternatives)
    assert list(rows[0]) == _file_names(ALTERNATIVES_FOR_REVIEW)
    status = {m["payment_id"]: m["status"] for m in matches}
    count = {m["payment_id"]: m["alternatives"] for m in matches}
    assert {status[r["payment_id"]] for r in rows} <= {"suggested", "unmatched"}
    ranks: dict[str, set[int]] = {}
    for row in rows:
        ranks.setdefault(row["payment_id"], set()).add(int(row["rank"]))
        assert re.fullmatch(r"-?\d+\.\d\d|-?\d+", row["amount_applied"])
    assert {p: len(r) for p, r in ranks.items()} == {p: n for p, n in count.items() if n}
    ambiguous = [m for m in matches if m["reason"] == "customer+amount_ambiguous"]
    assert ambiguous and all(m["alternatives"] >= 1 for m in ambiguous)


def test_summary_by_currency_on_the_terminal(tmp_path, capsys):
    assert _match(tmp_path, "--out", str(tmp_path / "m.csv")) == 0
    printed = capsys.readouterr().out
    assert "payments read:   412" in printed and "auto-matched:" in printed
    lines = printed.splitlines()
    eur = next(k for k, line in enumerate(lines) if line.startswith("EUR  received"))
    assert re.search(r"\d+\.\d\d EUR$", lines[eur])
    labels = [line[5:34].strip() for line in lines[eur : eur + 7]]
    assert labels == [
        "received",
        "applied automatically",
        "left unapplied on account",
        "suggested",
        "unmatched",
        "written off: bank fees",
        "written off: discounts",
    ]
    assert "contested:" in printed and "report written" not in printed


def test_report_is_written_with_the_matches(tmp_path, capsys):
    report = tmp_path / "r.html"
    assert _match(tmp_path, "--out", str(tmp_path / "m.csv"), "--report", str(report)) == 0
    assert f"report written:  {report}" in capsys.readouterr().out
    html = report.read_text()
    assert html.startswith("<!DOCTYPE html>") and "Exceptions to work" in html


def test_bad_input_writes_no_output_at_all(tmp_path, capsys):
    bad = tmp_path / "payments.csv"
    shutil.copy(EXAMPLES / "payments.csv", bad)
    lines = bad.read_text().splitlines()
    lines[3] = lines[3].replace('"EUR"', '"EURO"', 1)
    bad.write_text("\n".join(lines) + "\n")
    outputs = [tmp_path / "m.csv", tmp_path / "a.csv", tmp_path / "r.html"]
    code = _match(
        tmp_path,
        "--out",
        str(outputs[0]),
        "--alternatives",
        str(outputs[1]),
        "--report",
        str(outputs[2]),
        payments=bad,
    )
    assert code == 2
    assert capsys.readouterr().err.count("error:") == 1
    assert not any(p.exists() for p in outputs)
    assert not list(tmp_path.glob(".cashmatch-*"))

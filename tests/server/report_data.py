"""A matching run with hostile payer names and texts, for the report's tests."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from cashmatch.server.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# What a bank file may carry in a payer name or a reference text.
HOSTILE = [
    ("<script>window.__pwned = 1</script>", "REF <b>bold</b> & co"),
    ('"><img src=x onerror="window.__pwned = 2">', "</td></tr></table><h1>broken</h1>"),
    ("{{ 7 * 7 }} {% raw %}", "javascript:alert(1) ' \" ` ${x}"),
]


def hostile_run(directory: Path) -> dict[str, Path]:
    """Run ``cashmatch match`` on the example data plus hostile payments; return its files."""
    payments = directory / "payments.csv"
    shutil.copy(EXAMPLES / "payments.csv", payments)
    with payments.open("a", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        for k, (name, text) in enumerate(HOSTILE, start=1):
            writer.writerow([f"EVIL{k}", f"{k * 111}.11", "EUR", "2024-06-01", name, "", text])
    out = {
        "matches": directory / "matches.csv",
        "alternatives": directory / "alternatives.csv",
        "report": directory / "report.html",
    }
    code = main(
        [
            "match",
            "--open-items",
            str(EXAMPLES / "open_items.csv"),
            "--customers",
            str(EXAMPLES / "customers.csv"),
            "--payments",
            str(payments),
            "--out",
            str(out["matches"]),
            "--alternatives",
            str(out["alternatives"]),
            "--report",
            str(out["report"]),
        ]
    )
    assert code == 0
    return out


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))

"""The benchmark runner: its plan, its data cache, and a --quick run end to end.

No assertion here is about time: the runner's figures are read, never judged.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from bench.report_data import ensure_dataset, load_dataset
from bench.report_render import write_report
from bench.run import human, make_plan, parse_count

REPO = Path(__file__).resolve().parents[2]


def _args(**kw) -> Namespace:
    base = {
        "quick": False,
        "sizes": None,
        "batches": None,
        "cores": None,
        "seed": 5,
        "no_grpc": False,
        "timeout": None,
    }
    return Namespace(**{**base, **kw})


def test_counts_read_and_print_alike():
    assert [parse_count(t) for t in ("1k", "10K", "1M", "5m", "250")] == [
        1_000,
        10_000,
        1_000_000,
        5_000_000,
        250,
    ]
    assert [human(n) for n in (1_000, 100_000, 1_000_000, 2_500)] == ["1k", "100k", "1M", "2500"]


@pytest.fixture(autouse=True)
def plenty_of_memory(monkeypatch):
    """Plans as on a machine with 64 GB free, whatever this one has."""
    monkeypatch.setattr("bench.run.available_memory_gb", lambda: 64.0)


def test_default_plan_keeps_only_batches_a_ledger_can_pay():
    plan = make_plan(_args())
    assert plan.sizes == [10_000, 100_000, 1_000_000]
    assert plan.grid() == [
        (10_000, 1_000),
        (100_000, 1_000),
        (100_000, 10_000),
        (1_000_000, 1_000),
        (1_000_000, 10_000),
        (1_000_000, 100_000),
    ]
    # Scaling: vs open items at the smallest batch, vs batch at the largest ledger.
    assert plan.scaling() == [
        (10_000, 1_000),
        (100_000, 1_000),
        (1_000_000, 1_000),
        (1_000_000, 10_000),
        (1_000_000, 100_000),
    ]
    assert (plan.cold_size, plan.cold_batch) == (1_000_000, 1_000)
    assert (plan.load_size, plan.load_batch) == (100_000, 10_000)
    skipped = [n for n in plan.notes if n.startswith("Not generated")]
    assert skipped and "100k payments vs 10k open items" in skipped[0]


def test_plan_never_asks_for_more_cores_than_there_are():
    available = len(os.sched_getaffinity(0))
    plan = make_plan(_args(cores=f"1,{available + 3}"))
    assert plan.cores == [1]
    assert any(f"{available + 3} cores asked for" in n for n in plan.notes)


def test_plan_drops_sizes_memory_cannot_hold():
    plan = make_plan(_args(sizes="10k,1000M"))
    assert plan.sizes == [10_000]
    assert any(n.startswith("1000M open items skipped") for n in plan.notes)


def test_cached_dataset_slices_payments_with_their_truth(tmp_path):
    folder, seconds = ensure_dataset(tmp_path, 3, 3000, 600)
    assert seconds > 0
    again, seconds = ensure_dataset(tmp_path, 3, 3000, 600)
    assert (again, seconds) == (folder, 0.0)
    full = load_dataset(folder)
    head = load_dataset(folder, 100)
    assert full.open_items.num_rows == head.open_items.num_rows == 3000
    assert head.payments.num_rows == 100
    assert head.payments["payment_id"].to_pylist() == full.payments["payment_id"].to_pylist()[:100]
    kept = set(head.payments["payment_id"].to_pylist())
    assert set(head.cases["payment_id"].to_pylist()) == kept
    assert set(head.truth["payment_id"].to_pylist()) <= kept
    assert head.truth.num_rows == sum(
        1 for pid in full.truth["payment_id"].to_pylist() if pid in kept
    )


def test_report_of_nothing_measured_says_so(tmp_path):
    results = {
        "plan": {"seed": 1, "notes": ["a note"]},
        "match": [],
        "cold": [],
        "load": None,
        "grpc": None,
        "errors": ["match 1Mx100k 2c: stopped after 600 s"],
        "generated": {},
    }
    text = write_report(results, tmp_path).read_text()
    assert text.count("not measured in this run") >= 8
    assert "- a note" in text
    assert "- Not measured: match 1Mx100k 2c: stopped after 600 s" in text
    assert not list(tmp_path.glob("*.png"))


def tables(markdown: str) -> dict[str, list[dict[str, str]]]:
    """Each ``## section``'s first Markdown table, as rows of {header: cell}."""
    out: dict[str, list[dict[str, str]]] = {}
    for block in re.split(r"^## ", markdown, flags=re.M)[1:]:
        title, _, body = block.partition("\n")
        lines = [x for x in body.splitlines() if x.startswith("|")]
        if len(lines) < 2:
            continue
        cells = [[c.strip() for c in x.strip("|").split("|")] for x in lines]
        out[title.strip()] = [dict(zip(cells[0], row, strict=True)) for row in cells[2:]]
    return out


def number(cell: str) -> float:
    return float(cell.replace(",", "").rstrip("%x"))


@pytest.mark.slow
def test_quick_run_writes_a_report_with_every_table(tmp_path):
    out = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--no-grpc", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())
    assert results["errors"] == []
    found = tables((out / "report.md").read_text())
    cores = max(m["cores"] for m in results["match"])

    throughput = found[f"Matching throughput (data in memory, {cores} cores)"]
    assert [(r["open items"], r["payments"]) for r in throughput] == [
        ("2k", "200"),
        ("2k", "1,000"),
        ("6k", "200"),
        ("6k", "1,000"),
    ]
    by_key = {
        (m["requested_open_items"], m["payments"]): m
        for m in results["match"]
        if m["cores"] == cores
    }
    for row in throughput:
        m = by_key[(parse_count(row["open items"]), int(number(row["payments"])))]
        assert number(row["payments/s (index excluded)"]) == round(m["payments"] / m["match_s"])
        assert number(row["peak RSS (MB)"]) == round(m["peak_rss_mb"])
        assert m["peak_rss_mb"] >= m["rss_index_mb"] > 0
        assert 50 < number(row["auto-match rate"]) <= 100
        assert number(row["precision"]) >= 90

    for row in found["Stage shares (warm run)"]:
        shares = [
            number(row[s])
            for s in (
                "prepare",
                "identify_customers",
                "extract_references",
                "score_candidates",
                "search_combinations",
                "assign",
                "decide",
            )
        ]
        assert sum(shares) == pytest.approx(100, abs=0.5)

    versus = found["Engine vs rules baseline (same data, same process)"]
    assert len(versus) == 4
    for row in versus:
        # The rules cannot apply multi-invoice, short or noisy payments: fewer autos.
        assert number(row["rules auto-match rate"]) < number(row["engine auto-match rate"])
        assert number(row["rules precision"]) >= 90
        assert number(row["time ratio (match)"]) > 0

    latency = found["Single-payment latency (in process, warm index)"]
    assert [r["open items"] for r in latency] == ["2k", "6k"]
    assert all(number(r["p99 (ms)"]) >= number(r["p50 (ms)"]) > 0 for r in latency)

    cold = found["Cold start"]
    assert [r["variant"] for r in cold] == ["numba cache loaded"]
    row = cold[0]
    assert number(row["cold start (s)"]) == pytest.approx(
        number(row["import (s)"])
        + number(row["index build (s)"])
        + number(row["first batch of 200 (s)"]),
        abs=0.02,
    )

    loading = found["Loading included (bank file -> matches)"]
    measured = [r for r in loading if r["payments"] != "-"]
    assert {r["format"] for r in measured} >= {"camt.053"}
    for r in measured:
        assert number(r["payments"]) == 1000
        assert number(r["payments/s (loading included)"]) <= number(
            r["payments/s (loading excluded)"]
        )

    quality = {r["kind"]: r for r in found["Quality on the realistic profile (per kind)"]}
    assert number(quality["**all**"]["payments"]) == results["quality"]["kinds"]["all"]["payments"]
    assert {"credit_note", "po_reference", "year_reset", "name_script"} <= set(quality)
    calibration = found["Calibration of confidence (realistic profile)"]
    assert sum(number(r["proposals"]) for r in calibration) == sum(
        r["n"] for r in results["quality"]["reliability"]
    )

    grpc = found["gRPC (loopback)"]
    assert "not measured in this run" in grpc[0]["benchmark"]

    scaling = found["Scaling"]
    assert sorted({int(r["cores"]) for r in scaling}) == sorted({1, cores})
    assert len(scaling) == len(results["match"])

    pngs = ("scaling_open_items.png", "scaling_batch.png", "stages.png", "engine_vs_baseline.png")
    if importlib.util.find_spec("matplotlib") is None:
        # The plots need the bench extra; without it the report is written all the same.
        assert not list(out.glob("*.png"))
        return
    for png in pngs:
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"![{png}]({png})" in (out / "report.md").read_text()
    assert (out / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![reliability diagram](reliability.png)" in (out / "report.md").read_text()

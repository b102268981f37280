"""Benchmarks of matching itself: data in memory, engine in process.

Run from the repository root::

    python -m pytest bench/test_bench_engine.py --benchmark-only -p no:cacheprovider
    CASHMATCH_BENCH_BIG=1 python -m pytest bench/test_bench_engine.py --benchmark-only \\
        -p no:cacheprovider          # adds the 1M open items benchmarks (minutes)

Payments per second, quality and latency percentiles land in each benchmark's
``extra_info`` (``--benchmark-json`` keeps them). Generated data is cached in
bench/report/data, shared with ``python -m bench``. Nothing here asserts on
time: the targets are figures to read, not pass/fail conditions.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.baseline import build_baseline, match_baseline
from bench.quality import evaluate
from bench.report_data import ensure_dataset, load_dataset
from bench.run import SEED
from cashmatch.engine import build_index, match_payments

CACHE = Path(os.environ.get("CASHMATCH_BENCH_DATA", Path(__file__).with_name("report") / "data"))
BIG = os.environ.get("CASHMATCH_BENCH_BIG") == "1"
big = pytest.mark.skipif(not BIG, reason="1M open items: set CASHMATCH_BENCH_BIG=1 (minutes)")


def _data(n_invoices: int, n_payments: int):
    folder, _ = ensure_dataset(CACHE, SEED, n_invoices, n_payments)
    return load_dataset(folder, n_payments)


@pytest.fixture(scope="module")
def ledger_100k():
    data = _data(100_000, 10_000)
    index = build_index(data.open_items, data.customers)
    match_payments(index, data.payments.slice(0, 100))  # numba: compile or load, once
    return data, index


@pytest.fixture(scope="module")
def ledger_1m():
    data = _data(1_000_000, 100_000)
    index = build_index(data.open_items, data.customers)
    match_payments(index, data.payments.slice(0, 100))
    return data, index


def _record_rate(benchmark, n: int) -> float:
    seconds = benchmark.stats.stats.min
    benchmark.extra_info["payments"] = n
    benchmark.extra_info["payments_per_second"] = round(n / seconds)
    return seconds


def _record_quality(benchmark, data, matches) -> None:
    quality = evaluate(data, matches)["all"]
    benchmark.extra_info["auto_match_rate"] = round(quality.auto_rate, 4)
    benchmark.extra_info["precision"] = round(quality.precision, 4)
    # Sanity, not timing: every payment is answered and most are applied right.
    assert set(matches["payment_id"].to_pylist()) == set(data.payments["payment_id"].to_pylist())
    assert quality.auto > 0
    assert quality.precision > 0.9


def _latency(benchmark, index, payments, rounds: int) -> None:
    singles = iter([payments.slice(k % payments.num_rows, 1) for k in range(rounds + 5)])
    benchmark.pedantic(
        lambda: match_payments(index, next(singles)), rounds=rounds, iterations=1, warmup_rounds=3
    )
    times = sorted(benchmark.stats.stats.data)
    benchmark.extra_info["p50_ms"] = round(1000 * times[len(times) // 2], 3)
    benchmark.extra_info["p99_ms"] = round(
        1000 * times[min(len(times) - 1, int(0.99 * len(times)))], 3
    )
    assert len(times) == rounds


def test_bench_match_10k_payments_vs_100k_warm(benchmark, ledger_100k):
    data, index = ledger_100k
    result = benchmark.pedantic(match_payments, args=(index, data.payments), rounds=3, iterations=1)
    seconds = _record_rate(benchmark, data.payments.num_rows)
    _record_quality(benchmark, data, result.matches)
    benchmark.extra_info["stages_s"] = result.stats["seconds"]
    print(
        f"\n10k payments vs 100k open items: best {seconds:.2f} s, "
        f"{data.payments.num_rows / seconds:,.0f} payments/s"
    )


def test_bench_index_100k(benchmark, ledger_100k):
    data, _ = ledger_100k
    index = benchmark.pedantic(
        build_index, args=(data.open_items, data.customers), rounds=3, iterations=1
    )
    assert len(index.invoice_id) == data.open_items.num_rows
    benchmark.extra_info["open_items"] = data.open_items.num_rows
    benchmark.extra_info["open_items_per_second"] = round(
        data.open_items.num_rows / benchmark.stats.stats.min
    )


def test_bench_single_payment_latency_100k(benchmark, ledger_100k):
    data, index = ledger_100k
    _latency(benchmark, index, data.payments, rounds=300)


def test_bench_baseline_10k_payments_vs_100k(benchmark, ledger_100k):
    data, _ = ledger_100k
    rules = build_baseline(data.open_items, data.customers)
    matches = benchmark.pedantic(
        match_baseline, args=(rules, data.payments), rounds=3, iterations=1
    )
    _record_rate(benchmark, data.payments.num_rows)
    quality = evaluate(data, matches)["all"]
    benchmark.extra_info["auto_match_rate"] = round(quality.auto_rate, 4)
    benchmark.extra_info["precision"] = round(quality.precision, 4)
    assert matches.num_rows == data.payments.num_rows


@big
@pytest.mark.slow
def test_bench_match_100k_payments_vs_1m_warm(benchmark, ledger_1m):
    data, index = ledger_1m
    result = benchmark.pedantic(match_payments, args=(index, data.payments), rounds=2, iterations=1)
    seconds = _record_rate(benchmark, data.payments.num_rows)
    _record_quality(benchmark, data, result.matches)
    benchmark.extra_info["stages_s"] = result.stats["seconds"]
    print(f"\n100k payments vs 1M open items: best {seconds:.2f} s")


@big
@pytest.mark.slow
def test_bench_single_payment_latency_1m(benchmark, ledger_1m):
    data, index = ledger_1m
    _latency(benchmark, index, data.payments, rounds=300)


@big
@pytest.mark.slow
def test_bench_index_1m(benchmark, ledger_1m):
    data, _ = ledger_1m
    benchmark.pedantic(build_index, args=(data.open_items, data.customers), rounds=1, iterations=1)
    benchmark.extra_info["open_items"] = data.open_items.num_rows

"""Benchmarks of AR analytics: aging, metrics, prediction, forecast, worklist, in process.

Run from the repository root::

    python -m pytest bench/test_bench_ar.py --benchmark-only -p no:cacheprovider
    CASHMATCH_BENCH_BIG=1 python -m pytest bench/test_bench_ar.py --benchmark-only \\
        -p no:cacheprovider          # 1M open items and 10M history rows (minutes)

The books come from bench/ar_speed.py (cached as Parquet in bench/report/ar-data).
``python -m bench.ar_speed`` times the same steps with peak memory. Nothing here
asserts on time.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bench.ar_speed import AS_OF, dataset
from cashmatch.engine.ar import aging, build_book, forecast_cash, metrics, predict_payments
from cashmatch.engine.ar.worklist import worklist

CACHE = Path(__file__).with_name("report") / "ar-data"
BIG = os.environ.get("CASHMATCH_BENCH_BIG") == "1"
SIZES = [10_000] + ([110_000] if BIG else [])


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"{n}customers")
def book(request):
    open_path, paid_path = dataset(CACHE, request.param, seed=7)
    return build_book(pq.read_table(open_path), pq.read_table(paid_path))


@pytest.fixture(scope="module")
def prediction(book):
    return predict_payments(book, AS_OF)


def _info(benchmark, book):
    benchmark.extra_info["open_items"] = int(book.open_amount.size)
    benchmark.extra_info["history_rows"] = int(book.paid_date.size)


def test_aging(benchmark, book):
    _info(benchmark, book)
    benchmark.pedantic(aging, args=(book, AS_OF), rounds=3)


def test_metrics(benchmark, book):
    _info(benchmark, book)
    benchmark.pedantic(metrics, args=(book, AS_OF, 90), rounds=3)


def test_predict(benchmark, book):
    _info(benchmark, book)
    benchmark.pedantic(predict_payments, args=(book, AS_OF), rounds=1)


def test_forecast(benchmark, book, prediction):
    _info(benchmark, book)
    benchmark.pedantic(forecast_cash, args=(book, prediction), rounds=2)


def test_worklist(benchmark, book, prediction):
    _info(benchmark, book)
    benchmark.pedantic(worklist, args=(book, prediction), rounds=2)

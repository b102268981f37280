"""Benchmark: loading a large MT940 file written by bench.formats.mt940.

Run with ``python -m pytest bench/test_bench_load_mt940.py --benchmark-only -p no:cacheprovider``.
The transactions per second land in the benchmark's ``extra_info``.
"""

from __future__ import annotations

import os

import pytest

from bench.formats.mt940 import write_mt940
from bench.load_speed import measure_load, statement_payments
from cashmatch.loaders.mt940 import load_mt940

N_PAYMENTS = int(os.environ.get("CASHMATCH_BENCH_MT940_N", "100000"))


@pytest.fixture(scope="module")
def statement(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("mt940") / "bench.sta"
    write_mt940(statement_payments(N_PAYMENTS), path, statement_size=500)
    return str(path)


def test_bench_load_mt940(benchmark, statement):
    measure_load(benchmark, load_mt940, statement, N_PAYMENTS, label="mt940")

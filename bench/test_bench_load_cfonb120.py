"""Benchmark: loading a large CFONB 120 file written by bench.formats.cfonb120.

Run with
``python -m pytest bench/test_bench_load_cfonb120.py --benchmark-only -p no:cacheprovider``.
The transactions per second land in the benchmark's ``extra_info``.
"""

from __future__ import annotations

import os

import pytest

from bench.formats.cfonb120 import write_cfonb120
from bench.load_speed import measure_load, statement_payments
from cashmatch.loaders.cfonb120 import load_cfonb120

N_PAYMENTS = int(os.environ.get("CASHMATCH_BENCH_CFONB120_N", "100000"))


@pytest.fixture(scope="module")
def statement(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("cfonb120") / "bench.cfonb120"
    write_cfonb120(statement_payments(N_PAYMENTS), path)
    return str(path)


def test_bench_load_cfonb120(benchmark, statement):
    measure_load(benchmark, load_cfonb120, statement, N_PAYMENTS, label="cfonb120")

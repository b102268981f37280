"""Benchmark: loading a large MT940 file written by bench.formats.mt940.

Run with ``python -m pytest bench/test_bench_load_mt940.py --benchmark-only -p no:cacheprovider``.
The transactions per second land in the benchmark's ``extra_info``.
"""

from __future__ import annotations

import datetime as dt
import os
import random

import pyarrow as pa
import pytest

from bench.formats.mt940 import write_mt940
from bench.load_speed import measure_load
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.mt940 import load_mt940

N_PAYMENTS = int(os.environ.get("CASHMATCH_BENCH_MT940_N", "100000"))

_FIRST = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay"]
_LAST = ["Industries", "Trading AG", "GmbH", "Holdings Ltd", "SA", "Logistics", "Foods Oy"]


def generate_payments(n: int, seed: int = 11) -> pa.Table:
    """Deterministic credits with names, IBANs, end-to-end ids and invoice texts."""
    rng = random.Random(seed)
    start = dt.date(2024, 3, 1)
    rows = []
    for i in range(n):
        day = start + dt.timedelta(days=i * 30 // max(n, 1))
        invoice = f"INV-{rng.randint(100000, 999999)}"
        rows.append(
            {
                "payment_id": f"{i:016d}",
                "amount_minor": rng.randint(1_000, 5_000_000),
                "currency": "EUR",
                "value_date": day,
                "booking_date": day,
                "payer_name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)} {i % 997}",
                "payer_account": f"DE{rng.randint(10, 99)}{rng.randint(10**17, 10**18 - 1)}",
                "reference_text": f"Payment of invoice {invoice} cust {rng.randint(1000, 9999)}",
                "end_to_end_id": f"E2E-{i:010d}",
            }
        )
    return pa.Table.from_pylist(rows, schema=PAYMENTS)


@pytest.fixture(scope="module")
def statement(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("mt940") / "bench.sta"
    write_mt940(generate_payments(N_PAYMENTS), path, statement_size=500)
    return str(path)


def test_bench_load_mt940(benchmark, statement):
    measure_load(benchmark, load_mt940, statement, N_PAYMENTS, label="mt940")

"""Benchmark: loading a large X12 820 file written by bench.formats.edi820.

Run with
``python -m pytest bench/test_bench_load_edi820.py --benchmark-only -p no:cacheprovider``.
One transaction is one ST/SE remittance advice (2-3 RMR lines, some with an
ADX). The transactions per second land in the benchmark's ``extra_info``.
"""

from __future__ import annotations

import datetime as dt
import os
import random

import pyarrow as pa
import pytest

from bench.formats.edi820 import write_edi820
from bench.load_speed import measure_load
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.edi820 import load_edi820

N_ADVICES = int(os.environ.get("CASHMATCH_BENCH_EDI820_N", "100000"))

_FIRST = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay"]
_LAST = ["Industries", "Trading Inc", "Corp", "Holdings LLC", "Foods", "Logistics"]


def generate_payments(n: int, seed: int = 820) -> pa.Table:
    """Deterministic USD credits with trace ids and 2-3 remittance lines each."""
    rng = random.Random(seed)
    start = dt.date(2024, 3, 1)
    rows = []
    for i in range(n):
        lines = []
        for _ in range(rng.randint(2, 3)):
            gross = rng.randint(1_000, 2_000_000)
            discount = gross // 50 if rng.random() < 0.3 else None
            line = {
                "invoice_ref": f"INV-{rng.randint(100000, 999999)}",
                "amount_paid_minor": gross - (discount or 0),
                "invoice_amount_minor": gross,
                "discount_minor": discount,
            }
            if rng.random() < 0.1:
                line["adjustment_minor"] = -rng.randint(100, 5_000)
                line["adjustment_reason"] = "01"
            lines.append(line)
        rows.append(
            {
                "payment_id": f"P{i:09d}",
                "amount_minor": sum(line["amount_paid_minor"] for line in lines),
                "currency": "USD",
                "value_date": start + dt.timedelta(days=i * 30 // max(n, 1)),
                "payer_name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)} {i % 997}",
                "trace_id": f"{rng.randint(10**9, 10**10 - 1)}{i:07d}",
                "remittance": lines,
            }
        )
    return pa.Table.from_pylist(rows, schema=PAYMENTS)


@pytest.fixture(scope="module")
def remittance_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("edi820") / "bench.edi"
    write_edi820(generate_payments(N_ADVICES), path, newline=True)
    return str(path)


def test_bench_load_edi820(benchmark, remittance_file):
    measure_load(
        benchmark,
        load_edi820,
        remittance_file,
        N_ADVICES,
        label="edi820",
        unit="advices",
        advices=True,
    )

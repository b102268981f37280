"""Benchmark: loading a large BAI2 file written by bench.formats.bai2.

Run with ``python -m pytest bench/test_bench_load_bai2.py --benchmark-only -p no:cacheprovider``.
Each transaction is a 16 credit with four keyed 88 continuations (REMI, DBNM,
DACT, EREF), the shape US banks send for ACH credits. The transactions per
second land in the benchmark's ``extra_info``.
"""

from __future__ import annotations

import datetime as dt
import os
import random

import pyarrow as pa
import pytest

from bench.formats.bai2 import write_bai2
from bench.load_speed import measure_load
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.bai2 import load_bai2

N_PAYMENTS = int(os.environ.get("CASHMATCH_BENCH_BAI2_N", "100000"))

_FIRST = ["ACME", "GLOBEX", "INITECH", "UMBRELLA", "STARK", "WAYNE", "HOOLI", "VANDELAY"]
_LAST = ["INDUSTRIES", "TRADING", "INC", "HOLDINGS LLC", "CORP", "LOGISTICS", "FOODS CO"]


def generate_payments(n: int, seed: int = 13) -> pa.Table:
    """Deterministic USD credits with names, routing/accounts, end-to-end ids and invoice texts."""
    rng = random.Random(seed)
    start = dt.date(2024, 3, 1)
    rows = []
    for i in range(n):
        day = start + dt.timedelta(days=i * 30 // max(n, 1))
        invoice, customer = rng.randint(10**5, 10**6 - 1), rng.randint(1000, 9999)
        rows.append(
            {
                "payment_id": f"SPB{i:013d}",
                "amount_minor": rng.randint(1_000, 5_000_000),
                "currency": "USD",
                "value_date": day,
                "booking_date": day,
                "payer_name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)} {i % 997}",
                "payer_account": f"0{rng.randint(10**7, 10**8 - 1)}/{rng.randint(10**9, 10**10)}",
                "reference_text": f"INV-{invoice} CUST {customer}",
                "end_to_end_id": f"E2E-{i:010d}",
                "check_number": str(rng.randint(1000, 99999)) if i % 10 == 0 else None,
            }
        )
    return pa.Table.from_pylist(rows, schema=PAYMENTS)


@pytest.fixture(scope="module")
def statement(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("bai2") / "bench.bai2"
    write_bai2(generate_payments(N_PAYMENTS), path)
    return str(path)


def test_bench_load_bai2(benchmark, statement):
    measure_load(benchmark, load_bai2, statement, N_PAYMENTS, label="bai2")

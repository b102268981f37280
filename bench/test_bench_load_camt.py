"""Benchmark: loading a large camt.053 statement written by bench.formats.camt.

Run with ``python -m pytest bench/test_bench_load_camt.py --benchmark-only -p no:cacheprovider``.
The transactions per second land in the benchmark's ``extra_info``.
"""

from __future__ import annotations

import datetime as dt
import os
import random

import pyarrow as pa
import pytest

from bench.formats.camt import write_camt053
from bench.load_speed import measure_load
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.camt import load_camt053

N_PAYMENTS = int(os.environ.get("CASHMATCH_BENCH_CAMT_N", "100000"))

_FIRST = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay"]
_LAST = ["Industries", "Trading AG", "GmbH", "Holdings Ltd", "SA", "Logistics", "Foods Oy"]


def generate_payments(n: int, seed: int = 7) -> pa.Table:
    """Deterministic, realistic-looking credits: names, IBANs, Ustrd text and Strd lines."""
    rng = random.Random(seed)
    start = dt.date(2024, 3, 1)
    rows = []
    for i in range(n):
        amount = rng.randint(1_000, 5_000_000)
        invoice = f"INV-{rng.randint(100000, 999999)}"
        lines = [
            {
                "invoice_ref": invoice,
                "amount_paid_minor": amount,
                "invoice_amount_minor": amount,
                "discount_minor": None,
                "adjustment_minor": None,
                "adjustment_reason": None,
            }
        ]
        if i % 5 == 0:
            second = rng.randint(100, 50_000)
            lines[0]["amount_paid_minor"] = amount - second
            lines.append({**lines[0], "invoice_ref": f"INV-{rng.randint(100000, 999999)}",
                          "amount_paid_minor": second, "invoice_amount_minor": second})  # fmt: skip
        day = start + dt.timedelta(days=i * 30 // max(n, 1))
        rows.append(
            {
                "payment_id": f"2024{i:012d}",
                "amount_minor": amount,
                "currency": "EUR",
                "value_date": day,
                "booking_date": day,
                "payer_name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)} {i % 997}",
                "payer_account": f"DE{rng.randint(10, 99)}{rng.randint(10**17, 10**18 - 1)}",
                "reference_text": f"Payment of invoice {invoice} cust {rng.randint(1000, 9999)}",
                "end_to_end_id": f"E2E-{i:010d}",
                "trace_id": f"TX{i:014d}",
                "remittance": lines,
            }
        )
    return pa.Table.from_pylist(rows, schema=PAYMENTS)


@pytest.fixture(scope="module")
def statement(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("camt") / "bench.camt053.xml"
    write_camt053(generate_payments(N_PAYMENTS), path)
    return str(path)


def test_bench_load_camt053(benchmark, statement):
    measure_load(benchmark, load_camt053, statement, N_PAYMENTS, label="camt.053")

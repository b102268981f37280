"""Benchmark: loading a large BAI lockbox file written by bench.formats.lockbox.

Run with ``python -m pytest bench/test_bench_load_lockbox.py --benchmark-only -p no:cacheprovider``.
Each check carries 0 to 3 overflow invoices. The checks per second land in
the benchmark's ``extra_info``.
"""

from __future__ import annotations

import datetime as dt
import os
import random

import pyarrow as pa
import pytest

from bench.formats.lockbox import write_lockbox
from bench.load_speed import measure_load
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.lockbox import load_lockbox

N_CHECKS = int(os.environ.get("CASHMATCH_BENCH_LOCKBOX_N", "100000"))


def generate_checks(n: int, seed: int = 17) -> pa.Table:
    """Deterministic USD checks with remitter names, routing/accounts and invoices."""
    rng = random.Random(seed)
    start = dt.date(2024, 3, 1)
    rows = []
    for i in range(n):
        invoices = [
            {"invoice_ref": f"INV{rng.randint(10**6, 10**7 - 1)}",
             "amount_paid_minor": rng.randint(1_000, 2_000_000)}
            for _ in range(rng.randint(0, 3))
        ]  # fmt: skip
        rows.append(
            {
                "payment_id": f"C{i}",
                "amount_minor": sum(x["amount_paid_minor"] for x in invoices) or 50_000,
                "currency": "USD",
                "value_date": start + dt.timedelta(days=i * 20 // max(n, 1)),
                "payer_name": f"REMITTER {i % 5003} INC",
                "payer_account": f"0{rng.randint(10**7, 10**8 - 1)}/{rng.randint(10**8, 10**9)}",
                "check_number": str(rng.randint(1, 10**9)),
                "remittance": invoices,
            }
        )
    return pa.Table.from_pylist(rows, schema=PAYMENTS)


@pytest.fixture(scope="module")
def transmission(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("lockbox") / "bench.lbx"
    write_lockbox(generate_checks(N_CHECKS), path)
    return str(path)


def test_bench_load_lockbox(benchmark, transmission):
    measure_load(benchmark, load_lockbox, transmission, N_CHECKS, label="lockbox", unit="checks")

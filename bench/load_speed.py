"""What every loader benchmark measures: the best load time of a file, as records per second."""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Callable

import pyarrow as pa

from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.base import LoadedFile


def measure_load(
    benchmark,
    load: Callable[[str], LoadedFile],
    path: str,
    expected: int,
    *,
    label: str,
    unit: str = "transactions",
    advices: bool = False,
) -> LoadedFile:
    """Benchmark ``load(path)`` (best of 3) and record records/s in ``extra_info``.

    Checks that every record was read and nothing was reported as a problem:
    a fast loader that drops rows would otherwise look good.
    """
    loaded = benchmark.pedantic(load, args=(path,), rounds=3, iterations=1)
    table = loaded.advices if advices else loaded.payments
    assert table.num_rows == expected
    assert loaded.problems == []
    seconds = benchmark.stats.stats.min
    size = os.path.getsize(path)
    benchmark.extra_info["transactions"] = expected
    benchmark.extra_info["file_bytes"] = size
    benchmark.extra_info["transactions_per_second"] = round(expected / seconds)
    print(
        f"\n{label}: {expected} {unit}, {size / 1e6:.1f} MB,"
        f" best {seconds:.3f} s = {expected / seconds:,.0f} {unit}/s"
    )
    return loaded


_FIRST = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay"]
_LAST = ["Industries", "Trading AG", "GmbH", "Holdings Ltd", "SA", "Logistics", "Foods Oy"]


def statement_payments(n: int, seed: int = 11) -> pa.Table:
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

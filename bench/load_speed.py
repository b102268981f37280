"""What every loader benchmark measures: the best load time of a file, as records per second."""

from __future__ import annotations

import os
from collections.abc import Callable

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

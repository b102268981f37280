"""Benchmark: the service's peak memory ingesting the largest camt.053 file its limits accept.

Run with ``python -m pytest bench/test_bench_server_memory.py --benchmark-only -p no:cacheprovider``
(``CASHMATCH_BENCH_MEMORY_MIB`` for a smaller file). The figures land in ``extra_info``.
"""

from __future__ import annotations

import os

from bench.server_memory import measure
from cashmatch.server.limits import Limits, MiB


def test_bench_server_memory_largest_file(benchmark):
    mib = os.environ.get("CASHMATCH_BENCH_MEMORY_MIB")
    limit = int(float(mib) * MiB) if mib else Limits().max_file_bytes
    result = benchmark.pedantic(measure, args=(limit,), rounds=1, iterations=1)
    assert result["payments_new"] == result["transactions"]
    assert result["file_bytes"] <= limit
    benchmark.extra_info.update(result)
    print(
        f"\n{result['file_bytes'] / MiB:.0f} MiB camt.053, {result['transactions']} transactions:"
        f" peak RSS {result['peak_rss_mib']:.0f} MiB (before the upload"
        f" {result['rss_before_mib']:.0f} MiB), ingested in {result['ingest_seconds']} s"
    )

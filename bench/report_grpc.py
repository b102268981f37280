"""The gRPC figures of the report: the load test another module owns, run as it is.

bench/test_bench_grpc.py (single-payment latency and streaming throughput over
loopback) is a pytest-benchmark file; the runner calls it in a subprocess with
``--benchmark-json`` and reports what it measured, benchmark by benchmark. When
the file is absent, or the run is disabled or fails, the report says so: no
figure is ever made up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

GRPC_BENCH = "bench/test_bench_grpc.py"


def _rows(report: dict) -> list[dict]:
    rows = []
    for bench in report.get("benchmarks", []):
        stats = bench.get("stats", {})
        rows.append(
            {
                "name": bench.get("name"),
                "rounds": stats.get("rounds"),
                "median_ms": 1000 * stats["median"] if "median" in stats else None,
                "min_ms": 1000 * stats["min"] if "min" in stats else None,
                "ops_per_s": stats.get("ops"),
                "extra_info": bench.get("extra_info", {}),
            }
        )
    return rows


def run_grpc_benchmark(
    repo: Path,
    out: Path,
    *,
    enabled: bool = True,
    timeout_s: int = 600,
    log: Callable[[str], None] = print,
    large_data: Path | None = None,
) -> dict:
    """Run the gRPC load test when it exists; return its rows or why there are none.

    ``large_data``: a dataset folder whose open items a single-payment test
    puts in a ledger of their own (the 1M-open-item target).
    """
    if not enabled:
        return {"status": "not measured in this run", "why": "disabled (--quick or --no-grpc)"}
    if not (repo / GRPC_BENCH).is_file():
        return {
            "status": "not measured in this run",
            "why": f"{GRPC_BENCH} is not in this checkout yet",
        }
    json_path = out / "grpc_benchmark.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        GRPC_BENCH,
        "--benchmark-only",
        "-p",
        "no:cacheprovider",
        "-q",
        f"--benchmark-json={json_path}",
    ]
    start = time.perf_counter()
    try:
        env = dict(os.environ)
        if large_data is not None:
            env["CASHMATCH_BENCH_GRPC_LARGE_DATA"] = str(large_data)
        proc = subprocess.run(
            command, cwd=repo, capture_output=True, text=True, timeout=timeout_s, env=env
        )
    except subprocess.TimeoutExpired:
        return {"status": "not measured in this run", "why": f"stopped after {timeout_s} s"}
    log(f"  grpc: {time.perf_counter() - start:.1f} s (exit {proc.returncode})")
    if not json_path.is_file():
        tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
        return {"status": "not measured in this run", "why": f"exit {proc.returncode}: {tail}"}
    rows = _rows(json.loads(json_path.read_text()))
    status = (
        "measured" if proc.returncode == 0 else f"measured, but pytest exited {proc.returncode}"
    )
    return {"status": status, "rows": rows}

"""The machine a report was measured on: CPU, cores, memory, Python, package versions."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = (
    "cashmatch",
    "numpy",
    "numba",
    "llvmlite",
    "pyarrow",
    "rapidfuzz",
    "ortools",
    "lxml",
    "grpcio",
    "psutil",
    "matplotlib",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float:
    try:
        import psutil

        return psutil.virtual_memory().total / 1e9
    except ImportError:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1e9


def _commit(repo: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def speed_reference(repeats: int = 3) -> dict[str, float]:
    """Seconds for two fixed workloads, best of ``repeats``: a ruler for the figures.

    The same cloud machine type has run this project's benchmarks 2-3 times
    slower on one day than on another; these two numbers, taken in the same
    run, let a reader scale one report's figures to another's. The Python loop
    stands for the per-payment decisions, the sort for the array and numba work.
    """
    import time

    import numpy as np

    def best(work) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
        return round(min(times), 3)

    def loop() -> None:
        total = 0
        for k in range(10_000_000):
            total += k

    values = np.random.default_rng(0).integers(0, 2**62, 5_000_000)
    return {"python_loop_10M_s": best(loop), "numpy_sort_5M_s": best(lambda: np.sort(values))}


def machine_info() -> dict:
    """A dict the report prints in its header."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "cpus_available": len(os.sched_getaffinity(0)),
        "memory_gb": round(_memory_gb(), 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": versions,
        "commit": _commit(Path(__file__).resolve().parents[1]),
        "speed_reference": speed_reference(),
    }

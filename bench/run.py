"""The benchmark runner: ``python -m bench`` measures the engine and writes a report.

Run from the repository root::

    python -m bench                      # default sizes, a few minutes once data is cached
    python -m bench --quick              # a smoke run in under a minute
    python -m bench --sizes 10k,100k,1M,5M --batches 1k,10k,100k,1M --out /tmp/report

Every configuration runs in a fresh subprocess (bench/report_worker.py) pinned to
the cores it is given, so its peak RSS and its cold start are its own. The
report folder (default bench/report/, ignored by git) gets ``report.md``
(Markdown tables: machine, throughput, stage shares, engine vs rules
baseline, cold start, loading included, single-payment latency, gRPC,
scaling, targets), PNG plots and ``results.json`` with every raw figure.

Generated data is cached under ``<out>/data`` (generating a million open
invoices takes about two minutes, once). Nothing here asserts on time: the
targets of issue 6 are reported as met or missed, never as failures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.report_data import dataset_dir

REPO = Path(__file__).resolve().parents[1]

DEFAULT_SIZES = "10k,100k,1M"
DEFAULT_BATCHES = "1k,10k,100k"
QUICK_SIZES = "2k,6k"
QUICK_BATCHES = "200,1k"
SEED = 20261123
# A batch needs open invoices to pay: the generator draws them without
# replacement, so a batch larger than half the ledger is not realistic data.
MAX_BATCH_SHARE = 0.5
# Peak RSS measured per million open invoices (data, index and matching) on
# the reference machine, with a margin: what a size is expected to need.
EXPECTED_GB_PER_MILLION = 2.5


def parse_count(text: str) -> int:
    """``"10k"`` -> 10000, ``"1M"`` -> 1000000, ``"2500"`` -> 2500.

    Example:
        >>> [parse_count(t) for t in ("10k", "1M", "5m", "200")]
        [10000, 1000000, 5000000, 200]
    """
    text = text.strip()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    digits = text[:-1] if scale > 1 else text
    return int(digits) * scale


def human(n: int) -> str:
    """1000000 -> ``"1M"``, 10000 -> ``"10k"``, 2500 -> ``"2500"``."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


@dataclass
class Plan:
    """What one run measures."""

    sizes: list[int]
    batches: list[int]
    cores: list[int]
    seed: int = SEED
    quick: bool = False
    repeats: int = 2
    latency_samples: int = 200
    cold_size: int = 1_000_000
    cold_batch: int = 1_000
    cold_compile: bool = True
    load_size: int = 100_000
    load_batch: int = 10_000
    grpc: bool = True
    # Quality and calibration on the realistic profile: these seeds, this size.
    quality_seeds: list[int] = field(default_factory=lambda: [SEED])
    quality_size: int = 20_000
    quality_batch: int = 4_000
    timeout_s: int = 600
    notes: list[str] = field(default_factory=list)

    def grid(self) -> list[tuple[int, int]]:
        return [(n, b) for n in self.sizes for b in self.batches if b <= n * MAX_BATCH_SHARE]

    def scaling(self) -> list[tuple[int, int]]:
        """Time and memory vs open items (smallest batch) and vs batch (largest ledger)."""
        grid = self.grid()
        small, big = min(self.batches), max(self.sizes)
        picked = [(n, b) for n, b in grid if b == small] + [(n, b) for n, b in grid if n == big]
        return sorted(set(picked))


def make_plan(args: argparse.Namespace) -> Plan:
    quick = args.quick
    sizes = [
        parse_count(s) for s in (args.sizes or (QUICK_SIZES if quick else DEFAULT_SIZES)).split(",")
    ]
    batches = [
        parse_count(s)
        for s in (args.batches or (QUICK_BATCHES if quick else DEFAULT_BATCHES)).split(",")
    ]
    available = len(os.sched_getaffinity(0))
    cores = sorted({int(c) for c in args.cores.split(",")} if args.cores else {1, available})
    plan = Plan(sorted(set(sizes)), sorted(set(batches)), cores, seed=args.seed, quick=quick)
    for c in [c for c in plan.cores if c > available]:
        plan.notes.append(f"{c} cores asked for, this machine gives {available}: not measured.")
    plan.cores = [c for c in plan.cores if c <= available]
    plan.cold_size = max(s for s in plan.sizes if s <= 1_000_000) if plan.sizes else 0
    plan.cold_batch = min(plan.batches)
    mid = [s for s in plan.sizes if s <= 100_000] or plan.sizes
    plan.load_size = max(mid)
    plan.load_batch = max(b for b in plan.batches if b <= plan.load_size * MAX_BATCH_SHARE)
    if quick:
        plan.repeats, plan.latency_samples, plan.cold_compile, plan.grpc = 1, 20, False, False
        plan.quality_size, plan.quality_batch = 2_000, 400
        plan.timeout_s = 120
        plan.notes.append(
            "--quick: small sizes, one warm repetition, no fresh-compile cold "
            "start, no gRPC; figures are a smoke test, not a benchmark."
        )
    if args.no_grpc:
        plan.grpc = False
    if args.timeout:
        plan.timeout_s = args.timeout
    _check_memory(plan)
    skipped = [(n, b) for n in plan.sizes for b in plan.batches if (n, b) not in plan.grid()]
    if skipped:
        plan.notes.append(
            "Not generated (a batch needs at most half as many payments as open invoices, "
            "since each payment pays invoices of its own): "
            + ", ".join(f"{human(b)} payments vs {human(n)} open items" for n, b in skipped)
            + "."
        )
    return plan


def available_memory_gb() -> float:
    """Memory the system can still give, in GB."""
    try:
        import psutil

        return psutil.virtual_memory().available / 1e9
    except ImportError:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1e9


def _check_memory(plan: Plan) -> None:
    """Drop the sizes this machine's free memory cannot hold, with a note saying so."""
    available_gb = available_memory_gb()
    keep = []
    for n in plan.sizes:
        need = EXPECTED_GB_PER_MILLION * n / 1e6
        if need > 0.8 * available_gb:
            plan.notes.append(
                f"{human(n)} open items skipped: about {need:.0f} GB expected, "
                f"{available_gb:.1f} GB available here."
            )
        else:
            keep.append(n)
    plan.sizes = keep


class Runner:
    """Starts the workers, collects their results, never waits past the time bound."""

    def __init__(self, plan: Plan, out: Path, log=print):
        self.plan, self.out, self.log = plan, out, log
        self.data_dir = out / "data"
        self.results: dict = {
            "plan": asdict(plan),
            "generated": {},
            "match": [],
            "cold": [],
            "load": None,
            "grpc": None,
            "quality": None,
            "errors": [],
        }
        self.datasets: dict[int, Path] = {}

    def dataset(self, n: int) -> Path:
        if n not in self.datasets:
            batch = max(b for m, b in self.plan.grid() + [(n, min(self.plan.batches))] if m == n)
            folder = dataset_dir(self.data_dir, self.plan.seed, n, batch)
            seconds = 0.0
            if not (folder / "meta.json").is_file():
                # In a subprocess: a parent grown by generation would weigh on every child.
                job = {
                    "task": "generate",
                    "cache": str(self.data_dir),
                    "seed": self.plan.seed,
                    "open_items": n,
                    "payments": batch,
                }
                got = self.worker(
                    job, max(self.plan.cores), timeout_s=max(self.plan.timeout_s, 1800)
                )
                if got is None:
                    raise RuntimeError(f"could not generate {human(n)} open items")
                seconds = got["seconds"]
                self.log(
                    f"generated {human(n)} open items + {human(batch)} payments "
                    f"in {seconds:.0f} s (cached in {folder})"
                )
            self.results["generated"][str(n)] = {"seconds": round(seconds, 1)}
            self.datasets[n] = folder
        return self.datasets[n]

    def worker(
        self, job: dict, cores: int, env: dict | None = None, timeout_s: int | None = None
    ) -> dict | None:
        job = {**job, "cpus": list(range(cores)), "spawned": time.time()}
        environ = {**os.environ, "NUMBA_NUM_THREADS": str(cores), **(env or {})}
        environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(REPO), environ.get("PYTHONPATH")])
        )
        label = f"{job['task']} {human(job.get('open_items', 0))}x{human(job['payments'])} {cores}c"
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "bench.report_worker", json.dumps(job)],
                cwd=REPO,
                env=environ,
                capture_output=True,
                text=True,
                timeout=timeout_s or self.plan.timeout_s,
            )
        except subprocess.TimeoutExpired:
            self.results["errors"].append(f"{label}: stopped after {self.plan.timeout_s} s")
            self.log(f"  {label}: TIMEOUT after {self.plan.timeout_s} s")
            return None
        lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
        if proc.returncode != 0 or not lines:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            self.results["errors"].append(f"{label}: exit {proc.returncode}: {' | '.join(tail)}")
            self.log(f"  {label}: FAILED ({' | '.join(tail)})")
            return None
        self.log(f"  {label}: {time.perf_counter() - start:.1f} s")
        return json.loads(lines[-1][len("RESULT ") :])

    def run_match(self) -> None:
        plan, full = self.plan, max(self.plan.cores)
        configs = [(n, b, full) for n, b in plan.grid()]
        configs += [(n, b, c) for c in plan.cores if c != full for n, b in plan.scaling()]
        for n, b, cores in configs:
            job = {
                "task": "match",
                "data": str(self.dataset(n)),
                "open_items": n,
                "payments": b,
                "repeats": 1 if b >= 100_000 else plan.repeats,
                "latency_samples": plan.latency_samples if b == min(plan.batches) else 0,
            }
            got = self.worker(job, cores)
            if got:
                got.update(cores=cores, requested_open_items=n, requested_payments=b)
                self.results["match"].append(got)

    def run_cold(self) -> None:
        plan = self.plan
        if not plan.cold_size:
            return
        job = {
            "task": "cold",
            "data": str(self.dataset(plan.cold_size)),
            "open_items": plan.cold_size,
            "payments": plan.cold_batch,
        }
        variants = [("numba cache loaded", None)]
        if plan.cold_compile:
            variants.insert(0, ("fresh numba cache (compiles)", "fresh"))
        # The run before the first variant fills the default cache, so "loaded" is honest.
        for name, cache in variants:
            env = None
            with tempfile.TemporaryDirectory(prefix="cashmatch-numba-") as tmp:
                if cache == "fresh":
                    env = {"NUMBA_CACHE_DIR": tmp}
                got = self.worker(job, max(plan.cores), env)
            if got:
                got["variant"] = name
                self.results["cold"].append(got)

    def run_load(self) -> None:
        plan = self.plan
        with tempfile.TemporaryDirectory(prefix="cashmatch-bench-") as tmp:
            job = {
                "task": "load",
                "data": str(self.dataset(plan.load_size)),
                "open_items": plan.load_size,
                "payments": plan.load_batch,
                "tmp": tmp,
            }
            self.results["load"] = self.worker(job, max(plan.cores))

    def run_quality(self) -> None:
        plan = self.plan
        job = {
            "task": "quality",
            "seeds": plan.quality_seeds,
            "profile": "realistic",
            "open_items": plan.quality_size,
            "payments": plan.quality_batch,
            "out": str(self.out),
        }
        self.results["quality"] = self.worker(job, max(plan.cores))

    def run_grpc(self) -> None:
        from bench.report_grpc import run_grpc_benchmark

        largest = max(self.plan.sizes)
        self.results["grpc"] = run_grpc_benchmark(
            REPO,
            self.out,
            enabled=self.plan.grpc,
            timeout_s=self.plan.timeout_s,
            log=self.log,
            large_data=self.dataset(largest) if self.plan.grpc and largest >= 100_000 else None,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "bench" / "report"), help="report folder")
    parser.add_argument("--quick", action="store_true", help="sub-minute smoke run, small sizes")
    parser.add_argument(
        "--sizes",
        help=f"open items, comma-separated (default {DEFAULT_SIZES}; "
        "5M needs about 13 GB and a long first generation)",
    )
    parser.add_argument("--batches", help=f"payment batches (default {DEFAULT_BATCHES}; 1M too)")
    parser.add_argument("--cores", help="core counts to measure (default: 1 and all)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--timeout", type=int, help="seconds allowed to each measuring process")
    parser.add_argument("--no-grpc", action="store_true", help="skip the gRPC load test")
    parser.add_argument("--skip", default="", help="sections to skip: match,cold,load,quality,grpc")
    args = parser.parse_args(argv)

    from bench.report_machine import machine_info
    from bench.report_render import write_report

    plan = make_plan(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runner = Runner(plan, out)
    skip = set(filter(None, args.skip.split(",")))
    start = time.perf_counter()
    load_before = [round(x, 2) for x in os.getloadavg()]
    print(
        f"cashmatch benchmark -> {out} (sizes {', '.join(map(human, plan.sizes))}; "
        f"batches {', '.join(map(human, plan.batches))}; cores {plan.cores})",
        flush=True,
    )
    for section in ("match", "cold", "load", "quality", "grpc"):
        if section not in skip:
            print(f"[{section}]", flush=True)
            getattr(runner, f"run_{section}")()
    runner.results["machine"] = {
        **machine_info(),
        "loadavg_before": load_before,
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }
    runner.results["elapsed_s"] = time.perf_counter() - start
    (out / "results.json").write_text(json.dumps(runner.results, indent=1, default=str))
    report = write_report(runner.results, out)
    print(f"report: {report} ({runner.results['elapsed_s']:.0f} s)")
    return 1 if runner.results["errors"] and not runner.results["match"] else 0


if __name__ == "__main__":
    raise SystemExit(main())

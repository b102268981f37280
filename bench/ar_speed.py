"""``python -m bench.ar_speed``: AR analytics at volume (1M open items, 10M history rows).

Generates a book in parts (bench/ar_books.py, cached as Parquet under
``--data``), then times each step in this process, best of ``--repeats``:
building the book (encoding customers and currencies), aging, metrics,
prediction for every open item (learning included), the 13-week forecast and
the worklist; with the peak RSS of the process. Reading the files is timed on
its own (Parquet, and the PAID reader's CSV path on a 1M-row sample).

    python -m bench.ar_speed --customers 110000      # about 1M open items, 10M paid
    python -m bench.ar_speed --customers 2000 --quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bench.ar_books import generate_ar_book
from cashmatch.engine.ar import aging, build_book, forecast_cash, metrics, predict_payments
from cashmatch.engine.ar.worklist import worklist

AS_OF = dt.date(2025, 9, 30)
PART_CUSTOMERS = 10_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dataset(directory: Path, customers: int, seed: int) -> tuple[Path, Path]:
    """Parquet files of open items and history, generated once in parts of 10k customers."""
    directory.mkdir(parents=True, exist_ok=True)
    open_path = directory / f"open-{customers}-{seed}.parquet"
    paid_path = directory / f"paid-{customers}-{seed}.parquet"
    if open_path.exists() and paid_path.exists():
        return open_path, paid_path
    opens, paids = [], []
    for k, start in enumerate(range(0, customers, PART_CUSTOMERS)):
        size = min(PART_CUSTOMERS, customers - start)
        book = generate_ar_book(seed * 1000 + k, size, as_of=AS_OF, part=f"{k}-")
        opens.append(book.open_items)
        paids.append(book.paid)
    pq.write_table(pa.concat_tables(opens), open_path)
    pq.write_table(pa.concat_tables(paids), paid_path)
    return open_path, paid_path


def timed(label: str, repeats: int, fn, results: dict):
    """Best wall time of ``repeats`` runs, and the CPU seconds of that run (all threads):
    on a shared machine the CPU time says what the step costs when the wall time cannot."""
    best, cpu, value = float("inf"), 0.0, None
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        value = fn()
        wall = time.perf_counter() - started
        if wall < best:
            best, cpu = wall, time.process_time() - cpu_started
    results[label] = {"wall_s": round(best, 2), "cpu_s": round(cpu, 2)}
    load = os.getloadavg()[0]
    print(f"  {label:<22} {best:8.2f} s  cpu {cpu:7.2f} s  load {load:4.1f}  "
          f"peak RSS {peak_rss_mb():,.0f} MB", flush=True)  # fmt: skip
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=110_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--data", default="bench/report/ar-data")
    parser.add_argument("--quick", action="store_true", help="one repeat, no prediction steps")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    started = time.perf_counter()
    open_path, paid_path = dataset(Path(args.data), args.customers, args.seed)
    print(f"data ready in {time.perf_counter() - started:.0f} s: {open_path}, {paid_path}")
    results: dict = {"cores": len(os.sched_getaffinity(0))}
    items = timed("read open items", 1, lambda: pq.read_table(open_path), results)
    paid = timed("read history", 1, lambda: pq.read_table(paid_path), results)
    results["open_items"], results["history_rows"] = items.num_rows, paid.num_rows
    print(f"  {items.num_rows:,} open items, {paid.num_rows:,} paid invoices")
    book = timed("build book", repeats, lambda: build_book(items, paid), results)
    timed("aging", repeats, lambda: aging(book, AS_OF), results)
    timed("metrics", repeats, lambda: metrics(book, AS_OF, 90), results)
    if not args.quick:
        prediction = timed("predict", repeats, lambda: predict_payments(book, AS_OF), results)
        timed("forecast 13 weeks", repeats, lambda: forecast_cash(book, prediction), results)
        timed("worklist", repeats, lambda: worklist(book, prediction), results)
    results["peak_rss_mb"] = round(peak_rss_mb())
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

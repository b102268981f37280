"""One measurement, in a fresh process: what bench/run.py starts for each configuration.

A fresh process per configuration makes its peak RSS its own (the kernel's
high-water mark, ``ru_maxrss``) and its cold start really cold. The parent
passes a JSON job on the command line and reads one ``RESULT {json}`` line back.
Run from the repository root::

    python -m bench.report_worker '{"task": "match", "data": "...", "payments": 1000}'

Tasks:
    match: index build, first and warm matching, stage seconds, peak RSS,
        single-payment latency, then the rules baseline and both qualities.
    cold: import, index build and a first batch in a process that has not
        imported the engine yet (numba compiles, or loads its cache).
    load: bank files written from the batch, loaded, then matched: the
        "loading included" figures.
    quality: realistic-profile batches matched per seed: per-kind quality,
        calibration and the reliability diagram (bench/report_quality.py).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

STARTED_AT = time.time()


def _rss_mb() -> float:
    """The current resident set, in MB (from /proc, no psutil needed)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_mb() -> float:
    """This process's RSS high-water mark so far, in MB.

    VmHWM, not ``ru_maxrss``: on Linux the latter starts from the parent's RSS
    at fork (exec keeps the larger), so a big parent would inflate every child.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def _pin(cpus: list[int] | None) -> None:
    if cpus:
        os.sched_setaffinity(0, set(cpus))


def _quality(data, matches) -> dict:
    from bench.quality import evaluate

    q = evaluate(data, matches)["all"]
    return {
        "auto": q.auto,
        "matchable": q.matchable,
        "auto_correct": q.auto_correct,
        "auto_rate": q.auto_rate,
        "precision": q.precision,
    }


def task_match(job: dict) -> dict:
    t = time.perf_counter()
    from cashmatch.engine import build_index, match_payments

    out: dict = {"import_s": time.perf_counter() - t, "rss_import_mb": _rss_mb()}
    from bench.report_data import load_dataset

    data = load_dataset(job["data"], job["payments"])
    payments = data.payments
    out["payments"] = payments.num_rows
    out["open_items"] = data.open_items.num_rows
    out["rss_data_mb"] = _rss_mb()

    t = time.perf_counter()
    index = build_index(data.open_items, data.customers)
    out["index_s"] = time.perf_counter() - t
    out["rss_index_mb"] = _rss_mb()

    t = time.perf_counter()
    first = match_payments(index, payments)
    out["first_match_s"] = time.perf_counter() - t
    best, best_stats = out["first_match_s"], first.stats
    warm = []
    for _ in range(job.get("repeats", 1)):
        t = time.perf_counter()
        result = match_payments(index, payments)
        warm.append(time.perf_counter() - t)
        if warm[-1] < best:
            best, best_stats = warm[-1], result.stats
    out["warm_match_s"] = min(warm) if warm else None
    out["match_s"] = best
    out["stages_s"] = best_stats["seconds"]
    out["engine"] = _quality(data, first.matches)

    samples = job.get("latency_samples", 0)
    if samples:
        step = max(1, payments.num_rows // samples)
        times = []
        for k in range(0, min(payments.num_rows, step * samples), step):
            one = payments.slice(k, 1)
            t = time.perf_counter()
            match_payments(index, one)
            times.append(time.perf_counter() - t)
        times.sort()
        out["latency_ms"] = {
            "samples": len(times),
            "p50": 1000 * times[len(times) // 2],
            "p99": 1000 * times[min(len(times) - 1, int(0.99 * len(times)))],
            "max": 1000 * times[-1],
        }
    out["peak_rss_mb"] = _peak_mb()  # before the baseline adds anything
    del index, first

    from bench.baseline import build_baseline, match_baseline

    t = time.perf_counter()
    rules = build_baseline(data.open_items, data.customers)
    out["baseline_index_s"] = time.perf_counter() - t
    runs = []
    for _ in range(max(1, job.get("repeats", 1))):
        t = time.perf_counter()
        matches = match_baseline(rules, payments)
        runs.append(time.perf_counter() - t)
    out["baseline_match_s"] = min(runs)
    out["baseline"] = _quality(data, matches)
    return out


def task_cold(job: dict) -> dict:
    """Import, index and first batch; then the same steps again, warm."""
    # Wall clock, not perf_counter: the parent's spawn time is on the same clock.
    out: dict = {"interpreter_s": max(0.0, STARTED_AT - job.get("spawned", STARTED_AT))}
    t = time.perf_counter()
    from cashmatch.engine import build_index, match_payments

    out["import_s"] = time.perf_counter() - t
    from bench.report_data import load_dataset

    data = load_dataset(job["data"], job["payments"])  # input I/O: not part of the cold start
    t = time.perf_counter()
    index = build_index(data.open_items, data.customers)
    out["index_s"] = time.perf_counter() - t
    t = time.perf_counter()
    match_payments(index, data.payments)
    out["first_match_s"] = time.perf_counter() - t
    out["cold_total_s"] = out["import_s"] + out["index_s"] + out["first_match_s"]
    del index
    t = time.perf_counter()
    index = build_index(data.open_items, data.customers)
    out["warm_index_s"] = time.perf_counter() - t
    t = time.perf_counter()
    match_payments(index, data.payments)
    out["warm_match_s"] = time.perf_counter() - t
    out["warm_total_s"] = out["warm_index_s"] + out["warm_match_s"]
    out["open_items"] = data.open_items.num_rows
    out["payments"] = data.payments.num_rows
    out["peak_rss_mb"] = _peak_mb()
    return out


# Reference text a format carries: MT940's :86: holds 14 purpose pieces of 27
# characters, "SVWZ+" included.
TEXT_LIMIT = {"mt940": 14 * 27 - len("SVWZ+")}


def _writers() -> dict:
    """The bank-format writers and loaders present in this checkout, by format name."""
    import importlib

    pairs = {
        "camt.053": (
            "bench.formats.camt",
            "write_camt053",
            "cashmatch.loaders.camt",
            "load_camt053",
            "xml",
        ),
        "bai2": ("bench.formats.bai2", "write_bai2", "cashmatch.loaders.bai2", "load_bai2", "bai"),
        "mt940": (
            "bench.formats.mt940",
            "write_mt940",
            "cashmatch.loaders.mt940",
            "load_mt940",
            "sta",
        ),
        "cfonb120": (
            "bench.formats.cfonb120",
            "write_cfonb120",
            "cashmatch.loaders.cfonb120",
            "load_cfonb120",
            "txt",
        ),
    }
    found = {}
    for name, (wmod, wfun, lmod, lfun, ext) in pairs.items():
        try:
            writer = getattr(importlib.import_module(wmod), wfun)
            loader = getattr(importlib.import_module(lmod), lfun)
        except (ImportError, AttributeError):
            continue
        found[name] = (writer, loader, ext)
    return found


def task_load(job: dict) -> dict:
    """Write the batch in each bank format, then time load + match of each file."""
    import pyarrow.compute as pc

    from bench.report_data import load_dataset
    from cashmatch.engine import build_index, match_payments

    data = load_dataset(job["data"], job["payments"])
    index = build_index(data.open_items, data.customers)
    match_payments(index, data.payments.slice(0, 10))  # compile / load numba first
    t = time.perf_counter()
    match_payments(index, data.payments)
    in_memory_s = time.perf_counter() - t
    out: dict = {
        "payments": data.payments.num_rows,
        "open_items": data.open_items.num_rows,
        "in_memory_match_s": in_memory_s,
        "formats": {},
    }
    # Bank files carry credits; the generated batch has only credits, but be sure.
    credits = data.payments.filter(pc.greater(data.payments["amount_minor"], 0))
    for name, (writer, loader, ext) in _writers().items():
        path = os.path.join(job["tmp"], f"batch.{name}.{ext}")
        table, cut = credits, 0
        if name in TEXT_LIMIT:
            # Cut what the format cannot carry, as the bank would, and say how often.
            text = table["reference_text"]
            cut = pc.sum(pc.greater(pc.utf8_length(text), TEXT_LIMIT[name])).as_py() or 0
            short = pc.utf8_slice_codeunits(text, 0, TEXT_LIMIT[name])
            table = table.set_column(
                table.schema.get_field_index("reference_text"), "reference_text", short
            )
        try:
            writer(table, path)
        except Exception as error:  # a writer that cannot carry this data: say so
            out["formats"][name] = {"error": f"writer: {type(error).__name__}: {error}"[:200]}
            continue
        size = os.path.getsize(path)
        t = time.perf_counter()
        loaded = loader(path)
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        result = match_payments(index, loaded.payments)
        match_s = time.perf_counter() - t
        out["formats"][name] = {
            "file_mb": size / 1e6,
            "payments": loaded.payments.num_rows,
            "load_s": load_s,
            "match_s": match_s,
            "auto": result.stats["auto"],
            "texts_cut": cut,
            "writer": f"{writer.__module__}.{writer.__name__}",
            "loader": f"{loader.__module__}.{loader.__name__}",
        }
        os.unlink(path)
    return out


def task_generate(job: dict) -> dict:
    """Generate a dataset into the cache, here so that the runner itself stays small."""
    from bench.report_data import ensure_dataset

    folder, seconds = ensure_dataset(job["cache"], job["seed"], job["open_items"], job["payments"])
    return {"folder": str(folder), "seconds": seconds, "peak_rss_mb": _peak_mb()}


def task_quality(job: dict) -> dict:
    from bench.report_quality import task_quality as run

    return run(job)


TASKS = {
    "match": task_match,
    "cold": task_cold,
    "load": task_load,
    "generate": task_generate,
    "quality": task_quality,
}


def main(argv: list[str] | None = None) -> int:
    job = json.loads((argv or sys.argv[1:])[0])
    _pin(job.get("cpus"))
    load_before = os.getloadavg()[0]
    result = TASKS[job["task"]](job)
    result["loadavg_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    result["cpus_used"] = sorted(os.sched_getaffinity(0))
    result["numba_threads"] = os.environ.get("NUMBA_NUM_THREADS")
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Render the runner's results as report.md (Markdown tables) and PNG plots.

Every figure printed comes from ``results.json`` beside the report; a figure
that was not measured says so in its cell, it is never filled in.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from bench.report_quality import quality_section

STAGES = (
    "prepare",
    "identify_customers",
    "extract_references",
    "score_candidates",
    "search_combinations",
    "assign",
    "decide",
)
NOT_MEASURED = "not measured in this run"


def human(n: int) -> str:
    if n and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def _pct(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def _s(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _rate(n: int, seconds: float | None) -> str:
    return "-" if not seconds else f"{n / seconds:,.0f}"


def _table(header: list[str], rows: list[list[str]], right_from: int = 99) -> list[str]:
    align = ["---" if k < right_from else "---:" for k in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _key(m: dict) -> tuple[int, int]:
    return m["requested_open_items"], m["requested_payments"]


def _full(results: dict) -> list[dict]:
    """The grid's entries, measured on every core the run had."""
    if not results["match"]:
        return []
    full = max(m["cores"] for m in results["match"])
    return sorted((m for m in results["match"] if m["cores"] == full), key=_key)


def machine_section(results: dict) -> list[str]:
    m = results.get("machine", {})
    packages = ", ".join(f"{k} {v}" for k, v in m.get("packages", {}).items())
    speed = m.get("speed_reference", {})
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return [
        "# cashmatch benchmark report",
        "",
        f"Measured {when} on **{m.get('cpu', '?')}**, {m.get('cpus_available', '?')} cores "
        f"available ({m.get('logical_cpus', '?')} logical), {m.get('memory_gb', '?')} GB RAM, "
        f"{m.get('os', '?')}, {m.get('python', '?')}; commit {m.get('commit', '?')}.",
        "",
        f"Packages: {packages}.",
        "",
        "Speed of this machine in this run (best of 3, to compare reports across machines): "
        f"a 10M-step Python loop {speed.get('python_loop_10M_s', '?')} s, numpy sort of 5M "
        f"integers {speed.get('numpy_sort_5M_s', '?')} s.",
        "",
        f"Data: bench/generator.py, seed {results['plan']['seed']}, the realistic mix of cases "
        "(hard ones included); every configuration in a fresh process pinned to its cores; "
        f"run took {results.get('elapsed_s', 0):.0f} s. Load average (1, 5, 15 min) before: "
        f"{m.get('loadavg_before', '?')}, after: {m.get('loadavg_after', '?')} (other work on "
        "a shared machine shows here).",
        "",
    ]


def _per_million(m: dict) -> str:
    """Peak RSS above the process after imports, per million open items (from 100k up)."""
    if m["open_items"] < 100_000:
        return "-"
    return f"{(m['peak_rss_mb'] - m['rss_import_mb']) * 1e6 / m['open_items']:,.0f}"


def throughput_section(results: dict) -> list[str]:
    rows = []
    for m in _full(results):
        p = m["payments"]
        rows.append(
            [
                human(m["requested_open_items"]),
                f"{p:,}",
                _s(m["index_s"]),
                _s(m["first_match_s"]),
                _s(m["warm_match_s"]),
                _rate(p, m["match_s"]),
                _rate(p, m["index_s"] + m["match_s"]),
                f"{m['peak_rss_mb']:,.0f}",
                _per_million(m),
                _pct(m["engine"]["auto_rate"]),
                _pct(m["engine"]["precision"]),
            ]
        )
    cores = _full(results)[0]["cores"] if rows else "-"
    head = [
        "open items",
        "payments",
        "index build (s)",
        "match, first (s)",
        "match, warm (s)",
        "payments/s (index excluded)",
        "payments/s (index included)",
        "peak RSS (MB)",
        "peak RSS above imports, per 1M open items (MB)",
        "auto-match rate",
        "precision",
    ]
    return [
        f"## Matching throughput (data in memory, {cores} cores)",
        "",
        "*match, first* is the first batch in the process (numba cache loaded); *warm* the best "
        "of the repeats; payments/s use the best. Peak RSS is the process's high-water mark "
        "with the data, the index and matching (Python and libraries included); per 1M open "
        "items it is taken above the RSS after imports, from 100k open items up.",
        "",
        *_table(head, rows or [[NOT_MEASURED] + ["-"] * (len(head) - 1)], right_from=1),
    ]


def stages_section(results: dict) -> list[str]:
    rows = []
    for m in _full(results):
        total = sum(m["stages_s"].get(s, 0.0) for s in STAGES) or 1.0
        rows.append(
            [human(m["requested_open_items"]), f"{m['payments']:,}", _s(total)]
            + [_pct(m["stages_s"].get(s, 0.0) / total) for s in STAGES]
        )
    head = ["open items", "payments", "total (s)", *STAGES]
    return [
        "## Stage shares (warm run)",
        "",
        *_table(head, rows or [[NOT_MEASURED] + ["-"] * (len(head) - 1)], right_from=1),
    ]


def baseline_section(results: dict) -> list[str]:
    rows = []
    for m in _full(results):
        p, e, b = m["payments"], m["engine"], m["baseline"]
        engine_all = m["index_s"] + m["match_s"]
        rules_all = m["baseline_index_s"] + m["baseline_match_s"]
        rows.append(
            [
                human(m["requested_open_items"]),
                f"{p:,}",
                _pct(e["auto_rate"]),
                _pct(b["auto_rate"]),
                _pct(e["precision"]),
                _pct(b["precision"]),
                _rate(p, m["match_s"]),
                _rate(p, m["baseline_match_s"]),
                f"{m['match_s'] / m['baseline_match_s']:.1f}x",
                f"{engine_all / rules_all:.1f}x",
            ]
        )
    head = [
        "open items",
        "payments",
        "engine auto-match rate",
        "rules auto-match rate",
        "engine precision",
        "rules precision",
        "engine payments/s",
        "rules payments/s",
        "time ratio (match)",
        "time ratio (index + match)",
    ]
    return [
        "## Engine vs rules baseline (same data, same process)",
        "",
        "The rules (bench/baseline.py): an invoice number printed verbatim in the text with the "
        "amount equal; else a known bank account of exactly one customer with exactly one open "
        "invoice of that amount. Auto-match rate is over payments that truly pay open invoices; "
        "precision over automatic applications (exact invoices and amounts). The ratio is "
        "engine time / rules time.",
        "",
        *_table(head, rows or [[NOT_MEASURED] + ["-"] * (len(head) - 1)], right_from=1),
    ]


def latency_section(results: dict) -> list[str]:
    rows = [
        [
            human(m["requested_open_items"]),
            m["latency_ms"]["samples"],
            _s(m["latency_ms"]["p50"]),
            _s(m["latency_ms"]["p99"]),
            _s(m["latency_ms"]["max"]),
        ]
        for m in _full(results)
        if m.get("latency_ms")
    ]
    head = ["open items", "samples", "p50 (ms)", "p99 (ms)", "max (ms)"]
    return [
        "## Single-payment latency (in process, warm index)",
        "",
        "One `match_payments` call per payment, taken evenly from the batch.",
        "",
        *_table(head, rows or [[NOT_MEASURED, "-", "-", "-", "-"]], right_from=1),
    ]


def cold_section(results: dict) -> list[str]:
    rows = [
        [
            c["variant"],
            human(c["open_items"]),
            _s(c["interpreter_s"]),
            _s(c["import_s"]),
            _s(c["index_s"]),
            _s(c["first_match_s"]),
            _s(c["cold_total_s"]),
            _s(c["warm_total_s"]),
            f"{c['peak_rss_mb']:,.0f}",
        ]
        for c in results["cold"]
    ]
    batch = results["cold"][0]["payments"] if results["cold"] else 0
    head = [
        "variant",
        "open items",
        "interpreter (s)",
        "import (s)",
        "index build (s)",
        f"first batch of {batch:,} (s)",
        "cold start (s)",
        "warm index + batch (s)",
        "peak RSS (MB)",
    ]
    return [
        "## Cold start",
        "",
        "A fresh process: import of the engine, index build, first batch (numba compiles its "
        "kernels, or loads them from its cache). *cold start* = import + index + first batch; "
        "*warm* = the same index build and batch again in that process.",
        "",
        *_table(head, rows or [[NOT_MEASURED] + ["-"] * (len(head) - 1)], right_from=1),
    ]


def load_section(results: dict) -> list[str]:
    load = results.get("load")
    rows = []
    if load:
        for name, f in load["formats"].items():
            if "error" in f:
                rows.append([name, "-", "-", "-", "-", "-", "-", f["error"]])
                continue
            p = f["payments"]
            note = f"; {f['texts_cut']} texts cut to fit" if f.get("texts_cut") else ""
            rows.append(
                [
                    name,
                    _s(f["file_mb"], 1),
                    f"{p:,}",
                    _s(f["load_s"]),
                    _s(f["match_s"]),
                    _rate(p, f["load_s"] + f["match_s"]),
                    _rate(p, f["match_s"]),
                    f"{f['writer']} / {f['loader']}{note}",
                ]
            )
    head = [
        "format",
        "file (MB)",
        "payments",
        "load (s)",
        "match (s)",
        "payments/s (loading included)",
        "payments/s (loading excluded)",
        "writer / loader",
    ]
    where = (
        f"{load['payments']:,} payments vs {human(load['open_items'])} open items" if load else ""
    )
    return [
        "## Loading included (bank file -> matches)",
        "",
        f"The batch ({where}) written with each bench/formats writer present, loaded with its "
        "cashmatch.loaders loader, then matched (warm index).",
        "",
        *_table(head, rows or [[NOT_MEASURED] + ["-"] * (len(head) - 1)], right_from=1),
    ]


def grpc_section(results: dict) -> list[str]:
    grpc = results.get("grpc") or {"status": NOT_MEASURED, "why": "section skipped"}
    head = ["benchmark", "rounds", "median (ms)", "min (ms)", "ops/s", "extra"]
    if not grpc.get("rows"):
        rows = [
            [
                f"gRPC single-payment latency p50/p99 and streaming throughput: {NOT_MEASURED}"
                f" ({grpc.get('why', '')})",
                "-",
                "-",
                "-",
                "-",
                "-",
            ]
        ]
    else:
        rows = [
            [
                r["name"],
                r["rounds"],
                _s(r["median_ms"]),
                _s(r["min_ms"]),
                "-" if r["ops_per_s"] is None else f"{r['ops_per_s']:,.1f}",
                ", ".join(f"{k}={v}" for k, v in r["extra_info"].items()) or "-",
            ]
            for r in grpc["rows"]
        ]
    return [
        "## gRPC (loopback)",
        "",
        f"Status: {grpc['status']}.",
        "",
        *_table(head, rows, right_from=1),
    ]


def _load(m: dict) -> str:
    got = m.get("loadavg_1min")
    return "-" if not got else f"{got[0]:.1f} / {got[1]:.1f}"


def _load(m: dict) -> str:
    """The machine's 1-minute load average when the measurement started and ended."""
    got = m.get("loadavg_1min")
    return "-" if not got else f"{got[0]:.1f} / {got[1]:.1f}"


def scaling_section(results: dict, plots: list[str]) -> list[str]:
    rows = [
        [
            human(m["requested_open_items"]),
            f"{m['payments']:,}",
            m["cores"],
            _s(m["index_s"]),
            _s(m["match_s"]),
            _rate(m["payments"], m["match_s"]),
            f"{m['peak_rss_mb']:,.0f}",
            _load(m),
        ]
        for m in sorted(results["match"], key=lambda m: (*_key(m), m["cores"]))
    ]
    head = [
        "open items",
        "payments",
        "cores",
        "index build (s)",
        "match (s)",
        "payments/s",
        "peak RSS (MB)",
        "load avg before / after",
    ]
    return [
        "## Scaling",
        "",
        "Time and memory vs open items and vs batch size, on each core count (the process "
        "pinned to that many cores, NUMBA_NUM_THREADS set to match; rapidfuzz's workers share "
        "the same cores).",
        "",
        *_table(head, rows or [[NOT_MEASURED] + ["-"] * (len(head) - 1)], right_from=1),
        *[f"![{p}]({p})" for p in plots],
        "",
    ]


def _find(results, n, b):
    got = [m for m in _full(results) if _key(m) == (n, b)]
    return got[0] if got else None


def targets_section(results: dict) -> list[str]:
    rows = []

    def add(target, value, met):
        rows.append([target, value, "-" if met is None else ("met" if met else "**missed**")])

    m = _find(results, 1_000_000, 100_000)
    if m:
        add(
            "100k payments vs 1M open items, warm, < 5 s (>= 20k payments/s)",
            f"{m['match_s']:.2f} s ({m['payments'] / m['match_s']:,.0f}/s)",
            m["match_s"] < 5,
        )
    else:
        add("100k payments vs 1M open items, warm, < 5 s", NOT_MEASURED, None)
    lat = [
        m for m in _full(results) if m["requested_open_items"] == 1_000_000 and m.get("latency_ms")
    ]
    if lat:
        p99 = lat[0]["latency_ms"]["p99"]
        add("single payment vs 1M open items, p99 < 5 ms in process", f"{p99:.2f} ms", p99 < 5)
    else:
        add("single payment vs 1M open items, p99 < 5 ms in process", NOT_MEASURED, None)
    grpc_p99 = [
        r
        for r in (results.get("grpc") or {}).get("rows", [])
        if "p99_ms" in r.get("extra_info", {})
    ]
    for r in grpc_p99:
        extra = r["extra_info"]
        invoices = int(extra.get("invoices", 0))
        # The target is against 1M open items: a smaller ledger's figure is shown, not judged.
        add(
            "single payment over gRPC on loopback, p99 < 20 ms (vs 1M open items)",
            f"{extra['p99_ms']} ms against {human(invoices)} open items ({r['name']})",
            extra["p99_ms"] < 20 if invoices >= 1_000_000 else None,
        )
    if not grpc_p99:
        add("single payment over gRPC on loopback, p99 < 20 ms", NOT_MEASURED, None)
    big = [m for m in _full(results) if m["requested_open_items"] == 1_000_000]
    if big:
        worst = max(big, key=lambda m: m["peak_rss_mb"])
        add(
            "peak memory < 1.5 GB for 1M open items with their indexes",
            f"{worst['peak_rss_mb'] / 1000:.2f} GB (batch {human(worst['requested_payments'])})",
            worst["peak_rss_mb"] < 1500,
        )
    else:
        add("peak memory < 1.5 GB for 1M open items", NOT_MEASURED, None)
    cold = [c for c in results["cold"] if c["open_items"] == 1_000_000]
    for c in cold:
        add(
            f"cold start with 1M open items < 15 s ({c['variant']})",
            f"{c['cold_total_s']:.1f} s",
            c["cold_total_s"] < 15,
        )
    if not cold:
        add("cold start with 1M open items < 15 s", NOT_MEASURED, None)
    if m:
        ratio = (m["index_s"] + m["match_s"]) / (m["baseline_index_s"] + m["baseline_match_s"])
        add(
            "within 3x of the rules baseline's end-to-end time (100k vs 1M)",
            f"{ratio:.1f}x",
            ratio <= 3,
        )
    return [
        "## Targets of issue 6 (reported, never asserted)",
        "",
        *_table(["target", "measured", "status"], rows),
    ]


def notes_section(results: dict) -> list[str]:
    lines = ["## Notes", ""]
    for note in results["plan"].get("notes", []):
        lines.append(f"- {note}")
    for n, g in sorted(results.get("generated", {}).items(), key=lambda kv: int(kv[0])):
        if g["seconds"]:
            lines.append(
                f"- Generating {human(int(n))} open items took {g['seconds']:.1f} s "
                "(not part of any figure; cached for later runs)."
            )
    for error in results.get("errors", []):
        lines.append(f"- Not measured: {error}")
    return [*lines, ""] if len(lines) > 2 else []


def plots(results: dict, out: Path) -> list[str]:
    """Write the PNG plots; return their file names (none when matplotlib is missing)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    match = results["match"]
    if not match:
        return made
    small_batch = min(m["requested_payments"] for m in match)
    big_ledger = max(m["requested_open_items"] for m in match)
    for name, pick, x_of, xlabel in (
        (
            "scaling_open_items.png",
            lambda m: m["requested_payments"] == small_batch,
            lambda m: m["open_items"],
            f"open items (batch of {human(small_batch)} payments)",
        ),
        (
            "scaling_batch.png",
            lambda m: m["requested_open_items"] == big_ledger,
            lambda m: m["payments"],
            f"payments per batch ({human(big_ledger)} open items)",
        ),
    ):
        chosen = [m for m in match if pick(m)]
        if len({x_of(m) for m in chosen}) < 2:
            continue
        fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 4))
        for cores in sorted({m["cores"] for m in chosen}):
            pts = sorted(
                (x_of(m), m["match_s"], m["index_s"], m["peak_rss_mb"])
                for m in chosen
                if m["cores"] == cores
            )
            xs = [p[0] for p in pts]
            ax_t.plot(xs, [p[1] for p in pts], "o-", label=f"match, {cores} core(s)")
            ax_t.plot(xs, [p[2] for p in pts], "s--", label=f"index build, {cores} core(s)")
            ax_m.plot(xs, [p[3] for p in pts], "o-", label=f"{cores} core(s)")
        for ax, ylabel in ((ax_t, "seconds"), (ax_m, "peak RSS (MB)")):
            ax.set_xscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
        ax_t.set_yscale("log")
        fig.tight_layout()
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        made.append(name)
    full = _full(results)
    if full:
        fig, ax = plt.subplots(figsize=(9, 0.5 * len(full) + 1.5))
        labels = [
            f"{human(m['requested_open_items'])} x {human(m['requested_payments'])}" for m in full
        ]
        left = [0.0] * len(full)
        for stage in STAGES:
            shares = []
            for m in full:
                total = sum(m["stages_s"].get(s, 0.0) for s in STAGES) or 1.0
                shares.append(m["stages_s"].get(stage, 0.0) / total)
            ax.barh(labels, shares, left=left, label=stage)
            left = [a + b for a, b in zip(left, shares, strict=True)]
        ax.set_xlabel("share of matching time (open items x payments)")
        ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.25))
        fig.tight_layout()
        fig.savefig(out / "stages.png", dpi=110)
        plt.close(fig)
        made.append("stages.png")
        fig, (ax_q, ax_s) = plt.subplots(1, 2, figsize=(10, 4))
        xs = range(len(full))
        ax_q.bar(
            [x - 0.2 for x in xs],
            [m["engine"]["auto_rate"] * 100 for m in full],
            0.4,
            label="cashmatch",
        )
        ax_q.bar(
            [x + 0.2 for x in xs],
            [m["baseline"]["auto_rate"] * 100 for m in full],
            0.4,
            label="rules baseline",
        )
        ax_q.set_ylabel("auto-match rate (%)")
        ax_s.bar(
            [x - 0.2 for x in xs],
            [m["payments"] / m["match_s"] for m in full],
            0.4,
            label="cashmatch",
        )
        ax_s.bar(
            [x + 0.2 for x in xs],
            [m["payments"] / m["baseline_match_s"] for m in full],
            0.4,
            label="rules baseline",
        )
        ax_s.set_ylabel("payments/s (index excluded)")
        ax_s.set_yscale("log")
        for ax in (ax_q, ax_s):
            ax.set_xticks(list(xs), labels, rotation=30, fontsize=8)
            ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "engine_vs_baseline.png", dpi=110)
        plt.close(fig)
        made.append("engine_vs_baseline.png")
    return made


def write_report(results: dict, out: Path) -> Path:
    """Write report.md and the plots into ``out``; return the report's path."""
    made = plots(results, out)
    lines = [
        *machine_section(results),
        *targets_section(results),
        *throughput_section(results),
        *stages_section(results),
        *baseline_section(results),
        *latency_section(results),
        *cold_section(results),
        *load_section(results),
        *grpc_section(results),
        *quality_section(results),
        *scaling_section(results, [p for p in made if p.startswith("scaling")]),
        *[f"![{p}]({p})" for p in made if not p.startswith("scaling")],
        "",
        *notes_section(results),
    ]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path

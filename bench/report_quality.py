"""The benchmark report's quality section: per-kind table and calibration on the realistic profile.

The throughput runs use the classic profile (its data is cached and its
figures compare across reports); quality is judged on the realistic one,
which is what outside data looks like. The worker (``task_quality``) matches
a fresh realistic batch per seed and returns the per-kind figures and the
reliability bins; :func:`quality_section` renders them, and
:func:`reliability_png` draws the diagram.
"""

from __future__ import annotations

from pathlib import Path

QUALITY_TITLE = "Quality on the realistic profile (per kind)"
CALIBRATION_TITLE = "Calibration of confidence (realistic profile)"


def task_quality(job: dict) -> dict:
    """Match a realistic batch per seed; per-kind quality, calibration, a reliability diagram."""
    from bench.generator import generate
    from bench.quality import Calibration, CaseQuality, compare, reliability_plot
    from cashmatch.engine import build_index, match_payments

    totals: dict[str, CaseQuality] = {}
    calibration = Calibration()
    for seed in job["seeds"]:
        data = generate(seed, job["open_items"], job["payments"], profile=job["profile"])
        matches = match_payments(build_index(data.open_items, data.customers), data.payments)
        found = compare(data, matches.matches)
        for key, q in found.quality.items():
            totals.setdefault(key, CaseQuality()).add(q)
        calibration.extend(found.calibration)
    png = None
    if job.get("out") and reliability_plot(calibration, Path(job["out"]) / "reliability.png"):
        png = "reliability.png"
    return {
        "seeds": job["seeds"],
        "profile": job["profile"],
        "open_items": job["open_items"],
        "kinds": {k: vars(q) for k, q in totals.items()},
        "ece": calibration.ece(),
        "reliability": calibration.reliability(),
        "png": png,
    }


def _pct(part: int, whole: int, digits: int = 1) -> str:
    return f"{100 * part / whole:.{digits}f}%" if whole else "-"


def quality_section(results: dict) -> list[str]:
    """Markdown for the quality and calibration sections (a note when not measured)."""
    got = results.get("quality")
    if not got:
        return [f"## {QUALITY_TITLE}", "", "not measured in this run", ""]
    seeds = ", ".join(map(str, got["seeds"]))
    lines = [
        f"## {QUALITY_TITLE}",
        "",
        f"Data: bench/generator.py, profile {got['profile']}, seeds {seeds}, "
        f"{got['open_items']:,} open items each; `python -m bench.quality --profile "
        f"{got['profile']} --seeds {','.join(map(str, got['seeds']))}` gives the same table "
        "with every variant. An automatic match is right when every invoice, amount and "
        "residual action is the true one.",
        "",
        "| kind | payments | matchable | auto-match rate | precision of auto | wrong autos "
        "| credit note as partial/fee |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    kinds = got["kinds"]
    order = ["all"] + sorted(k for k in kinds if k != "all" and ":" not in k)
    for key in order:
        q = kinds[key]
        wrong = q["auto"] - q["auto_correct"]
        name = f"**{key}**" if key == "all" else key
        lines.append(
            f"| {name} | {q['payments']:,} | {q['matchable']:,} | "
            f"{_pct(q['auto_on_matchable'], q['matchable'])} | "
            f"{_pct(q['auto_correct'], q['auto'], 2)} | {wrong:,} | {q['credit_note_as_short']} |"
        )
    lines += [
        "",
        f"## {CALIBRATION_TITLE}",
        "",
        f"Expected calibration error {got['ece']:.4f} (target at most 0.02); a bin of 30 or more "
        "proposals off by more than 0.10 is marked.",
        "",
        "| confidence | proposals | mean confidence | share exactly right | gap |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in got["reliability"]:
        if not row["n"]:
            continue
        off = " **off**" if row["n"] >= 30 and abs(row["gap"]) > 0.10 else ""
        lines.append(
            f"| {row['low']:.1f}-{row['high']:.1f} | {row['n']:,} | {row['confidence']:.3f} | "
            f"{row['right']:.3f} | {row['gap']:+.3f}{off} |"
        )
    if got.get("png"):
        lines += ["", f"![reliability diagram]({got['png']})"]
    return [*lines, ""]

"""How many payments the engine applies on its own, and how many of those are right.

Run from the repository root::

    python -m bench.quality --seed 20261123 --invoices 20000 --payments 4000

A payment counts as *matchable* when it truly pays at least one open invoice.
An automatic match is *correct* when its invoices and the amount applied to
each are exactly the true ones; an automatic match of an unmatchable payment
is wrong. The report gives, per kind of case, the auto-match rate among
matchable payments and the precision of automatic matches.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass

import pyarrow as pa

from bench.generator import Dataset, generate
from cashmatch.engine import MatchConfig, build_index, match_payments


@dataclass
class CaseQuality:
    payments: int = 0
    matchable: int = 0
    auto: int = 0
    auto_correct: int = 0
    auto_on_matchable: int = 0
    suggested_correct: int = 0

    @property
    def auto_rate(self) -> float:
        return self.auto_on_matchable / self.matchable if self.matchable else float("nan")

    @property
    def precision(self) -> float:
        return self.auto_correct / self.auto if self.auto else float("nan")


def evaluate(data: Dataset, matches: pa.Table) -> dict[str, CaseQuality]:
    """Compare matches with the truth, per case (and "all")."""
    truth: dict[str, dict[str, int]] = defaultdict(dict)
    for row in data.truth.to_pylist():
        truth[row["payment_id"]][row["invoice_id"]] = row["amount_applied_minor"]
    got: dict[str, dict[str, int]] = defaultdict(dict)
    status: dict[str, str] = {}
    for row in matches.select(
        ["payment_id", "invoice_id", "amount_applied_minor", "status"]
    ).to_pylist():
        status[row["payment_id"]] = row["status"]
        if row["invoice_id"]:
            got[row["payment_id"]][row["invoice_id"]] = row["amount_applied_minor"]
    out: dict[str, CaseQuality] = defaultdict(CaseQuality)
    for pid, case in zip(data.cases["payment_id"].to_pylist(), data.cases["case"].to_pylist()):
        right = truth.get(pid, {})
        correct = got.get(pid, {}) == right and bool(right)
        for key in {"all", case.split(":")[0], case}:
            q = out[key]
            q.payments += 1
            q.matchable += bool(right)
            if status[pid] == "auto":
                q.auto += 1
                q.auto_on_matchable += bool(right)
                q.auto_correct += correct
            elif status[pid] == "suggested":
                q.suggested_correct += correct
    return dict(out)


def report(quality: dict[str, CaseQuality]) -> str:
    """A Markdown table of the quality per case."""
    lines = [
        "| case | payments | matchable | auto | auto-match rate | precision | suggested right |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    keys = ["all"] + sorted(k for k in quality if k != "all")
    for key in keys:
        q = quality[key]
        rate = f"{q.auto_rate:.1%}" if q.matchable else "-"
        precision = f"{q.precision:.2%}" if q.auto else "-"
        name = f"**{key}**" if key == "all" else ("&nbsp;&nbsp;" + key if ":" in key else key)
        lines.append(
            f"| {name} | {q.payments} | {q.matchable} | {q.auto} | {rate} | {precision} | "
            f"{q.suggested_correct} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--invoices", type=int, default=20000)
    parser.add_argument("--payments", type=int, default=4000)
    parser.add_argument("--auto-threshold", type=float, default=MatchConfig.auto_threshold)
    parser.add_argument("--show-wrong", type=int, default=0, help="print this many wrong autos")
    args = parser.parse_args(argv)
    data = generate(args.seed, args.invoices, args.payments)
    config = MatchConfig(auto_threshold=args.auto_threshold)
    start = time.perf_counter()
    index = build_index(data.open_items, data.customers, config)
    result = match_payments(index, data.payments)
    elapsed = time.perf_counter() - start
    quality = evaluate(data, result.matches)
    print(
        f"seed {args.seed}: {args.invoices} open invoices, {data.payments.num_rows} payments, "
        f"matched in {elapsed:.2f} s (index + match, numba compilation included if cold)\n"
    )
    print(report(quality))
    if args.show_wrong:
        _show_wrong(data, result.matches, args.show_wrong)
    return 0


def _show_wrong(data: Dataset, matches: pa.Table, limit: int) -> None:
    truth = defaultdict(dict)
    for row in data.truth.to_pylist():
        truth[row["payment_id"]][row["invoice_id"]] = row["amount_applied_minor"]
    cases = dict(zip(data.cases["payment_id"].to_pylist(), data.cases["case"].to_pylist()))
    pays = {r["payment_id"]: r for r in data.payments.to_pylist()}
    numbers = dict(
        zip(
            data.open_items["invoice_id"].to_pylist(), data.open_items["invoice_number"].to_pylist()
        )
    )
    got = defaultdict(dict)
    reason = {}
    for row in matches.filter(pa.compute.equal(matches["status"], "auto")).to_pylist():
        got[row["payment_id"]][row["invoice_id"]] = row["amount_applied_minor"]
        reason[row["payment_id"]] = row["reason"]
    shown = 0
    for pid, applied in got.items():
        if applied != truth.get(pid, {}):
            p = pays[pid]
            print(
                f"\n{pid} [{cases[pid]}] {reason[pid]} amount={p['amount_minor']} "
                f"payer={p['payer_name']!r} text={p['reference_text']!r}"
            )
            print("  got  ", {numbers[k]: v for k, v in applied.items()})
            print("  truth", {numbers[k]: v for k, v in truth.get(pid, {}).items()})
            shown += 1
            if shown >= limit:
                break


if __name__ == "__main__":
    raise SystemExit(main())

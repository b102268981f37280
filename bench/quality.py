"""How many payments the engine applies on its own, how many of those are right, per kind.

Run from the repository root::

    python -m bench.quality --seed 20261123 --invoices 20000 --payments 4000
    python -m bench.quality --profile realistic --seeds 7001,7002,7003 \\
        --reliability-png /tmp/reliability.png --wrong-by-kind 5

A payment counts as *matchable* when it truly pays at least one open item.
An automatic match is *correct* when its invoices and the amount applied to
each are exactly the true ones, and, where the truth says what happens to
the rest of each invoice (the realistic profile's ``residual_action``: left
open, written off as a bank fee or a discount), that too (left open and
nothing left count alike: neither writes anything off); an automatic match
of an unmatchable payment is wrong. The report gives, per kind of case, the
auto-match rate among matchable payments, the precision of automatic
matches, automatic matches whose amounts are right but whose residual action
is not, and payments that net a credit note which the engine posted as a
partial payment or a fee instead (the issue's "never": it must be 0).

Calibration: each proposed application (auto or suggested) is one sample of
its ``confidence`` (the highest of its rows) against whether it is exactly
right. The expected calibration error is the count-weighted mean gap between
confidence and the share right over ten bins of equal width (0.0-0.1, ...,
0.9-1.0); the reliability table gives each bin's count, mean confidence and
share right.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from bench.generator import PROFILES, Dataset, generate
from cashmatch.engine import MatchConfig, build_index, match_payments

_SHORT_ACTIONS = ("leave_open", "write_off_bank_fee", "write_off_discount")
# What a residual action does to the books: nothing written off (an invoice
# paid in full, or its rest left open for the next payment), or a write-off.
# The last instalment of a batch leaves nothing open although the engine, which
# does not subtract the batch's earlier instalments, says "leave_open": both post
# the same application and write nothing off, so they count as the same.
_ACTION_CLASS = {"none": "keep", "leave_open": "keep"}
CALIBRATION_BINS = 10


def _same_action(got: str | None, wanted: str) -> bool:
    return _ACTION_CLASS.get(got, got) == _ACTION_CLASS.get(wanted, wanted)


@dataclass
class CaseQuality:
    payments: int = 0
    matchable: int = 0
    auto: int = 0
    auto_correct: int = 0
    auto_on_matchable: int = 0
    suggested_correct: int = 0
    # Automatic matches with every amount right but another residual action.
    auto_action_wrong: int = 0
    # Payments netting a credit note, auto-posted without it as a partial or a fee.
    credit_note_as_short: int = 0

    @property
    def auto_rate(self) -> float:
        return self.auto_on_matchable / self.matchable if self.matchable else float("nan")

    @property
    def precision(self) -> float:
        return self.auto_correct / self.auto if self.auto else float("nan")

    def add(self, other: CaseQuality) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Calibration:
    """Proposals' confidence and whether each was exactly right.

    Example:
        >>> cal = Calibration(np.array([0.95, 0.95, 0.35, 0.35]), np.array([1, 1, 0, 1], bool))
        >>> round(cal.ece(), 3), [row["n"] for row in cal.reliability() if row["n"]]
        (0.1, [2, 2])
    """

    confidence: np.ndarray = field(default_factory=lambda: np.zeros(0))
    right: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def extend(self, other: Calibration) -> None:
        self.confidence = np.concatenate([self.confidence, other.confidence])
        self.right = np.concatenate([self.right, other.right])

    def _bins(self) -> np.ndarray:
        return np.minimum((self.confidence * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)

    def reliability(self) -> list[dict]:
        """Per bin: its range, count, mean confidence, share right and the gap."""
        rows, bins = [], self._bins()
        for b in range(CALIBRATION_BINS):
            inside = bins == b
            n = int(inside.sum())
            conf = float(self.confidence[inside].mean()) if n else float("nan")
            acc = float(self.right[inside].mean()) if n else float("nan")
            rows.append(
                {
                    "low": b / CALIBRATION_BINS,
                    "high": (b + 1) / CALIBRATION_BINS,
                    "n": n,
                    "confidence": conf,
                    "right": acc,
                    "gap": acc - conf if n else float("nan"),
                }
            )
        return rows

    def ece(self) -> float:
        """Expected calibration error over :data:`CALIBRATION_BINS` equal-width bins."""
        total = len(self.confidence)
        if not total:
            return float("nan")
        return sum(r["n"] / total * abs(r["gap"]) for r in self.reliability() if r["n"])


@dataclass
class Evaluation:
    """Everything one comparison of matches with the truth found."""

    quality: dict[str, CaseQuality]
    calibration: Calibration
    wrong: dict[str, list[dict]]


def _truth(data: Dataset) -> tuple[dict, dict]:
    amounts: dict[str, dict[str, int]] = defaultdict(dict)
    actions: dict[str, dict[str, str]] = defaultdict(dict)
    has_actions = "residual_action" in data.truth.column_names
    columns = ["payment_id", "invoice_id", "amount_applied_minor"]
    for row in data.truth.select(
        columns + (["residual_action"] if has_actions else [])
    ).to_pylist():
        amounts[row["payment_id"]][row["invoice_id"]] = row["amount_applied_minor"]
        if has_actions:
            actions[row["payment_id"]][row["invoice_id"]] = row["residual_action"]
    return amounts, actions


def compare(data: Dataset, matches: pa.Table) -> Evaluation:
    """Compare matches with the truth: per case, calibration, and the wrong autos."""
    truth, truth_actions = _truth(data)
    columns = ["payment_id", "invoice_id", "amount_applied_minor", "status"]
    extra = [c for c in ("residual_action", "confidence", "reason") if c in matches.column_names]
    got: dict[str, dict[str, int]] = defaultdict(dict)
    got_actions: dict[str, dict[str, str]] = defaultdict(dict)
    status: dict[str, str] = {}
    confidence: dict[str, float] = {}
    reason: dict[str, str] = {}
    for row in matches.select(columns + extra).to_pylist():
        pid = row["payment_id"]
        status[pid] = row["status"]
        confidence[pid] = max(confidence.get(pid, 0.0), row.get("confidence") or 0.0)
        reason[pid] = row.get("reason", "")
        if row["invoice_id"]:
            got[pid][row["invoice_id"]] = row["amount_applied_minor"]
            got_actions[pid][row["invoice_id"]] = row.get("residual_action", "none")
    out: dict[str, CaseQuality] = defaultdict(CaseQuality)
    wrong: dict[str, list[dict]] = defaultdict(list)
    conf, right_list = [], []
    for pid, case in zip(data.cases["payment_id"].to_pylist(), data.cases["case"].to_pylist()):
        right = truth.get(pid, {})
        applied = got.get(pid, {})
        state = status.get(pid, "unmatched")
        amounts_right = applied == right and bool(right)
        wanted = truth_actions.get(pid)
        action_right = not wanted or all(
            _same_action(got_actions[pid].get(i), a) for i, a in wanted.items()
        )
        correct = amounts_right and action_right
        credit_notes = [i for i, a in right.items() if a < 0]
        short = (
            bool(credit_notes)
            and state == "auto"
            and not all(i in applied for i in credit_notes)
            and any(a in _SHORT_ACTIONS for a in got_actions[pid].values())
        )
        if state in ("auto", "suggested"):
            conf.append(confidence.get(pid, 0.0))
            right_list.append(correct)
        if state == "auto" and not correct:
            wrong[case.split(":")[0]].append(
                {
                    "payment_id": pid,
                    "case": case,
                    "reason": reason[pid],
                    "applied": applied,
                    "actions": dict(got_actions[pid]),
                    "truth": right,
                    "truth_actions": dict(wanted or {}),
                }
            )
        for key in {"all", case.split(":")[0], case}:
            q = out[key]
            q.payments += 1
            q.matchable += bool(right)
            q.credit_note_as_short += short
            if state == "auto":
                q.auto += 1
                q.auto_on_matchable += bool(right)
                q.auto_correct += correct
                q.auto_action_wrong += amounts_right and not action_right
            elif state == "suggested":
                q.suggested_correct += correct
    calibration = Calibration(np.array(conf, float), np.array(right_list, bool))
    return Evaluation(dict(out), calibration, dict(wrong))


def evaluate(data: Dataset, matches: pa.Table) -> dict[str, CaseQuality]:
    """Compare matches with the truth, per case (and "all")."""
    return compare(data, matches).quality


def report(quality: dict[str, CaseQuality]) -> str:
    """A Markdown table of the quality per case."""
    lines = [
        "| case | payments | matchable | auto | auto-match rate | precision | suggested right "
        "| residual wrong | credit note as partial/fee |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    keys = ["all"] + sorted(k for k in quality if k != "all")
    for key in keys:
        q = quality[key]
        rate = f"{q.auto_rate:.1%}" if q.matchable else "-"
        precision = f"{q.precision:.2%}" if q.auto else "-"
        name = f"**{key}**" if key == "all" else ("&nbsp;&nbsp;" + key if ":" in key else key)
        lines.append(
            f"| {name} | {q.payments} | {q.matchable} | {q.auto} | {rate} | {precision} | "
            f"{q.suggested_correct} | {q.auto_action_wrong} | {q.credit_note_as_short} |"
        )
    return "\n".join(lines)


def calibration_report(calibration: Calibration) -> str:
    """The ECE and the reliability table, in Markdown."""
    lines = [
        f"Expected calibration error: {calibration.ece():.4f} over {len(calibration.confidence)} "
        "proposals (auto and suggested)",
        "",
        "| confidence | proposals | mean confidence | share right | gap |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in calibration.reliability():
        if not row["n"]:
            lines.append(f"| {row['low']:.1f}-{row['high']:.1f} | 0 | - | - | - |")
            continue
        flag = " **off**" if row["n"] >= 30 and abs(row["gap"]) > 0.10 else ""
        lines.append(
            f"| {row['low']:.1f}-{row['high']:.1f} | {row['n']} | {row['confidence']:.3f} | "
            f"{row['right']:.3f} | {row['gap']:+.3f}{flag} |"
        )
    return "\n".join(lines)


def reliability_plot(calibration: Calibration, path, title: str = "") -> bool:
    """Write a reliability diagram (PNG) of ``calibration``; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [r for r in calibration.reliability() if r["n"]]
    fig, (ax, ax_n) = plt.subplots(
        2, 1, figsize=(5.5, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfectly calibrated")
    ax.plot([r["confidence"] for r in rows], [r["right"] for r in rows], "o-", label="engine")
    ax.set_ylabel("share exactly right")
    ax.set_title(title or f"reliability (ECE {calibration.ece():.3f})", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, alpha=0.3)
    ax_n.bar([(r["low"] + r["high"]) / 2 for r in rows], [r["n"] for r in rows], width=0.09)
    ax_n.set_yscale("log")
    ax_n.set_xlabel("confidence")
    ax_n.set_ylabel("proposals")
    ax_n.set_xlim(0, 1)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def describe_wrong(data: Dataset, wrong: list[dict]) -> list[str]:
    """Readable lines for wrong automatic matches: text, amount, applied vs truth."""
    pays = {r["payment_id"]: r for r in data.payments.to_pylist()}
    numbers = dict(
        zip(
            data.open_items["invoice_id"].to_pylist(), data.open_items["invoice_number"].to_pylist()
        )
    )
    lines = []
    for w in wrong:
        p = pays[w["payment_id"]]

        def show(amounts, actions):
            return (
                ", ".join(
                    f"{numbers.get(k, k)} {v}"
                    + (f" ({actions[k]})" if actions.get(k, "none") != "none" else "")
                    for k, v in amounts.items()
                )
                or "nothing"
            )

        lines.append(
            f"{w['payment_id']} [{w['case']}] {w['reason']} amount={p['amount_minor']} "
            f"{p['currency']} payer={p['payer_name']!r} text={p['reference_text']!r}"
            + (f" remittance={len(p['remittance'])} lines" if p.get("remittance") else "")
        )
        lines.append(f"  applied: {show(w['applied'], w['actions'])}")
        lines.append(f"  truth:   {show(w['truth'], w['truth_actions'])}")
    return lines


def _seeds(args: argparse.Namespace) -> list[int]:
    if args.seeds:
        return [int(s) for s in args.seeds.split(",") if s.strip()]
    return [args.seed]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--seeds", help="comma-separated seeds, measured together (overrides --seed)"
    )
    parser.add_argument("--invoices", type=int, default=20000)
    parser.add_argument("--payments", type=int, default=4000)
    parser.add_argument("--profile", choices=PROFILES, default="classic")
    parser.add_argument("--auto-threshold", type=float, default=MatchConfig.auto_threshold)
    parser.add_argument("--show-wrong", type=int, default=0, help="print this many wrong autos")
    parser.add_argument("--wrong-by-kind", type=int, default=0, help="wrong autos shown per kind")
    parser.add_argument("--calibration", action="store_true", help="print the reliability table")
    parser.add_argument("--reliability-png", help="write a reliability diagram to this file")
    args = parser.parse_args(argv)
    config = MatchConfig(auto_threshold=args.auto_threshold)
    quality: dict[str, CaseQuality] = defaultdict(CaseQuality)
    calibration = Calibration()
    wrong_lines: dict[str, list[str]] = defaultdict(list)
    shown: list[str] = []
    for seed in _seeds(args):
        data = generate(seed, args.invoices, args.payments, profile=args.profile)
        start = time.perf_counter()
        index = build_index(data.open_items, data.customers, config)
        result = match_payments(index, data.payments)
        elapsed = time.perf_counter() - start
        found = compare(data, result.matches)
        for key, q in found.quality.items():
            quality[key].add(q)
        calibration.extend(found.calibration)
        q = found.quality["all"]
        print(
            f"seed {seed} ({args.profile}): {args.invoices} open items, {data.payments.num_rows} "
            f"payments, matched in {elapsed:.2f} s (index + match, numba compilation included if "
            f"cold): auto {q.auto_rate:.1%} of matchable, precision {q.precision:.2%}"
        )
        for kind, items in found.wrong.items():
            wrong_lines[kind].extend(describe_wrong(data, items[: args.wrong_by_kind]))
        if len(shown) < 3 * args.show_wrong:
            every = [w for items in found.wrong.values() for w in items]
            shown.extend(describe_wrong(data, every[: args.show_wrong - len(shown) // 3]))
    print()
    print(report(dict(quality)))
    if args.calibration or args.reliability_png:
        print()
        print(calibration_report(calibration))
    if args.reliability_png and reliability_plot(calibration, args.reliability_png):
        print(f"\nreliability diagram: {args.reliability_png}")
    if args.show_wrong:
        print()
        print("\n".join(shown))
    if args.wrong_by_kind:
        for kind in sorted(wrong_lines):
            print(f"\n### wrong automatic matches: {kind}\n")
            print("\n".join(wrong_lines[kind]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

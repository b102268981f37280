"""``python -m bench.ar_quality``: AR prediction and the cash forecast against known futures.

Generates a book (bench/ar_books.py) whose future is known, predicts from its
history alone, and compares with the truth and with baselines:

- **customer median**: the due date plus the customer's median historical
  delay (everyone's median for a customer without history), as the issue
  states it; and the same **not before the as-of date** (``_clipped``), a
  stricter baseline, since an open invoice cannot be paid in the past;
- **due date**: paid on the due date, likewise literal and clipped.

Reported: MAE in days of the predicted date (invoices that are eventually
paid), AUC of p_late over invoices not yet due (those already overdue are late
for certain) and over all, coverage of the 80% interval (a never-paid invoice
counts as beyond p90), and the WAPE of the 13-week forecast per currency and
pooled (currencies converted at the generator's rates), against the baseline
forecast that puts each invoice's amount on its baseline date.

Run on seeds never tuned on (tuning used seeds 1-3)::

    python -m bench.ar_quality --seed 1001 --customers 2000
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from bench.ar_books import CURRENCIES, generate_ar_book
from cashmatch.engine.ar import build_book, forecast_cash, predict_payments
from cashmatch.engine.ar.forecast import week_start
from cashmatch.engine.ar.ledger import day_number

NEVER = np.iinfo(np.int32).max


def auc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum formula (ties count half).

    Example:
        >>> auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
        0.75
    """
    label = label.astype(bool)
    n_pos, n_neg = int(label.sum()), int((~label).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    sorted_scores = score[order]
    # Average ranks over ties.
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(score)]
    for a, b in zip(starts, ends):
        ranks[order[a:b]] = (a + b + 1) / 2
    return float((ranks[label].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def baseline_days(book, today: int, clip: bool = True) -> np.ndarray:
    """Due date + the customer's median historical delay (with ``clip``, never before today)."""
    delay = book.paid_date - book.paid_due
    known = book.paid_date <= today
    n = book.n_customers
    median = np.full(n, np.nan)
    if known.any():
        cust, d = book.paid_customer[known], delay[known]
        order = np.lexsort((d, cust))
        counts = np.bincount(cust, minlength=n)
        starts = np.cumsum(counts) - counts
        has = counts > 0
        median[has] = (d[order][starts[has] + (counts[has] - 1) // 2]
                       + d[order][starts[has] + counts[has] // 2]) / 2  # fmt: skip
        overall = float(np.median(d))
    else:
        overall = 0.0
    m = median[book.open_customer]
    m = np.where(np.isnan(m), overall, m)
    days = book.open_due + np.round(m).astype(np.int64)
    return np.maximum(days, today) if clip else days


def weekly(amount, day, currency, first, weeks, n_cur):
    week = np.floor((day - first) / 7).astype(np.int64)
    inside = (week >= 0) & (week < weeks)
    out = np.zeros((n_cur, weeks))
    np.add.at(out, (currency[inside], week[inside]), amount[inside])
    return out


def evaluate(seed: int, customers: int, weeks: int = 13) -> dict:
    started = time.perf_counter()
    generated = generate_ar_book(seed, customers)
    book = build_book(generated.open_items, generated.paid)
    today = day_number(generated.as_of)
    t0 = time.perf_counter()
    prediction = predict_payments(book, generated.as_of)
    forecast = forecast_cash(book, prediction, weeks=weeks)
    seconds = time.perf_counter() - t0
    truth = generated.truth_days()
    paid = truth != NEVER
    pred = prediction.column(0.5)
    due = book.open_due.astype(np.int64)
    base = baseline_days(book, today)
    literal = baseline_days(book, today, clip=False)

    def mae_of(days: np.ndarray) -> float:
        return float(np.abs(days - truth)[paid].mean())

    mae = mae_of(pred)
    late = truth > due
    not_due = due >= today
    covered = (prediction.column(0.1) <= truth) & (truth <= prediction.column(0.9))

    n_cur = len(book.currencies)
    first = day_number(week_start(generated.as_of))
    amount = book.open_amount.astype(float)
    actual = weekly(
        amount, np.where(paid, truth, -(10**9)), book.open_currency, first, weeks, n_cur
    )
    base_fc = weekly(amount, base, book.open_currency, first, weeks, n_cur)
    model_fc = forecast["expected_amount_minor"].to_numpy().reshape(-1, weeks)
    low = forecast["p10_amount_minor"].to_numpy().reshape(-1, weeks)
    high = forecast["p90_amount_minor"].to_numpy().reshape(-1, weeks)
    order = forecast["currency"].to_pylist()[::weeks]
    rows = [book.currencies.index(c) for c in order]
    actual, base_fc = actual[rows], base_fc[rows]
    rate = np.array([CURRENCIES[c][1] * (1 if c == "JPY" else 0.01) for c in order])[:, None]

    def wape(f, a):
        return float(np.abs(f - a).sum() / max(np.abs(a).sum(), 1e-9))

    per_currency = {
        c: {"wape": wape(model_fc[k], actual[k]), "wape_baseline": wape(base_fc[k], actual[k])}
        for k, c in enumerate(order)
    }
    pooled = wape(model_fc / rate, actual / rate)
    pooled_base = wape(base_fc / rate, actual / rate)
    return {
        "seed": seed,
        "as_of": str(generated.as_of),
        "open_items": int(book.open_amount.size),
        "history": int(book.paid_date.size),
        "mae_days": mae,
        "mae_baseline_days": mae_of(literal),
        "mae_baseline_clipped_days": mae_of(base),
        "mae_due_date_days": mae_of(due),
        "mae_due_date_clipped_days": mae_of(np.maximum(due, today)),
        "mae_ratio": mae / mae_of(literal),
        "mae_ratio_clipped": mae / mae_of(base),
        "mae_ratio_due_date": mae / mae_of(due),
        "auc_not_yet_due": auc(prediction.p_late[not_due], late[not_due]),
        "auc_all": auc(prediction.p_late, late),
        "coverage_80": float(covered.mean()),
        "wape": pooled,
        "wape_baseline": pooled_base,
        "wape_ratio": pooled / pooled_base,
        "forecast_interval_coverage": float(((low <= actual) & (actual <= high)).mean()),
        "per_currency": per_currency,
        "predict_forecast_seconds": seconds,
        "total_seconds": time.perf_counter() - started,
    }


COLUMNS = (
    ("seed", "seed", "{}"),
    ("as_of", "as_of", "{}"),
    ("open", "open_items", "{}"),
    ("history", "history", "{}"),
    ("MAE d", "mae_days", "{:.2f}"),
    ("/base", "mae_ratio", "{:.3f}"),
    ("/clip", "mae_ratio_clipped", "{:.3f}"),
    ("/due", "mae_ratio_due_date", "{:.3f}"),
    ("AUC nd", "auc_not_yet_due", "{:.3f}"),
    ("AUC", "auc_all", "{:.3f}"),
    ("cov80", "coverage_80", "{:.3f}"),
    ("WAPE", "wape", "{:.3f}"),
    ("/base", "wape_ratio", "{:.3f}"),
    ("fc cov", "forecast_interval_coverage", "{:.2f}"),
    ("s", "predict_forecast_seconds", "{:.1f}"),
)


def table(results: list[dict]) -> str:
    """A Markdown table of the figures, one row per seed and the mean."""
    lines = ["| " + " | ".join(c[0] for c in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in results:
        lines.append("| " + " | ".join(f.format(r[k]) for _, k, f in COLUMNS) + " |")
    if len(results) > 1:
        cells = []
        for _, k, f in COLUMNS:
            values = [r[k] for r in results]
            numeric = all(isinstance(v, float) for v in values)
            cells.append(
                f.format(float(np.mean(values))) if numeric else "mean" if k == "seed" else ""
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, nargs="+", default=[1001])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="print raw figures as JSON")
    args = parser.parse_args(argv)
    results = []
    for seed in args.seed:
        results.append(evaluate(seed, args.customers))
        print(f"seed {seed}: done in {results[-1]['total_seconds']:.0f} s", file=sys.stderr)
    print(json.dumps(results, indent=2) if args.json else table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

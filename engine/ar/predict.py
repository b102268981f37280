"""When will each open invoice be paid: a median date, an 80% interval and the chance it is late.

How it learns (each call learns afresh from the history it is given):

1. **Replay.** The book is replayed at past as-of dates (every 14 days, 6 to 56
   weeks back): the invoices open then (paid ones whose paid date came later,
   and today's open items, whose payment is still to come) with the features
   the history known then gives (:mod:`cashmatch.engine.ar.features`). Each
   is predicted relative to a reference date: when this customer's past
   invoices that were still unpaid at the same age were typically paid.
2. **Models.** LightGBM quantile regressions of the days between the
   reference date and the payment (one per quantile), and a LightGBM classifier
   of "paid after the due date" for invoices not yet due. A payment later than
   today is censored: it counts as "later than today", which leaves every
   quantile below that point unbiased, and invoices with too little known
   future are left out.
3. **Calibration.** A fifth of the customers is held out; each quantile is
   shifted by the held-out error at its level (split conformal), so the 80%
   interval covers 80% of held-out payments.
4. **Payment runs.** Dates snap to the customer's payment days
   (:mod:`cashmatch.engine.ar.runs`), never before the as-of date.
"""

from __future__ import annotations

import datetime as dt
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pyarrow as pa

from cashmatch.engine.ar.config import ArConfig
from cashmatch.engine.ar.features import (
    FEATURES,
    customer_profile,
    invoice_features,
    open_book_features,
)
from cashmatch.engine.ar.ledger import Book, day_number
from cashmatch.engine.ar.runs import PaymentDays
from cashmatch.engine.ar.schemas import PREDICTIONS

# With no history at all, invoices are expected this many days after their due date.
DEFAULT_DELAY = 7.0


@dataclass
class Prediction:
    """Predictions for every open item of a book, in open-item order.

    Attributes:
        as_of: the day predicted from.
        quantiles: the quantile levels of ``days`` columns.
        days: (n, len(quantiles)) predicted paid day numbers, calibrated, non-crossing.
        p_late: probability of payment after the due date.
        table: the PREDICTIONS table.
    """

    as_of: dt.date
    quantiles: tuple[float, ...]
    days: np.ndarray
    p_late: np.ndarray
    table: pa.Table

    def column(self, q: float) -> np.ndarray:
        return self.days[:, self.quantiles.index(q)]


@dataclass
class _Examples:
    matrix: np.ndarray
    target: np.ndarray
    late: np.ndarray  # 1 late, 0 on time, -1 unknown or already due
    customer: np.ndarray


def _lgb_params(config: ArConfig, **extra) -> dict:
    return {
        "learning_rate": config.learning_rate,
        "num_leaves": config.leaves,
        "min_data_in_leaf": config.min_leaf,
        "verbose": -1,
        "seed": config.seed,
        "deterministic": True,
        "force_row_wise": True,
        "max_bin": config.max_bins,
        **extra,
    }


def _global_delay(due: np.ndarray, paid: np.ndarray, cutoff: int) -> float:
    """Everyone's median delay of invoices paid by ``cutoff`` (from a sample of 200k at most)."""
    known = np.flatnonzero(paid <= cutoff)
    if not len(known):
        return DEFAULT_DELAY
    sample = known[:: max(1, len(known) // 200_000)]
    return float(np.median(paid[sample] - due[sample]))


def _sample_customers(book: Book, config: ArConfig, rng: np.random.Generator) -> np.ndarray:
    """Customers whose history is replayed: all, or a random share that fits the budget."""
    n_paid = len(book.paid_date)
    share = min(1.0, config.max_profile_rows / max(n_paid, 1))
    return rng.random(book.n_customers) < share


def _examples(book: Book, today: int, config: ArConfig, rng: np.random.Generator) -> _Examples:
    """Replay the book at past snapshots: features, targets and late labels of what was open."""
    chosen = _sample_customers(book, config, rng)
    p = chosen[book.paid_customer]
    o = chosen[book.open_customer] & (book.open_issue <= today)
    paid = {
        "customer": book.paid_customer[p],
        "amount": book.paid_amount[p],
        "issue": book.paid_issue[p].astype(np.int64),
        "due": book.paid_due[p].astype(np.int64),
        "paid": book.paid_date[p].astype(np.int64),
    }
    known = paid["paid"] <= today
    paid = {k: v[known] for k, v in paid.items()}
    # Every invoice that exists today with its outcome (censored beyond today).
    customer = np.concatenate([paid["customer"], book.open_customer[o]])
    amount = np.concatenate([paid["amount"], book.open_original[o]])
    issue = np.concatenate([paid["issue"], book.open_issue[o].astype(np.int64)])
    due = np.concatenate([paid["due"], book.open_due[o].astype(np.int64)])
    outcome = np.concatenate([paid["paid"], np.full(int(o.sum()), today + 1, np.int64)])
    censored = np.concatenate([np.zeros(len(paid["paid"]), bool), np.ones(int(o.sum()), bool)])
    parts = []
    n = book.n_customers
    for back in range(
        config.snapshot_first_days, config.snapshot_last_days + 1, config.snapshot_step_days
    ):
        day = today - back
        stats, index = customer_profile(
            paid["customer"],
            paid["amount"],
            paid["issue"],
            paid["due"],
            paid["paid"],
            day,
            n,
            config.recent_days,
        )
        is_open = (issue <= day) & (outcome > day)
        if not is_open.any():
            continue
        rows = np.flatnonzero(is_open)
        c = customer[rows]
        book_features = open_book_features(c, amount[rows], due[rows], day, n)
        features = invoice_features(
            day,
            c,
            amount[rows],
            issue[rows],
            due[rows],
            stats,
            index,
            book_features,
            _global_delay(paid["due"], paid["paid"], day),
        )
        horizon = today - features.reference
        usable = horizon >= config.min_horizon_days
        target = np.where(censored[rows], horizon + 1, outcome[rows] - features.reference)
        late = np.where(due[rows] > day, (outcome[rows] > due[rows]).astype(np.int8), -1)
        # Unknown when the payment is censored before the due date could be passed.
        late = np.where(censored[rows] & (due[rows] > today), -1, late)
        parts.append(
            _Examples(
                features.matrix[usable], target[usable].astype(np.float32), late[usable], c[usable]
            )
        )
    if not parts:
        return _Examples(
            np.zeros((0, len(FEATURES)), np.float32),
            np.zeros(0, np.float32),
            np.zeros(0, np.int8),
            np.zeros(0, np.int32),
        )
    merged = _Examples(
        *(
            np.concatenate([getattr(x, f) for x in parts])
            for f in ("matrix", "target", "late", "customer")
        )
    )
    if len(merged.target) > config.max_training_rows:
        keep = np.sort(rng.choice(len(merged.target), config.max_training_rows, replace=False))
        merged = _Examples(
            merged.matrix[keep], merged.target[keep], merged.late[keep], merged.customer[keep]
        )
    return merged


def _workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class _Models:
    """The fitted quantile regressors, their calibration shifts and the late classifier.

    The models train side by side, one per core, each on one thread: LightGBM's
    own threads wait for each other at every split, which on a busy 2-core
    machine made training ten times slower than one thread per model.
    """

    def __init__(self, examples: _Examples, config: ArConfig, n_customers: int, seed: int):
        self.quantiles = config.quantiles
        rng = np.random.default_rng(seed)
        if len(np.unique(examples.customer)) >= 100:
            # Whole customers held out: the interval must hold for customers the models
            # learned nothing about directly, as every customer is at the as-of date.
            held_out = rng.random(n_customers) < config.calibration_share
            calib = held_out[examples.customer]
        else:
            # Too few customers to spare some: hold out invoices instead.
            calib = rng.random(len(examples.target)) < config.calibration_share
        if calib.all() or not calib.any() or len(examples.target) < 200:
            calib = np.zeros(len(examples.target), bool)
        train = ~calib
        labelled = train & (examples.late >= 0)
        self.base_rate = float(examples.late[labelled].mean()) if labelled.any() else 0.5
        threads = config.threads or 1
        jobs = {}
        if train.sum() >= 50:
            for q in self.quantiles:
                jobs[q] = (
                    train,
                    examples.target,
                    _lgb_params(config, objective="quantile", alpha=q, num_threads=threads),
                )
        if labelled.sum() >= 50 and 0 < self.base_rate < 1:
            jobs["late"] = (
                labelled,
                examples.late.astype(np.float32),
                _lgb_params(config, objective="binary", num_threads=threads),
            )

        def fit(job):
            rows, target, params = job
            data = lgb.Dataset(examples.matrix[rows], target[rows], feature_name=list(FEATURES))
            return lgb.train(params, data, num_boost_round=config.trees)

        with ThreadPoolExecutor(max_workers=_workers() if not config.threads else 1) as pool:
            fitted = dict(zip(jobs, pool.map(fit, jobs.values())))
        self.regressors = [fitted.get(q) for q in self.quantiles]
        self.classifier = fitted.get("late")
        self.shifts = np.zeros(len(self.quantiles))
        if calib.any():
            for k, (q, error) in enumerate(
                zip(self.quantiles, self._raw(examples.matrix[calib]).T)
            ):
                self.shifts[k] = np.quantile(examples.target[calib] - error, q)

    def _raw(self, matrix: np.ndarray, with_late: bool = False):
        """Each model's prediction, side by side on one thread each (as in training)."""
        models = [(k, m) for k, m in enumerate(self.regressors) if m is not None]
        if with_late and self.classifier is not None:
            models.append(("late", self.classifier))
        with ThreadPoolExecutor(max_workers=_workers()) as pool:
            columns = dict(
                zip(
                    [k for k, _ in models],
                    pool.map(lambda item: item[1].predict(matrix, num_threads=1), models),
                )
            )
        out = np.zeros((len(matrix), len(self.quantiles)))
        for k in range(len(self.quantiles)):
            if k in columns:
                out[:, k] = columns[k]
        late = columns.get("late", np.full(len(matrix), self.base_rate))
        return (out, late) if with_late else out

    def predict(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated days after the reference date (one column per quantile, non-crossing)
        and the probability of payment after the due date."""
        raw, late = self._raw(matrix, with_late=True)
        return np.sort(raw + self.shifts, axis=1), late


def predict_payments(book: Book, as_of: dt.date, config: ArConfig | None = None) -> Prediction:
    """Predict the payment of every open item of ``book`` from its paid history.

    Example:
        >>> import pyarrow as pa
        >>> from cashmatch.engine.ar import build_book
        >>> items = pa.table({"invoice_id": ["I1"], "invoice_number": ["N1"],
        ...     "customer_id": ["C1"], "currency": ["EUR"], "amount_open_minor": [100],
        ...     "issue_date": [dt.date(2024, 6, 1)], "due_date": [dt.date(2024, 7, 1)]})
        >>> p = predict_payments(build_book(items), dt.date(2024, 6, 10))
        >>> row = p.table.to_pylist()[0]
        >>> row["paid_by_p10"] <= row["predicted_paid_date"] <= row["paid_by_p90"]
        True
        >>> row["paid_by_p10"] >= dt.date(2024, 6, 10)
        True
    """
    config = config or ArConfig()
    if not {0.1, 0.5, 0.9} <= set(config.quantiles):
        raise ValueError("ArConfig.quantiles must include 0.1, 0.5 and 0.9")
    today = day_number(as_of)
    rng = np.random.default_rng(config.seed)
    examples = _examples(book, today, config, rng)
    models = _Models(examples, config, book.n_customers, config.seed + 1)

    n = book.n_customers
    known = book.paid_date <= today
    everything = bool(known.all())

    def history(values: np.ndarray) -> np.ndarray:
        values = values.astype(np.int64, copy=False)
        return values if everything else values[known]

    paid_customer, paid_date = history(book.paid_customer), history(book.paid_date)
    due_paid = history(book.paid_due)
    stats, index = customer_profile(
        paid_customer,
        history(book.paid_amount),
        history(book.paid_issue),
        due_paid,
        paid_date,
        today,
        n,
        config.recent_days,
    )
    customer = book.open_customer
    due = book.open_due.astype(np.int64)
    book_features = open_book_features(customer, book.open_amount, due, today, n)
    features = invoice_features(
        today,
        customer,
        book.open_original,
        book.open_issue.astype(np.int64),
        due,
        stats,
        index,
        book_features,
        _global_delay(due_paid, paid_date, today),
    )
    offsets, late = models.predict(features.matrix)
    raw = features.reference[:, None] + offsets
    runs = PaymentDays.learn(paid_customer, paid_date, n)
    days = np.empty(raw.shape, dtype=np.int64)
    for k in range(raw.shape[1]):
        snapped = runs.snap(
            customer,
            np.round(raw[:, k]).astype(np.int64),
            config.run_window_days,
            config.run_distance_cost,
        )
        # Open at the close of the as-of date: paid the next day at the earliest.
        days[:, k] = np.maximum(snapped, today + 1)
    days = np.sort(days, axis=1)
    p_late = np.where(due < today, 1.0, np.clip(late, 0.0, 1.0))
    quantiles = tuple(config.quantiles)

    def dates(q: float) -> pa.Array:
        return pa.array(days[:, quantiles.index(q)].astype(np.int32)).cast(pa.date32())

    items = book.open_items
    table = pa.table(
        {
            "invoice_id": items["invoice_id"],
            "predicted_paid_date": dates(0.5),
            "paid_by_p10": dates(0.1),
            "paid_by_p90": dates(0.9),
            "p_late": pa.array(p_late, pa.float64()),
            "customer_id": items["customer_id"],
            "currency": items["currency"],
            "amount_open_minor": items["amount_open_minor"],
            "due_date": items["due_date"],
        },
        schema=PREDICTIONS,
    )
    return Prediction(as_of, quantiles, days, p_late, table)

"""The weekly cash forecast: what the open items are expected to bring in, week by week.

Each invoice's predicted quantiles (p10 ... p90 of its paid date) make a
piecewise-linear distribution of its paid day, with tails below p10 (never
before the as-of date) and above p90 (as far again as p50 to p90). The
expected amount of a week is the sum over invoices of open amount x the
probability of payment in that week. Its p10 and p90 come from joint draws in
which a customer's invoices move together (a customer short of cash delays all
of them): in each draw an invoice takes its customer's quantile with
probability ``customer_correlation``, else a quantile of its own.

Amounts are estimates, rounded to the minor unit; negative open amounts
(credit notes) net against the week they are expected to be used in.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from cashmatch.engine.ar.config import ArConfig
from cashmatch.engine.ar.ledger import Book, day_number
from cashmatch.engine.ar.predict import Prediction
from cashmatch.engine.ar.schemas import FORECAST


def _knots(prediction: Prediction, today: int) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative levels (k,) and per-invoice paid days at them (n, k), increasing."""
    q = np.asarray(prediction.quantiles)
    days = prediction.days.astype(np.float64)
    # Day d holds payments in [d, d + 1): the quantile day is the middle of it.
    days = days + 0.5
    p10, p50, p90 = (days[:, list(q).index(v)] for v in (0.1, 0.5, 0.9))
    low = np.maximum(today + 1, p10 - 0.5 * (p50 - p10) - 0.5)
    high = p90 + np.maximum(p90 - p50, 1.0) + 0.5
    knots = np.column_stack([low, days, high])
    knots = np.maximum.accumulate(knots, axis=1)
    # Strictly increasing, so that each level maps to one day.
    knots = knots + np.arange(knots.shape[1]) * 1e-6
    return np.concatenate([[0.0], q, [1.0]]), knots


def _cdf(levels: np.ndarray, knots: np.ndarray, x: float) -> np.ndarray:
    """P(paid day < x) for each invoice."""
    out = np.zeros(len(knots))
    for k in range(len(levels) - 1):
        a, b = knots[:, k], knots[:, k + 1]
        inside = (x > a) & (x <= b)
        out = np.where(inside, levels[k] + (x - a) / (b - a) * (levels[k + 1] - levels[k]), out)
        out = np.where(x > b, levels[k + 1], out)
    return out


def _inverse(levels: np.ndarray, knots: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Paid days at cumulative levels ``u`` (n, draws) of each invoice's distribution."""
    segment = np.clip(np.searchsorted(levels, u, side="right") - 1, 0, len(levels) - 2)
    a = np.take_along_axis(knots, segment, axis=1)
    b = np.take_along_axis(knots, segment + 1, axis=1)
    la, lb = levels[segment], levels[segment + 1]
    return a + (u - la) / (lb - la) * (b - a)


def week_start(day: dt.date) -> dt.date:
    """The Monday of the week holding ``day``.

    Example:
        >>> week_start(dt.date(2024, 6, 30))  # a Sunday
        datetime.date(2024, 6, 24)
    """
    return day - dt.timedelta(days=day.weekday())


def forecast_cash(
    book: Book, prediction: Prediction, weeks: int = 13, config: ArConfig | None = None
) -> pa.Table:
    """The :data:`~cashmatch.engine.ar.schemas.FORECAST` table: per currency and week.

    Draws: ``config.forecast_simulations``, ``config.forecast_customer_correlation``
    and ``config.seed`` (the same book gives the same forecast).
    """
    config = config or ArConfig()
    simulations, seed = config.forecast_simulations, config.seed
    customer_correlation = config.forecast_customer_correlation
    if weeks <= 0:
        from cashmatch.engine.errors import InputError

        raise InputError("--weeks", None, None, f"{weeks} is not a positive number")
    today = day_number(prediction.as_of)
    first = day_number(week_start(prediction.as_of))
    bounds = first + 7 * np.arange(weeks + 1)
    levels, knots = _knots(prediction, today)
    amount = book.open_amount.astype(np.float64)
    currency = book.open_currency.astype(np.int64)
    n_cur = max(len(book.currencies), 1)
    cdf = np.column_stack([_cdf(levels, knots, float(b)) for b in bounds])
    share = np.diff(cdf, axis=1)
    expected = np.zeros((n_cur, weeks))
    for w in range(weeks):
        expected[:, w] = np.bincount(currency, weights=amount * share[:, w], minlength=n_cur)

    rng = np.random.default_rng(seed)
    totals = np.zeros(simulations * n_cur * weeks)
    rho = float(np.clip(customer_correlation, 0.0, 1.0))
    chunk = max(1, 2_000_000 // max(simulations, 1))
    customer_draw = rng.random((book.n_customers, simulations), dtype=np.float32)
    # A book-wide share: in each draw the whole book is early or late together, as when
    # the model is off for everyone at once (a slow month, a drift it has not seen yet).
    beta = float(np.clip(config.forecast_book_correlation, 0.0, 1.0))
    customer_draw = np.where(
        rng.random((book.n_customers, simulations)) < beta,
        rng.random(simulations, dtype=np.float32)[None, :],
        customer_draw,
    ).astype(np.float32)
    sim = np.arange(simulations)
    for start in range(0, len(amount), chunk):
        rows = slice(start, start + chunk)
        c = book.open_customer[rows]
        own = rng.random((len(c), simulations), dtype=np.float32)
        shared = rng.random((len(c), simulations), dtype=np.float32) < rho
        u = np.clip(np.where(shared, customer_draw[c], own), 1e-6, 1 - 1e-6)
        day = _inverse(levels, knots[rows], u)
        week = np.floor((day - first) / 7).astype(np.int64)
        inside = (week >= 0) & (week < weeks)
        cell = (sim[None, :] * n_cur + currency[rows, None]) * weeks + week
        weights = np.broadcast_to(amount[rows, None], week.shape)
        totals += np.bincount(cell[inside], weights=weights[inside], minlength=totals.size)
    totals = totals.reshape(simulations, n_cur, weeks)
    p10 = np.quantile(totals, 0.1, axis=0)
    p90 = np.quantile(totals, 0.9, axis=0)

    present = np.unique(currency)
    present = present[np.argsort(book.currency_rank[present])]
    names = np.asarray(book.currencies, dtype=object)
    rows_currency = np.repeat(names[present], weeks)
    starts = np.tile(bounds[:-1], len(present)).astype(np.int32)
    return pa.table(
        {
            "currency": pa.array(list(rows_currency), pa.string()),
            "week_start": pa.array(starts).cast(pa.date32()),
            "expected_amount_minor": np.round(expected[present].ravel()).astype(np.int64),
            "p10_amount_minor": np.round(p10[present].ravel()).astype(np.int64),
            "p90_amount_minor": np.round(p90[present].ravel()).astype(np.int64),
        },
        schema=FORECAST,
    )

"""Every tunable of AR prediction, forecast and worklist, in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArConfig:
    """Settings of payment-date prediction, the cash forecast and the worklist.

    Attributes:
        snapshot_step_days: training replays the book at past as-of dates this
            many days apart ...
        snapshot_first_days: ... the most recent this many days before as-of ...
        snapshot_last_days: ... the oldest this many days before.
        min_horizon_days: an invoice open at a past snapshot trains the models
            only if at least this many days after its reference date are known
            (a payment later than the as-of date is censored there).
        recent_days: the window of the "recent behaviour" features.
        max_training_rows: training examples kept (a random sample, by customer).
        max_profile_rows: paid invoices replayed at past snapshots (customers
            sampled so that their history fits); the as-of profile uses all.
        quantiles: the quantile models fitted; 0.1, 0.5 and 0.9 are required.
        calibration_share: customers held out to calibrate the 80% interval.
        trees, learning_rate, leaves, min_leaf, max_bins: LightGBM settings.
        threads: LightGBM threads per model; 0 trains the models side by side,
            one thread each, as many at once as there are cores.
        run_window_days: a predicted date snaps to the customer's most likely
            payment day within this many days before or after it ...
        run_distance_cost: ... each day of distance costing this much log-odds.
        forecast_simulations: joint draws behind the forecast's p10/p90.
        forecast_customer_correlation: how strongly a customer's invoices move
            together in those draws (0 independent, 1 all early or all late).
        forecast_book_correlation: the share of customers that follow one
            book-wide draw instead of their own, in each draw.
        seed: the seed of sampling and simulation, so runs are reproducible.
        remind_days: the worklist reminds before the due date within this window ...
        remind_p_late: ... when the invoice is at least this likely to be late.
    """

    snapshot_step_days: int = 14
    snapshot_first_days: int = 42
    snapshot_last_days: int = 392
    min_horizon_days: int = 84
    recent_days: int = 120
    max_training_rows: int = 60_000
    max_profile_rows: int = 400_000
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)
    calibration_share: float = 0.2
    trees: int = 100
    learning_rate: float = 0.1
    leaves: int = 31
    min_leaf: int = 40
    max_bins: int = 63
    threads: int = 0
    run_window_days: int = 4
    run_distance_cost: float = 0.35
    forecast_simulations: int = 100
    forecast_customer_correlation: float = 1.0
    forecast_book_correlation: float = 0.4
    seed: int = 20240601
    remind_days: int = 14
    remind_p_late: float = 0.5

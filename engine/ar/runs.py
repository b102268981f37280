"""Payment runs: the days of the week and of the month each customer's money arrives.

Many companies pay in runs (every Friday; the 10th and the 25th; month end),
so their paid dates sit on a few days. A predicted date is moved to the most
likely day near it: each candidate day within a window scores the customer's
log-odds of paying on that weekday and that day of the month (learned from its
paid dates, smoothed towards everyone's) less a cost per day moved. A customer
who pays any bank day keeps its date, moved off weekends only.

Written here rather than taken from a library: it is a handful of array
operations over a (customers x 7) and a (customers x 31) table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cashmatch.engine.ar.features import month_day, weekday


@dataclass
class PaymentDays:
    """Per customer, log-odds (against uniform) of paying on each weekday and day of month."""

    weekday_log_odds: np.ndarray
    month_day_log_odds: np.ndarray

    @classmethod
    def learn(
        cls, customer: np.ndarray, paid: np.ndarray, n_customers: int, prior: float = 3.0
    ) -> PaymentDays:
        """Learn from paid dates; ``prior`` pseudo-payments follow the whole book's pattern.

        Example:
            >>> fridays = np.array([4, 11, 18, 25]) + 7 * 10   # four Fridays
            >>> days = PaymentDays.learn(np.zeros(4, np.int64), fridays, 1)
            >>> int(days.snap(np.array([0]), np.array([fridays[0] + 2]), 4, 0.35)[0] - fridays[0])
            0
        """
        customer = np.asarray(customer, dtype=np.int64)
        wd = np.bincount(customer * 7 + weekday(paid), minlength=n_customers * 7)
        md = np.bincount(customer * 31 + month_day(paid) - 1, minlength=n_customers * 31)
        wd = wd.reshape(n_customers, 7).astype(np.float64)
        md = md.reshape(n_customers, 31).astype(np.float64)
        return cls(_log_odds(wd, prior), _log_odds(md, prior))

    def snap(self, customer: np.ndarray, day: np.ndarray, window: int, cost: float) -> np.ndarray:
        """Move each ``day`` to the best-scoring day within ``window`` days of it."""
        day = np.asarray(day, dtype=np.int64)
        offsets = np.arange(-window, window + 1)
        best = day.copy()
        best_score = np.full(len(day), -np.inf)
        for offset in offsets:
            candidate = day + offset
            score = (
                self.weekday_log_odds[customer, weekday(candidate)]
                + self.month_day_log_odds[customer, month_day(candidate) - 1]
                - cost * abs(int(offset))
            )
            better = score > best_score
            best = np.where(better, candidate, best)
            best_score = np.where(better, score, best_score)
        return best


def _log_odds(counts: np.ndarray, prior: float) -> np.ndarray:
    overall = counts.sum(axis=0) + 1.0
    overall /= overall.sum()
    smoothed = counts + prior * overall
    share = smoothed / smoothed.sum(axis=1, keepdims=True)
    return np.log(share * counts.shape[1])

"""The rule book: each decision rule's arithmetic, written once for one payment and for arrays.

Every function here takes Python numbers (one payment, one hypothesis) or
numpy arrays (a whole batch) and gives the same result for each element, so
the per-payment search and the array decisions evaluate the same
declarations.
"""

from __future__ import annotations

import numpy as np

from cashmatch.engine.config import MatchConfig


def shortfall_slack(amount, fee_max, config: MatchConfig):
    """How far above a payment's amount an invoice may be and still be paid in full by it.

    The larger of the fee bound and the largest discount: a payment ``p`` that
    is an invoice less a discount at rate ``r`` (at most 10%) falls short by
    ``p * r / (1 - r)``, which is at most ``p * r / 0.9`` (rates in basis
    points: ``p * bp // 9000``).

    Example:
        >>> shortfall_slack(np.array([100_000, 900]), np.array([5000, 5000]), MatchConfig())
        array([5555, 5000])
    """
    return np.maximum(fee_max, amount * max(config.discount_rates_bp) // 9000)

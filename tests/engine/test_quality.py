"""The quality bar on data the engine was not tuned on.

Seed 1 was used while developing; this seed was not looked at. If a change
drops the auto-match rate below 90% of matchable payments, or lets the
precision of automatic matches fall below 99.5%, this fails.
"""

from __future__ import annotations

from bench.generator import generate
from bench.quality import evaluate
from cashmatch.engine import build_index, match_payments


def test_auto_match_rate_and_precision_on_an_unseen_seed():
    data = generate(seed=424242, n_invoices=6000, n_payments=1500)
    matches = match_payments(build_index(data.open_items, data.customers), data.payments).matches
    quality = evaluate(data, matches)["all"]
    assert quality.matchable > 1200
    assert quality.auto_rate >= 0.90, quality
    assert quality.precision >= 0.995, quality

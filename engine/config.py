"""Every tunable of the matcher, in one place.

Defaults favour precision: a wrong automatic application costs an AR team far
more than a suggestion a person confirms in a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MatchConfig:
    """Thresholds and tolerances of the matcher.

    Attributes:
        auto_threshold: a decision at or above this confidence is applied
            automatically; below it, it is suggested.
        suggest_threshold: below this, a payment is reported unmatched.
        fee_max_major: the largest bank fee (in major units of the payment's
            currency) a payer may deduct for the shortfall to be written off.
        fee_max_ratio: and the fee may be at most this share of the payment.
        discount_rates_bp: early-payment discount rates, in basis points.
        discount_days: a discount is plausible when paid within this many
            days of the invoice's issue date.
        overpay_auto_max_ratio: an over-payment of a quoted invoice is applied
            automatically (the excess kept on account) only when the excess is
            at most this share of the payment and not itself the amount of
            another open invoice of the customer.
        max_ref_hits_per_key: a reference key shared by more open invoices than
            this does not discriminate and is ignored.
        max_typo_hits_per_key: the same for one-deletion keys; sequential
            numbering makes these shared by dozens of invoices, and every hit is
            checked at one edit anyway.
        min_digits_key: the shortest digits-only key used to match references.
        min_typo_key: the shortest key matched at one edit of distance.
        subset_max_items: the most invoices of one customer searched
            exhaustively for a combination that sums to the payment.
        subset_max_combination: beyond ``subset_max_items``, combinations of up
            to this many invoices are searched.
        subset_window_days: invoices issued more than this many days before the
            payment are left out of combination searches.
        subset_max_coincidence: a combination found by search is applied
            automatically only when fewer than this many subsets of the pool
            are expected to reach the amount by chance.
        subset_max_candidates: a combination search looks at no more than this
            many of a customer's invoices (those due nearest the payment date),
            so a customer with thousands of open items costs no more than one
            with hundreds.
        name_fuzzy_cutoff: the least payer-name similarity (0-100) that
            identifies a customer.
        name_fuzzy_margin: and the best match must beat the second by this.
        name_prefix_min: a payer name truncated by the bank identifies a
            customer when it is a prefix of its name of at least this length.
        contest_time_limit_s: time bound of the global assignment solver for
            one contested group of payments.
    """

    auto_threshold: float = 0.90
    suggest_threshold: float = 0.30
    fee_max_major: str = "50"
    fee_max_ratio: float = 0.05
    discount_rates_bp: tuple[int, ...] = (100, 150, 200, 250, 300, 500)
    discount_days: int = 30
    overpay_auto_max_ratio: float = 0.05
    max_ref_hits_per_key: int = 20
    max_typo_hits_per_key: int = 200
    min_digits_key: int = 4
    min_typo_key: int = 6
    subset_max_items: int = 24
    subset_max_combination: int = 4
    subset_window_days: int = 400
    subset_max_candidates: int = 200
    subset_max_coincidence: float = 1e-3
    name_fuzzy_cutoff: float = 88.0
    name_fuzzy_margin: float = 4.0
    name_prefix_min: int = 10
    contest_time_limit_s: float = 2.0
    rule_confidence: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RULE_CONFIDENCE))


# The confidence of each kind of evidence, before penalties. A rule's figure is
# what it is worth when nothing contradicts it; see engine/decide.py.
DEFAULT_RULE_CONFIDENCE: dict[str, float] = {
    "ref_exact+amount_exact": 0.995,
    "refs_all+amount_exact": 0.99,
    "ref_exact+fee_shortpay": 0.97,
    "ref_exact+discount": 0.97,
    "refs_all+fee_shortpay": 0.95,
    "refs_all+discount": 0.95,
    "ref+subset_sum": 0.94,
    "ref_fuzzy+amount_exact": 0.94,
    "ref_exact+partial": 0.92,
    "ref_exact+overpay": 0.91,
    "customer+amount_unique": 0.93,
    "customer+subset_sum": 0.91,
    # Suggestions: never above the default auto threshold.
    "customer+amount_ambiguous": 0.6,
    "customer+fee_shortpay": 0.75,
    "customer+discount": 0.75,
    "customer+subset_ambiguous": 0.5,
    "ref+amount_mismatch": 0.6,
    "ref_fuzzy+amount_mismatch": 0.45,
    "amount_only": 0.4,
}

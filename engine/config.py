"""Every tunable of the matcher, in one place.

Defaults favour precision: a wrong automatic application costs an AR team far
more than a suggestion a person confirms in a second.

The settings come in groups, in this order: decisions (what is posted, what
suggested), the rule book's figures (each rule's confidence and the
penalties and caps that lower it), amount tolerances, references, pair
scoring, combination and amount searches, customer identification, the
global assignment, and sizes. Sizes only choose how the work is done (one by
one or with arrays, on one core or on all): the matches never depend on
them, and the tests check that they do not.

Example:
    >>> config = MatchConfig(auto_threshold=0.99)
    >>> config.auto_threshold, config.rule_confidence["ref_exact+amount_exact"]
    (0.99, 0.995)
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The confidence of each kind of evidence, before penalties. A rule's figure is
# what it is worth when nothing contradicts it; see engine/rules.py.
DEFAULT_RULE_CONFIDENCE: dict[str, float] = {
    "remittance_advice": 0.99,
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

# Reasons that may be applied without a person, given enough confidence.
DEFAULT_AUTO_REASONS: tuple[str, ...] = (
    "remittance_advice",
    "ref_exact+amount_exact",
    "refs_all+amount_exact",
    "ref_exact+fee_shortpay",
    "ref_exact+discount",
    "refs_all+fee_shortpay",
    "refs_all+discount",
    "ref+subset_sum",
    "ref_fuzzy+amount_exact",
    "ref_exact+partial",
    "ref_exact+overpay",
    "customer+amount_unique",
    "customer+subset_sum",
)


@dataclass(frozen=True)
class MatchConfig:
    """Thresholds, figures and tolerances of the matcher.

    Decisions:
        auto_threshold: a decision at or above this confidence is applied
            automatically; below it, it is suggested.
        suggest_threshold: below this, a payment is reported unmatched.
        suggestion_cap: a suggestion's confidence is at most this, so that no
            suggestion reads as surer than an automatic application.
        ambiguity_margin: a rival hypothesis within this much of the best
            makes the best a suggestion.

    The rule book (engine/rules.py evaluates these):
        rule_confidence: each rule's confidence when nothing contradicts it,
            by reason; a reason not listed is worth 0.5.
        auto_reasons: the rules that may be applied without a person.
        paid_before_issue_factor: confidence times this when the payment is
            dated more than ``paid_before_issue_days`` before an invoice it pays.
        other_customer_factor: times this when the payer is known strongly
            as another customer than the one whose invoice it quotes.
        fuzzy_payer_factor: times this (and never automatic) when a payment
            without a reference was placed by a payer found by a fuzzy name.

    Amount tolerances:
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
        paid_before_issue_days: a payment dated more than this many days
            before an invoice's issue date was paid before it existed.
        issue_grace_days: invoices issued up to this many days after the
            payment's value date may still be what it pays (invoice dates
            and bank dates disagree by a few days); later ones are not
            candidates of an amount or combination search.

    References:
        max_ref_hits_per_key: a reference key shared by more open invoices than
            this does not discriminate and is ignored.
        max_typo_hits_per_key: the same for one-deletion keys; sequential
            numbering makes these shared by dozens of invoices, and every hit is
            checked at one edit anyway.
        min_digits_key: the shortest digits-only key used to match references.
        min_typo_key: the shortest key matched at one edit of distance.
        quality_exact, quality_ocr, quality_digits, quality_typo: the quality
            of a quote that meets the invoice number on its letters and
            digits, once OCR-confusable letters are folded, on its digits only,
            and at one edit; strictly decreasing.
        strong_reference_quality: quotes of at least this quality are taken
            as naming the invoice; below it (typos) only when the amount fits.
        max_refs_weighed: a payment is decided on its best-scored quotes, this
            many at most: a text quoting hundreds of numbers is not decided
            on the hundredth.

    Pair scoring (the order in which a payment's quotes are weighed):
        score_weights: logistic weights of the features reference, amount,
            customer, name and date, then the bias.
        amount_fit: the amount feature of an exact payment, a bank fee short,
            a discount short, a part payment and an over-payment.
        customer_fit: the customer feature when the payer is the invoice's
            customer, of its family, unknown, and another customer.
        date_fit: the date feature of a payment before the invoice was issued,
            on time, and more than ``late_payment_days`` after its due date.
        late_payment_days: see ``date_fit``.

    Combination and amount searches:
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
        amount_only_max_invoices: with the payer unknown, an amount open on at
            most this many invoices (of anyone) is suggested for the oldest.
        customer_short_candidates: with the payer known and nothing else
            found, at most this many of its invoices a little above the amount
            are weighed as paid short by a fee or a discount.

    Customer identification:
        name_fuzzy_cutoff: the least payer-name similarity (0-100) that
            identifies a customer.
        name_fuzzy_margin: and the best match must beat the second by this.
        name_fuzzy_min_length: names shorter than this are not compared fuzzily.
        name_fuzzy_rivals: how many of the best-scored names are searched for
            the runner-up of another family.
        name_prefix_min: a payer name truncated by the bank identifies a
            customer when it is a prefix of its name of at least this length.
        method_score: the strength of each way of identifying a payer (the
            name feature of the pair scoring), by method name.
        strong_methods: the methods strong enough to apply cash without a
            quoted reference, or to apply a part payment.

    Global assignment:
        contest_time_limit_s: time bound of the global assignment solver for
            one contested group of payments.

    Sizes (speed only, never results):
        array_decisions_min_payments: from this many payments in a batch,
            those that need no search are decided by array operations
            (engine/array_decisions.py); below, one by one.
        small_table_rows: up to this many rows, a matches table is built and
            summarised with Python lists rather than Arrow kernels.
        parallel_min_items: a reference or scoring kernel runs on every core
            from this many items (hits, queries); below, starting threads costs
            more than the work.
        parallel_min_payments: the same for the amount and over-payment
            searches, counted in payments.
        ordered_min_queries: from this many hash lookups, the queries are
            grouped by their top bits first, so that neighbouring probes share
            cache lines.
        few_accounts: up to this many payer accounts are normalised one by
            one in Python rather than by Arrow kernels.
        move_each_max: when open amounts change, up to this many invoices are
            shifted one by one in the sorted amount lookups; more are merged.
    """

    # Decisions.
    auto_threshold: float = 0.90
    suggest_threshold: float = 0.30
    suggestion_cap: float = 0.85
    ambiguity_margin: float = 0.05
    # The rule book.
    rule_confidence: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RULE_CONFIDENCE))
    auto_reasons: tuple[str, ...] = DEFAULT_AUTO_REASONS
    paid_before_issue_factor: float = 0.85
    other_customer_factor: float = 0.9
    fuzzy_payer_factor: float = 0.9
    # Amount tolerances.
    fee_max_major: str = "50"
    fee_max_ratio: float = 0.05
    discount_rates_bp: tuple[int, ...] = (100, 150, 200, 250, 300, 500)
    discount_days: int = 30
    overpay_auto_max_ratio: float = 0.05
    paid_before_issue_days: int = 3
    issue_grace_days: int = 5
    # References.
    max_ref_hits_per_key: int = 20
    max_typo_hits_per_key: int = 200
    min_digits_key: int = 4
    min_typo_key: int = 6
    quality_exact: float = 1.0
    quality_ocr: float = 0.97
    quality_digits: float = 0.93
    quality_typo: float = 0.8
    strong_reference_quality: float = 0.9
    max_refs_weighed: int = 50
    # Pair scoring.
    score_weights: tuple[float, ...] = (4.0, 2.5, 1.5, 0.5, 1.0, -5.0)
    amount_fit: tuple[float, ...] = (1.0, 0.85, 0.85, 0.35, 0.3)
    customer_fit: tuple[float, ...] = (1.0, 0.9, 0.5, 0.0)
    date_fit: tuple[float, ...] = (0.2, 1.0, 0.7)
    late_payment_days: int = 90
    # Combination and amount searches.
    subset_max_items: int = 24
    subset_max_combination: int = 4
    subset_window_days: int = 400
    subset_max_candidates: int = 200
    subset_max_coincidence: float = 1e-3
    amount_only_max_invoices: int = 3
    customer_short_candidates: int = 3
    # Customer identification.
    name_fuzzy_cutoff: float = 88.0
    name_fuzzy_margin: float = 4.0
    name_fuzzy_min_length: int = 5
    name_fuzzy_rivals: int = 8
    name_prefix_min: int = 10
    method_score: dict[str, float] = field(
        default_factory=lambda: {
            "account": 1.0,
            "name": 0.95,
            "name_prefix": 0.9,
            "name_fuzzy": 0.8,
        }
    )
    strong_methods: tuple[str, ...] = ("account", "name", "name_prefix")
    # Global assignment.
    contest_time_limit_s: float = 2.0
    # Sizes (speed only).
    array_decisions_min_payments: int = 32
    small_table_rows: int = 64
    parallel_min_items: int = 20_000
    parallel_min_payments: int = 2_000
    ordered_min_queries: int = 2048
    few_accounts: int = 16
    move_each_max: int = 64

    @property
    def quality_levels(self) -> tuple[float, float, float, float]:
        """The quote qualities, best first: exact, OCR-folded, digits, one edit."""
        return (self.quality_exact, self.quality_ocr, self.quality_digits, self.quality_typo)

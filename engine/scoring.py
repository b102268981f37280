"""Score candidate (payment, invoice) pairs: one numba kernel over flat arrays.

Each pair gets five features and a score in (0, 1):

- ``ref``: how well the payment's text quotes the invoice number (0 when not at all);
- ``amount``: how the payment's amount fits the invoice's open amount
  (exact, a bank fee short, an early-payment discount, partial, over);
- ``customer``: whether the payer was identified as the invoice's customer
  (1 same, 0.9 same group, 0.5 payer unknown, 0 another customer);
- ``name``: the strength of that identification (account, exact name, fuzzy name);
- ``date``: whether the payment date is plausible for the invoice.

The score is a logistic function of the weighted features. The weights and
the features' figures are tunables of :class:`~cashmatch.engine.config.MatchConfig`
(``score_weights``, ``amount_fit``, ``customer_fit``, ``date_fit``); tests/naive.py
holds the plain-Python twin the kernel is tested against.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from cashmatch.engine.config import MatchConfig

# Amount relations of a pair.
AMOUNT_EXACT, AMOUNT_FEE, AMOUNT_DISCOUNT, AMOUNT_PARTIAL, AMOUNT_OVER = 0, 1, 2, 3, 4
AMOUNT_RELATIONS = ("exact", "fee_shortpay", "discount", "partial", "overpay")


@nb.njit(cache=True, inline="always")
def _relation(pay, open_amount, fee_max, fee_ratio, discount_bp, days_since_issue, discount_days):
    if pay == open_amount:
        return AMOUNT_EXACT
    if pay > open_amount:
        return AMOUNT_OVER
    short = open_amount - pay
    if days_since_issue <= discount_days:
        for bp in discount_bp:
            # The discount is rounded by the payer's system: a minor unit either way.
            expected = (open_amount * bp + 5000) // 10000
            if abs(short - expected) <= 1:
                return AMOUNT_DISCOUNT
    if short <= fee_max and short * 10000 <= int(fee_ratio * 10000) * pay:
        return AMOUNT_FEE
    return AMOUNT_PARTIAL


@nb.njit(cache=True)
def classify_amount(
    pay, open_amount, fee_max, fee_ratio, discount_bp, days_since_issue, discount_days
):
    """The amount relation of one payment to one open amount (see AMOUNT_*)."""
    return _relation(
        pay, open_amount, fee_max, fee_ratio, discount_bp, days_since_issue, discount_days
    )


@nb.njit(cache=True)
def classify_amounts(
    pay, open_amount, fee_max, fee_ratio, discount_bp, days_since_issue, discount_days
):
    """:func:`classify_amount` of many (payment, open amount) pairs, as equal-length arrays."""
    out = np.empty(len(pay), np.int64)
    for k in range(len(pay)):
        out[k] = _relation(
            pay[k],
            open_amount[k],
            fee_max[k],
            fee_ratio,
            discount_bp,
            days_since_issue[k],
            discount_days,
        )
    return out


@nb.njit(cache=True)
def _score_pairs(
    pay_amount,
    pay_date,
    pay_customer,
    pay_family,
    pay_name_score,
    inv_amount,
    inv_issue,
    inv_due,
    inv_customer,
    inv_family,
    pair_payment,
    pair_invoice,
    pair_ref,
    fee_max,
    fee_ratio,
    discount_bp,
    discount_days,
    weights,
    fits,
    early_days,
    late_days,
):
    n = len(pair_payment)
    relation = np.empty(n, np.int8)
    features = np.empty((n, 5), np.float64)
    score = np.empty(n, np.float64)
    for k in nb.prange(n):
        p, i = pair_payment[k], pair_invoice[k]
        rel = _relation(
            pay_amount[p],
            inv_amount[i],
            fee_max[p],
            fee_ratio,
            discount_bp,
            pay_date[p] - inv_issue[i],
            discount_days,
        )
        relation[k] = rel
        # fits: amount (5, by relation), customer (4), date (3); see score_figures.
        ours = False
        if pay_customer[p] < 0:
            customer = fits[7]
        elif pay_customer[p] == inv_customer[i]:
            customer, ours = fits[5], True
        elif pay_family[p] == inv_family[i]:
            customer, ours = fits[6], True
        else:
            customer = fits[8]
        name = pay_name_score[p] if ours else 0.0
        if pay_date[p] < inv_issue[i] - early_days:
            date = fits[9]  # paid before the invoice existed: likely another invoice
        elif pay_date[p] <= inv_due[i] + late_days:
            date = fits[10]
        else:
            date = fits[11]  # very late payers exist
        features[k, 0] = pair_ref[k]
        features[k, 1] = fits[rel]
        features[k, 2] = customer
        features[k, 3] = name
        features[k, 4] = date
        z = weights[5]
        for f in range(5):
            z += weights[f] * features[k, f]
        score[k] = 1.0 / (1.0 + math.exp(-z))
    return relation, features, score


_score_parallel = nb.njit(cache=True, parallel=True)(getattr(_score_pairs, "py_func", _score_pairs))


def score_figures(config: MatchConfig) -> tuple[np.ndarray, np.ndarray]:
    """(weights, fits) of :func:`score_pairs` from the config.

    ``fits`` holds the amount fit of each relation (``AMOUNT_*`` order), then
    the customer fits (same customer, same family, payer unknown, another
    customer), then the date fits (before issue, on time, late).
    """
    fits = np.array(config.amount_fit + config.customer_fit + config.date_fit, np.float64)
    return np.array(config.score_weights, np.float64), fits


def score_pairs(
    pay_amount: np.ndarray,
    pay_date: np.ndarray,
    pay_customer: np.ndarray,
    pay_family: np.ndarray,
    pay_name_score: np.ndarray,
    inv_amount: np.ndarray,
    inv_issue: np.ndarray,
    inv_due: np.ndarray,
    inv_customer: np.ndarray,
    inv_family: np.ndarray,
    pair_payment: np.ndarray,
    pair_invoice: np.ndarray,
    pair_ref: np.ndarray,
    fee_max: np.ndarray,
    config: MatchConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score every candidate pair, on every core from ``config.parallel_min_items`` pairs.

    Args:
        pay_*: per payment: amount (minor), value date (days), identified customer
            and family codes (-1 unknown), identification strength.
        inv_*: per invoice: open amount, issue and due dates, customer and family codes.
        pair_payment, pair_invoice: the candidate pairs, as positions.
        pair_ref: reference quality of each pair (0 when not quoted).
        fee_max: per payment, the largest bank fee deductible (minor units).
        config: the amount tolerances and the scoring figures.

    Returns:
        (relation, features, score): relation int8 per pair, features (n, 5)
        float64 in the order ref, amount, customer, name, date, and score float64.
    """
    weights, fits = score_figures(config)
    kernel = _score_parallel if len(pair_payment) >= config.parallel_min_items else _score_pairs
    return kernel(
        pay_amount,
        pay_date,
        pay_customer,
        pay_family,
        pay_name_score,
        inv_amount,
        inv_issue,
        inv_due,
        inv_customer,
        inv_family,
        pair_payment,
        pair_invoice,
        pair_ref,
        fee_max,
        config.fee_max_ratio,
        np.array(config.discount_rates_bp, np.int64),
        config.discount_days,
        weights,
        fits,
        config.paid_before_issue_days,
        config.late_payment_days,
    )

"""Score candidate (payment, invoice) pairs: one numba kernel over flat arrays.

Each pair gets five features and a score in (0, 1):

- ``ref``: how well the payment's text quotes the invoice number (0 when not at all);
- ``amount``: how the payment's amount fits the invoice's open amount
  (exact, a bank fee short, an early-payment discount, partial, over);
- ``customer``: whether the payer was identified as the invoice's customer
  (1 same, 0.9 same group, 0.5 payer unknown, 0 another customer);
- ``name``: the strength of that identification (account, exact name, fuzzy name);
- ``date``: whether the payment date is plausible for the invoice.

The score is a logistic function of the weighted features; the weights are
in :data:`WEIGHTS`. :func:`score_pairs_naive` is the plain-Python reference.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

# Amount relations of a pair.
AMOUNT_EXACT, AMOUNT_FEE, AMOUNT_DISCOUNT, AMOUNT_PARTIAL, AMOUNT_OVER = 0, 1, 2, 3, 4
AMOUNT_RELATIONS = ("exact", "fee_shortpay", "discount", "partial", "overpay")
AMOUNT_FIT = np.array([1.0, 0.85, 0.85, 0.35, 0.3])

# ref, amount, customer, name, date, bias
WEIGHTS = np.array([4.0, 2.5, 1.5, 0.5, 1.0, -5.0])


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


@nb.njit(cache=True, inline="always")
def _date_fit(value_date, issue_date, due_date):
    if value_date < issue_date - 3:
        return 0.2  # paid before the invoice existed: likely another invoice
    if value_date <= due_date + 90:
        return 1.0
    return 0.7  # very late payers exist


@nb.njit(cache=True, parallel=True)
def score_pairs(
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
):
    """Score every candidate pair.

    Args:
        pay_*: per payment: amount (minor), value date (days), identified customer
            and family codes (-1 unknown), identification strength.
        inv_*: per invoice: open amount, issue and due dates, customer and family codes.
        pair_payment, pair_invoice: the candidate pairs, as positions.
        pair_ref: reference quality of each pair (0 when not quoted).
        fee_max: per payment, the largest bank fee deductible (minor units).

    Returns:
        (relation, features, score): relation int8 per pair, features (n, 5)
        float64 in the order ref, amount, customer, name, date, and score float64.
    """
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
        if pay_customer[p] < 0:
            customer = 0.5
        elif pay_customer[p] == inv_customer[i]:
            customer = 1.0
        elif pay_family[p] == inv_family[i]:
            customer = 0.9
        else:
            customer = 0.0
        name = pay_name_score[p] if customer >= 0.9 else 0.0
        date = _date_fit(pay_date[p], inv_issue[i], inv_due[i])
        features[k, 0] = pair_ref[k]
        features[k, 1] = AMOUNT_FIT[rel]
        features[k, 2] = customer
        features[k, 3] = name
        features[k, 4] = date
        z = weights[5]
        for f in range(5):
            z += weights[f] * features[k, f]
        score[k] = 1.0 / (1.0 + math.exp(-z))
    return relation, features, score


score_pairs_serial = nb.njit(cache=True)(getattr(score_pairs, "py_func", score_pairs))


def score_pairs_naive(
    pays: list[dict],
    invoices: list[dict],
    pairs: list[tuple[int, int, float]],
    fee_ratio: float,
    discount_bp: list[int],
    discount_days: int,
):
    """Plain-Python twin of :func:`score_pairs`, from its docstring: the tests' reference."""
    out = []
    for p, i, ref in pairs:
        pay, inv = pays[p], invoices[i]
        short = inv["amount"] - pay["amount"]
        if short == 0:
            rel = AMOUNT_EXACT
        elif short < 0:
            rel = AMOUNT_OVER
        elif pay["date"] - inv["issue"] <= discount_days and any(
            abs(short - round(inv["amount"] * bp / 10000 + 1e-9)) <= 1 for bp in discount_bp
        ):
            rel = AMOUNT_DISCOUNT
        elif short <= pay["fee_max"] and short <= fee_ratio * pay["amount"]:
            rel = AMOUNT_FEE
        else:
            rel = AMOUNT_PARTIAL
        if pay["customer"] < 0:
            customer = 0.5
        elif pay["customer"] == inv["customer"]:
            customer = 1.0
        elif pay["family"] == inv["family"]:
            customer = 0.9
        else:
            customer = 0.0
        name = pay["name_score"] if customer >= 0.9 else 0.0
        if pay["date"] < inv["issue"] - 3:
            date = 0.2
        elif pay["date"] <= inv["due"] + 90:
            date = 1.0
        else:
            date = 0.7
        feats = [ref, float(AMOUNT_FIT[rel]), customer, name, date]
        z = float(WEIGHTS[5]) + sum(float(w) * f for w, f in zip(WEIGHTS[:5], feats))
        out.append((rel, feats, 1 / (1 + math.exp(-z))))
    return out

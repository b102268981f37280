"""The rules baseline: the two matching rules ERPs ship, written plainly in Python.

It is what cashmatch is compared with in the benchmark, on the same data:

(a) an invoice number printed verbatim in the payment's reference text (an
    exact, case-sensitive token match) whose open amount equals the payment's
    amount, in the same currency, is applied;
(b) else, when the payer's bank account is known for exactly one customer and
    exactly one of that customer's open invoices in the payment's currency has
    an amount equal to the payment's, that invoice is applied;
(c) else the payment is left unmatched.

Like an ERP, the baseline closes an invoice once a payment of the batch is
applied to it: a later payment (a duplicate, say) no longer finds it open.
Payments are taken in value-date order, then in batch order. Its output has the
engine's :data:`~cashmatch.engine.schemas.MATCHES` schema, so
:func:`bench.quality.evaluate` scores both the same way.

Example:
    >>> import datetime as dt
    >>> import pyarrow as pa
    >>> items = pa.table({"invoice_id": ["I1"], "invoice_number": ["INV-7"],
    ...     "customer_id": ["C1"], "currency": ["EUR"], "amount_open_minor": [5000]})
    >>> pays = pa.table({"payment_id": ["P1"], "amount_minor": [5000], "currency": ["EUR"],
    ...     "value_date": [dt.date(2024, 3, 1)], "reference_text": ["Invoice INV-7, thanks"]})
    >>> row = match_baseline(build_baseline(items), pays).to_pylist()[0]
    >>> row["invoice_id"], row["status"], row["reason"]
    ('I1', 'auto', 'invoice_number+amount')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from cashmatch.engine.schemas import AUTO, MATCHES, RESIDUAL_NONE, UNMATCHED

RULE_NUMBER = "invoice_number+amount"
RULE_ACCOUNT = "account+unique_amount"
NO_RULE = "no_rule"

# Whitespace and the punctuation that separates, rather than belongs to, an
# invoice number in a bank's free text ("INV-1, INV-2", "(INV-3)", "Ref:INV-4").
_SEPARATORS = re.compile(r"[\s,;:()\[\]{}<>\"']+")
# Trailing or leading dots, slashes and dashes are sentence or field
# punctuation ("INV-7.", "/INV/INV-7"), never part of a printed number's ends.
_EDGE = "./-"


def tokens(text: str | None) -> set[str]:
    """The tokens of a reference text an invoice number may match verbatim.

    Tokens are split on whitespace and separating punctuation; a token with a
    slash inside also yields its slash-separated parts, because banks and
    payers glue field tags to references ("/INV/INV-2024-000042").

    Example:
        >>> sorted(tokens("/INV/INV-7, FA24001."))
        ['FA24001', 'INV', 'INV-7', 'INV/INV-7']
    """
    out: set[str] = set()
    if not text:
        return out
    for raw in _SEPARATORS.split(text):
        token = raw.strip(_EDGE)
        if not token:
            continue
        out.add(token)
        if "/" in token:
            out.update(part for part in (p.strip(_EDGE) for p in token.split("/")) if part)
    return out


def normalize_account(account: str | None) -> str:
    """An account number without spaces, upper case: how an ERP keys bank details."""
    return "".join(account.split()).upper() if account else ""


@dataclass
class BaselineIndex:
    """Open items keyed the way the two rules look them up.

    Attributes:
        invoice_id: invoice ids, by row.
        customer_id: each row's customer id.
        currency: each row's currency.
        amount: each row's open amount in minor units.
        by_number: printed invoice number -> rows (several when a number repeats).
        by_account: normalized bank account -> the customer ids that hold it.
        by_customer_amount: (customer id, currency, amount) -> rows.
    """

    invoice_id: list[str]
    customer_id: list[str]
    currency: list[str]
    amount: list[int]
    by_number: dict[str, list[int]]
    by_account: dict[str, set[str]]
    by_customer_amount: dict[tuple[str, str, int], list[int]]


def build_baseline(open_items: pa.Table, customers: pa.Table | None = None) -> BaselineIndex:
    """Index open items (and the customers' known bank accounts) for the rules.

    Args:
        open_items: a table with at least invoice_id, invoice_number, customer_id,
            currency and amount_open_minor.
        customers: a table with customer_id and bank_accounts (a list of strings);
            without it, rule (b) never fires.
    """
    invoice_id = open_items["invoice_id"].to_pylist()
    numbers = open_items["invoice_number"].to_pylist()
    customer_id = open_items["customer_id"].to_pylist()
    currency = open_items["currency"].to_pylist()
    amount = open_items["amount_open_minor"].to_pylist()
    by_number: dict[str, list[int]] = {}
    by_customer_amount: dict[tuple[str, str, int], list[int]] = {}
    for row, (number, customer, code, value) in enumerate(
        zip(numbers, customer_id, currency, amount, strict=True)
    ):
        by_number.setdefault(number, []).append(row)
        by_customer_amount.setdefault((customer, code, value), []).append(row)
    by_account: dict[str, set[str]] = {}
    if customers is not None and "bank_accounts" in customers.column_names:
        for customer, accounts in zip(
            customers["customer_id"].to_pylist(),
            customers["bank_accounts"].to_pylist(),
            strict=True,
        ):
            for account in accounts or ():
                key = normalize_account(account)
                if key:
                    by_account.setdefault(key, set()).add(customer)
    return BaselineIndex(invoice_id, customer_id, currency, amount, by_number, by_account,
                         by_customer_amount)  # fmt: skip


def _by_number(index: BaselineIndex, text, amount, currency, closed) -> int:
    found = -1
    for token in tokens(text):
        for row in index.by_number.get(token, ()):
            if row in closed or index.currency[row] != currency or index.amount[row] != amount:
                continue
            if found >= 0 and found != row:
                return -1  # two quoted invoices fit: a rule cannot choose
            found = row
    return found


def _by_account(index: BaselineIndex, account, amount, currency, closed) -> int:
    owners = index.by_account.get(normalize_account(account), ())
    if len(owners) != 1:
        return -1
    (customer,) = owners
    same = index.by_customer_amount.get((customer, currency, amount), ())
    rows = [r for r in same if r not in closed]
    return rows[0] if len(rows) == 1 else -1


def match_baseline(index: BaselineIndex, payments: pa.Table) -> pa.Table:
    """Apply the two rules to a batch of payments.

    Args:
        index: open items indexed by :func:`build_baseline`.
        payments: a table with payment_id, amount_minor, currency, value_date and,
            when present, reference_text and payer_account.

    Returns:
        A :data:`~cashmatch.engine.schemas.MATCHES` table with one row per
        payment: ``auto`` with the invoice applied in full, or ``unmatched``.
    """
    n = payments.num_rows
    ids = payments["payment_id"].to_pylist()
    amounts = payments["amount_minor"].to_pylist()
    currencies = payments["currency"].to_pylist()
    dates = payments["value_date"].to_pylist()
    cols = payments.column_names
    texts = payments["reference_text"].to_pylist() if "reference_text" in cols else [None] * n
    accounts = payments["payer_account"].to_pylist() if "payer_account" in cols else [None] * n
    order = sorted(range(n), key=lambda p: (dates[p], p))
    closed: set[int] = set()
    chosen: list[tuple[int, str]] = [(-1, NO_RULE)] * n
    for p in order:
        amount, currency = amounts[p], currencies[p]
        if amount <= 0:
            continue
        row = _by_number(index, texts[p], amount, currency, closed)
        rule = RULE_NUMBER
        if row < 0:
            row = _by_account(index, accounts[p], amount, currency, closed)
            rule = RULE_ACCOUNT
        if row >= 0:
            closed.add(row)
            chosen[p] = (row, rule)
    matched = [row >= 0 for row, _ in chosen]
    return pa.table(
        {
            "payment_id": ids,
            "invoice_id": [index.invoice_id[row] if row >= 0 else "" for row, _ in chosen],
            "currency": currencies,
            "amount_applied_minor": pa.array(
                [amounts[p] if matched[p] else 0 for p in range(n)], pa.int64()
            ),
            "status": [AUTO if m else UNMATCHED for m in matched],
            "confidence": pa.array([1.0 if m else 0.0 for m in matched], pa.float64()),
            "reason": [rule for _, rule in chosen],
            "invoice_residual_minor": pa.array([0] * n, pa.int64()),
            "residual_action": [RESIDUAL_NONE] * n,
            "payment_unapplied_minor": pa.array(
                [0 if matched[p] else amounts[p] for p in range(n)], pa.int64()
            ),
            "customer_id": [index.customer_id[row] if row >= 0 else None for row, _ in chosen],
        },
        schema=MATCHES,
    )


def baseline_match(
    open_items: pa.Table, payments: pa.Table, customers: pa.Table | None = None
) -> pa.Table:
    """Index open items and apply the rules to one batch (see :func:`match_baseline`)."""
    return match_baseline(build_baseline(open_items, customers), payments)


__all__ = [
    "NO_RULE",
    "RULE_ACCOUNT",
    "RULE_NUMBER",
    "BaselineIndex",
    "baseline_match",
    "build_baseline",
    "match_baseline",
    "normalize_account",
    "tokens",
]

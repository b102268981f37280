"""The figures of a matching run, by currency: what came in and what became of it.

Computed from the matches as reviewed (:data:`~cashmatch.engine.schemas.MATCHES_FOR_REVIEW`),
in minor units; :func:`summary_lines` prints them for a terminal, and the HTML
report (:mod:`cashmatch.server.report.html`) draws them.

Every payment's cash is accounted for once: received = applied automatically +
left unapplied on account (the rest of automatically applied payments) +
suggested + unmatched. Write-offs are not cash: they are what was closed on
invoices beyond the cash (bank fees, early-payment discounts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.money import format_amount
from cashmatch.engine.schemas import (
    AUTO,
    RESIDUAL_BANK_FEE,
    RESIDUAL_DISCOUNT,
    STATUSES,
    SUGGESTED,
    UNMATCHED,
)

# The summary's lines, in the order printed: (key, label).
LINES = (
    ("received", "received"),
    (AUTO, "applied automatically"),
    ("on_account", "left unapplied on account"),
    (SUGGESTED, "suggested"),
    (UNMATCHED, "unmatched"),
    (RESIDUAL_BANK_FEE, "written off: bank fees"),
    (RESIDUAL_DISCOUNT, "written off: discounts"),
)
# Confidence histogram: bins of this width over 0..1.
CONFIDENCE_BIN = 0.05


@dataclass
class Figure:
    """How many (payments, or invoices for write-offs) and how much, in minor units."""

    count: int = 0
    minor: int = 0


@dataclass
class Figures:
    """The figures of one run.

    Attributes:
        by_currency: currency -> line key (see :data:`LINES`) -> Figure.
        statuses: payments per status.
        reasons: (reason, status) -> payments, most frequent first.
        confidence: status -> payments per confidence bin (auto and suggested).
        payments: payments in all.
        contested: payments suggested because another payment kept the invoice they claimed.
    """

    by_currency: dict[str, dict[str, Figure]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    reasons: list[tuple[str, str, int]] = field(default_factory=list)
    confidence: dict[str, list[int]] = field(default_factory=dict)
    payments: int = 0
    contested: int = 0


def first_rows(table: pa.Table) -> np.ndarray:
    """Mask of each payment's first row: a payment's rows are adjacent."""
    ids = table["payment_id"].combine_chunks()
    first = np.ones(len(ids), bool)
    if len(ids) > 1:
        same = pc.equal(ids.slice(1), ids.slice(0, len(ids) - 1))
        first[1:] = ~same.to_numpy(zero_copy_only=False)
    return first


def _sums(table: pa.Table, keys: list[str], value: str) -> list[dict]:
    if not table.num_rows:
        return []
    grouped = table.group_by(keys).aggregate([(value, "sum"), (value, "count")])
    return grouped.to_pylist()


def compute_figures(reviewed: pa.Table) -> Figures:
    """The figures of a run from its reviewed matches.

    Example:
        >>> import datetime as dt
        >>> from cashmatch.engine.schemas import MATCHES_FOR_REVIEW
        >>> row = dict(payment_id="P1", invoice_id="I1", currency="EUR",
        ...     amount_applied_minor=9950, status="auto", confidence=0.97,
        ...     reason="ref_exact+fee_shortpay", invoice_residual_minor=50,
        ...     residual_action="write_off_bank_fee", payment_unapplied_minor=0,
        ...     customer_id="C1", invoice_number="INV-1", customer_name="Acme",
        ...     payment_amount_minor=9950, value_date=dt.date(2024, 5, 2),
        ...     payer_name="ACME", payer_account=None, reference_text="INV-1",
        ...     source_file="p.csv", source_location="row 1", contested_with="",
        ...     alternatives=0)
        >>> figures = compute_figures(pa.Table.from_pylist([row], MATCHES_FOR_REVIEW))
        >>> figures.by_currency["EUR"]["received"], figures.by_currency["EUR"]["write_off_bank_fee"]
        (Figure(count=1, minor=9950), Figure(count=1, minor=50))
    """
    figures = Figures()
    first = pa.array(first_rows(reviewed))
    payments = reviewed.filter(first)
    figures.payments = payments.num_rows
    for currency in sorted(set(payments["currency"].to_pylist())):
        figures.by_currency[currency] = {key: Figure() for key, _ in LINES}
    for row in _sums(payments, ["currency"], "payment_amount_minor"):
        figures.by_currency[row["currency"]]["received"] = Figure(
            row["payment_amount_minor_count"], row["payment_amount_minor_sum"]
        )
    for row in _sums(payments, ["currency", "status"], "payment_amount_minor"):
        if row["status"] != AUTO:
            figures.by_currency[row["currency"]][row["status"]] = Figure(
                row["payment_amount_minor_count"], row["payment_amount_minor_sum"]
            )
    auto_rows = reviewed.filter(pc.equal(reviewed["status"], AUTO))
    auto_payments = payments.filter(pc.equal(payments["status"], AUTO))
    counts = {
        r["currency"]: r["payment_amount_minor_count"]
        for r in _sums(auto_payments, ["currency"], "payment_amount_minor")
    }
    for row in _sums(auto_rows, ["currency"], "amount_applied_minor"):
        code = row["currency"]
        figures.by_currency[code][AUTO] = Figure(counts[code], row["amount_applied_minor_sum"])
    kept = auto_payments.filter(pc.greater(auto_payments["payment_unapplied_minor"], 0))
    for row in _sums(kept, ["currency"], "payment_unapplied_minor"):
        figures.by_currency[row["currency"]]["on_account"] = Figure(
            row["payment_unapplied_minor_count"], row["payment_unapplied_minor_sum"]
        )
    written = auto_rows.filter(
        pc.is_in(auto_rows["residual_action"], pa.array([RESIDUAL_BANK_FEE, RESIDUAL_DISCOUNT]))
    )
    for row in _sums(written, ["currency", "residual_action"], "invoice_residual_minor"):
        figures.by_currency[row["currency"]][row["residual_action"]] = Figure(
            row["invoice_residual_minor_count"], row["invoice_residual_minor_sum"]
        )
    statuses = payments["status"].to_pylist()
    figures.statuses = {status: statuses.count(status) for status in STATUSES}
    reasons = payments.group_by(["reason", "status"]).aggregate([("payment_id", "count")])
    figures.reasons = sorted(
        ((r["reason"], r["status"], r["payment_id_count"]) for r in reasons.to_pylist()),
        key=lambda r: (-r[2], r[0], r[1]),
    )
    bins = int(round(1 / CONFIDENCE_BIN))
    confidence = payments["confidence"].to_numpy()
    status = np.array(statuses, object)
    for name in (AUTO, SUGGESTED):
        values = confidence[status == name]
        which = np.minimum((values / CONFIDENCE_BIN).astype(np.int64), bins - 1)
        figures.confidence[name] = np.bincount(which, minlength=bins).tolist()
    notes = pc.split_pattern(payments["reason"], "+")
    figures.contested = sum("contested" in parts for parts in notes.to_pylist())
    return figures


def summary_lines(figures: Figures) -> list[str]:
    """The figures by currency as aligned lines for a terminal.

    Example:
        >>> eur = {"received": Figure(2, 150000), "auto": Figure(1, 99950)}
        >>> print("\\n".join(summary_lines(Figures(by_currency={"EUR": eur}))))
        by currency                           count            amount
        EUR  received                             2       1500.00 EUR
             applied automatically                1        999.50 EUR
    """
    lines = [f"{'by currency':<34} {'count':>8} {'amount':>17}"]
    for currency, rows in figures.by_currency.items():
        label_currency = currency
        for key, label in LINES:
            figure = rows.get(key)
            if figure is None or (key != "received" and not figure.count):
                continue
            amount = f"{format_amount(figure.minor, currency)} {currency}"
            lines.append(f"{label_currency:<5}{label:<29} {figure.count:>8} {amount:>17}")
            label_currency = ""
    return lines

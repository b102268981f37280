"""What applying a payment posts to the journal, and the statuses a payment moves through.

A payment's match rows become postings: each row's amount applied to its
invoice, and for an *automatic* application the rest of the invoice written
off when the engine says it is a bank fee or an early-payment discount (the
invoice is then closed; the ERP posts the write-off from the export). A person
confirming a suggestion posts the applications only: write-offs of reviewed
payments are the ERP's call. All postings of a payment go in, or none: an
invoice that no longer has the amount open refuses the whole payment.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from cashmatch.engine.schemas import RESIDUAL_BANK_FEE, RESIDUAL_DISCOUNT, RESIDUAL_NONE
from cashmatch.server.store import journal

# Payment statuses as stored: the engine's three, plus what review adds.
AUTO, SUGGESTED, UNMATCHED, CONFIRMED = "auto", "suggested", "unmatched", "confirmed"
REVIEWABLE = (SUGGESTED, UNMATCHED)
WRITE_OFFS = (RESIDUAL_BANK_FEE, RESIDUAL_DISCOUNT)


@dataclass(frozen=True)
class Posting:
    invoice_id: str
    currency: str
    amount_minor: int
    kind: str  # auto, confirmed, corrected, write_off_bank_fee, write_off_discount
    customer_id: str | None


def postings(rows: list[dict], kind: str) -> list[Posting]:
    """The journal entries applying a payment's MATCHES rows as ``kind``."""
    out = []
    for r in rows:
        if not r["invoice_id"] or r["amount_applied_minor"] == 0:
            continue
        customer = r.get("customer_id")
        out.append(
            Posting(r["invoice_id"], r["currency"], r["amount_applied_minor"], kind, customer)
        )
        residual = r.get("invoice_residual_minor") or 0
        action = r.get("residual_action") or RESIDUAL_NONE
        if kind == AUTO and residual > 0 and action in WRITE_OFFS:
            out.append(Posting(r["invoice_id"], r["currency"], residual, action, customer))
    return out


def post(
    db: sqlite3.Connection, ledger_pk: int, payment_pk: int, payment_id: str, entries: list[Posting]
) -> bool:
    """Post every entry or none (a savepoint); False when an invoice lacks the amount open."""
    db.execute("SAVEPOINT post")
    for e in entries:
        if not journal.take(db, ledger_pk, e.invoice_id, e.currency, e.amount_minor):
            db.execute("ROLLBACK TO post")
            db.execute("RELEASE post")
            return False
        journal.record(
            db, ledger_pk, payment_pk, payment_id, e.invoice_id, e.currency, e.amount_minor,
            e.kind, e.customer_id,
        )  # fmt: skip
    db.execute("RELEASE post")
    return True


def unmatched_row(payment_id: str, currency: str, amount_minor: int, reason: str) -> dict:
    """The MATCHES row of a payment applied to nothing (as the engine writes it)."""
    return {
        "payment_id": payment_id,
        "invoice_id": "",
        "currency": currency,
        "amount_applied_minor": 0,
        "status": UNMATCHED,
        "confidence": 0.0,
        "reason": reason,
        "invoice_residual_minor": 0,
        "residual_action": RESIDUAL_NONE,
        "payment_unapplied_minor": amount_minor,
        "customer_id": None,
    }

"""Review: what a person may do with a suggested or unmatched payment, and what the service learns.

* **confirm** a suggestion: its proposed rows are applied as they are (no
  write-off: see :mod:`.postings`); refused when it is not a suggestion or an
  invoice no longer has the amount open.
* **reject** a suggestion: the payment becomes unmatched (``rejected``); the
  proposal is kept, inactive.
* **correct** a suggested or unmatched payment: apply it to invoices and
  amounts a person chose, each checked (an invoice of the ledger, the
  payment's currency, a positive amount no more than what is open, in all no
  more than the payment); every fault is reported at once.
* **learning**: once a person applied a payment to invoices of one customer,
  its payer name and account identify that customer from then on.

A possible duplicate (:mod:`.ingest`) is reviewed like any suggestion: a
person who confirms it says it is a second booking.
"""

from __future__ import annotations

from cashmatch.engine.schemas import RESIDUAL_LEAVE_OPEN, RESIDUAL_NONE
from cashmatch.server.errors import FailedPrecondition, InvalidArgument, NotFound, quote
from cashmatch.server.ledger.postings import (
    CONFIRMED,
    REVIEWABLE,
    SUGGESTED,
    UNMATCHED,
    post,
    postings,
    unmatched_row,
)
from cashmatch.server.store import Store, journal
from cashmatch.server.store import ledgers as ledger_rows
from cashmatch.server.store import payments as payment_rows


def page(
    store: Store, ledger_pk: int, statuses: tuple[str, ...], after: int, size: int
) -> tuple[list[tuple[dict, list[dict]]], int | None]:
    """Payments in ``statuses`` after the cursor ``after``, with their rows; and the next cursor."""
    with store.snapshot() as db:
        items, next_pk = payment_rows.review_page(db, ledger_pk, statuses, after, size)
        return [(p, payment_rows.matches(db, p)) for p in items], next_pk


def _payment(db, ledger_pk: int, payment_id: str) -> tuple[dict, list[dict]]:
    found = payment_rows.payment(db, ledger_pk, payment_id)
    if found is None:
        raise NotFound(f"no payment {quote(payment_id)} in this ledger")
    return found, payment_rows.matches(db, found)


def _not_a_suggestion(payment: dict) -> FailedPrecondition:
    return FailedPrecondition(
        f"payment {quote(payment['payment_id'])} is {payment['status']}: not a suggestion"
    )


def _refuse_stale(db, ledger_pk: int, rows: list[dict]) -> FailedPrecondition:
    short = [
        (r["invoice_id"], r["amount_applied_minor"], _open(db, ledger_pk, r["invoice_id"]))
        for r in rows
        if r["invoice_id"]
    ]
    detail = "; ".join(f"{i}: applying {a}, open {o}" for i, a, o in short)
    return FailedPrecondition(
        f"an invoice no longer has the amount open ({detail})",
        [(f"invoice[{i}]", f"applying {a} but {o} open") for i, a, o in short if a > o],
    )


def _open(db, ledger_pk: int, invoice_id: str) -> int:
    item = ledger_rows.open_item(db, ledger_pk, invoice_id)
    return item[1] if item else 0


def confirm(store: Store, ledger_pk: int, payment_id: str) -> tuple[list[dict], int]:
    """Apply a suggestion as proposed; the rows as stored and the export cursor."""
    with store.transaction() as db:
        payment, rows = _payment(db, ledger_pk, payment_id)
        if payment["status"] != SUGGESTED:
            raise _not_a_suggestion(payment)
        if not post(db, ledger_pk, payment["pk"], payment_id, postings(rows, CONFIRMED)):
            raise _refuse_stale(db, ledger_pk, rows)
        payment_rows.set_match_status(db, payment["pk"], CONFIRMED)
        payment_rows.set_status(db, payment["pk"], CONFIRMED)
        _learn(db, ledger_pk, payment, rows)
        ledger_rows.bump(db, ledger_pk)
        last = journal.last_sequence(db, ledger_pk)
    return [{**r, "status": CONFIRMED} for r in rows], last


def reject(store: Store, ledger_pk: int, payment_id: str) -> None:
    """Turn a suggestion down: the payment becomes unmatched (its proposal kept, inactive)."""
    with store.transaction() as db:
        payment, _ = _payment(db, ledger_pk, payment_id)
        if payment["status"] != SUGGESTED:
            raise _not_a_suggestion(payment)
        payment_rows.retire_matches(db, payment["pk"])
        row = unmatched_row(payment_id, payment["currency"], payment["amount_minor"], "rejected")
        payment_rows.insert_matches(db, [(payment["pk"], row)])
        payment_rows.set_status(db, payment["pk"], UNMATCHED)


def correct(
    store: Store, ledger_pk: int, payment_id: str, allocations: list[tuple[str, int]]
) -> tuple[list[dict], int]:
    """Apply a suggested or unmatched payment to the invoices and amounts a person chose.

    Raises:
        InvalidArgument: an unknown invoice, another currency, a non-positive
            amount, more than the payment or than the invoice has open.
        FailedPrecondition: the payment is already applied.
    """
    with store.transaction() as db:
        payment, _ = _payment(db, ledger_pk, payment_id)
        if payment["status"] not in REVIEWABLE:
            raise FailedPrecondition(
                f"payment {quote(payment_id)} is already applied ({payment['status']})"
            )
        chosen = _check_allocations(db, ledger_pk, payment, allocations)
        unapplied = payment["amount_minor"] - sum(amount for _, amount, _ in chosen)
        rows = [
            {
                "payment_id": payment_id,
                "invoice_id": invoice_id,
                "currency": payment["currency"],
                "amount_applied_minor": amount,
                "status": CONFIRMED,
                "confidence": 1.0,
                "reason": "corrected",
                "invoice_residual_minor": item[1] - amount,
                "residual_action": RESIDUAL_LEAVE_OPEN if item[1] > amount else RESIDUAL_NONE,
                "payment_unapplied_minor": unapplied,
                "customer_id": item[2],
            }
            for invoice_id, amount, item in chosen
        ]
        if not post(db, ledger_pk, payment["pk"], payment_id, postings(rows, "corrected")):
            raise _refuse_stale(db, ledger_pk, rows)
        payment_rows.retire_matches(db, payment["pk"])
        payment_rows.insert_matches(db, [(payment["pk"], r) for r in rows])
        payment_rows.set_status(db, payment["pk"], CONFIRMED)
        _learn(db, ledger_pk, payment, rows)
        ledger_rows.bump(db, ledger_pk)
        last = journal.last_sequence(db, ledger_pk)
    return rows, last


def _check_allocations(db, ledger_pk: int, payment: dict, allocations) -> list[tuple]:
    """The chosen (invoice_id, amount, (currency, open, customer)); every fault refused at once."""
    violations = []
    seen: set[str] = set()
    chosen = []
    total = 0
    for k, (invoice_id, amount) in enumerate(allocations):
        field = f"allocations[{k}]"
        item = ledger_rows.open_item(db, ledger_pk, invoice_id)
        if invoice_id in seen:
            violations.append((f"{field}.invoice_id", f"invoice {quote(invoice_id)} twice"))
        elif item is None:
            violations.append((f"{field}.invoice_id", f"no invoice {quote(invoice_id)}"))
        elif item[0] != payment["currency"]:
            currencies = f"invoice in {item[0]}, payment in {payment['currency']}"
            violations.append((f"{field}.invoice_id", currencies))
        elif amount <= 0:
            violations.append((f"{field}.amount_minor", "must be positive"))
        elif amount > item[1]:
            violations.append(
                (f"{field}.amount_minor", f"{amount} is more than the {item[1]} open")
            )
        seen.add(invoice_id)
        total += max(amount, 0)
        if item is not None:
            chosen.append((invoice_id, amount, item))
    if not allocations:
        violations.append(("allocations", "pick at least one invoice"))
    if total > payment["amount_minor"]:
        violations.append(
            ("allocations", f"{total} allocated, more than the payment's {payment['amount_minor']}")
        )
    if violations:
        raise InvalidArgument(
            f"correction of {quote(payment['payment_id'])} refused: {violations[0][1]}", violations
        )
    return chosen


def _learn(db, ledger_pk: int, payment: dict, rows: list[dict]) -> None:
    """Remember the payer's name and account as the invoices' customer, when there is one."""
    customers = set()
    for r in rows:
        if r["invoice_id"]:
            item = ledger_rows.open_item(db, ledger_pk, r["invoice_id"])
            if item:
                customers.add(item[2])
    if len(customers) != 1:
        return
    (customer,) = customers
    for kind, value in (("name", payment["payer_name"]), ("account", payment["payer_account"])):
        if value and value.strip():
            ledger_rows.learn_identity(db, ledger_pk, kind, value.strip(), customer)

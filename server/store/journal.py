"""The journal of applications: open amounts taken down, append-only rows, the export cursor."""

from __future__ import annotations

import sqlite3

from cashmatch.server.store.tenants import now


def take(
    db: sqlite3.Connection, ledger_pk: int, invoice_id: str, currency: str, amount: int
) -> bool:
    """Take ``amount`` off the invoice's open amount if it has that much open, same sign.

    The check and the update are one conditional UPDATE, so two concurrent
    applications cannot both pass. False: nothing changed.
    """
    return (
        db.execute(
            "UPDATE open_items SET open_minor = open_minor - ?1"
            " WHERE ledger_pk = ?2 AND invoice_id = ?3 AND currency = ?4 AND ("
            "  (open_minor > 0 AND ?1 > 0 AND ?1 <= open_minor)"
            "  OR (open_minor < 0 AND ?1 < 0 AND ?1 >= open_minor))",
            (amount, ledger_pk, invoice_id, currency),
        ).rowcount
        == 1
    )


def record(
    db: sqlite3.Connection,
    ledger_pk: int,
    payment_pk: int,
    payment_id: str,
    invoice_id: str,
    currency: str,
    amount: int,
    kind: str,
    customer_id: str | None,
) -> None:
    """Append one application to the journal (its sequence is the next export cursor)."""
    db.execute(
        "INSERT INTO applications (ledger_pk, payment_pk, payment_id, invoice_id, currency,"
        " amount_minor, kind, customer_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ledger_pk, payment_pk, payment_id, invoice_id, currency, amount, kind, customer_id, now()),
    )


def last_sequence(db: sqlite3.Connection, ledger_pk: int) -> int:
    row = db.execute(
        "SELECT MAX(seq) FROM applications WHERE ledger_pk = ?", (ledger_pk,)
    ).fetchone()
    return row[0] or 0


def applications(
    db: sqlite3.Connection, ledger_pk: int, after: int, limit: int
) -> tuple[list[tuple], bool]:
    """Applications after ``after`` in order, at most ``limit``; and whether more follow."""
    rows = db.execute(
        "SELECT seq, payment_id, invoice_id, currency, amount_minor, kind, customer_id,"
        " created_at FROM applications WHERE ledger_pk = ? AND seq > ? ORDER BY seq LIMIT ?",
        (ledger_pk, after, limit + 1),
    ).fetchall()
    return rows[:limit], len(rows) > limit

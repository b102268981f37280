"""Bring a store made by an earlier cashmatch up to the current schema, in one transaction.

Version 1 to 2: ledger ids become unique per tenant rather than globally;
tokens get a name and a revocation time; payments get the facts and keys of
the identity rule (:mod:`cashmatch.loaders.identity`), computed here for the
payments already held, so that a booking reported again after the upgrade is
recognised too.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pyarrow as pa

from cashmatch.loaders.identity import KEYS, payment_keys

_V1_TO_V2 = """
ALTER TABLE tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN revoked_at TEXT;
UPDATE tokens SET name = 'token-' || id;
CREATE TABLE ledgers_v2 (
    pk INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    ledger_id TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    posted_through INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, ledger_id)
);
INSERT INTO ledgers_v2 SELECT pk, tenant_id, ledger_id, version, posted_through, created_at
    FROM ledgers;
DROP TABLE ledgers;
ALTER TABLE ledgers_v2 RENAME TO ledgers;
ALTER TABLE payments ADD COLUMN booking_date INTEGER;
ALTER TABLE payments ADD COLUMN statement_account TEXT;
ALTER TABLE payments ADD COLUMN bank_reference TEXT;
ALTER TABLE payments ADD COLUMN source_format TEXT;
ALTER TABLE payments ADD COLUMN source_file TEXT;
ALTER TABLE payments ADD COLUMN source_location TEXT;
ALTER TABLE payments ADD COLUMN possible_duplicate_of TEXT;
ALTER TABLE payments ADD COLUMN bank_key TEXT;
ALTER TABLE payments ADD COLUMN end_to_end_key TEXT;
ALTER TABLE payments ADD COLUMN trace_key TEXT;
ALTER TABLE payments ADD COLUMN check_key TEXT;
ALTER TABLE payments ADD COLUMN content_key TEXT;
"""

_EPOCH = dt.date(1970, 1, 1)


def migrate(db: sqlite3.Connection, found: int, target: int) -> None:
    """Migrate from schema ``found`` to ``target`` (only 1 -> 2 exists)."""
    from cashmatch.server.store import schema_sql

    if (found, target) != (1, 2):
        raise RuntimeError(f"no migration from schema version {found} to {target}")
    # Rebuilding a referenced table needs foreign keys off, outside a transaction.
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements(_V1_TO_V2):
                db.execute(statement)
            _backfill_keys(db)
            for statement in statements(schema_sql()):
                db.execute(statement)
            broken = db.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration would break foreign keys: {broken[:5]}")
            db.execute("PRAGMA user_version = 2")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    finally:
        db.execute("PRAGMA foreign_keys = ON")


def statements(script: str) -> list[str]:
    """The SQL statements of a script, one by one (so they can run inside one transaction)."""
    out, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                out.append(buffer)
            buffer = ""
    return out


def _backfill_keys(db: sqlite3.Connection) -> None:
    after = 0
    while rows := db.execute(
        "SELECT pk, payment_id, amount_minor, currency, value_date, payer_name, payer_account,"
        " reference_text, check_number, trace_id, end_to_end_id, remittance FROM payments"
        " WHERE pk > ? ORDER BY pk LIMIT 10000",
        (after,),
    ).fetchall():
        after = rows[-1][0]
        table = pa.Table.from_pylist(
            [
                {"payment_id": r[1], "amount_minor": r[2], "currency": r[3],
                 "value_date": _EPOCH + dt.timedelta(days=r[4]), "payer_name": r[5],
                 "payer_account": r[6], "reference_text": r[7], "check_number": r[8],
                 "trace_id": r[9], "end_to_end_id": r[10], "remittance": json.loads(r[11])}
                for r in rows
            ]
        )  # fmt: skip
        keys = payment_keys(table)
        values = [keys[name].to_pylist() for name in KEYS]
        db.executemany(
            f"UPDATE payments SET {', '.join(f'{n} = ?' for n in KEYS)} WHERE pk = ?",
            ((*(v[k] for v in values), row[0]) for k, row in enumerate(rows)),
        )

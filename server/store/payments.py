"""Ingested files, payments with their identity keys, match rows and waiting remittance advices."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pyarrow as pa

from cashmatch.engine.schemas import MATCHES, REMITTANCE_ADVICES
from cashmatch.loaders.identity import KEYS, KEYS_SCHEMA, report_kind
from cashmatch.server.store.tenants import now

EPOCH = dt.date(1970, 1, 1)
MATCH_COLUMNS = (
    "invoice_id", "currency", "amount_applied_minor", "status", "confidence", "reason",
    "invoice_residual_minor", "residual_action", "payment_unapplied_minor", "customer_id",
)  # fmt: skip
# Columns of a payment as the use cases see it (see payment_dict).
PAYMENT_COLUMNS = (
    "pk", "payment_id", "amount_minor", "currency", "value_date", "booking_date", "payer_name",
    "payer_account", "reference_text", "check_number", "trace_id", "end_to_end_id",
    "statement_account", "bank_reference", "source_format", "source_file", "source_location",
    "remittance", "status",
    "possible_duplicate_of",
)  # fmt: skip
_STORED = tuple(c for c in PAYMENT_COLUMNS if c != "pk")


def file_known(db: sqlite3.Connection, ledger_pk: int, sha256: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM files WHERE ledger_pk = ? AND sha256 = ?", (ledger_pk, sha256)
    ).fetchone()
    return row is not None


def insert_file(db: sqlite3.Connection, ledger_pk: int, file: dict) -> int | None:
    """Record an ingested file; its pk, or None when the same bytes were recorded before."""
    cur = db.execute(
        "INSERT INTO files (ledger_pk, sha256, file_name, format, payments, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ledger_pk, sha256) DO NOTHING",
        (ledger_pk, file["sha256"], file["file_name"], file["format"], file["payments"], now()),
    )
    return cur.lastrowid if cur.rowcount == 1 else None


def earlier_keys(db: sqlite3.Connection, ledger_pk: int, keys: pa.Table) -> pa.Table:
    """Identity keys of the ledger's payments that share an id or a key with ``keys``.

    Returns:
        A table of :data:`~cashmatch.loaders.identity.KEYS_SCHEMA` plus
        ``possible_duplicate_of``.
    """
    db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (kind TEXT NOT NULL, key TEXT NOT NULL)")
    db.execute("DELETE FROM temp.wanted")
    for kind in ("payment_id", *KEYS):
        values = [v for v in keys[kind].to_pylist() if v is not None]
        db.executemany("INSERT INTO temp.wanted VALUES (?, ?)", ((kind, v) for v in values))
    db.execute("CREATE INDEX IF NOT EXISTS temp.wanted_key ON wanted (kind, key)")
    found = " UNION ".join(
        f"SELECT p.pk FROM payments p JOIN temp.wanted w ON w.kind = '{kind}'"
        f" AND p.{kind} = w.key WHERE p.ledger_pk = ?1"
        for kind in ("payment_id", *KEYS)
    )
    names = ("payment_id", "amount_minor", "currency", *KEYS, "source_format",
             "possible_duplicate_of")  # fmt: skip
    rows = db.execute(
        f"SELECT {', '.join(names)} FROM payments WHERE pk IN ({found}) ORDER BY pk", (ledger_pk,)
    ).fetchall()
    db.execute("DELETE FROM temp.wanted")
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in names]
    columns[-2] = [report_kind(f) for f in columns[-2]]
    schema = KEYS_SCHEMA.append(pa.field("possible_duplicate_of", pa.string()))
    return pa.table(
        [pa.array(c, f.type) for c, f in zip(columns, schema, strict=True)], schema=schema
    )


def insert_payments(
    db: sqlite3.Connection, ledger_pk: int, payments: pa.Table, extra: dict[str, list]
) -> list[int]:
    """Store payments (PAYMENTS rows) with the per-row ``extra`` columns; their pks, in order.

    ``extra`` holds ``file_pk``, ``status``, ``possible_duplicate_of`` and the
    identity keys, one value per row.
    """
    (before,) = db.execute("SELECT COALESCE(MAX(pk), 0) FROM payments").fetchone()
    stamp = now()
    names = ("payment_id", "amount_minor", "currency", "value_date", "booking_date",
             "payer_name", "payer_account", "reference_text", "check_number", "trace_id",
             "end_to_end_id", "statement_account", "bank_reference", "source_format",
             "source_file", "source_location")  # fmt: skip
    columns = {n: payments[n].to_pylist() for n in names}
    remittance = payments["remittance"].to_pylist()
    for day in ("value_date", "booking_date"):
        columns[day] = [None if d is None else (d - EPOCH).days for d in columns[day]]
    extra_names = ("file_pk", "status", "possible_duplicate_of", *KEYS)
    rows = (
        (
            ledger_pk,
            *(columns[n][k] for n in names),
            json.dumps(remittance[k] or []),
            *(extra[n][k] for n in extra_names),
            stamp,
        )
        for k in range(payments.num_rows)
    )
    marks = ", ".join("?" * (len(names) + len(extra_names) + 3))
    db.executemany(
        f"INSERT INTO payments (ledger_pk, {', '.join(names)}, remittance,"
        f" {', '.join(extra_names)}, created_at) VALUES ({marks})",
        rows,
    )
    # pks grow within this (write-locked) transaction, in insertion order.
    return [
        r[0]
        for r in db.execute(
            "SELECT pk FROM payments WHERE ledger_pk = ? AND pk > ? ORDER BY pk",
            (ledger_pk, before),
        )
    ]


def set_status(db: sqlite3.Connection, payment_pk: int, status: str) -> None:
    db.execute("UPDATE payments SET status = ? WHERE pk = ?", (status, payment_pk))


def insert_matches(db: sqlite3.Connection, rows: list[tuple[int, dict]]) -> None:
    """Store match rows, each ``(payment_pk, MATCHES row)``."""
    db.executemany(
        "INSERT INTO matches (payment_pk, invoice_id, currency, amount_applied_minor, status,"
        " confidence, reason, invoice_residual_minor, residual_action,"
        " payment_unapplied_minor, customer_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((pk, *(r[c] for c in MATCH_COLUMNS)) for pk, r in rows),
    )


def set_match_status(db: sqlite3.Connection, payment_pk: int, status: str) -> None:
    db.execute(
        "UPDATE matches SET status = ? WHERE payment_pk = ? AND active = 1", (status, payment_pk)
    )


def retire_matches(db: sqlite3.Connection, payment_pk: int) -> None:
    """The payment's match rows stop being current (they are kept)."""
    db.execute("UPDATE matches SET active = 0 WHERE payment_pk = ?", (payment_pk,))


def payment(db: sqlite3.Connection, ledger_pk: int, payment_id: str) -> dict | None:
    row = db.execute(
        f"SELECT pk, {', '.join(_STORED)} FROM payments WHERE ledger_pk = ? AND payment_id = ?",
        (ledger_pk, payment_id),
    ).fetchone()
    return None if row is None else payment_dict(row)


def matches(db: sqlite3.Connection, payment: dict) -> list[dict]:
    """The payment's current match rows, as MATCHES rows."""
    rows = db.execute(
        "SELECT " + ", ".join(MATCH_COLUMNS) + " FROM matches"
        " WHERE payment_pk = ? AND active = 1 ORDER BY pk",
        (payment["pk"],),
    ).fetchall()
    return [
        {"payment_id": payment["payment_id"], **dict(zip(MATCH_COLUMNS, r, strict=True))}
        for r in rows
    ]


def matches_table(db: sqlite3.Connection, ledger_pk: int, payment_ids: list[str]) -> pa.Table:
    """The current MATCHES rows of these payments, in the order they were stored."""
    tables = []
    columns = ", ".join(f"m.{c}" for c in MATCH_COLUMNS)
    for start in range(0, len(payment_ids), 500):
        part = payment_ids[start : start + 500]
        rows = db.execute(
            f"SELECT p.payment_id, {columns} FROM matches m JOIN payments p ON p.pk = m.payment_pk"
            " WHERE p.ledger_pk = ? AND m.active = 1"
            f" AND p.payment_id IN ({','.join('?' * len(part))})"
            " ORDER BY p.pk, m.pk",
            (ledger_pk, *part),
        ).fetchall()
        names = ("payment_id", *MATCH_COLUMNS)
        tables.append(pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows],
                                           schema=MATCHES))  # fmt: skip
    return pa.concat_tables([MATCHES.empty_table(), *tables])


def file_payments(
    db: sqlite3.Connection, ledger_pk: int, sha256: str
) -> tuple[str, list[str]] | None:
    """(format, payment ids) of a file recorded before, or None."""
    row = db.execute(
        "SELECT pk, format FROM files WHERE ledger_pk = ? AND sha256 = ?", (ledger_pk, sha256)
    ).fetchone()
    if row is None:
        return None
    ids = [r[0] for r in db.execute("SELECT payment_id FROM payments WHERE file_pk = ? ORDER BY pk",
                                    (row[0],))]  # fmt: skip
    return row[1], ids


def review_page(
    db: sqlite3.Connection, ledger_pk: int, statuses: tuple[str, ...], after_pk: int, limit: int
) -> tuple[list[dict], int | None]:
    """Payments in ``statuses`` after ``after_pk``, at most ``limit``; and the next cursor."""
    marks = ",".join("?" * len(statuses))
    rows = db.execute(
        f"SELECT pk, {', '.join(_STORED)} FROM payments"
        f" WHERE ledger_pk = ? AND status IN ({marks}) AND pk > ? ORDER BY pk LIMIT ?",
        (ledger_pk, *statuses, after_pk, limit + 1),
    ).fetchall()
    items = [payment_dict(r) for r in rows[:limit]]
    return items, (items[-1]["pk"] if len(rows) > limit else None)


def status_counts(db: sqlite3.Connection, ledger_pk: int) -> dict[str, int]:
    return dict(
        db.execute(
            "SELECT status, COUNT(*) FROM payments WHERE ledger_pk = ? GROUP BY status",
            (ledger_pk,),
        ).fetchall()
    )


def payment_dict(row: tuple) -> dict:
    out = dict(zip(PAYMENT_COLUMNS, row, strict=True))
    out["value_date"] = EPOCH + dt.timedelta(days=out["value_date"])
    if out["booking_date"] is not None:
        out["booking_date"] = EPOCH + dt.timedelta(days=out["booking_date"])
    out["remittance"] = json.loads(out["remittance"])
    return out


# -- remittance advices waiting for their payment -----------------------------


def pending_advices(db: sqlite3.Connection, ledger_pk: int) -> pa.Table:
    blobs = [
        row[0]
        for row in db.execute(
            "SELECT advice FROM pending_advices WHERE ledger_pk = ? ORDER BY created_at, advice_id",
            (ledger_pk,),
        )
    ]
    tables = [pa.ipc.open_stream(blob).read_all() for blob in blobs]
    return pa.concat_tables(tables) if tables else REMITTANCE_ADVICES.empty_table()


def keep_advices(db: sqlite3.Connection, ledger_pk: int, advices: pa.Table) -> None:
    stamp = now()
    for k in range(advices.num_rows):
        row = advices.slice(k, 1)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, row.schema) as writer:
            writer.write_table(row)
        db.execute(
            "INSERT OR IGNORE INTO pending_advices (ledger_pk, advice_id, advice, created_at)"
            " VALUES (?, ?, ?, ?)",
            (ledger_pk, row["advice_id"][0].as_py(), sink.getvalue().to_pybytes(), stamp),
        )


def drop_advices(db: sqlite3.Connection, ledger_pk: int, advice_ids: list[str]) -> None:
    db.executemany(
        "DELETE FROM pending_advices WHERE ledger_pk = ? AND advice_id = ?",
        ((ledger_pk, a) for a in advice_ids),
    )

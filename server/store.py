"""Durable state of the service: SQLite in WAL mode under the data directory.

What is stored, per tenant: bearer-token hashes, ledgers, and per ledger its
open items (with the amount still open after applications), customers, payer
identities learned from confirmations, ingested files (by sha256), payments
(unique by payment_id), their match rows, and the append-only journal of
applications whose sequence number is the export cursor.

Durability: every change is one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``);
with ``journal_mode=WAL`` and ``synchronous=FULL`` the WAL is fsynced before
``COMMIT`` returns, so a write the service has acknowledged survives a kill -9
and a power cut, and a transaction cut short leaves nothing behind. (NORMAL
would survive a process crash but could lose the last commits on power loss,
and "acknowledged" has to mean durable.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import signal
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from cashmatch.engine.schemas import (
    CUSTOMERS,
    MATCHES,
    OPEN_ITEMS,
    REMITTANCE_ADVICES,
    RESIDUAL_LEAVE_OPEN,
)
from cashmatch.engine.schemas import RESIDUAL_NONE as NO_RESIDUAL
from cashmatch.server.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied

DB_NAME = "cashmatch.sqlite3"
SCHEMA_VERSION = 1

# Payment statuses as stored (the engine's three, plus what review adds).
AUTO, SUGGESTED, UNMATCHED, CONFIRMED = "auto", "suggested", "unmatched", "confirmed"
REVIEWABLE = (SUGGESTED, UNMATCHED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
-- A ledger id names one ledger of one tenant; another tenant using the same
-- id is refused (PERMISSION_DENIED), never shown the ledger.
CREATE TABLE IF NOT EXISTS ledgers (
    pk INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    ledger_id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL DEFAULT 0,
    posted_through INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS open_items (
    ledger_pk INTEGER NOT NULL REFERENCES ledgers(pk),
    invoice_id TEXT NOT NULL,
    invoice_number TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    customer_name TEXT,
    currency TEXT NOT NULL,
    erp_open_minor INTEGER NOT NULL,      -- as the ERP last sent it
    open_minor INTEGER NOT NULL,          -- after this service's applications
    issue_date INTEGER NOT NULL,          -- days since 1970-01-01
    due_date INTEGER NOT NULL,
    po_number TEXT,
    PRIMARY KEY (ledger_pk, invoice_id),
    -- Never applied beyond the open amount: the balance never crosses zero.
    CHECK (open_minor = 0 OR erp_open_minor = 0 OR (open_minor > 0) = (erp_open_minor > 0))
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS customers (
    ledger_pk INTEGER NOT NULL REFERENCES ledgers(pk),
    customer_id TEXT NOT NULL,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    bank_accounts TEXT NOT NULL DEFAULT '[]',
    parent_customer_id TEXT,
    PRIMARY KEY (ledger_pk, customer_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS identities (
    ledger_pk INTEGER NOT NULL REFERENCES ledgers(pk),
    kind TEXT NOT NULL CHECK (kind IN ('name', 'account')),
    value TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    PRIMARY KEY (ledger_pk, kind, value)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    pk INTEGER PRIMARY KEY,
    ledger_pk INTEGER NOT NULL REFERENCES ledgers(pk),
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    payments INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (ledger_pk, sha256)
);
CREATE TABLE IF NOT EXISTS payments (
    pk INTEGER PRIMARY KEY,
    ledger_pk INTEGER NOT NULL REFERENCES ledgers(pk),
    payment_id TEXT NOT NULL,
    file_pk INTEGER REFERENCES files(pk),
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    value_date INTEGER NOT NULL,
    payer_name TEXT,
    payer_account TEXT,
    reference_text TEXT,
    check_number TEXT,
    trace_id TEXT,
    end_to_end_id TEXT,
    remittance TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL CHECK (status IN ('auto', 'suggested', 'unmatched', 'confirmed')),
    created_at TEXT NOT NULL,
    UNIQUE (ledger_pk, payment_id)
);
CREATE INDEX IF NOT EXISTS payments_review ON payments (ledger_pk, status, pk);
CREATE TABLE IF NOT EXISTS matches (
    pk INTEGER PRIMARY KEY,
    payment_pk INTEGER NOT NULL REFERENCES payments(pk),
    invoice_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_applied_minor INTEGER NOT NULL,
    status TEXT NOT NULL,
    confidence REAL NOT NULL,
    reason TEXT NOT NULL,
    invoice_residual_minor INTEGER NOT NULL,
    residual_action TEXT NOT NULL,
    payment_unapplied_minor INTEGER NOT NULL,
    customer_id TEXT,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS matches_payment ON matches (payment_pk, active);
-- Append-only: rows are never updated or deleted. AUTOINCREMENT so that a
-- sequence number is never reused, even after a rollback of the last one.
CREATE TABLE IF NOT EXISTS applications (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ledger_pk INTEGER NOT NULL REFERENCES ledgers(pk),
    payment_pk INTEGER NOT NULL REFERENCES payments(pk),
    payment_id TEXT NOT NULL,
    invoice_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('auto', 'confirmed', 'corrected',
                                       'write_off_bank_fee', 'write_off_discount')),
    customer_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS applications_ledger ON applications (ledger_pk, seq);
CREATE INDEX IF NOT EXISTS applications_invoice ON applications (ledger_pk, invoice_id, seq);
CREATE TRIGGER IF NOT EXISTS applications_no_update BEFORE UPDATE ON applications
BEGIN SELECT RAISE(ABORT, 'applications are append-only'); END;
CREATE TRIGGER IF NOT EXISTS applications_no_delete BEFORE DELETE ON applications
BEGIN SELECT RAISE(ABORT, 'applications are append-only'); END;
-- Remittance advices that arrived before the payment they describe: linked,
-- and removed, by the ingest that brings that payment.
CREATE TABLE IF NOT EXISTS pending_advices (
    ledger_pk INTEGER NOT NULL REFERENCES ledgers(pk),
    advice_id TEXT NOT NULL,
    advice BLOB NOT NULL,                 -- one REMITTANCE_ADVICES row, Arrow IPC
    created_at TEXT NOT NULL,
    PRIMARY KEY (ledger_pk, advice_id)
);
"""

_EPOCH = dt.date(1970, 1, 1)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def hash_token(token: str) -> str:
    """The stored form of a bearer token: sha256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _fault(point: str) -> None:
    """Die here, like a kill -9, when CASHMATCH_FAULT names this point.

    Crash tests set it on a server process to stop it at an exact place inside
    a transaction; it is read at each call so nothing else ever pays for it.
    """
    if os.environ.get("CASHMATCH_FAULT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True)
class Tenant:
    id: int
    name: str


@dataclass(frozen=True)
class Ledger:
    pk: int
    ledger_id: str
    tenant_id: int
    version: int


@dataclass
class PutResult:
    ledger: Ledger
    open_items_received: int
    customers_received: int
    invoices_closed: int
    invoices_removed: int
    ledger_open_items: int


WRITE_OFFS = ("write_off_bank_fee", "write_off_discount")


@dataclass
class IngestResult:
    """What one committed ingest did.

    Attributes:
        statuses: payment_id -> stored status, for the new payments.
        matches: the MATCHES rows stored for the new payments (statuses as stored).
        applied_minor: amounts applied to invoices, per currency.
        last_sequence: the export cursor after the commit.
    """

    statuses: dict[str, str]
    matches: pa.Table
    applied_minor: dict[str, int]
    last_sequence: int


_MATCH_COLUMNS = (
    "invoice_id",
    "currency",
    "amount_applied_minor",
    "status",
    "confidence",
    "reason",
    "invoice_residual_minor",
    "residual_action",
    "payment_unapplied_minor",
    "customer_id",
)


class Store:
    """The SQLite store of one data directory; one connection per thread.

    Args:
        data_dir: created if missing.
    """

    def __init__(self, data_dir: str | os.PathLike):
        os.makedirs(data_dir, exist_ok=True)
        self.path = os.path.join(os.fspath(data_dir), DB_NAME)
        self._local = threading.local()
        # executescript commits first, so it carries its own transaction.
        self._connect().executescript(
            "BEGIN IMMEDIATE;" + _SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        )

    # -- connections and transactions ---------------------------------------

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves.
            db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA busy_timeout = 30000")
            self._local.db = db
        return db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: taken at once (IMMEDIATE), committed or rolled back whole."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent view of the database."""
        db = self._connect()
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- tenants and tokens -------------------------------------------------

    def create_token(self, tenant: str) -> str:
        """Create ``tenant`` if new and return a new bearer token for it (only its hash is kept)."""
        if not tenant or len(tenant) > 200:
            raise InvalidArgument("tenant name must be 1 to 200 characters")
        token = "cm_" + secrets.token_urlsafe(32)
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO tenants (name, created_at) VALUES (?, ?)", (tenant, _now())
            )
            (tenant_id,) = db.execute("SELECT id FROM tenants WHERE name = ?", (tenant,)).fetchone()
            db.execute(
                "INSERT INTO tokens (tenant_id, token_hash, created_at) VALUES (?, ?, ?)",
                (tenant_id, hash_token(token), _now()),
            )
        return token

    def authenticate(self, token: str) -> Tenant | None:
        """The tenant a bearer token belongs to, or None."""
        digest = hash_token(token)
        with self.snapshot() as db:
            row = db.execute(
                "SELECT t.id, t.name, k.token_hash FROM tokens k"
                " JOIN tenants t ON t.id = k.tenant_id WHERE k.token_hash = ?",
                (digest,),
            ).fetchone()
        # The lookup is by hash; compare again in constant time all the same.
        if row is None or not hmac.compare_digest(row[2], digest):
            return None
        return Tenant(row[0], row[1])

    # -- ledgers ------------------------------------------------------------

    def _ledger(self, db: sqlite3.Connection, tenant: Tenant, ledger_id: str) -> Ledger | None:
        row = db.execute(
            "SELECT pk, tenant_id, version FROM ledgers WHERE ledger_id = ?", (ledger_id,)
        ).fetchone()
        if row is None:
            return None
        if row[1] != tenant.id:
            raise PermissionDenied(f"ledger {ledger_id!r} belongs to another tenant")
        return Ledger(row[0], ledger_id, row[1], row[2])

    def ledger(self, tenant: Tenant, ledger_id: str) -> Ledger:
        """The tenant's ledger ``ledger_id``.

        Raises:
            NotFound: no such ledger.
            PermissionDenied: the ledger is another tenant's.
        """
        with self.snapshot() as db:
            found = self._ledger(db, tenant, ledger_id)
        if found is None:
            raise NotFound(f"no ledger {ledger_id!r}: send its open items first")
        return found

    def ledger_or_none(self, tenant: Tenant, ledger_id: str) -> Ledger | None:
        """Like :meth:`ledger`, None when there is no such ledger yet."""
        with self.snapshot() as db:
            return self._ledger(db, tenant, ledger_id)

    def ledger_pks(self) -> list[int]:
        """Every ledger, most recently changed first (for warming caches)."""
        with self.snapshot() as db:
            return [r[0] for r in db.execute("SELECT pk FROM ledgers ORDER BY version DESC")]

    def totals_version(self, ledger_pk: int) -> int:
        """The ledger's version: it moves on with every change the engine index depends on."""
        with self.snapshot() as db:
            return self._version(db, ledger_pk)

    def payment_status(self, ledger_pk: int, payment_id: str) -> str:
        with self.snapshot() as db:
            return self._payment(db, ledger_pk, payment_id)["status"]

    def _bump(self, db: sqlite3.Connection, ledger_pk: int) -> None:
        db.execute("UPDATE ledgers SET version = version + 1 WHERE pk = ?", (ledger_pk,))

    def _version(self, db: sqlite3.Connection, ledger_pk: int) -> int:
        return db.execute("SELECT version FROM ledgers WHERE pk = ?", (ledger_pk,)).fetchone()[0]

    # -- open items ---------------------------------------------------------

    def put_open_items(
        self,
        tenant: Tenant,
        ledger_id: str,
        *,
        snapshot: bool,
        open_items: pa.Table | None,
        customers: pa.Table | None,
        closed_invoice_ids: list[str],
        posted_through: int,
    ) -> PutResult:
        """Replace (snapshot) or change (incremental) a ledger's open items, in one transaction.

        An open amount sent by the ERP already holds the applications up to
        ``posted_through`` (the highest ever given is kept); later applications
        to the invoice are subtracted from it, so nothing is applied twice.
        """
        with self.transaction() as db:
            ledger = self._ledger(db, tenant, ledger_id)
            if ledger is None:
                cur = db.execute(
                    "INSERT INTO ledgers (tenant_id, ledger_id, created_at) VALUES (?, ?, ?)",
                    (tenant.id, ledger_id, _now()),
                )
                ledger = Ledger(cur.lastrowid, ledger_id, tenant.id, 0)
            pk = ledger.pk
            db.execute(
                "UPDATE ledgers SET posted_through = MAX(posted_through, ?) WHERE pk = ?",
                (posted_through, pk),
            )
            (posted,) = db.execute(
                "SELECT posted_through FROM ledgers WHERE pk = ?", (pk,)
            ).fetchone()
            removed = closed = 0
            rows = open_items.num_rows if open_items is not None else 0
            db.execute("CREATE TEMP TABLE IF NOT EXISTS touched (invoice_id TEXT PRIMARY KEY)")
            db.execute("DELETE FROM temp.touched")
            if rows:
                db.executemany(
                    "INSERT OR IGNORE INTO temp.touched VALUES (?)",
                    ((i,) for i in open_items["invoice_id"].to_pylist()),
                )
            if snapshot:
                removed = db.execute(
                    "DELETE FROM open_items WHERE ledger_pk = ?"
                    " AND invoice_id NOT IN (SELECT invoice_id FROM temp.touched)",
                    (pk,),
                ).rowcount
            if rows:
                db.executemany(
                    "INSERT INTO open_items (ledger_pk, invoice_id, invoice_number, customer_id,"
                    " customer_name, currency, erp_open_minor, open_minor, issue_date, due_date,"
                    " po_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (ledger_pk, invoice_id) DO UPDATE SET"
                    " invoice_number = excluded.invoice_number, customer_id = excluded.customer_id,"
                    " customer_name = excluded.customer_name, currency = excluded.currency,"
                    " erp_open_minor = excluded.erp_open_minor, open_minor = excluded.open_minor,"
                    " issue_date = excluded.issue_date, due_date = excluded.due_date,"
                    " po_number = excluded.po_number",
                    _open_item_rows(pk, open_items),
                )
                # Subtract what was applied after the ERP's posted cursor; never
                # cross zero (the ERP may already have closed it).
                db.execute(
                    "UPDATE open_items SET open_minor = ("
                    " SELECT CASE WHEN open_items.erp_open_minor >= 0"
                    "  THEN MAX(0, open_items.erp_open_minor - COALESCE(SUM(a.amount_minor), 0))"
                    "  ELSE MIN(0, open_items.erp_open_minor - COALESCE(SUM(a.amount_minor), 0))"
                    " END"
                    " FROM applications a WHERE a.ledger_pk = open_items.ledger_pk"
                    " AND a.invoice_id = open_items.invoice_id AND a.seq > ?)"
                    " WHERE ledger_pk = ? AND invoice_id IN (SELECT invoice_id FROM temp.touched)",
                    (posted, pk),
                )
            if closed_invoice_ids:
                closed = db.executemany(
                    "UPDATE open_items SET erp_open_minor = 0, open_minor = 0"
                    " WHERE ledger_pk = ? AND invoice_id = ?",
                    ((pk, i) for i in closed_invoice_ids),
                ).rowcount
            n_customers = customers.num_rows if customers is not None else 0
            if customers is not None:
                if snapshot:
                    db.execute("DELETE FROM customers WHERE ledger_pk = ?", (pk,))
                db.executemany(
                    "INSERT OR REPLACE INTO customers (ledger_pk, customer_id, name, aliases,"
                    " bank_accounts, parent_customer_id) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        (
                            pk,
                            r["customer_id"],
                            r["name"],
                            json.dumps(r["aliases"] or []),
                            json.dumps(r["bank_accounts"] or []),
                            r["parent_customer_id"],
                        )
                        for r in customers.to_pylist()
                    ),
                )
            self._bump(db, pk)
            (open_count,) = db.execute(
                "SELECT COUNT(*) FROM open_items WHERE ledger_pk = ? AND open_minor != 0", (pk,)
            ).fetchone()
            ledger = Ledger(pk, ledger_id, tenant.id, self._version(db, pk))
            _fault("put.before_commit")
        return PutResult(ledger, rows, n_customers, closed, removed, open_count)

    def load_ledger(self, ledger_pk: int, include_closed: bool = False):
        """The ledger's open items (current open amounts) and customers, and its version.

        Customers include the payer names and accounts learned from
        confirmations, as aliases and bank accounts.

        Returns:
            ``(open_items, customers, version)``; customers is None when the
            ledger has neither customers nor learned identities.
        """
        with self.snapshot() as db:
            version = self._version(db, ledger_pk)
            where = "" if include_closed else " AND open_minor != 0"
            items = db.execute(
                "SELECT invoice_id, invoice_number, customer_id, customer_name, currency,"
                " open_minor, issue_date, due_date, po_number FROM open_items"
                " WHERE ledger_pk = ?" + where + " ORDER BY invoice_id",
                (ledger_pk,),
            ).fetchall()
            custs = db.execute(
                "SELECT customer_id, name, aliases, bank_accounts, parent_customer_id"
                " FROM customers WHERE ledger_pk = ? ORDER BY customer_id",
                (ledger_pk,),
            ).fetchall()
            learned = db.execute(
                "SELECT kind, value, customer_id FROM identities WHERE ledger_pk = ?"
                " ORDER BY kind, value",
                (ledger_pk,),
            ).fetchall()
        columns = list(zip(*items, strict=True)) if items else [[] for _ in range(9)]
        open_items = pa.table(
            {
                "invoice_id": pa.array(columns[0], pa.string()),
                "invoice_number": pa.array(columns[1], pa.string()),
                "customer_id": pa.array(columns[2], pa.string()),
                "customer_name": pa.array(columns[3], pa.string()),
                "currency": pa.array(columns[4], pa.string()),
                "amount_open_minor": pa.array(columns[5], pa.int64()),
                "issue_date": pa.array(columns[6], pa.int32()).cast(pa.date32()),
                "due_date": pa.array(columns[7], pa.int32()).cast(pa.date32()),
                "po_number": pa.array(columns[8], pa.string()),
                "amount_original_minor": pa.nulls(len(columns[0]), pa.int64()),
            },
            schema=OPEN_ITEMS,
        )
        if not custs and not learned:
            return open_items, None, version
        rows = {
            c[0]: {
                "customer_id": c[0],
                "name": c[1],
                "aliases": json.loads(c[2]),
                "bank_accounts": json.loads(c[3]),
                "parent_customer_id": c[4],
            }
            for c in custs
        }
        for kind, value, customer_id in learned:
            # An empty name falls back to the invoices' customer name in the engine.
            row = rows.setdefault(
                customer_id,
                {
                    "customer_id": customer_id,
                    "name": "",
                    "aliases": [],
                    "bank_accounts": [],
                    "parent_customer_id": None,
                },
            )
            row["aliases" if kind == "name" else "bank_accounts"].append(value)
        return open_items, pa.Table.from_pylist(list(rows.values()), schema=CUSTOMERS), version

    def pending_advices(self, ledger_pk: int) -> pa.Table:
        """Remittance advices of the ledger still waiting for their payment."""
        with self.snapshot() as db:
            blobs = [
                row[0]
                for row in db.execute(
                    "SELECT advice FROM pending_advices WHERE ledger_pk = ? ORDER BY created_at,"
                    " advice_id",
                    (ledger_pk,),
                )
            ]
        tables = [pa.ipc.open_stream(blob).read_all() for blob in blobs]
        return pa.concat_tables(tables) if tables else REMITTANCE_ADVICES.empty_table()

    def open_amounts(self, ledger_pk: int, invoice_ids: list[str]) -> dict[str, int]:
        """Current open amounts of these invoices (ids not in the ledger are left out)."""
        out: dict[str, int] = {}
        with self.snapshot() as db:
            for start in range(0, len(invoice_ids), 500):
                chunk = invoice_ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                out.update(
                    db.execute(
                        f"SELECT invoice_id, open_minor FROM open_items"
                        f" WHERE ledger_pk = ? AND invoice_id IN ({marks})",
                        (ledger_pk, *chunk),
                    ).fetchall()
                )
        return out

    # -- payments -----------------------------------------------------------

    def known_payments(self, ledger_pk: int, payment_ids: list[str]) -> set[str]:
        """Which of ``payment_ids`` the ledger already holds."""
        known: set[str] = set()
        with self.snapshot() as db:
            for start in range(0, len(payment_ids), 500):
                part = payment_ids[start : start + 500]
                marks = ",".join("?" * len(part))
                known.update(
                    r[0]
                    for r in db.execute(
                        f"SELECT payment_id FROM payments WHERE ledger_pk = ?"
                        f" AND payment_id IN ({marks})",
                        (ledger_pk, *part),
                    )
                )
        return known

    def known_file(self, ledger_pk: int, sha256: str) -> bool:
        with self.snapshot() as db:
            row = db.execute(
                "SELECT 1 FROM files WHERE ledger_pk = ? AND sha256 = ?", (ledger_pk, sha256)
            ).fetchone()
        return row is not None

    def ingest(
        self,
        ledger_pk: int,
        payments: pa.Table,
        matches: pa.Table,
        files: list[dict] | None = None,
        payment_file: list[int | None] | None = None,
        keep_advices: pa.Table | None = None,
        linked_advices: list[str] | None = None,
    ) -> IngestResult:
        """Store new payments and their matches and apply the automatic ones, in one transaction.

        Args:
            ledger_pk: the ledger.
            payments: PAYMENTS rows not yet in the ledger.
            matches: the engine's MATCHES rows for them.
            files: files these payments came from (``sha256``, ``file_name``,
                ``format``, ``payments``), recorded so that a re-sent file is
                recognised.
            payment_file: per payment row, the index into ``files`` it came from.
            keep_advices: remittance advices whose payment has not arrived: kept.
            linked_advices: ids of kept advices these payments took up: removed.

        An automatic match whose invoice no longer has the amount open (the
        engine saw an older state) is stored as a suggestion instead, so an
        invoice is never applied beyond its open amount.
        """
        files = files or []
        now = _now()
        by_payment: dict[str, list[dict]] = {}
        for row in matches.to_pylist():
            by_payment.setdefault(row["payment_id"], []).append(row)
        statuses: dict[str, str] = {}
        applied: dict[str, int] = {}
        stored_rows: list[dict] = []
        with self.transaction() as db:
            file_pks = []
            for f in files:
                cur = db.execute(
                    "INSERT INTO files (ledger_pk, sha256, file_name, format, payments, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (ledger_pk, f["sha256"], f["file_name"], f["format"], f["payments"], now),
                )
                file_pks.append(cur.lastrowid)
            any_applied = False
            for k, p in enumerate(payments.to_pylist()):
                rows = by_payment.get(p["payment_id"], [])
                status = rows[0]["status"] if rows else UNMATCHED
                file_pk = None
                if payment_file is not None and payment_file[k] is not None:
                    file_pk = file_pks[payment_file[k]]
                cur = db.execute(
                    "INSERT INTO payments (ledger_pk, payment_id, file_pk, amount_minor, currency,"
                    " value_date, payer_name, payer_account, reference_text, check_number,"
                    " trace_id, end_to_end_id, remittance, status, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        ledger_pk,
                        p["payment_id"],
                        file_pk,
                        p["amount_minor"],
                        p["currency"],
                        (p["value_date"] - _EPOCH).days,
                        p["payer_name"],
                        p["payer_account"],
                        p["reference_text"],
                        p["check_number"],
                        p["trace_id"],
                        p["end_to_end_id"],
                        json.dumps(p["remittance"] or []),
                        status,
                        now,
                    ),
                )
                payment_pk = cur.lastrowid
                if status == AUTO:
                    db.execute("SAVEPOINT apply")
                    if self._apply_rows(db, ledger_pk, payment_pk, p["payment_id"], rows, "auto"):
                        db.execute("RELEASE apply")
                        any_applied = True
                        for r in rows:
                            applied[r["currency"]] = (
                                applied.get(r["currency"], 0) + r["amount_applied_minor"]
                            )
                    else:
                        db.execute("ROLLBACK TO apply")
                        db.execute("RELEASE apply")
                        status = SUGGESTED
                        db.execute(
                            "UPDATE payments SET status = ? WHERE pk = ?", (status, payment_pk)
                        )
                        rows = [
                            {**r, "status": SUGGESTED, "reason": r["reason"] + "+stale_open_amount"}
                            for r in rows
                        ]
                statuses[p["payment_id"]] = status
                self._insert_matches(db, payment_pk, rows)
                stored_rows.extend(rows)
            if keep_advices is not None:
                for k in range(keep_advices.num_rows):
                    row = keep_advices.slice(k, 1)
                    sink = pa.BufferOutputStream()
                    with pa.ipc.new_stream(sink, row.schema) as writer:
                        writer.write_table(row)
                    db.execute(
                        "INSERT OR IGNORE INTO pending_advices (ledger_pk, advice_id, advice,"
                        " created_at) VALUES (?, ?, ?, ?)",
                        (ledger_pk, row["advice_id"][0].as_py(), sink.getvalue().to_pybytes(), now),
                    )
            for advice_id in linked_advices or []:
                db.execute(
                    "DELETE FROM pending_advices WHERE ledger_pk = ? AND advice_id = ?",
                    (ledger_pk, advice_id),
                )
            if any_applied:
                self._bump(db, ledger_pk)
            last = self._last_sequence(db, ledger_pk)
            _fault("ingest.before_commit")
        _fault("ingest.after_commit")
        table = pa.Table.from_pylist(stored_rows, schema=MATCHES)
        return IngestResult(statuses, table, applied, last)

    def _insert_matches(self, db: sqlite3.Connection, payment_pk: int, rows: list[dict]) -> None:
        db.executemany(
            "INSERT INTO matches (payment_pk, invoice_id, currency, amount_applied_minor, status,"
            " confidence, reason, invoice_residual_minor, residual_action,"
            " payment_unapplied_minor, customer_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((payment_pk, *(r[c] for c in _MATCH_COLUMNS)) for r in rows),
        )

    def _apply_rows(
        self,
        db: sqlite3.Connection,
        ledger_pk: int,
        payment_pk: int,
        payment_id: str,
        rows: list[dict],
        kind: str,
    ) -> bool:
        """Reduce the invoices' open amounts and journal the applications.

        Returns False (having changed some rows: roll back to a savepoint) when
        an invoice does not have the amount open; the check and the update are
        one conditional UPDATE, so concurrent confirmations cannot both pass.
        """
        now = _now()
        for r in rows:
            amount = r["amount_applied_minor"]
            if not r["invoice_id"] or amount == 0:
                continue
            done = db.execute(
                "UPDATE open_items SET open_minor = open_minor - ?1"
                " WHERE ledger_pk = ?2 AND invoice_id = ?3 AND currency = ?4 AND ("
                "  (open_minor > 0 AND ?1 > 0 AND ?1 <= open_minor)"
                "  OR (open_minor < 0 AND ?1 < 0 AND ?1 >= open_minor))",
                (amount, ledger_pk, r["invoice_id"], r["currency"]),
            ).rowcount
            if done != 1:
                return False
            db.execute(
                "INSERT INTO applications (ledger_pk, payment_pk, payment_id, invoice_id, currency,"
                " amount_minor, kind, customer_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ledger_pk,
                    payment_pk,
                    payment_id,
                    r["invoice_id"],
                    r["currency"],
                    amount,
                    kind,
                    r.get("customer_id"),
                    now,
                ),
            )
            # A bank fee or a discount written off closes the invoice: journal it
            # for the ERP to post, and take it off the open amount.
            write_off = r.get("invoice_residual_minor") or 0
            action = r.get("residual_action")
            if kind == "auto" and write_off > 0 and action in WRITE_OFFS:
                done = db.execute(
                    "UPDATE open_items SET open_minor = open_minor - ?1"
                    " WHERE ledger_pk = ?2 AND invoice_id = ?3 AND currency = ?4"
                    " AND open_minor >= ?1",
                    (write_off, ledger_pk, r["invoice_id"], r["currency"]),
                ).rowcount
                if done != 1:
                    return False
                db.execute(
                    "INSERT INTO applications (ledger_pk, payment_pk, payment_id, invoice_id,"
                    " currency, amount_minor, kind, customer_id, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        ledger_pk,
                        payment_pk,
                        payment_id,
                        r["invoice_id"],
                        r["currency"],
                        write_off,
                        action,
                        r.get("customer_id"),
                        now,
                    ),
                )
        return True

    def _last_sequence(self, db: sqlite3.Connection, ledger_pk: int) -> int:
        row = db.execute(
            "SELECT MAX(seq) FROM applications WHERE ledger_pk = ?", (ledger_pk,)
        ).fetchone()
        return row[0] or 0

    def matches_of(self, ledger_pk: int, payment_ids: list[str]) -> pa.Table:
        """The active stored match rows of these payments (for duplicates: what was decided)."""
        out: list[dict] = []
        with self.snapshot() as db:
            for pid in payment_ids:
                out.extend(self._matches(db, ledger_pk, pid)[1])
        return pa.Table.from_pylist(out, schema=MATCHES)

    def _payment(self, db: sqlite3.Connection, ledger_pk: int, payment_id: str) -> dict:
        row = db.execute(
            "SELECT pk, payment_id, amount_minor, currency, value_date, payer_name, payer_account,"
            " reference_text, check_number, trace_id, end_to_end_id, remittance, status"
            " FROM payments WHERE ledger_pk = ? AND payment_id = ?",
            (ledger_pk, payment_id),
        ).fetchone()
        if row is None:
            raise NotFound(f"no payment {payment_id!r} in this ledger")
        return _payment_dict(row)

    def _matches(self, db: sqlite3.Connection, ledger_pk: int, payment_id: str):
        payment = self._payment(db, ledger_pk, payment_id)
        rows = db.execute(
            "SELECT " + ", ".join(_MATCH_COLUMNS) + " FROM matches"
            " WHERE payment_pk = ? AND active = 1 ORDER BY pk",
            (payment["pk"],),
        ).fetchall()
        return payment, [
            {"payment_id": payment_id, **dict(zip(_MATCH_COLUMNS, r, strict=True))} for r in rows
        ]

    # -- review -------------------------------------------------------------

    def review_page(
        self, ledger_pk: int, statuses: tuple[str, ...], after_pk: int, limit: int
    ) -> tuple[list[tuple[dict, list[dict]]], int | None]:
        """Payments in ``statuses`` after ``after_pk`` with their matches; and the next cursor."""
        marks = ",".join("?" * len(statuses))
        with self.snapshot() as db:
            rows = db.execute(
                "SELECT pk, payment_id, amount_minor, currency, value_date, payer_name,"
                " payer_account, reference_text, check_number, trace_id, end_to_end_id,"
                " remittance, status FROM payments"
                f" WHERE ledger_pk = ? AND status IN ({marks}) AND pk > ? ORDER BY pk LIMIT ?",
                (ledger_pk, *statuses, after_pk, limit + 1),
            ).fetchall()
            more = len(rows) > limit
            items = []
            for row in rows[:limit]:
                payment = _payment_dict(row)
                items.append(self._matches(db, ledger_pk, payment["payment_id"]))
        return items, (items[-1][0]["pk"] if more else None)

    def confirm(self, ledger_pk: int, payment_id: str) -> tuple[list[dict], int]:
        """Apply a suggested payment's proposed rows; learn who the payer is.

        Raises:
            FailedPrecondition: not a suggestion, or an invoice no longer has the amount open.
        """
        with self.transaction() as db:
            payment, rows = self._matches(db, ledger_pk, payment_id)
            if payment["status"] != SUGGESTED:
                raise FailedPrecondition(
                    f"payment {payment_id!r} is {payment['status']}: not a suggestion"
                )
            self._require_applied(db, ledger_pk, payment, rows, "confirmed")
            db.execute(
                "UPDATE matches SET status = ? WHERE payment_pk = ? AND active = 1",
                (CONFIRMED, payment["pk"]),
            )
            db.execute("UPDATE payments SET status = ? WHERE pk = ?", (CONFIRMED, payment["pk"]))
            self._learn(db, ledger_pk, payment, rows)
            self._bump(db, ledger_pk)
            last = self._last_sequence(db, ledger_pk)
        return [{**r, "status": CONFIRMED} for r in rows], last

    def _require_applied(self, db, ledger_pk, payment, rows, kind) -> None:
        db.execute("SAVEPOINT apply")
        if not self._apply_rows(db, ledger_pk, payment["pk"], payment["payment_id"], rows, kind):
            db.execute("ROLLBACK TO apply")
            db.execute("RELEASE apply")
            short = [
                (r["invoice_id"], r["amount_applied_minor"], self._open(db, ledger_pk, r))
                for r in rows
                if r["invoice_id"]
            ]
            detail = "; ".join(f"{i}: applying {a}, open {o}" for i, a, o in short)
            raise FailedPrecondition(
                f"an invoice no longer has the amount open ({detail})",
                [(f"invoice[{i}]", f"applying {a} but {o} open") for i, a, o in short if a > o],
            )
        db.execute("RELEASE apply")

    def _open(self, db, ledger_pk: int, row: dict) -> int:
        found = db.execute(
            "SELECT open_minor FROM open_items WHERE ledger_pk = ? AND invoice_id = ?",
            (ledger_pk, row["invoice_id"]),
        ).fetchone()
        return found[0] if found else 0

    def _learn(self, db, ledger_pk: int, payment: dict, rows: list[dict]) -> None:
        """Remember the payer's name and account as the invoices' customer (when one)."""
        customers = set()
        for r in rows:
            if r["invoice_id"]:
                found = db.execute(
                    "SELECT customer_id FROM open_items WHERE ledger_pk = ? AND invoice_id = ?",
                    (ledger_pk, r["invoice_id"]),
                ).fetchone()
                if found:
                    customers.add(found[0])
        if len(customers) != 1:
            return
        (customer,) = customers
        for kind, value in (("name", payment["payer_name"]), ("account", payment["payer_account"])):
            if value and value.strip():
                db.execute(
                    "INSERT OR REPLACE INTO identities (ledger_pk, kind, value, customer_id)"
                    " VALUES (?, ?, ?, ?)",
                    (ledger_pk, kind, value.strip(), customer),
                )

    def reject(self, ledger_pk: int, payment_id: str) -> None:
        """Turn down a suggestion: the payment becomes unmatched (its proposal kept, inactive)."""
        with self.transaction() as db:
            payment, _ = self._matches(db, ledger_pk, payment_id)
            if payment["status"] != SUGGESTED:
                raise FailedPrecondition(
                    f"payment {payment_id!r} is {payment['status']}: not a suggestion"
                )
            db.execute("UPDATE matches SET active = 0 WHERE payment_pk = ?", (payment["pk"],))
            self._insert_matches(db, payment["pk"], [_unmatched_row(payment, "rejected")])
            db.execute("UPDATE payments SET status = ? WHERE pk = ?", (UNMATCHED, payment["pk"]))

    def correct(
        self, ledger_pk: int, payment_id: str, allocations: list[tuple[str, int]]
    ) -> tuple[list[dict], int]:
        """Apply a suggested or unmatched payment to the invoices and amounts a person chose.

        Raises:
            InvalidArgument: an unknown invoice, another currency, a non-positive
                amount, more than the payment or than the invoice has open.
            FailedPrecondition: the payment is already applied.
        """
        violations = []
        with self.transaction() as db:
            payment, _ = self._matches(db, ledger_pk, payment_id)
            if payment["status"] not in REVIEWABLE:
                raise FailedPrecondition(
                    f"payment {payment_id!r} is already applied ({payment['status']})"
                )
            seen: set[str] = set()
            rows = []
            total = 0
            for k, (invoice_id, amount) in enumerate(allocations):
                field = f"allocations[{k}]"
                item = db.execute(
                    "SELECT currency, open_minor, customer_id FROM open_items"
                    " WHERE ledger_pk = ? AND invoice_id = ?",
                    (ledger_pk, invoice_id),
                ).fetchone()
                if invoice_id in seen:
                    violations.append((f"{field}.invoice_id", f"invoice {invoice_id!r} twice"))
                elif item is None:
                    violations.append((f"{field}.invoice_id", f"no invoice {invoice_id!r}"))
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
                    rows.append((invoice_id, amount, item))
            if not allocations:
                violations.append(("allocations", "pick at least one invoice"))
            if total > payment["amount_minor"]:
                violations.append(
                    (
                        "allocations",
                        f"{total} allocated, more than the payment's {payment['amount_minor']}",
                    )
                )
            if violations:
                raise InvalidArgument(
                    f"correction of {payment_id!r} refused: {violations[0][1]}", violations
                )
            unapplied = payment["amount_minor"] - total
            new_rows = [
                {
                    "payment_id": payment_id,
                    "invoice_id": invoice_id,
                    "currency": payment["currency"],
                    "amount_applied_minor": amount,
                    "status": CONFIRMED,
                    "confidence": 1.0,
                    "reason": "corrected",
                    "invoice_residual_minor": item[1] - amount,
                    "residual_action": RESIDUAL_LEAVE_OPEN if item[1] > amount else NO_RESIDUAL,
                    "payment_unapplied_minor": unapplied,
                    "customer_id": item[2],
                }
                for invoice_id, amount, item in rows
            ]
            self._require_applied(db, ledger_pk, payment, new_rows, "corrected")
            db.execute("UPDATE matches SET active = 0 WHERE payment_pk = ?", (payment["pk"],))
            self._insert_matches(db, payment["pk"], new_rows)
            db.execute("UPDATE payments SET status = ? WHERE pk = ?", (CONFIRMED, payment["pk"]))
            self._learn(db, ledger_pk, payment, new_rows)
            self._bump(db, ledger_pk)
            last = self._last_sequence(db, ledger_pk)
        return new_rows, last

    # -- export and totals --------------------------------------------------

    def applications(self, ledger_pk: int, after: int, limit: int) -> tuple[list[tuple], bool]:
        """Applications after ``after`` in order, at most ``limit``; and whether more follow."""
        with self.snapshot() as db:
            rows = db.execute(
                "SELECT seq, payment_id, invoice_id, currency, amount_minor, kind, customer_id,"
                " created_at FROM applications WHERE ledger_pk = ? AND seq > ? ORDER BY seq"
                " LIMIT ?",
                (ledger_pk, after, limit + 1),
            ).fetchall()
        return rows[:limit], len(rows) > limit

    def totals(self, ledger_pk: int) -> dict:
        with self.snapshot() as db:
            open_rows = db.execute(
                "SELECT currency, COUNT(*), SUM(open_minor) FROM open_items"
                " WHERE ledger_pk = ? AND open_minor != 0 GROUP BY currency",
                (ledger_pk,),
            ).fetchall()
            by_status = dict(
                db.execute(
                    "SELECT status, COUNT(*) FROM payments WHERE ledger_pk = ? GROUP BY status",
                    (ledger_pk,),
                ).fetchall()
            )
            (n_customers,) = db.execute(
                "SELECT COUNT(*) FROM customers WHERE ledger_pk = ?", (ledger_pk,)
            ).fetchone()
            last = self._last_sequence(db, ledger_pk)
            version = self._version(db, ledger_pk)
        return {
            "open_items": sum(r[1] for r in open_rows),
            "open_minor_by_currency": {r[0]: r[2] for r in open_rows},
            "customers": n_customers,
            "payments": sum(by_status.values()),
            "payments_by_status": by_status,
            "last_sequence": last,
            "version": version,
        }


def _open_item_rows(pk: int, table: pa.Table):
    columns = [
        table[name].to_pylist()
        for name in (
            "invoice_id",
            "invoice_number",
            "customer_id",
            "customer_name",
            "currency",
            "amount_open_minor",
        )
    ]
    issue = table["issue_date"].cast(pa.int32()).to_pylist()
    due = table["due_date"].cast(pa.int32()).to_pylist()
    po = table["po_number"].to_pylist()
    for k in range(table.num_rows):
        amount = columns[5][k]
        yield (
            pk,
            columns[0][k],
            columns[1][k],
            columns[2][k],
            columns[3][k],
            columns[4][k],
            amount,
            amount,
            issue[k],
            due[k],
            po[k],
        )


def _payment_dict(row: tuple) -> dict:
    keys = (
        "pk",
        "payment_id",
        "amount_minor",
        "currency",
        "value_date",
        "payer_name",
        "payer_account",
        "reference_text",
        "check_number",
        "trace_id",
        "end_to_end_id",
        "remittance",
        "status",
    )
    out = dict(zip(keys, row, strict=True))
    out["value_date"] = _EPOCH + dt.timedelta(days=out["value_date"])
    out["remittance"] = json.loads(out["remittance"])
    return out


def _unmatched_row(payment: dict, reason: str) -> dict:
    return {
        "payment_id": payment["payment_id"],
        "invoice_id": "",
        "currency": payment["currency"],
        "amount_applied_minor": 0,
        "status": UNMATCHED,
        "confidence": 0.0,
        "reason": reason,
        "invoice_residual_minor": 0,
        "residual_action": NO_RESIDUAL,
        "payment_unapplied_minor": payment["amount_minor"],
        "customer_id": None,
    }

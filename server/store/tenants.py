"""Tenants, their bearer tokens (hashes only) and their ledgers' names."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import sqlite3
from dataclasses import dataclass


def now() -> str:
    """The time rows are stamped with: UTC, ISO 8601, microseconds."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def hash_token(token: str) -> str:
    """The stored form of a bearer token: sha256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown of a token: never its secret."""

    tenant: str
    name: str
    created_at: str
    revoked_at: str | None


def tenant_id(db: sqlite3.Connection, tenant: str, create: bool) -> int | None:
    if create:
        db.execute(
            "INSERT OR IGNORE INTO tenants (name, created_at) VALUES (?, ?)", (tenant, now())
        )
    row = db.execute("SELECT id FROM tenants WHERE name = ?", (tenant,)).fetchone()
    return row[0] if row else None


def insert_token(db: sqlite3.Connection, tenant_pk: int, name: str, token_hash: str) -> None:
    db.execute(
        "INSERT INTO tokens (tenant_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
        (tenant_pk, name, token_hash, now()),
    )


def active_token_names(db: sqlite3.Connection, tenant_pk: int) -> set[str]:
    return {
        r[0]
        for r in db.execute(
            "SELECT name FROM tokens WHERE tenant_id = ? AND revoked_at IS NULL", (tenant_pk,)
        )
    }


def revoke_token(db: sqlite3.Connection, tenant_pk: int, name: str) -> int:
    """Mark the tenant's active token ``name`` revoked; the number of tokens revoked (0 or 1)."""
    return db.execute(
        "UPDATE tokens SET revoked_at = ? WHERE tenant_id = ? AND name = ? AND revoked_at IS NULL",
        (now(), tenant_pk, name),
    ).rowcount


def tokens(db: sqlite3.Connection, tenant: str | None = None) -> list[TokenInfo]:
    where, args = ("WHERE t.name = ?", (tenant,)) if tenant else ("", ())
    rows = db.execute(
        "SELECT t.name, k.name, k.created_at, k.revoked_at FROM tokens k"
        f" JOIN tenants t ON t.id = k.tenant_id {where} ORDER BY t.name, k.created_at, k.id",
        args,
    ).fetchall()
    return [TokenInfo(*row) for row in rows]


def authenticate(db: sqlite3.Connection, token: str) -> Tenant | None:
    """The tenant an active bearer token belongs to, or None (unknown or revoked)."""
    digest = hash_token(token)
    row = db.execute(
        "SELECT t.id, t.name, k.token_hash FROM tokens k JOIN tenants t ON t.id = k.tenant_id"
        " WHERE k.token_hash = ? AND k.revoked_at IS NULL",
        (digest,),
    ).fetchone()
    # The lookup is by hash; compare again in constant time all the same.
    if row is None or not hmac.compare_digest(row[2], digest):
        return None
    return Tenant(row[0], row[1])


def find_ledger(db: sqlite3.Connection, tenant: Tenant, ledger_id: str) -> Ledger | None:
    """The tenant's ledger of that name, or None: another tenant's ledger is never seen."""
    row = db.execute(
        "SELECT pk, version FROM ledgers WHERE tenant_id = ? AND ledger_id = ?",
        (tenant.id, ledger_id),
    ).fetchone()
    return None if row is None else Ledger(row[0], ledger_id, tenant.id, row[1])


def create_ledger(db: sqlite3.Connection, tenant: Tenant, ledger_id: str) -> Ledger:
    cur = db.execute(
        "INSERT INTO ledgers (tenant_id, ledger_id, created_at) VALUES (?, ?, ?)",
        (tenant.id, ledger_id, now()),
    )
    return Ledger(cur.lastrowid, ledger_id, tenant.id, 0)


def ledger_pks(db: sqlite3.Connection) -> list[int]:
    """Every ledger, most recently changed first (for warming caches)."""
    return [r[0] for r in db.execute("SELECT pk FROM ledgers ORDER BY version DESC")]


def ledger_names(db: sqlite3.Connection, ledger_pk: int) -> tuple[str, str]:
    """(tenant name, ledger id) of a ledger, for metrics and logs."""
    return db.execute(
        "SELECT t.name, l.ledger_id FROM ledgers l JOIN tenants t ON t.id = l.tenant_id"
        " WHERE l.pk = ?",
        (ledger_pk,),
    ).fetchone()

"""Durable state of the service: SQLite in WAL mode under the data directory, persistence only.

What is stored, per tenant: bearer-token hashes, ledgers, and per ledger its
open items (with the amount still open after applications), customers, payer
identities learned from reviews, ingested files (by sha256), payments with
their identity keys, their match rows, and the append-only journal of
applications whose sequence number is the export cursor. The schema is
``schema.sql`` beside this module.

The store decides nothing: the use cases (:mod:`cashmatch.server.ledger`) say
what to write; the functions of :mod:`.tenants`, :mod:`.ledgers`,
:mod:`.payments` and :mod:`.journal` write it, given a connection inside
:meth:`Store.transaction` (or read it inside :meth:`Store.snapshot`).

Durability: every change is one transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``);
with ``journal_mode=WAL`` and ``synchronous=FULL`` the WAL is fsynced before
``COMMIT`` returns, so a write the service has acknowledged survives a kill -9
and a power cut, and a transaction cut short leaves nothing behind. (NORMAL
would survive a process crash but could lose the last commits on power loss,
and "acknowledged" has to mean durable.)

The data directory is created readable by its owner only (0700), and so are
the database and its WAL and shared-memory files (0600): they hold other
people's payments.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from importlib import resources

from cashmatch.server.store.tenants import Ledger, Tenant, hash_token

DB_NAME = "cashmatch.sqlite3"
SCHEMA_VERSION = 2

log = logging.getLogger("cashmatch.server")


def schema_sql() -> str:
    """The schema, as shipped with the package (``schema.sql``)."""
    return resources.files(__package__).joinpath("schema.sql").read_text(encoding="utf-8")


def private_dir(path: str | os.PathLike) -> None:
    """Create ``path`` readable by its owner only; warn when it exists and others can read it."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)  # makedirs' mode is masked by the umask; be exact
    elif os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("data directory %s can be read by other users (chmod 700 it)", path)


class Store:
    """The SQLite store of one data directory; one connection per thread.

    Args:
        data_dir: created (0700) if missing.

    Raises:
        RuntimeError: the database was made by a newer cashmatch.
    """

    def __init__(self, data_dir: str | os.PathLike):
        private_dir(data_dir)
        self.data_dir = os.fspath(data_dir)
        self.path = os.path.join(self.data_dir, DB_NAME)
        if not os.path.exists(self.path):
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._local = threading.local()
        db = self._connect()
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version == 0:
            # executescript commits first, so it carries its own transaction.
            db.executescript(
                "BEGIN IMMEDIATE;" + schema_sql() + f"PRAGMA user_version = {SCHEMA_VERSION};"
                " COMMIT;"
            )
        elif version < SCHEMA_VERSION:
            from cashmatch.server.store.migrate import migrate

            migrate(db, version, SCHEMA_VERSION)
        elif version > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path} has schema version {version}; this cashmatch knows {SCHEMA_VERSION}"
            )
        self._private_files()

    def _private_files(self) -> None:
        # SQLite gives the WAL and shm files the database's mode; set all three
        # all the same, for files made by an older version.
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.chmod(self.path + suffix, 0o600)

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
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


__all__ = ["DB_NAME", "SCHEMA_VERSION", "Ledger", "Store", "Tenant", "hash_token"]

-- The store schema of cashmatch before version 2 (commit 04ee30b), to test the migration.
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

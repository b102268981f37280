-- The service's SQLite schema, version 2 (PRAGMA user_version). A store at
-- version 1 is migrated by server/store/migrate.py.
--
-- Persistence only: which payment is applied where, and why, is decided by
-- the use cases (server/ledger/); these tables keep what they decided, and
-- the few invariants that must hold whatever code writes (an invoice is never
-- applied past zero, the journal is append-only) are constraints here.

CREATE TABLE IF NOT EXISTS tenants (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
-- Bearer tokens, by their sha256 only. A revoked token stays, for the record.
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS tokens_active_name ON tokens (tenant_id, name)
    WHERE revoked_at IS NULL;
-- A ledger id names a ledger within its tenant: two tenants may use one name,
-- and neither can tell whether the other does.
CREATE TABLE IF NOT EXISTS ledgers (
    pk INTEGER PRIMARY KEY,
    tenant_id INTEGER NOT NULL REFERENCES tenants(id),
    ledger_id TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    posted_through INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, ledger_id)
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
-- Payer names and accounts a person's review tied to a customer.
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
-- The identity keys (loaders/identity.py) are kept beside each payment so
-- that a booking reported again is found by any of them.
CREATE TABLE IF NOT EXISTS payments (
    pk INTEGER PRIMARY KEY,
    ledger_pk INTEGER NOT NULL REFERENCES ledgers(pk),
    payment_id TEXT NOT NULL,
    file_pk INTEGER REFERENCES files(pk),
    amount_minor INTEGER NOT NULL,
    currency TEXT NOT NULL,
    value_date INTEGER NOT NULL,
    booking_date INTEGER,
    payer_name TEXT,
    payer_account TEXT,
    reference_text TEXT,
    check_number TEXT,
    trace_id TEXT,
    end_to_end_id TEXT,
    statement_account TEXT,
    bank_reference TEXT,
    source_format TEXT,
    source_file TEXT,
    source_location TEXT,                 -- where in its file, as a person looks it up
    remittance TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL CHECK (status IN ('auto', 'suggested', 'unmatched', 'confirmed')),
    possible_duplicate_of TEXT,
    bank_key TEXT,
    end_to_end_key TEXT,
    trace_key TEXT,
    check_key TEXT,
    content_key TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (ledger_pk, payment_id)
);
CREATE INDEX IF NOT EXISTS payments_review ON payments (ledger_pk, status, pk);
CREATE INDEX IF NOT EXISTS payments_bank_key ON payments (ledger_pk, bank_key)
    WHERE bank_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS payments_end_to_end_key ON payments (ledger_pk, end_to_end_key)
    WHERE end_to_end_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS payments_trace_key ON payments (ledger_pk, trace_key)
    WHERE trace_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS payments_check_key ON payments (ledger_pk, check_key)
    WHERE check_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS payments_content_key ON payments (ledger_pk, content_key);
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

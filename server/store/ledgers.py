"""A ledger's open items, customers, learned payer identities, version and totals."""

from __future__ import annotations

import json
import sqlite3

import pyarrow as pa

from cashmatch.engine.schemas import CUSTOMERS, OPEN_ITEMS

FETCH_ROWS = 100_000  # rows read from SQLite at a time when a ledger is loaded


def version(db: sqlite3.Connection, ledger_pk: int) -> int:
    """The ledger's version: it moves on with every change the engine index depends on."""
    return db.execute("SELECT version FROM ledgers WHERE pk = ?", (ledger_pk,)).fetchone()[0]


def bump(db: sqlite3.Connection, ledger_pk: int) -> None:
    db.execute("UPDATE ledgers SET version = version + 1 WHERE pk = ?", (ledger_pk,))


def raise_posted_through(db: sqlite3.Connection, ledger_pk: int, sequence: int) -> int:
    """Keep the highest export sequence the ERP says it has posted; return it."""
    db.execute(
        "UPDATE ledgers SET posted_through = MAX(posted_through, ?) WHERE pk = ?",
        (sequence, ledger_pk),
    )
    return db.execute("SELECT posted_through FROM ledgers WHERE pk = ?", (ledger_pk,)).fetchone()[0]


def mark_touched(db: sqlite3.Connection, invoice_ids: list[str]) -> None:
    """Remember, for this transaction, which invoices a put names (temp.touched)."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS touched (invoice_id TEXT PRIMARY KEY)")
    db.execute("DELETE FROM temp.touched")
    db.executemany("INSERT OR IGNORE INTO temp.touched VALUES (?)", ((i,) for i in invoice_ids))


def delete_untouched(db: sqlite3.Connection, ledger_pk: int) -> int:
    """Remove the open items a put did not name; how many."""
    return db.execute(
        "DELETE FROM open_items WHERE ledger_pk = ?"
        " AND invoice_id NOT IN (SELECT invoice_id FROM temp.touched)",
        (ledger_pk,),
    ).rowcount


def upsert_open_items(db: sqlite3.Connection, ledger_pk: int, items: pa.Table) -> None:
    """Insert or replace open items as the ERP sent them (open amount = the ERP's)."""
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
        _open_item_rows(ledger_pk, items),
    )


def subtract_journal_after(db: sqlite3.Connection, ledger_pk: int, sequence: int) -> None:
    """Open amount of the touched invoices = the ERP's, less applications after ``sequence``.

    The ERP's amount already holds what it posted; what this service applied
    since is not in it yet. The result stops at zero (the ERP may already have
    closed the invoice), so an invoice is never applied beyond its amount.
    """
    db.execute(
        "UPDATE open_items SET open_minor = ("
        " SELECT CASE WHEN open_items.erp_open_minor >= 0"
        "  THEN MAX(0, open_items.erp_open_minor - COALESCE(SUM(a.amount_minor), 0))"
        "  ELSE MIN(0, open_items.erp_open_minor - COALESCE(SUM(a.amount_minor), 0))"
        " END"
        " FROM applications a WHERE a.ledger_pk = open_items.ledger_pk"
        " AND a.invoice_id = open_items.invoice_id AND a.seq > ?)"
        " WHERE ledger_pk = ? AND invoice_id IN (SELECT invoice_id FROM temp.touched)",
        (sequence, ledger_pk),
    )


def close_invoices(db: sqlite3.Connection, ledger_pk: int, invoice_ids: list[str]) -> int:
    return db.executemany(
        "UPDATE open_items SET erp_open_minor = 0, open_minor = 0"
        " WHERE ledger_pk = ? AND invoice_id = ?",
        ((ledger_pk, i) for i in invoice_ids),
    ).rowcount


def put_customers(
    db: sqlite3.Connection, ledger_pk: int, customers: pa.Table, replace: bool
) -> None:
    if replace:
        db.execute("DELETE FROM customers WHERE ledger_pk = ?", (ledger_pk,))
    db.executemany(
        "INSERT OR REPLACE INTO customers (ledger_pk, customer_id, name, aliases,"
        " bank_accounts, parent_customer_id) VALUES (?, ?, ?, ?, ?, ?)",
        (
            (
                ledger_pk,
                r["customer_id"],
                r["name"],
                json.dumps(r["aliases"] or []),
                json.dumps(r["bank_accounts"] or []),
                r["parent_customer_id"],
            )
            for r in customers.to_pylist()
        ),
    )


def open_count(db: sqlite3.Connection, ledger_pk: int) -> int:
    return db.execute(
        "SELECT COUNT(*) FROM open_items WHERE ledger_pk = ? AND open_minor != 0", (ledger_pk,)
    ).fetchone()[0]


def absolute_totals(db: sqlite3.Connection, ledger_pk: int) -> dict[str, int]:
    """Per currency, the sum of the absolute open amounts the ERP sent, exactly.

    Summed in two parts (above and below 10^9) so that SQLite's 64-bit sum
    cannot overflow however many invoices there are; Python adds the parts.
    """
    return _split_sums(db, "ABS(erp_open_minor)", ledger_pk, only_open=False)


def open_totals(db: sqlite3.Connection, ledger_pk: int) -> dict[str, tuple[int, int]]:
    """Per currency, (count, sum) of the invoices still open, the sum exact."""
    counts = dict(
        db.execute(
            "SELECT currency, COUNT(*) FROM open_items WHERE ledger_pk = ? AND open_minor != 0"
            " GROUP BY currency",
            (ledger_pk,),
        ).fetchall()
    )
    sums = _split_sums(db, "open_minor", ledger_pk, only_open=True)
    return {c: (counts[c], sums.get(c, 0)) for c in counts}


def _split_sums(db, expression: str, ledger_pk: int, only_open: bool) -> dict[str, int]:
    where = " AND open_minor != 0" if only_open else ""
    rows = db.execute(
        f"SELECT currency, SUM({expression} / 1000000000), SUM({expression} % 1000000000)"
        f" FROM open_items WHERE ledger_pk = ?{where} GROUP BY currency",
        (ledger_pk,),
    ).fetchall()
    return {currency: high * 1_000_000_000 + low for currency, high, low in rows}


def customer_count(db: sqlite3.Connection, ledger_pk: int) -> int:
    return db.execute(
        "SELECT COUNT(*) FROM customers WHERE ledger_pk = ?", (ledger_pk,)
    ).fetchone()[0]


def open_amounts(db: sqlite3.Connection, ledger_pk: int, invoice_ids: list[str]) -> dict[str, int]:
    """Current open amounts of these invoices (ids not in the ledger are left out)."""
    out: dict[str, int] = {}
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


def open_item(db: sqlite3.Connection, ledger_pk: int, invoice_id: str) -> tuple | None:
    """(currency, open_minor, customer_id) of one invoice, or None."""
    return db.execute(
        "SELECT currency, open_minor, customer_id FROM open_items"
        " WHERE ledger_pk = ? AND invoice_id = ?",
        (ledger_pk, invoice_id),
    ).fetchone()


def learn_identity(
    db: sqlite3.Connection, ledger_pk: int, kind: str, value: str, customer_id: str
) -> None:
    db.execute(
        "INSERT OR REPLACE INTO identities (ledger_pk, kind, value, customer_id)"
        " VALUES (?, ?, ?, ?)",
        (ledger_pk, kind, value, customer_id),
    )


def load_open_items(db: sqlite3.Connection, ledger_pk: int, include_closed: bool) -> pa.Table:
    """The ledger's open items with their current open amounts, read in slices."""
    where = "" if include_closed else " AND open_minor != 0"
    cursor = db.execute(
        "SELECT invoice_id, invoice_number, customer_id, customer_name, currency,"
        " open_minor, issue_date, due_date, po_number FROM open_items"
        " WHERE ledger_pk = ?" + where + " ORDER BY invoice_id",
        (ledger_pk,),
    )
    tables = []
    while rows := cursor.fetchmany(FETCH_ROWS):
        columns = list(zip(*rows, strict=True))
        tables.append(
            pa.table(
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
        )
        del rows, columns
    return pa.concat_tables(tables) if tables else OPEN_ITEMS.empty_table()


def load_customers(db: sqlite3.Connection, ledger_pk: int) -> pa.Table | None:
    """Customers, with the payer names and accounts learned from reviews as aliases and accounts.

    None when the ledger has neither customers nor learned identities.
    """
    custs = db.execute(
        "SELECT customer_id, name, aliases, bank_accounts, parent_customer_id"
        " FROM customers WHERE ledger_pk = ? ORDER BY customer_id",
        (ledger_pk,),
    ).fetchall()
    learned = db.execute(
        "SELECT kind, value, customer_id FROM identities WHERE ledger_pk = ? ORDER BY kind, value",
        (ledger_pk,),
    ).fetchall()
    if not custs and not learned:
        return None
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
            {"customer_id": customer_id, "name": "", "aliases": [], "bank_accounts": [],
             "parent_customer_id": None},
        )  # fmt: skip
        row["aliases" if kind == "name" else "bank_accounts"].append(value)
    return pa.Table.from_pylist(list(rows.values()), schema=CUSTOMERS)


def _open_item_rows(pk: int, table: pa.Table):
    names = ("invoice_id", "invoice_number", "customer_id", "customer_name", "currency",
             "amount_open_minor", "po_number")  # fmt: skip
    for start in range(0, table.num_rows, FETCH_ROWS):
        part = table.slice(start, FETCH_ROWS)
        c = [part[name].to_pylist() for name in names]
        issue = part["issue_date"].cast(pa.int32()).to_pylist()
        due = part["due_date"].cast(pa.int32()).to_pylist()
        for k in range(part.num_rows):
            amount = c[5][k]
            yield (pk, c[0][k], c[1][k], c[2][k], c[3][k], c[4][k], amount, amount,
                   issue[k], due[k], c[6][k])  # fmt: skip

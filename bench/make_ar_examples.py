"""Write the bundled AR example (examples/ar/): open items, paid history and the truth.

    python -m bench.make_ar_examples

A small generated book (bench/ar_books.py, seed 2024, 40 customers, as-of
2025-06-30) so that every ``cashmatch ar`` command can be tried at once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bench.ar_books import generate_ar_book
from cashmatch.loaders.tabular import write_table_atomically
from cashmatch.server.cli_ar import ar_file_columns

AS_OF = dt.date(2025, 6, 30)


def main() -> int:
    out = Path(__file__).resolve().parents[1] / "examples" / "ar"
    out.mkdir(parents=True, exist_ok=True)
    book = generate_ar_book(seed=2024, n_customers=40, as_of=AS_OF)
    items = book.open_items.drop_columns(["po_number"]).sort_by("invoice_id")
    write_table_atomically(ar_file_columns(items), out / "OPEN.csv")
    write_table_atomically(ar_file_columns(book.paid.sort_by("invoice_id")), out / "PAID.csv")
    write_table_atomically(book.truth.drop_columns(["disputed"]), out / "truth.csv")
    print(f"{items.num_rows} open items, {book.paid.num_rows} paid invoices in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

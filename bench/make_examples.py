"""Write the bundled example data set (examples/) from the generator.

python -m bench.make_examples --out examples
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from bench.generator import Dataset, generate
from cashmatch.loaders.tabular import to_file_columns, write_table_atomically


def write_dataset(data: Dataset, out: Path) -> None:
    """Write a generated data set as the file contract's CSVs, plus its truth."""
    out.mkdir(parents=True, exist_ok=True)
    write_table_atomically(to_file_columns(data.open_items), out / "open_items.csv")
    customers = data.customers
    flat = {
        "customer_id": customers["customer_id"],
        "name": customers["name"],
        "aliases": pc.binary_join(customers["aliases"], "|"),
        "bank_accounts": pc.binary_join(customers["bank_accounts"], "|"),
        "parent_customer_id": customers["parent_customer_id"],
    }
    write_table_atomically(pa.table(flat), out / "customers.csv")
    payments = to_file_columns(
        data.payments.select(
            [
                "payment_id",
                "amount_minor",
                "currency",
                "value_date",
                "payer_name",
                "payer_account",
                "reference_text",
            ]
        )
    )
    write_table_atomically(payments, out / "payments.csv")
    truth = data.truth.join(data.payments.select(["payment_id", "currency"]), "payment_id")
    write_table_atomically(to_file_columns(truth.sort_by("payment_id")), out / "truth.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="examples")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--invoices", type=int, default=3000)
    parser.add_argument("--payments", type=int, default=400)
    args = parser.parse_args()
    write_dataset(generate(args.seed, args.invoices, args.payments), Path(args.out))


if __name__ == "__main__":
    main()

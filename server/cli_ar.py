"""``cashmatch ar``: aging, metrics, payment predictions, cash forecast and worklist from files.

Example:
    cashmatch ar aging --open-items OPEN.csv --as-of 2024-06-30 --out aging.csv
    cashmatch ar metrics --open-items OPEN.csv --history PAID.csv --as-of 2024-06-30 \\
        --period-days 90 --out metrics.csv
    cashmatch ar predict --open-items OPEN.csv --history PAID.csv --as-of 2024-06-30 \\
        --out predictions.csv

Every output is CSV or Parquet by extension, money as decimal strings, dates
ISO, written atomically. Bad input exits 2 with one line naming file, row and
field, as the other commands do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.errors import InputError
from cashmatch.loaders.columns import format_amount_column
from cashmatch.loaders.errors import LoadError
from cashmatch.loaders.paid import read_paid_invoices
from cashmatch.loaders.tabular import read_open_items, write_table_atomically


def iso_day(text: str) -> dt.date:
    """An ``--as-of`` argument: an ISO date.

    Example:
        >>> iso_day("2024-06-30")
        datetime.date(2024, 6, 30)
    """
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError("--as-of", None, None, f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def ar_file_columns(table: pa.Table) -> pa.Table:
    """Money columns (``*_minor``) as decimal strings named without the suffix; floats rounded.

    Example:
        >>> t = pa.table({"currency": ["EUR", "JPY"], "total_minor": [12345, 7]})
        >>> ar_file_columns(t).to_pylist()
        [{'currency': 'EUR', 'total': '123.45'}, {'currency': 'JPY', 'total': '7'}]
    """
    currency = table["currency"].combine_chunks()
    columns, names = [], []
    for name in table.column_names:
        column = table[name].combine_chunks()
        if name.endswith("_minor"):
            column = format_amount_column(column.to_numpy(), currency)
            name = name.removesuffix("_minor")
        elif pa.types.is_floating(column.type):
            column = pc.round(column, 4)
        columns.append(column)
        names.append(name)
    return pa.table(columns, names=names)


def _write(table: pa.Table, path: str, what: str, started: float) -> int:
    write_table_atomically(ar_file_columns(table), path)
    print(
        f"{what}: {table.num_rows} rows written to {path} in {time.perf_counter() - started:.2f} s"
    )
    return 0


def _book(args: argparse.Namespace):
    from cashmatch.engine.ar import build_book

    if isinstance(args.as_of, str):
        args.as_of = iso_day(args.as_of)
    history = getattr(args, "history", None)
    items = read_open_items(args.open_items)
    paid = read_paid_invoices(history) if history else None
    try:
        return build_book(items, paid)
    except InputError as error:
        if error.table != "open_items" or error.row is None:
            raise
        # Located in the file the user named, rows counted from 1 as the readers do.
        raise LoadError(args.open_items, error.message, row=error.row + 1,
                        field=error.column) from None  # fmt: skip


def cmd_aging(args: argparse.Namespace) -> int:
    from cashmatch.engine.ar import aging

    started = time.perf_counter()
    return _write(aging(_book(args), args.as_of), args.out, "aging", started)


def cmd_metrics(args: argparse.Namespace) -> int:
    from cashmatch.engine.ar import metrics

    started = time.perf_counter()
    table = metrics(_book(args), args.as_of, args.period_days)
    return _write(table, args.out, "metrics", started)


def _prediction(args: argparse.Namespace):
    from cashmatch.engine.ar import predict_payments

    book = _book(args)
    return book, predict_payments(book, args.as_of)


def cmd_predict(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    _, prediction = _prediction(args)
    return _write(prediction.table, args.out, "predictions", started)


def cmd_forecast(args: argparse.Namespace) -> int:
    from cashmatch.engine.ar import forecast_cash

    if args.weeks <= 0:
        raise InputError("--weeks", None, None, f"{args.weeks} is not a positive number")
    started = time.perf_counter()
    book, prediction = _prediction(args)
    table = forecast_cash(book, prediction, weeks=args.weeks)
    return _write(table, args.out, "forecast", started)


def cmd_worklist(args: argparse.Namespace) -> int:
    from cashmatch.engine.ar.worklist import parse_rates, worklist

    rates = parse_rates(args.rate or [])
    started = time.perf_counter()
    book, prediction = _prediction(args)
    return _write(worklist(book, prediction, rates=rates), args.out, "worklist", started)


def _common(p: argparse.ArgumentParser, history: bool) -> None:
    p.add_argument("--open-items", required=True, help="open items, CSV or Parquet")
    if history:
        p.add_argument(
            "--history", required=True, help="paid invoices (PAID.csv contract), CSV or Parquet"
        )
    # Parsed in the command, so that a bad date is one line like every other input error.
    p.add_argument("--as-of", required=True, help="the reporting date, YYYY-MM-DD")
    p.add_argument("--out", required=True, help="output file, .csv or .parquet")


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``cashmatch ar ...`` to the top-level command parser."""
    ar = commands.add_parser("ar", help="accounts-receivable analytics from open items and history")
    sub = ar.add_subparsers(dest="ar_command", required=True)

    p = sub.add_parser("aging", help="open amounts by days past due, per customer and currency")
    _common(p, history=False)
    p.set_defaults(run=cmd_aging)

    p = sub.add_parser("metrics", help="DSO, best-possible DSO, ADD and CEI")
    _common(p, history=True)
    p.add_argument("--period-days", type=int, default=90, help="N, the period (default 90)")
    p.set_defaults(run=cmd_metrics)

    p = sub.add_parser("predict", help="predicted paid date, 80%% interval and p_late per invoice")
    _common(p, history=True)
    p.set_defaults(run=cmd_predict)

    p = sub.add_parser("forecast", help="expected cash per currency and week, with p10/p90")
    _common(p, history=True)
    p.add_argument("--weeks", type=int, default=13, help="weeks to forecast (default 13)")
    p.set_defaults(run=cmd_forecast)

    p = sub.add_parser("worklist", help="open invoices ranked for collection, with the reason")
    _common(p, history=True)
    p.add_argument(
        "--rate",
        action="append",
        metavar="CUR=RATE",
        help="rank all currencies as one: units of the ranking currency per unit of CUR "
        "(repeat for each currency); without rates each currency is ranked on its own",
    )
    p.set_defaults(run=cmd_worklist)

"""The ``cashmatch`` command line: match files, inspect bank files, run and feed the service.

Example:
    cashmatch match --open-items open_items.csv --payments payments.csv --out matches.csv
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable

import pyarrow as pa

from cashmatch.engine import InputError, MatchConfig, build_index, match_payments
from cashmatch.engine.review import review_alternatives, review_matches
from cashmatch.loaders import LoadError, read_customers, read_open_items
from cashmatch.loaders.sources import read_payment_files
from cashmatch.loaders.tabular import to_file_columns, write_table_atomically
from cashmatch.server import cli_ar, cli_service
from cashmatch.server.report import RunInfo, compute_figures, render_report, summary_lines
from cashmatch.server.report.html import write_text_atomically


class Progress:
    """A progress bar on a terminal; silent when stderr is not one (CI logs, pipes)."""

    def __init__(self, label: str, stream=sys.stderr):
        self.label, self.stream = label, stream
        self.enabled = stream.isatty() and not os.environ.get("CI")
        self.start = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total == 0:
            return
        width = 30
        filled = width * done // total
        rate = done / max(time.perf_counter() - self.start, 1e-9)
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
            f"{done}/{total} ({rate:,.0f}/s)"
        )
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


class UsageError(ValueError):
    """A command-line argument that makes no sense."""


def match_config(auto_threshold: float, settings: list[str]) -> MatchConfig:
    """A MatchConfig from ``--auto-threshold`` and ``--set name=value`` pairs.

    Example:
        >>> match_config(0.95, ["fee_max_major=25", "discount_rates_bp=200,300"]).discount_rates_bp
        (200, 300)
    """
    defaults = MatchConfig()
    values: dict[str, object] = {"auto_threshold": auto_threshold}
    for pair in settings:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or name not in MatchConfig.__dataclass_fields__ or name == "rule_confidence":
            raise UsageError(f"--set {pair}: no such setting")
        current = getattr(defaults, name)
        try:
            if isinstance(current, tuple):
                values[name] = tuple(int(v) for v in text.split(",") if v.strip())
            else:
                values[name] = type(current)(text.strip())
        except ValueError:
            raise InputError(
                "--set", None, name, f"{text!r} is not a {type(current).__name__}"
            ) from None
    return dataclasses.replace(defaults, **values)


def cmd_match(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    config = match_config(args.auto_threshold, args.set or [])
    open_items = read_open_items(args.open_items)
    customers = read_customers(args.customers) if args.customers else None
    loaded = read_payment_files(args.payments, args.remittance or [], lenient=args.lenient)
    for problem in loaded.problems:
        print(f"warning: {problem}", file=sys.stderr)
    index = build_index(open_items, customers, config)
    result = match_payments(
        index, loaded.payments, progress=Progress("matching"), alternatives=True
    )
    reviewed = review_matches(index, loaded.payments, result)
    alternatives = review_alternatives(index, result)
    # Everything is rendered before anything is written: all outputs or none.
    report = None
    if args.report:
        info = RunInfo(
            inputs=[args.open_items, *args.payments, *(args.remittance or [])],
            open_items=len(index),
            auto_threshold=config.auto_threshold,
            suggest_threshold=config.suggest_threshold,
        )
        report = render_report(reviewed, alternatives, info)
    write_table_atomically(to_file_columns(reviewed), args.out)
    if args.alternatives:
        write_table_atomically(to_file_columns(alternatives), args.alternatives)
    if report is not None:
        write_text_atomically(report, args.report)
    stats = result.stats
    elapsed = time.perf_counter() - started
    skipped = ", ".join(f"{k}: {v}" for k, v in sorted(loaded.skipped.items()))
    print(f"payments read:   {stats['payments']}" + (f"  (skipped {skipped})" if skipped else ""))
    print(f"open items:      {len(index)}")
    print(f"auto-matched:    {stats['auto']}")
    print(f"suggested:       {stats['suggested']}")
    print(f"unmatched:       {stats['unmatched']}")
    if stats["contested"]:
        print(f"contested:       {stats['contested']} (another payment claims the same invoice)")
    print()
    for line in summary_lines(compute_figures(reviewed)):
        print(line)
    print()
    print(f"time taken:      {elapsed:.2f} s")
    print(f"matches written: {args.out}")
    if args.alternatives:
        print(f"alternatives:    {args.alternatives}")
    if args.report:
        print(f"report written:  {args.report}")
    return 0


def _readable(value: object, most: int = 5) -> str:
    """A summary value on one line: long lists shortened, dicts as key=value."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_readable(v)}" for k, v in value.items()) or "-"
    if isinstance(value, (list, tuple)):
        items = [_readable(v) for v in value[:most]]
        more = f" ... ({len(value)} in all)" if len(value) > most else ""
        return "; ".join(items) + more if items else "-"
    return str(value)


def cmd_inspect(args: argparse.Namespace) -> int:
    from cashmatch.loaders.detect import load_file

    for path in args.files:
        loaded = load_file(path, lenient=args.lenient)
        print(f"{path}:")
        print(f"  format:   {loaded.format}")
        for key, value in loaded.summary.items():
            if key != "format":
                print(f"  {key}: {_readable(value)}")
        # What every format reports, unless its loader's summary already said it.
        if "payments" not in loaded.summary:
            print(f"  payments: {loaded.payments.num_rows}")
        if loaded.advices.num_rows and "advices" not in loaded.summary:
            print(f"  remittance advices: {loaded.advices.num_rows}")
        if loaded.skipped and "skipped" not in loaded.summary:
            print(f"  skipped: {_readable(loaded.skipped)}")
        for problem in loaded.problems:
            print(f"  problem: {problem}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cashmatch", description="Apply payments to open invoices."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    m = commands.add_parser("match", help="match payment files against open items")
    m.add_argument("--open-items", required=True, help="open items, CSV or Parquet")
    m.add_argument(
        "--payments",
        required=True,
        nargs="+",
        help="payments: the CSV/Parquet file contract or bank files (camt, BAI2, MT940, "
        "CFONB, lockbox), detected from content",
    )
    m.add_argument("--remittance", nargs="*", help="remittance advices (EDI 820, CSV)")
    m.add_argument("--customers", help="customer master, CSV or Parquet")
    m.add_argument("--out", required=True, help="matches file, .csv or .parquet")
    m.add_argument(
        "--alternatives",
        metavar="FILE",
        help="write the next best candidates of suggested and unmatched payments (.csv/.parquet)",
    )
    m.add_argument("--report", metavar="FILE", help="write a self-contained HTML report of the run")
    m.add_argument(
        "--auto-threshold",
        type=float,
        default=MatchConfig.auto_threshold,
        help="least confidence applied without review (default %(default)s)",
    )
    m.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="any MatchConfig setting, e.g. --set fee_max_major=25 --set discount_days=20",
    )
    m.add_argument(
        "--lenient",
        action="store_true",
        help="skip and report bad records of bank files instead of rejecting the file",
    )
    m.set_defaults(run=cmd_match)

    i = commands.add_parser("inspect", help="show what bank or remittance files contain")
    i.add_argument("files", nargs="+")
    i.add_argument("--lenient", action="store_true")
    i.set_defaults(run=cmd_inspect)

    cli_service.register(commands)
    cli_ar.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cashmatch`` console script."""
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except (LoadError, InputError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except pa.ArrowInvalid as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())

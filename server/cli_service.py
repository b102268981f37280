"""The service's subcommands of ``cashmatch``: serve, token, ledger put, submit.

Examples:
    cashmatch token create --tenant acme --name erp --data-dir /var/lib/cashmatch
    cashmatch token list --data-dir /var/lib/cashmatch
    cashmatch token rotate --tenant acme --name erp --data-dir /var/lib/cashmatch
    cashmatch token revoke --tenant acme --name erp --data-dir /var/lib/cashmatch
    cashmatch serve --data-dir /var/lib/cashmatch --listen 0.0.0.0:50051 \\
        --tls-cert server.pem --tls-key server.key --metrics-listen 127.0.0.1:9464
    cashmatch ledger put --server host:50051 --ledger acme-eu --open-items open_items.csv
    cashmatch submit statement.xml --server host:50051 --token cm_... --ledger acme-eu
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import grpc

from cashmatch.engine.money import format_amount
from cashmatch.server.limits import Limits, MiB


def cmd_serve(args: argparse.Namespace) -> int:
    from cashmatch.server.rpc.app import serve

    limits = Limits(
        max_message_bytes=args.max_message_mib * MiB,
        max_call_bytes=args.max_call_mib * MiB,
        max_file_bytes=args.max_file_mib * MiB,
        max_batch_rows=args.max_batch_rows,
        max_call_rows=args.max_call_rows,
        max_string_chars=args.max_string_chars,
        max_files_per_call=args.max_files_per_call,
    )
    return serve(
        args.data_dir,
        args.listen,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        limits=limits,
        workers=args.workers,
        grace=args.grace,
        metrics_listen=args.metrics_listen,
    )


def _tokens(args: argparse.Namespace, action) -> int:
    from cashmatch.server.errors import ServiceError
    from cashmatch.server.store import Store

    store = Store(args.data_dir)
    try:
        return action(store)
    except ServiceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    finally:
        store.close()


def cmd_token_create(args: argparse.Namespace) -> int:
    from cashmatch.server import tokens

    return _tokens(args, lambda store: print(tokens.create(store, args.tenant, args.name)) or 0)


def cmd_token_list(args: argparse.Namespace) -> int:
    from cashmatch.server import tokens

    def show(store) -> int:
        listed = tokens.listing(store, args.tenant)
        print(f"{'tenant':<20} {'name':<20} {'created (UTC)':<27} state")
        for t in listed:
            state = f"revoked {t.revoked_at[:19]}" if t.revoked_at else "active"
            print(f"{t.tenant:<20} {t.name:<20} {t.created_at[:19]:<27} {state}")
        return 0

    return _tokens(args, show)


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from cashmatch.server import tokens

    def revoke(store) -> int:
        tokens.revoke(store, args.tenant, args.name)
        print(f"token {args.name!r} of {args.tenant!r} revoked: refused from the next call on")
        return 0

    return _tokens(args, revoke)


def cmd_token_rotate(args: argparse.Namespace) -> int:
    from cashmatch.server import tokens

    return _tokens(args, lambda store: print(tokens.rotate(store, args.tenant, args.name)) or 0)


def _money(by_currency) -> str:
    return ", ".join(f"{format_amount(v, c)} {c}" for c, v in sorted(by_currency.items())) or "0"


def cmd_submit(args: argparse.Namespace) -> int:
    from cashmatch.server.client import Client, violations

    token = args.token or os.environ.get("CASHMATCH_TOKEN")
    if not token:
        print("error: give --token or set CASHMATCH_TOKEN", file=sys.stderr)
        return 2
    root = None
    if args.tls_ca:
        with open(args.tls_ca, "rb") as handle:
            root = handle.read()
    with Client(args.server, token, root_certificates=root, timeout=args.timeout) as client:
        try:
            matches, files, summary = client.upload_files(
                args.ledger, args.files, lenient=args.lenient
            )
        except grpc.RpcError as error:
            print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
            for field, description in violations(error):
                print(f"  {field}: {description}", file=sys.stderr)
            return 1
    for f in files:
        note = " (already submitted: not applied again)" if f.duplicate else ""
        print(f"{f.file_name}: {f.format}, {f.payments} payment(s){note}")
        if f.skipped:
            print(f"  skipped: {json.dumps(dict(f.skipped), sort_keys=True)}")
        for problem in f.problems:
            print(f"  problem: {problem}")
    print(
        f"payments: {summary.payments_received} received, {summary.payments_new} new, "
        f"{summary.payments_duplicate} duplicate, "
        f"{summary.payments_possible_duplicate} possible duplicate (for review)"
    )
    print(
        f"auto: {summary.auto_matched}, suggested: {summary.suggested}, "
        f"unmatched: {summary.unmatched}"
    )
    print(f"applied: {_money(summary.applied_minor_by_currency)}")
    print(f"export cursor: {summary.last_sequence}")
    if args.out:
        from cashmatch.loaders import write_matches

        write_matches(matches, args.out)
        print(f"matches: {matches.num_rows} row(s) written to {args.out}")
    return 0


def _client_args(args: argparse.Namespace):
    token = args.token or os.environ.get("CASHMATCH_TOKEN")
    root = None
    if args.tls_ca:
        with open(args.tls_ca, "rb") as handle:
            root = handle.read()
    return token, root


def cmd_ledger_put(args: argparse.Namespace) -> int:
    """Send a ledger's open items (and customers) from files, as a snapshot or changes."""
    from cashmatch.loaders import read_customers, read_open_items
    from cashmatch.server.client import Client, violations

    token, root = _client_args(args)
    if not token:
        print("error: give --token or set CASHMATCH_TOKEN", file=sys.stderr)
        return 2
    items = read_open_items(args.open_items)
    customers = read_customers(args.customers) if args.customers else None
    with Client(args.server, token, root_certificates=root, timeout=args.timeout) as client:
        try:
            reply = client.put_open_items(args.ledger, items, customers, mode=args.mode)
        except grpc.RpcError as error:
            print(f"error: {error.code().name}: {error.details()}", file=sys.stderr)
            for field, description in violations(error):
                print(f"  {field}: {description}", file=sys.stderr)
            return 1
    print(f"ledger {args.ledger}: {items.num_rows} open item(s) sent ({args.mode})")
    print(str(reply).strip())
    return 0


def register(subparsers) -> None:
    """Add ``serve``, ``token``, ``ledger`` and ``submit`` to the ``cashmatch`` command line."""
    s = subparsers.add_parser("serve", help="run the gRPC service")
    s.add_argument("--data-dir", required=True, help="where the state lives (SQLite)")
    s.add_argument("--listen", default="127.0.0.1:50051", help="HOST:PORT (default %(default)s)")
    s.add_argument("--tls-cert", help="PEM certificate chain; with --tls-key, serve TLS")
    s.add_argument("--tls-key", help="PEM private key")
    s.add_argument("--workers", type=int, default=8, help="concurrent calls served")
    s.add_argument(
        "--grace",
        type=float,
        default=30.0,
        help="seconds in-flight calls get to finish on SIGTERM; then the process exits",
    )
    s.add_argument(
        "--metrics-listen",
        metavar="HOST:PORT",
        help="serve Prometheus metrics on http://HOST:PORT/metrics (off unless given)",
    )
    defaults = Limits()
    s.add_argument("--max-message-mib", type=int, default=defaults.max_message_bytes // MiB)
    s.add_argument(
        "--max-call-mib",
        type=int,
        default=defaults.max_call_bytes // MiB,
        help="decoded MiB one call may send (default %(default)s)",
    )
    s.add_argument(
        "--max-file-mib",
        type=int,
        default=defaults.max_file_bytes // MiB,
        help="decoded MiB of one uploaded file (default %(default)s)",
    )
    s.add_argument("--max-batch-rows", type=int, default=defaults.max_batch_rows)
    s.add_argument("--max-call-rows", type=int, default=defaults.max_call_rows)
    s.add_argument("--max-string-chars", type=int, default=defaults.max_string_chars)
    s.add_argument("--max-files-per-call", type=int, default=defaults.max_files_per_call)
    s.set_defaults(run=cmd_serve)

    t = subparsers.add_parser("token", help="manage bearer tokens (only their hashes are stored)")
    actions = t.add_subparsers(dest="token_command", required=True)
    c = actions.add_parser("create", help="print a new bearer token for a tenant")
    c.add_argument("--tenant", required=True)
    c.add_argument("--name", help="the token's name (default: 'default', then token-2, ...)")
    c.add_argument("--data-dir", required=True)
    c.set_defaults(run=cmd_token_create)
    ls = actions.add_parser("list", help="list tokens by tenant, name and date (never the secret)")
    ls.add_argument("--tenant", help="only this tenant's")
    ls.add_argument("--data-dir", required=True)
    ls.set_defaults(run=cmd_token_list)
    for action, run, what in (
        ("revoke", cmd_token_revoke, "revoke a token: refused from the next call on"),
        ("rotate", cmd_token_rotate, "print a new secret for a token and revoke the old one"),
    ):
        a = actions.add_parser(action, help=what)
        a.add_argument("--tenant", required=True)
        a.add_argument("--name", required=True)
        a.add_argument("--data-dir", required=True)
        a.set_defaults(run=run)

    ledger = subparsers.add_parser("ledger", help="manage a ledger on a running service")
    ledger_actions = ledger.add_subparsers(dest="ledger_action", required=True)
    put = ledger_actions.add_parser("put", help="send open items (and customers) from files")
    put.add_argument("--server", required=True, help="HOST:PORT")
    put.add_argument("--token", help="bearer token (default: $CASHMATCH_TOKEN)")
    put.add_argument("--ledger", required=True)
    put.add_argument("--open-items", required=True, help="open items, CSV or Parquet")
    put.add_argument("--customers", help="customer master, CSV or Parquet")
    put.add_argument(
        "--mode",
        choices=["snapshot", "incremental"],
        default="snapshot",
        help="snapshot replaces the ledger; incremental adds and updates",
    )
    put.add_argument("--tls-ca", help="PEM certificate to trust; given, connect with TLS")
    put.add_argument("--timeout", type=float, default=600)
    put.set_defaults(run=cmd_ledger_put)

    u = subparsers.add_parser("submit", help="upload payment files to a running service")
    u.add_argument("files", nargs="+", help="bank, lockbox, remittance or payments files")
    u.add_argument("--server", required=True, help="HOST:PORT")
    u.add_argument("--token", help="bearer token (default: $CASHMATCH_TOKEN)")
    u.add_argument("--ledger", required=True)
    u.add_argument("--out", help="write the matches here, .csv or .parquet")
    u.add_argument("--tls-ca", help="PEM certificate to trust; given, connect with TLS")
    u.add_argument("--lenient", action="store_true")
    u.add_argument("--timeout", type=float, default=600.0)
    u.set_defaults(run=cmd_submit)


def main(argv: list[str] | None = None) -> int:
    """Run the service subcommands alone (``python -m cashmatch.server.cli_service``)."""
    parser = argparse.ArgumentParser(prog="cashmatch")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())

"""Peak memory of the service ingesting the largest bank file its limits accept.

Writes a camt.053 statement just under ``Limits.max_file_bytes`` (the
default: 128 MiB, about 130k transactions with names, IBANs, Ustrd and Strd
remittance), starts a real ``cashmatch serve`` on loopback, loads a ledger
with the invoices the statement pays, uploads the file (UploadFiles) and reads
the server's peak resident memory (``VmHWM`` in ``/proc``) before and after.
Run from the repo root::

    python -m bench.server_memory                 # the largest file the defaults accept
    python -m bench.server_memory --mib 32        # a smaller one
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from bench.formats.camt import write_camt053
from bench.grpc_load import LocalServer
from bench.test_bench_load_camt import generate_payments
from cashmatch.engine.schemas import OPEN_ITEMS
from cashmatch.server.limits import Limits, MiB

BYTES_PER_TRANSACTION = 1007  # of generate_payments' statements, measured


def _status_mib(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field}")


def peak_rss_mib(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM), MiB."""
    return _status_mib(pid, "VmHWM")


def rss_mib(pid: int) -> float:
    """A process's resident memory now (VmRSS), MiB."""
    return _status_mib(pid, "VmRSS")


def statement_under(limit: int, path: Path) -> pa.Table:
    """Write the largest statement under ``limit`` bytes at ``path``; its payments."""
    n = int(limit / BYTES_PER_TRANSACTION * 0.99)
    while True:
        payments = generate_payments(n)
        write_camt053(payments, path)
        if path.stat().st_size <= limit:
            return payments
        n = int(n * limit / path.stat().st_size * 0.995)


def invoices_paid_by(payments: pa.Table) -> pa.Table:
    """One open invoice per remittance line of the payments: what the statement pays."""
    rows = []
    for k, (lines, day) in enumerate(
        zip(payments["remittance"].to_pylist(), payments["value_date"].to_pylist(), strict=True)
    ):
        for j, line in enumerate(lines):
            rows.append({"invoice_id": f"I{k}-{j}", "invoice_number": line["invoice_ref"],
                         "customer_id": f"C{k % 997}", "customer_name": None, "currency": "EUR",
                         "amount_open_minor": line["amount_paid_minor"], "issue_date": day,
                         "due_date": day})  # fmt: skip
    return pa.Table.from_pylist(rows, schema=OPEN_ITEMS)


def measure(limit: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="cashmatch-memory-") as tmp:
        path = Path(tmp) / "statement.xml"
        started = time.perf_counter()
        payments = statement_under(limit, path)
        items = invoices_paid_by(payments)
        made = time.perf_counter() - started
        size = path.stat().st_size
        server = LocalServer(Path(tmp) / "data")
        try:
            pid = server.proc.pid
            with server.client() as client:
                client.put_open_items("memory", items)
                client.get_ledger("memory")
                before_peak, before = peak_rss_mib(pid), rss_mib(pid)
                started = time.perf_counter()
                matches, files, summary = client.upload_files("memory", [path])
                seconds = time.perf_counter() - started
            peak = peak_rss_mib(pid)
        finally:
            server.stop()
    return {
        "file_bytes": size,
        "limit_bytes": limit,
        "transactions": payments.num_rows,
        "open_items": items.num_rows,
        "format": files[0].format,
        "payments_new": summary.payments_new,
        "auto": summary.auto_matched,
        "suggested": summary.suggested,
        "unmatched": summary.unmatched,
        "match_rows": matches.num_rows,
        "ingest_seconds": round(seconds, 2),
        "rss_before_mib": round(before, 1),
        "peak_before_mib": round(before_peak, 1),
        "peak_rss_mib": round(peak, 1),
        "generated_seconds": round(made, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=float, help="file size bound (default: the service's)")
    args = parser.parse_args(argv)
    limit = int(args.mib * MiB) if args.mib else Limits().max_file_bytes
    result = measure(limit)
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Loopback load test of the gRPC service: batch throughput and single-payment latency.

Starts a real ``cashmatch serve`` process on 127.0.0.1 with a temporary data
directory, loads a generated ledger, then measures

* batch throughput: a whole batch of payments streamed in as Arrow IPC,
  matched, committed (WAL, synchronous=FULL) and streamed back, per second;
* single-payment latency: MatchPayment calls one after another, p50 / p99.

Bounded in count and time; loopback only. Run from the repo root::

    python -m bench.grpc_load --invoices 20000 --payments 5000 --single 300
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyarrow as pa

from cashmatch.server import tokens
from cashmatch.server.client import Client
from cashmatch.server.store import Store


class LocalServer:
    """A ``cashmatch serve`` process on a free loopback port, with one tenant's token."""

    def __init__(self, data_dir: str | Path, start_timeout_s: float = 60):
        self.data_dir = Path(data_dir)
        store = Store(self.data_dir)
        self.token = tokens.create(store, "bench")
        store.close()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cashmatch.server.cli_service", "serve", "--data-dir",
             str(self.data_dir), "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        lines: queue.Queue[str] = queue.Queue()
        self._pump = threading.Thread(target=lambda: [lines.put(x) for x in self.proc.stdout])
        self._pump.start()
        try:
            line = lines.get(timeout=start_timeout_s)
        except queue.Empty:
            self.stop()
            raise RuntimeError("server did not start") from None
        self.target = "127.0.0.1:" + line.strip().rsplit(":", 1)[1]

    def client(self) -> Client:
        return Client(self.target, self.token, timeout=600)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._pump.join(10)
        self.proc.stdout.close()


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q * len(ordered) + 0.5)))
    return ordered[rank - 1]


def batch_round(client: Client, ledger: str, payments: pa.Table) -> dict:
    """Stream one batch and read all matches back; seconds and counts."""
    start = time.perf_counter()
    matches, summary = client.match_payments(ledger, payments)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "payments": payments.num_rows,
        "payments_per_s": payments.num_rows / seconds,
        "match_rows": matches.num_rows,
        "auto": summary.auto_matched,
        "suggested": summary.suggested,
        "unmatched": summary.unmatched,
    }


def single_payment_kwargs(payments: pa.Table, k: int, prefix: str = "S") -> dict:
    """MatchPayment fields of row k (remittance left out: the text carries the reference)."""
    row = payments.slice(k, 1).to_pylist()[0]
    return {
        "payment_id": f"{prefix}{k}-{row['payment_id']}",
        "amount_minor": row["amount_minor"],
        "currency": row["currency"],
        "value_date": row["value_date"].isoformat(),
        "payer_name": row["payer_name"] or "",
        "payer_account": row["payer_account"] or "",
        "reference_text": row["reference_text"] or "",
    }


def single_latencies(
    client: Client,
    ledger: str,
    payments: pa.Table,
    count: int,
    time_limit_s: float,
    gap_s: float = 0.0,
    prefix: str = "S",
) -> list[float]:
    """Seconds of ``count`` MatchPayment calls (fewer if the time limit is reached).

    ``gap_s`` spaces the calls out, as payments arriving one by one would be.
    """
    out = []
    deadline = time.monotonic() + time_limit_s
    for k in range(min(count, payments.num_rows)):
        if gap_s:
            time.sleep(gap_s)
        kwargs = single_payment_kwargs(payments, k, prefix)
        start = time.perf_counter()
        client.match_payment(ledger, **kwargs)
        out.append(time.perf_counter() - start)
        if time.monotonic() > deadline:
            break
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=20_000)
    parser.add_argument("--payments", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3, help="batch rounds (fresh ledger each)")
    parser.add_argument("--single", type=int, default=300, help="single-payment calls")
    parser.add_argument("--single-invoices", type=int, default=None,
                        help="ledger size for single calls (default: --invoices)")  # fmt: skip
    parser.add_argument("--single-gap-ms", type=float, default=50.0,
                        help="pause between spaced-out single calls")  # fmt: skip
    parser.add_argument("--time-limit", type=float, default=240.0, help="seconds, overall")
    args = parser.parse_args(argv)
    from bench.generator import generate

    deadline = time.monotonic() + args.time_limit
    data = generate(seed=11, n_invoices=args.invoices, n_payments=args.payments)
    with tempfile.TemporaryDirectory(prefix="cashmatch-grpc-bench-") as tmp:
        server = LocalServer(tmp)
        try:
            with server.client() as client:
                # Warm-up: the engine's JIT compiles on its first batch.
                client.put_open_items("warm", data.open_items, data.customers)
                client.match_payments("warm", data.payments.slice(0, 50))
                rounds = []
                for r in range(args.rounds):
                    ledger = f"batch-{r}"
                    t = time.perf_counter()
                    client.put_open_items(ledger, data.open_items, data.customers)
                    put_s = time.perf_counter() - t
                    result = batch_round(client, ledger, data.payments)
                    result["put_open_items_s"] = put_s
                    rounds.append(result)
                    print(f"batch round {r}: {result}", flush=True)
                    if time.monotonic() > deadline:
                        break
                best = max(rounds, key=lambda x: x["payments_per_s"])
                n_single = args.single_invoices or args.invoices
                single = data if n_single == args.invoices else generate(
                    seed=12, n_invoices=n_single, n_payments=max(args.single, 10))  # fmt: skip
                client.put_open_items("single", single.open_items, single.customers)
                client.match_payment("single", **single_payment_kwargs(single.payments, 0, "W"))
                lat = single_latencies(client, "single", single.payments, args.single,
                                       max(5.0, deadline - time.monotonic()))  # fmt: skip
                spaced = single_latencies(client, "single", single.payments, args.single,
                                          max(5.0, deadline - time.monotonic()),
                                          args.single_gap_ms / 1000, "G")  # fmt: skip
        finally:
            server.stop()
    print(
        f"batch: {args.payments} payments vs {args.invoices} invoices: "
        f"best {best['payments_per_s']:,.0f} payments/s ({best['seconds']:.2f} s), "
        f"put_open_items {best['put_open_items_s']:.2f} s"
    )
    print(
        f"single, back to back (ledger of {n_single} invoices, {len(lat)} calls): "
        f"p50 {1000 * percentile(lat, 0.5):.1f} ms, p99 {1000 * percentile(lat, 0.99):.1f} ms"
    )
    print(
        f"single, {args.single_gap_ms:g} ms apart ({len(spaced)} calls): "
        f"p50 {1000 * percentile(spaced, 0.5):.1f} ms, "
        f"p99 {1000 * percentile(spaced, 0.99):.1f} ms"
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())

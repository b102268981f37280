"""Benchmark: the gRPC service over loopback (a real server process).

Run with ``python -m pytest bench/test_bench_grpc.py --benchmark-only -p no:cacheprovider``.
Batch throughput (payments/s) and single-payment p50 / p99 land in ``extra_info``.
Sizes: CASHMATCH_BENCH_GRPC_INVOICES (default 20000) and _PAYMENTS (default 5000).
With CASHMATCH_BENCH_GRPC_LARGE_DATA set to a dataset folder of bench/report_data
(``python -m bench`` passes its largest, 1M open items by default), single
payments are also measured against that ledger.
"""

from __future__ import annotations

import itertools
import os

import pytest

from bench.generator import generate
from bench.grpc_load import LocalServer, percentile, single_payment_kwargs

N_INVOICES = int(os.environ.get("CASHMATCH_BENCH_GRPC_INVOICES", "20000"))
LARGE_DATA = os.environ.get("CASHMATCH_BENCH_GRPC_LARGE_DATA")
N_PAYMENTS = int(os.environ.get("CASHMATCH_BENCH_GRPC_PAYMENTS", "5000"))
SINGLE_CALLS = 200


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    data = generate(seed=11, n_invoices=N_INVOICES, n_payments=N_PAYMENTS)
    server = LocalServer(tmp_path_factory.mktemp("grpc-bench"))
    client = server.client()
    client.put_open_items("warm", data.open_items, data.customers)
    client.match_payments("warm", data.payments.slice(0, 50))  # JIT warm-up
    yield client, data
    client.close()
    server.stop()


def test_grpc_batch_throughput(benchmark, service):
    client, data = service
    ledgers = (f"batch-{k}" for k in itertools.count())

    def setup():
        # A fresh ledger each round, so every round matches and applies everything.
        ledger = next(ledgers)
        client.put_open_items(ledger, data.open_items, data.customers)
        return (ledger,), {}

    summaries = []

    def run(ledger):
        matches, summary = client.match_payments(ledger, data.payments)
        summaries.append(summary)
        return matches

    matches = benchmark.pedantic(run, setup=setup, rounds=3, iterations=1)
    assert matches.num_rows >= data.payments.num_rows
    assert all(s.payments_new == data.payments.num_rows for s in summaries)
    best = benchmark.stats.stats.min
    benchmark.extra_info.update(
        invoices=N_INVOICES, payments=data.payments.num_rows,
        payments_per_s=round(data.payments.num_rows / best),
        auto=summaries[-1].auto_matched, suggested=summaries[-1].suggested,
    )  # fmt: skip


def _time_single_payments(benchmark, client, ledger: str, data, first: int = 0) -> None:
    """SINGLE_CALLS MatchPayment calls, one payment each from row ``first`` on; p50/p99 noted."""
    calls = iter(range(first, first + SINGLE_CALLS))

    def setup():
        return (), single_payment_kwargs(data.payments, next(calls))

    def run(**payment):
        return client.match_payment(ledger, **payment)

    reply = benchmark.pedantic(run, setup=setup, rounds=SINGLE_CALLS, iterations=1)
    assert len(reply.matches) >= 1
    times = benchmark.stats.stats.data
    benchmark.extra_info.update(
        invoices=data.open_items.num_rows, calls=len(times),
        p50_ms=round(1000 * percentile(times, 0.5), 2),
        p99_ms=round(1000 * percentile(times, 0.99), 2),
    )  # fmt: skip


def test_grpc_single_payment_latency(benchmark, service):
    client, data = service
    client.put_open_items("single", data.open_items, data.customers)
    # The first call after a put builds the ledger's index: not a latency.
    client.match_payment("single", **single_payment_kwargs(data.payments, 0, "W"))
    _time_single_payments(benchmark, client, "single", data, first=1)


def test_grpc_single_payment_latency_large(benchmark, service):
    if not LARGE_DATA:
        pytest.skip("CASHMATCH_BENCH_GRPC_LARGE_DATA names no dataset folder")
    from bench.report_data import load_dataset

    client, _ = service
    data = load_dataset(LARGE_DATA, SINGLE_CALLS + 1)
    client.put_open_items("large", data.open_items, data.customers)
    # The first call after a put builds the ledger's index: not a latency.
    client.match_payment("large", **single_payment_kwargs(data.payments, 0, "W"))
    _time_single_payments(benchmark, client, "large", data, first=1)

"""Server lifecycle: kill -9 mid-stream and mid-commit, graceful shutdown, TLS, tokens."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2 as pb
from cashmatch.server.store import Store, journal, ledgers, tenants
from cashmatch.server.store import payments as payments_rows
from tests.server.conftest import (
    STANDARD,
    ServerProcess,
    customers,
    make_tokens,
    open_amounts,
    open_items,
    payments,
)

ROWS = [(f"N{k}", f"CRASH-{k:06d}", "C1", 10_000 + k) for k in range(40)]


def _batch(keys, prefix):
    return payments(
        [{"amount_minor": 10_000 + k, "reference_text": f"CRASH-{k:06d}"} for k in keys], prefix
    )


def _state(client, ledger):
    exported = client.export_applications(ledger, 0, 10_000).applications
    return (
        client.get_ledger(ledger).payments,
        sorted((a.payment_id, a.invoice_id, a.amount_minor) for a in exported),
        open_amounts(client, ledger),
    )


def test_kill_9_mid_stream_and_mid_commit_loses_nothing_acknowledged(tmp_path):
    data = tmp_path / "data"
    token = make_tokens(data, "acme")["acme"]
    server = ServerProcess(data).start()
    try:
        with server.client(token) as client:
            client.put_open_items("crash", open_items(ROWS), customers())
            _, summary = client.match_payments("crash", _batch(range(10), "A"))
            assert summary.auto_matched == 10  # acknowledged

            # Mid-stream: half the chunks are sent, then the server dies.
            sent, release = threading.Event(), threading.Event()

            def requests():
                stream = list(client.payment_requests("crash", _batch(range(10, 20), "B"), 200))
                yield from stream[: len(stream) // 2]
                sent.set()
                release.wait(30)
                yield from stream[len(stream) // 2 :]

            failure = []
            call = threading.Thread(
                target=lambda: failure.append(_error(client.match_payments, "crash", requests()))
            )
            call.start()
            assert sent.wait(30)
            time.sleep(0.2)
            server.kill()
            release.set()
            call.join(30)
            assert failure == [grpc.StatusCode.UNAVAILABLE]
    finally:
        server.kill()

    server = ServerProcess(data).start()
    try:
        with server.client(token) as client:
            count, applied, amounts = _state(client, "crash")
            assert count == 10 and len(applied) == 10
            assert {p for p, _, _ in applied} == {f"A{k + 1}" for k in range(10)}
            assert amounts["N0"] == 0 and amounts["N10"] == 10_010
    finally:
        server.terminate()
    before = _snapshot_state(data, token)

    # Mid-commit: the server dies inside the transaction, all rows written.
    for point, ledger_call in (
        ("ingest.before_commit", lambda c: c.match_payments("crash", _batch(range(10, 20), "B"))),
        ("put.before_commit", lambda c: c.put_open_items("crash", open_items(STANDARD))),
    ):
        server = ServerProcess(data, env={"CASHMATCH_FAULT": point}).start()
        with server.client(token) as client:
            assert _error(ledger_call, client) == grpc.StatusCode.UNAVAILABLE
        server.proc.wait(30)
        server.kill()
        assert _snapshot_state(data, token) == before, point

    # Dies right after COMMIT, before answering: the write is durable and a
    # retry is recognised as a duplicate, never applied twice.
    server = ServerProcess(data, env={"CASHMATCH_FAULT": "ingest.after_commit"}).start()
    with server.client(token) as client:
        code = _error(client.match_payments, "crash", _batch(range(20, 25), "D"))
        assert code == grpc.StatusCode.UNAVAILABLE
    server.kill()
    server = ServerProcess(data).start()
    try:
        with server.client(token) as client:
            count, applied, _ = _state(client, "crash")
            assert count == 15 and len(applied) == 15
            _, summary = client.match_payments("crash", _batch(range(20, 25), "D"))
            assert (summary.payments_new, summary.payments_duplicate) == (0, 5)
            _, summary = client.match_payments("crash", _batch(range(10, 20), "B"))
            assert (summary.payments_new, summary.auto_matched) == (10, 10)
            count, applied, amounts = _state(client, "crash")
            assert count == 25 and len(applied) == 25
            assert sum(1 for v in amounts.values() if v == 0) == 25
    finally:
        server.terminate()


def _error(call, *args):
    try:
        call(*args)
    except grpc.RpcError as error:
        return error.code()
    return None


def _snapshot_state(data, token):
    """The ledger's state read straight from the store, with no server running."""
    store = Store(data)
    try:
        with store.snapshot() as db:
            tenant = tenants.authenticate(db, token)
            ledger = tenants.find_ledger(db, tenant, "crash")
            items = ledgers.load_open_items(db, ledger.pk, include_closed=True)
            rows, _ = journal.applications(db, ledger.pk, 0, 10_000)
            count = sum(payments_rows.status_counts(db, ledger.pk).values())
        return (
            count,
            [r[:5] for r in rows],
            dict(zip(items["invoice_id"].to_pylist(), items["amount_open_minor"].to_pylist(),
                     strict=True)),
        )  # fmt: skip
    finally:
        store.close()


def test_graceful_shutdown_finishes_in_flight_calls(tmp_path):
    data = tmp_path / "data"
    token = make_tokens(data, "acme")["acme"]
    server = ServerProcess(data).start()
    try:
        with server.client(token) as client:
            client.put_open_items("grace", open_items(ROWS), customers())
            statuses = []
            channel = grpc.insecure_channel(server.target)
            watch = health_pb2_grpc.HealthStub(channel).Watch(
                health_pb2.HealthCheckRequest(service=""), timeout=30
            )

            def watcher():
                try:
                    for response in watch:
                        statuses.append(response.status)
                        if response.status == health_pb2.HealthCheckResponse.NOT_SERVING:
                            watch.cancel()
                except grpc.RpcError:
                    pass

            watching = threading.Thread(target=watcher)
            watching.start()
            sent, release = threading.Event(), threading.Event()

            def requests():
                stream = list(client.payment_requests("grace", _batch(range(5), "G"), 200))
                yield stream[0]
                sent.set()
                release.wait(30)
                yield from stream[1:]

            result = []
            call = threading.Thread(
                target=lambda: result.append(client.match_payments("grace", requests()))
            )
            call.start()
            assert sent.wait(30)
            time.sleep(0.3)
            server.proc.send_signal(15)
            deadline = time.monotonic() + 10
            while health_pb2.HealthCheckResponse.NOT_SERVING not in statuses:
                assert time.monotonic() < deadline, statuses
                time.sleep(0.05)
            release.set()
            call.join(30)
            watching.join(30)
            channel.close()
            assert server.proc.wait(30) == 0
            ((matches, summary),) = result
            assert summary.auto_matched == 5 and matches.num_rows == 5
            assert statuses[0] == health_pb2.HealthCheckResponse.SERVING
            assert statuses[-1] == health_pb2.HealthCheckResponse.NOT_SERVING
    finally:
        server.kill()
    # What the in-flight call wrote is there after a restart.
    server = ServerProcess(data).start()
    try:
        with server.client(token) as client:
            assert client.get_ledger("grace").payments == 5
    finally:
        server.terminate()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_tls_and_token_cli(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    data = tmp_path / "data"
    made = subprocess.run(
        [sys.executable, "-m", "cashmatch.server.cli_service", "token", "create",
         "--tenant", "acme", "--data-dir", str(data)],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    token = made.stdout.strip()
    assert token.startswith("cm_") and len(token) > 40
    assert token.encode() not in (data / "cashmatch.sqlite3").read_bytes()
    server = ServerProcess(data, tls=(cert, key)).start()
    try:
        with server.client(token, root_certificates=cert.read_bytes()) as client:
            put = client.put_open_items("tls", open_items(STANDARD))
            assert put.ledger_open_items == len(STANDARD)
            reply = client.match_payment("tls", payment_id="T1", amount_minor=125000,
                                         currency="EUR", value_date="2024-05-20",
                                         reference_text="INV-2024-000123")  # fmt: skip
            assert reply.status == pb.PAYMENT_STATUS_AUTO
        with server.client(token, timeout=5) as plain:
            assert _error(plain.get_ledger, "tls") == grpc.StatusCode.UNAVAILABLE
    finally:
        server.terminate()

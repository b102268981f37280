"""Operating the service: tokens listed, revoked and rotated; private files; bounded shutdown;
metrics and one log line per call; a store of the previous version migrated."""

from __future__ import annotations

import datetime as dt
import json
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2

from cashmatch.server.store import DB_NAME, Store, hash_token
from cashmatch.server.store import tenants as tenant_rows
from tests.server.conftest import STANDARD, ServerProcess, customers, open_items, payments

CLI = [sys.executable, "-m", "cashmatch.server.cli_service"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=60)


def _code(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_tokens_listed_rotated_and_revoked_while_serving(tmp_path):
    data = tmp_path / "data"
    made = _cli("token", "create", "--tenant", "acme", "--name", "erp", "--data-dir", str(data))
    assert made.returncode == 0, made.stderr
    first = made.stdout.strip()
    _cli("token", "create", "--tenant", "globex", "--data-dir", str(data))
    server = ServerProcess(data).start()
    try:
        with server.client(first) as client:
            client.put_open_items("t", open_items(STANDARD[:1]))
        listed = _cli("token", "list", "--data-dir", str(data))
        assert listed.returncode == 0
        rows = [line.split() for line in listed.stdout.splitlines()[1:]]
        assert [(r[0], r[1], r[-1]) for r in rows] == [("acme", "erp", "active"),
                                                      ("globex", "default", "active")]  # fmt: skip
        assert first not in listed.stdout and hash_token(first) not in listed.stdout
        taken = _cli(
            "token", "create", "--tenant", "acme", "--name", "erp", "--data-dir", str(data)
        )
        assert taken.returncode == 2 and "rotate or revoke" in taken.stderr

        rotated = _cli(
            "token", "rotate", "--tenant", "acme", "--name", "erp", "--data-dir", str(data)
        )
        second = rotated.stdout.strip()
        assert rotated.returncode == 0 and second.startswith("cm_") and second != first
        with server.client(first) as old, server.client(second) as new:
            assert _code(old.get_ledger, "t") == grpc.StatusCode.UNAUTHENTICATED
            assert new.get_ledger("t").open_items == 1
            revoked = _cli("token", "revoke", "--tenant", "acme", "--name", "erp",
                           "--data-dir", str(data))  # fmt: skip
            assert revoked.returncode == 0
            assert _code(new.get_ledger, "t") == grpc.StatusCode.UNAUTHENTICATED
        listed = _cli("token", "list", "--tenant", "acme", "--data-dir", str(data)).stdout
        states = [line.split()[-2] for line in listed.splitlines()[1:]]
        assert states == ["revoked", "revoked"]
        again = _cli(
            "token", "revoke", "--tenant", "acme", "--name", "erp", "--data-dir", str(data)
        )
        assert again.returncode == 2 and "no active token" in again.stderr
        # Files the server made are its owner's only.
        assert _mode(data) == 0o700
        for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", "server.lock"):
            assert _mode(data / name) == 0o600, name
        assert not any(first in line or second in line for line in server.output())
    finally:
        server.terminate()


def test_shutdown_is_bounded_by_the_grace_period(tmp_path):
    data = tmp_path / "data"
    token = _cli("token", "create", "--tenant", "acme", "--data-dir", str(data)).stdout.strip()
    server = ServerProcess(data, grace=2, env={"CASHMATCH_STALL": "ingest.before_commit:120"})
    server.start()
    try:
        with server.client(token) as client:
            client.put_open_items("g", open_items(STANDARD), customers())
            failures = []
            call = threading.Thread(target=lambda: failures.append(_code(
                client.match_payments, "g", payments([{"amount_minor": 125000}]))))  # fmt: skip
            call.start()
            time.sleep(1.5)  # the call is inside its transaction, stalled
            assert server.proc.poll() is None
            stopped = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            deadline = stopped + 1.0
            while True:  # NOT_SERVING at once (or already gone)
                try:
                    if server.health() == health_pb2.HealthCheckResponse.NOT_SERVING:
                        break
                except grpc.RpcError:
                    break
                assert time.monotonic() < deadline
                time.sleep(0.02)
            code = server.proc.wait(30)
            took = time.monotonic() - stopped
            call.join(30)
            assert took < 2 + 3, took  # the grace, and a little to close the store
            assert code == 0
            assert failures and failures[0] != grpc.StatusCode.OK
    finally:
        server.kill()
    server = ServerProcess(data).start()
    try:
        with server.client(token) as client:
            assert client.get_ledger("g").payments == 0  # the cut-short call left nothing
    finally:
        server.terminate()


def _metric(text: str, name: str, **labels) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            head, _, value = line.rpartition(" ")
            if all(f'{k}="{v}"' in head for k, v in labels.items()):
                return float(value)
    raise AssertionError(f"no {name} {labels}")


def test_metrics_and_one_log_line_per_call(tmp_path):
    data = tmp_path / "data"
    token = _cli("token", "create", "--tenant", "acme", "--data-dir", str(data)).stdout.strip()
    server = ServerProcess(data, args=["--metrics-listen", "127.0.0.1:0"]).start()
    try:
        assert server.metrics_port
        with server.client(token) as client:
            client.put_open_items("m", open_items(STANDARD), customers())
            batch = payments([{"amount_minor": 125000, "reference_text": "INV-2024-000123"},
                              {"amount_minor": 777, "reference_text": "nothing"}])  # fmt: skip
            client.match_payments("m", batch)
            client.match_payments("m", batch)  # the same again: duplicates
            assert _code(client.get_ledger, "no-such") == grpc.StatusCode.NOT_FOUND
            server.health()
        with server.client("cm_not-a-token") as forged:
            assert _code(forged.get_ledger, "m") == grpc.StatusCode.UNAUTHENTICATED
        url = f"http://127.0.0.1:{server.metrics_port}/metrics"
        text = urllib.request.urlopen(url, timeout=10).read().decode()
        assert _metric(text, "cashmatch_rpc_calls_total", method="MatchPayments", code="OK") == 2
        assert _metric(text, "cashmatch_rpc_calls_total", method="GetLedger", code="NOT_FOUND") == 1
        assert _metric(text, "cashmatch_rpc_calls_total", method="GetLedger",
                       code="UNAUTHENTICATED") == 1  # fmt: skip
        assert _metric(text, "cashmatch_rpc_duration_seconds_count", method="MatchPayments") == 2
        assert _metric(text, "cashmatch_payments_total", status="auto") == 1
        assert _metric(text, "cashmatch_payments_total", status="unmatched") == 1
        assert _metric(text, "cashmatch_payments_total", status="duplicate") == 2
        assert _metric(text, "cashmatch_ingested_bytes_total", kind="arrow") > 1000
        assert _metric(text, "cashmatch_index_builds_total") >= 1
        assert _metric(text, "cashmatch_index_build_seconds_count") >= 1
        assert _metric(text, "cashmatch_ledger_open_items", tenant="acme", ledger="m") == 7
    finally:
        server.terminate()
    lines = server.output()
    calls = [json.loads(line) for line in lines if line.startswith("{") and '"rpc"' in line]
    assert [(c["method"], c["status"]) for c in calls] == [
        ("PutOpenItems", "OK"), ("MatchPayments", "OK"), ("MatchPayments", "OK"),
        ("GetLedger", "NOT_FOUND"), ("GetLedger", "UNAUTHENTICATED")]  # fmt: skip
    match = calls[1]
    assert match["tenant"] == "acme" and (match["rows_in"], match["rows_out"]) == (2, 2)
    assert match["duration_ms"] > 0 and calls[-1]["tenant"] is None
    assert {"ts", "level", "event"} <= set(match)
    assert not any(token in line or "cm_not-a-token" in line for line in lines)


def test_a_store_of_the_previous_version_is_migrated(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    db = sqlite3.connect(data / DB_NAME)
    schema = (Path(__file__).parent / "schema_v1.sql").read_text()
    db.executescript(schema + "PRAGMA user_version = 1;")
    now = "2024-05-01T00:00:00+00:00"
    db.execute("INSERT INTO tenants VALUES (1, 'acme', ?)", (now,))
    db.execute("INSERT INTO tokens VALUES (1, 1, ?, ?)", (hash_token("cm_old"), now))
    db.execute("INSERT INTO ledgers VALUES (1, 1, 'old', 3, 0, ?)", (now,))
    day = (dt.date(2024, 5, 20) - dt.date(1970, 1, 1)).days
    db.execute(
        "INSERT INTO open_items VALUES (1, 'I1', 'INV-2024-000123', 'C1', 'N', 'EUR', 125000,"
        " 0, ?, ?, NULL)", (day, day + 30))  # fmt: skip
    db.execute(
        "INSERT INTO payments (pk, ledger_pk, payment_id, amount_minor, currency, value_date,"
        " payer_name, reference_text, end_to_end_id, status, created_at)"
        " VALUES (1, 1, 'OLD-1', 125000, 'EUR', ?, 'NORTHWIND', 'INV-2024-000123', 'E2E-9',"
        " 'auto', ?)", (day, now))  # fmt: skip
    db.commit()
    db.close()
    store = Store(data)
    with store.snapshot() as conn:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        tenant = tenant_rows.authenticate(conn, "cm_old")
        key = conn.execute("SELECT end_to_end_key FROM payments WHERE pk = 1").fetchone()[0]
        names = [r[0] for r in conn.execute("SELECT name FROM tokens")]
    store.close()
    assert (version, tenant.name, names) == (2, "acme", ["token-1"])
    assert key.startswith("e2e:E2E-9")
    server = ServerProcess(data).start()
    try:
        with server.client("cm_old") as client:
            assert client.get_ledger("old").payments == 1
            # The booking held before the upgrade is recognised when reported again.
            reply = client.match_payment("old", payment_id="NEW-ID", amount_minor=125000,
                                         currency="EUR", value_date="2024-05-20",
                                         end_to_end_id="E2E-9")  # fmt: skip
            assert (reply.duplicate, reply.duplicate_of) == (True, "OLD-1")
    finally:
        server.terminate()


@pytest.mark.parametrize("name", ["", "x" * 101])
def test_token_names_are_checked(tmp_path, name):
    made = _cli("token", "create", "--tenant", "acme", "--name", name, "--data-dir", str(tmp_path))
    assert made.returncode == 2 and "token name" in made.stderr

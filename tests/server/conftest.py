"""A real cashmatch server process on a loopback port, and small hand-made ledgers."""

from __future__ import annotations

import datetime as dt
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pyarrow as pa
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cashmatch.engine.schemas import CUSTOMERS, OPEN_ITEMS, PAYMENTS
from cashmatch.server import tokens
from cashmatch.server.client import Client
from cashmatch.server.store import Store

D = dt.date
ISSUE = D(2024, 4, 15)
START_TIMEOUT_S = 60


class ServerProcess:
    """``python -m cashmatch.server.cli_service serve`` on 127.0.0.1, port chosen by the OS."""

    def __init__(
        self,
        data_dir: Path,
        *,
        env: dict | None = None,
        tls: tuple | None = None,
        args: list[str] | None = None,
        grace: float = 10,
    ):
        self.data_dir, self.extra_env, self.tls = data_dir, env or {}, tls
        self.args, self.grace = list(args or []), grace
        self.metrics_port = 0
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.lines: queue.Queue[str] = queue.Queue()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        command = [sys.executable, "-m", "cashmatch.server.cli_service", "serve",
                   "--grace", str(self.grace), "--data-dir", str(self.data_dir),
                   "--listen", "127.0.0.1:0", *self.args]  # fmt: skip
        if self.tls:
            command += ["--tls-cert", str(self.tls[0]), "--tls-key", str(self.tls[1])]
        env = {**os.environ, **self.extra_env}
        self.proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if line.startswith("cashmatch: metrics on "):
                self.metrics_port = int(line.rsplit(":", 1)[1].split("/")[0])
            if line.startswith("cashmatch: listening on "):
                self.port = int(line.rsplit(":", 1)[1])
            if self.port and ("--metrics-listen" not in self.args or self.metrics_port):
                return self
        self.kill()
        raise RuntimeError("server did not start")

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def peak_rss_kib(self) -> int:
        """The process's peak resident memory so far (VmHWM), KiB."""
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def output(self) -> list[str]:
        out = []
        while not self.lines.empty():
            out.append(self.lines.get_nowait())
        return out

    def client(self, token: str, **kwargs) -> Client:
        return Client(self.target, token, **kwargs)

    def health(self, service: str = "") -> int:
        with grpc.insecure_channel(self.target) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status

    def terminate(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self._finish()
        return code

    def kill(self) -> None:
        """kill -9: no chance to clean up."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)
        self._finish()

    def _finish(self) -> None:
        # The pump ends at EOF once the process is gone; then close the pipe.
        if self.proc and self.proc.stdout and not self.proc.stdout.closed:
            self.pump.join(10)
            self.proc.stdout.close()


def make_tokens(data_dir: Path, *tenants: str) -> dict[str, str]:
    store = Store(data_dir)
    try:
        return {tenant: tokens.create(store, tenant) for tenant in tenants}
    finally:
        store.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server per test module (starting one and compiling the engine costs seconds)."""
    data_dir = tmp_path_factory.mktemp("cashmatch-data")
    tokens = make_tokens(data_dir, "acme", "globex")
    proc = ServerProcess(data_dir).start()
    proc.tokens = tokens
    yield proc
    proc.kill()


@pytest.fixture
def acme(server):
    with server.client(server.tokens["acme"]) as client:
        yield client


@pytest.fixture
def globex(server):
    with server.client(server.tokens["globex"]) as client:
        yield client


def open_items(rows: list[tuple]) -> pa.Table:
    """Open items from (invoice_id, number, customer_id, amount_minor[, currency])."""
    return pa.Table.from_pylist(
        [
            {"invoice_id": r[0], "invoice_number": r[1], "customer_id": r[2],
             "customer_name": NAMES.get(r[2], r[2]), "currency": r[4] if len(r) > 4 else "EUR",
             "amount_open_minor": r[3], "issue_date": ISSUE,
             "due_date": ISSUE + dt.timedelta(days=30)}
            for r in rows
        ],
        schema=OPEN_ITEMS,
    )  # fmt: skip


NAMES = {
    "C1": "Northwind Precision Tools GmbH",
    "C2": "Acme International Supplies Inc",
    "C3": "Blue River Foods SA",
    "C5": "Granite Logistics Ltd",
}


def customers() -> pa.Table:
    return pa.Table.from_pylist(
        [{"customer_id": c, "name": n, "aliases": [], "bank_accounts": [],
          "parent_customer_id": None} for c, n in NAMES.items()],
        schema=CUSTOMERS,
    )  # fmt: skip


def payments(rows: list[dict], prefix: str = "P") -> pa.Table:
    base = {"currency": "EUR", "value_date": D(2024, 5, 20), "payer_name": None,
            "payer_account": None, "reference_text": None}  # fmt: skip
    return pa.Table.from_pylist(
        [{**base, "payment_id": f"{prefix}{k + 1}", **row} for k, row in enumerate(rows)],
        schema=PAYMENTS,
    )


STANDARD = [
    ("I1", "INV-2024-000123", "C1", 125000),
    ("I2", "INV-2024-000124", "C1", 98050),
    ("I3", "INV-2024-000132", "C2", 45000),
    ("I4", "INV-2024-000200", "C2", 30000),
    ("I7", "FA2400917", "C3", 500000),
    ("I9", "INV-2024-000300", "C5", 60000),
    ("I10", "INV-2024-000301", "C5", 60000),
]


def open_amounts(client: Client, ledger: str) -> dict[str, int]:
    table = client.get_open_items(ledger, include_closed=True)
    return dict(zip(table["invoice_id"].to_pylist(), table["amount_open_minor"].to_pylist(),
                    strict=True))  # fmt: skip

"""What an SRE watches: the service's Prometheus metrics (prometheus-client), own registry.

Exposed over HTTP only when ``cashmatch serve --metrics-listen HOST:PORT`` is
given. Every name starts with ``cashmatch_``:

* ``rpc_calls_total{method, code}`` and ``rpc_duration_seconds{method}``: calls
  by method and final status, and their latency;
* ``payments_total{status}``: payments ingested, by what became of them
  (``auto``, ``suggested``, ``unmatched``, ``duplicate``, ``possible_duplicate``);
* ``ingested_bytes_total{kind}``: bytes received as Arrow tables or files;
* ``index_builds_total`` and ``index_build_seconds``: engine indexes built;
* ``ledger_open_items{tenant, ledger}``: open items in a ledger's index when it
  was last built or moved.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    """The service's metrics; one instance per server (its own registry)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.calls = Counter(
            "cashmatch_rpc_calls", "gRPC calls by method and status code", ["method", "code"],
            registry=r,
        )  # fmt: skip
        self.latency = Histogram(
            "cashmatch_rpc_duration_seconds", "gRPC call latency", ["method"], buckets=_LATENCY,
            registry=r,
        )  # fmt: skip
        self.payments = Counter(
            "cashmatch_payments", "payments ingested, by outcome", ["status"], registry=r
        )
        self.bytes = Counter(
            "cashmatch_ingested_bytes", "bytes received, Arrow tables or files", ["kind"],
            registry=r,
        )  # fmt: skip
        self.index_builds = Counter("cashmatch_index_builds", "engine indexes built", registry=r)
        self.index_seconds = Histogram(
            "cashmatch_index_build_seconds", "time to build a ledger's engine index",
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 20, 60), registry=r,
        )  # fmt: skip
        self.open_items = Gauge(
            "cashmatch_ledger_open_items", "open items in a ledger's engine index",
            ["tenant", "ledger"], registry=r,
        )  # fmt: skip

    def call(self, method: str, code: str, seconds: float) -> None:
        self.calls.labels(method, code).inc()
        self.latency.labels(method).observe(seconds)

    def ingested(self, statuses: dict[str, int], kind: str | None = None, size: int = 0) -> None:
        for status, count in statuses.items():
            if count:
                self.payments.labels(status).inc(count)
        if kind:
            self.bytes.labels(kind).inc(size)

    def received(self, kind: str, size: int) -> None:
        self.bytes.labels(kind).inc(size)

    def index_built(self, names: tuple[str, str], seconds: float, open_items: int) -> None:
        self.index_builds.inc()
        self.index_seconds.observe(seconds)
        self.open_items.labels(*names).set(open_items)

    def serve(self, host: str, port: int) -> int:
        """Serve ``/metrics`` over HTTP on host:port (0: any free port); the port."""
        server, _ = start_http_server(port, addr=host, registry=self.registry)
        return server.server_port

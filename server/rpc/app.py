"""Running the service: the gRPC server, health checking, reflection, metrics, bounded shutdown.

On SIGTERM or SIGINT the health status turns NOT_SERVING at once (load
balancers stop sending calls), calls in flight get up to ``grace`` seconds to
finish, then the process exits, whatever is still running: a call cut short
there is cut short like a kill -9, which the store is built to survive (its
transaction is rolled back, nothing acknowledged is lost). The exit never takes
much more than ``grace`` seconds.
"""

from __future__ import annotations

import faulthandler
import fcntl
import json
import logging
import os
import signal
import sys
import threading
import time
from concurrent import futures
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from cashmatch.engine import MatchConfig
from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2 as pb
from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2_grpc as pb_grpc
from cashmatch.server.index_cache import IndexCache
from cashmatch.server.ledger import Ledgers
from cashmatch.server.limits import Limits
from cashmatch.server.metrics import Metrics
from cashmatch.server.rpc.interceptors import interceptors
from cashmatch.server.rpc.servicer import CashMatchService
from cashmatch.server.store import Store, private_dir

log = logging.getLogger("cashmatch.server")

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["CashMatchService"].full_name
# What the exit may take beyond the grace period: closing the store, flushing logs.
EXIT_MARGIN_S = 2.0


@dataclass
class Running:
    """A started server.

    Attributes:
        server: the grpc server.
        port: the port it listens on (useful when asked for port 0).
        health: the health servicer, to turn NOT_SERVING before stopping.
        service: the CashMatchService servicer.
        cache: the ledgers' engine indexes.
        store: the durable state.
        metrics: the metrics registry and its objects.
    """

    server: grpc.Server
    port: int
    health: health.HealthServicer
    service: CashMatchService
    cache: IndexCache
    store: Store
    metrics: Metrics

    def stop(self, grace: float) -> bool:
        """Refuse new work, give calls in flight ``grace`` seconds; whether they all ended."""
        # Load balancers see NOT_SERVING first and stop sending calls here.
        self.health.enter_graceful_shutdown()
        done = self.server.stop(grace).wait(grace + EXIT_MARGIN_S / 2)
        self.cache.close()
        return done


def start(
    data_dir: str,
    listen: str,
    *,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    limits: Limits | None = None,
    workers: int = 8,
    config: MatchConfig | None = None,
) -> Running:
    """Open the store under ``data_dir`` and start serving on ``listen`` (HOST:PORT)."""
    limits = limits or Limits()
    store = Store(data_dir)
    metrics = Metrics()
    cache = IndexCache(store, config or MatchConfig(), metrics=metrics)
    service = CashMatchService(Ledgers(store, cache), limits, metrics)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cashmatch-rpc"),
        interceptors=interceptors(store, metrics),
        options=[
            ("grpc.max_send_message_length", limits.max_message_bytes),
            ("grpc.max_receive_message_length", limits.max_message_bytes),
            # Two servers must never share a port (and a data directory).
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=workers * 8,
    )
    pb_grpc.add_CashMatchServiceServicer_to_server(service, server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    if tls_cert or tls_key:
        if not (tls_cert and tls_key):
            raise ValueError("TLS needs both --tls-cert and --tls-key")
        with open(tls_key, "rb") as key, open(tls_cert, "rb") as cert:
            credentials = grpc.ssl_server_credentials([(key.read(), cert.read())])
        port = server.add_secure_port(listen, credentials)
    else:
        port = server.add_insecure_port(listen)
    if not port:
        raise OSError(f"cannot listen on {listen}")
    server.start()
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return Running(server, port, health_servicer, service, cache, store, metrics)


def _lock_data_dir(data_dir: str):
    """Hold an exclusive lock on the data directory for the life of the process."""
    private_dir(data_dir)
    path = os.path.join(data_dir, "server.lock")
    handle = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"cashmatch: another server is using {data_dir}") from None
    return handle


class _JsonLines(logging.Formatter):
    """One JSON object per line: the call log's format (its message is a JSON object already)."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        head = {"ts": f"{stamp}.{int(record.msecs):03d}Z", "level": record.levelname.lower()}
        try:
            body = json.loads(record.getMessage())
        except ValueError:
            body = {"message": record.getMessage()}
        if record.exc_info:
            body["error"] = self.formatException(record.exc_info)
        return json.dumps({**head, **body}, ensure_ascii=False)


def configure_logging() -> None:
    """Service logs on stderr, one JSON object per line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonLines())
    root = logging.getLogger("cashmatch")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


def serve(
    data_dir: str,
    listen: str,
    *,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    limits: Limits | None = None,
    workers: int = 8,
    grace: float = 30.0,
    warm: bool = True,
    metrics_listen: str | None = None,
) -> int:
    """Serve until SIGTERM or SIGINT, then shut down within ``grace`` seconds (and exit)."""
    configure_logging()
    lock = _lock_data_dir(data_dir)
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # kill -USR1 <pid>: every thread's stack on stderr, for a call that seems stuck.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    running = start(
        data_dir, listen, tls_cert=tls_cert, tls_key=tls_key, limits=limits, workers=workers
    )
    host = listen.rsplit(":", 1)[0]
    # Tests and scripts read these lines to learn the ports (listen on port 0).
    print(f"cashmatch: listening on {host}:{running.port}", flush=True)
    if metrics_listen:
        metrics_host, _, metrics_port = metrics_listen.rpartition(":")
        port = running.metrics.serve(metrics_host or "127.0.0.1", int(metrics_port))
        print(f"cashmatch: metrics on http://{metrics_host}:{port}/metrics", flush=True)
    if warm:
        # Rebuild the in-memory indexes from the store, in the background so
        # that health checks answer at once.
        threading.Thread(target=_warm, args=(running.cache,), daemon=True).start()
    while not stopping.wait(0.05):
        pass
    print("cashmatch: shutting down", file=sys.stderr, flush=True)
    # Whatever happens below, the process is gone soon after the grace period.
    watchdog = threading.Timer(grace + EXIT_MARGIN_S, os._exit, args=(1,))
    watchdog.daemon = True
    watchdog.start()
    finished = running.stop(grace)
    if not finished:
        log.warning("calls still running after %.1f s of grace: exiting without them", grace)
    running.store.close()
    lock.close()
    sys.stdout.flush()
    sys.stderr.flush()
    # Worker threads still inside a call would hold a normal exit back: leave now.
    os._exit(0)


def _warm(cache: IndexCache) -> None:
    try:
        count = cache.warm()
        log.info("indexed %d ledger(s)", count)
    except Exception:  # a failed warm-up only costs the first call its index build
        log.exception("warming ledger indexes failed")

"""Running the service: the gRPC server with health checking, reflection and graceful shutdown."""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import sys
import threading
from concurrent import futures
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2 as pb
from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2_grpc as pb_grpc
from cashmatch.server.limits import Limits
from cashmatch.server.service import CashMatchService
from cashmatch.server.store import Store

log = logging.getLogger("cashmatch.server")

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["CashMatchService"].full_name


@dataclass
class Running:
    """A started server.

    Attributes:
        server: the grpc server.
        port: the port it listens on (useful when asked for port 0).
        health: the health servicer, to turn NOT_SERVING before stopping.
        service: the CashMatchService servicer.
    """

    server: grpc.Server
    port: int
    health: health.HealthServicer
    service: CashMatchService

    def stop(self, grace: float) -> None:
        """Refuse new work, let in-flight calls finish for up to ``grace`` seconds, stop."""
        # Load balancers see NOT_SERVING first and stop sending calls here.
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        self.service.close()
        self.service.store.close()


def start(
    data_dir: str,
    listen: str,
    *,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    limits: Limits | None = None,
    workers: int = 8,
) -> Running:
    """Open the store under ``data_dir`` and start serving on ``listen`` (HOST:PORT)."""
    limits = limits or Limits()
    store = Store(data_dir)
    service = CashMatchService(store, limits)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cashmatch-rpc"),
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
    return Running(server, port, health_servicer, service)


def _lock_data_dir(data_dir: str):
    """Hold an exclusive lock on the data directory for the life of the process."""
    os.makedirs(data_dir, exist_ok=True)
    handle = open(os.path.join(data_dir, "server.lock"), "w")  # noqa: SIM115 (held open)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"cashmatch: another server is using {data_dir}") from None
    return handle


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
) -> int:
    """Serve until SIGTERM or SIGINT, then shut down gracefully. Returns the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    lock = _lock_data_dir(data_dir)
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    running = start(
        data_dir, listen, tls_cert=tls_cert, tls_key=tls_key, limits=limits, workers=workers
    )
    host = listen.rsplit(":", 1)[0]
    # Tests and scripts read this line to learn the port (listen on port 0).
    print(f"cashmatch: listening on {host}:{running.port}", flush=True)
    if warm:
        # Rebuild the in-memory indexes from the store, in the background so
        # that health checks answer at once.
        threading.Thread(target=_warm, args=(running.service,), daemon=True).start()
    while not stopping.wait(0.5):
        pass
    print("cashmatch: shutting down", file=sys.stderr, flush=True)
    running.stop(grace)
    lock.close()
    return 0


def _warm(service: CashMatchService) -> None:
    try:
        count = service.warm()
        log.info("indexed %d ledger(s)", count)
    except Exception:  # a failed warm-up only costs the first call its index build
        log.exception("warming ledger indexes failed")

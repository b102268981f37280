"""Server interceptors: authentication, error mapping, and one log line and metrics per call.

Applied to every method of the service (health checking and reflection need
no token and are not logged):

* :class:`CallRecords` (outermost): times the call and, when it ends, counts
  it in the metrics and writes one structured (JSON) log line: tenant,
  method, status, duration, rows in and out. Never the token.
* :class:`ErrorMapping`: a :class:`~cashmatch.server.errors.ServiceError`,
  :class:`~cashmatch.engine.InputError` or
  :class:`~cashmatch.loaders.LoadError` becomes its status with a bounded
  message and ``google.rpc.BadRequest`` field violations (values cut, at most
  20, well under gRPC's metadata limit); anything else is INTERNAL, logged on
  the server, and says nothing of the internals.
* :class:`Authentication`: the bearer token names an active token of a
  tenant, or the call is UNAUTHENTICATED; the servicer reads the tenant with
  :func:`tenant`.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from collections.abc import Callable

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from cashmatch.engine.errors import InputError
from cashmatch.loaders.errors import LoadError
from cashmatch.server.errors import (
    FIELD_CHARS,
    MAX_VIOLATIONS,
    ServiceError,
    Unauthenticated,
    bounded,
)
from cashmatch.server.store import Store, Tenant
from cashmatch.server.store import tenants as tenant_rows

log = logging.getLogger("cashmatch.server")
calls_log = logging.getLogger("cashmatch.server.calls")

OPEN_SERVICES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


class CallRecord:
    """What is known of the call under way, for its log line."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.tenant: str | None = None
        self.code = "OK"
        self.rows_in = 0
        self.rows_out = 0


_tenant: contextvars.ContextVar[Tenant | None] = contextvars.ContextVar("tenant", default=None)
_record: contextvars.ContextVar[CallRecord | None] = contextvars.ContextVar("record", default=None)


def tenant() -> Tenant:
    """The authenticated tenant of the call under way."""
    found = _tenant.get()
    if found is None:
        raise Unauthenticated("missing authorization metadata: 'Bearer <token>'")
    return found


def count_rows(rows_in: int = 0, rows_out: int = 0) -> None:
    """Add to the rows the call's log line reports."""
    record = _record.get()
    if record is not None:
        record.rows_in += rows_in
        record.rows_out += rows_out


def _wrap(handler: grpc.RpcMethodHandler, around: Callable) -> grpc.RpcMethodHandler:
    """The same handler with each behaviour passed through ``around(behaviour, streaming)``."""
    for kind, factory in (
        ("unary_unary", grpc.unary_unary_rpc_method_handler),
        ("unary_stream", grpc.unary_stream_rpc_method_handler),
        ("stream_unary", grpc.stream_unary_rpc_method_handler),
        ("stream_stream", grpc.stream_stream_rpc_method_handler),
    ):
        behaviour = getattr(handler, kind)
        if behaviour is not None:
            return factory(
                around(behaviour, handler.response_streaming),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
    return handler


def _open(method: str) -> bool:
    return method.startswith(OPEN_SERVICES)


class _Interceptor(grpc.ServerInterceptor):
    def intercept_service(self, continuation, details):
        handler = continuation(details)
        if handler is None or _open(details.method):
            return handler
        return _wrap(handler, lambda behaviour, streaming: self.around(
            behaviour, streaming, details))  # fmt: skip

    def around(self, behaviour, streaming: bool, details):  # pragma: no cover - abstract
        raise NotImplementedError


def _run(behaviour, streaming: bool, before: Callable, on_error: Callable, after: Callable):
    """A behaviour with ``before()`` first, ``on_error(error, context)``, ``after()`` last."""
    if streaming:

        def stream(request, context):
            token = before(context)
            try:
                yield from behaviour(request, context)
            except Exception as error:
                on_error(error, context)
            finally:
                after(token)

        return stream

    def unary(request, context):
        token = before(context)
        try:
            return behaviour(request, context)
        except Exception as error:
            on_error(error, context)
        finally:
            after(token)

    return unary


def _reraise(error, context):
    raise error


class CallRecords(_Interceptor):
    """Times each call; counts it in ``metrics`` and logs one JSON line when it ends."""

    def __init__(self, metrics=None):
        self.metrics = metrics

    def around(self, behaviour, streaming, details):
        method = details.method.rsplit("/", 1)[-1]
        started: list[float] = []

        def before(context):
            started.append(time.perf_counter())
            return _record.set(CallRecord(method))

        def after(token):
            record = _record.get()
            _record.reset(token)
            seconds = time.perf_counter() - started[-1]
            if self.metrics is not None:
                self.metrics.call(method, record.code, seconds)
            calls_log.info(
                json.dumps(
                    {"event": "rpc", "method": method, "tenant": record.tenant,
                     "status": record.code, "duration_ms": round(seconds * 1000, 3),
                     "rows_in": record.rows_in, "rows_out": record.rows_out},
                    ensure_ascii=False,
                )
            )  # fmt: skip

        def on_error(error, context):
            record = _record.get()
            if record is not None and record.code == "OK":
                # An abort from below, already mapped: read its code.
                code = context.code()
                record.code = code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"
            raise error

        return _run(behaviour, streaming, before, on_error, after)


class ErrorMapping(_Interceptor):
    """Domain errors to statuses with bounded details; the rest to INTERNAL."""

    def around(self, behaviour, streaming, details):
        return _run(behaviour, streaming, lambda context: None, abort, lambda token: None)


class Authentication(_Interceptor):
    """The bearer token must name an active token; the tenant is then the call's."""

    def __init__(self, store: Store):
        self.store = store

    def around(self, behaviour, streaming, details):
        metadata = details.invocation_metadata

        def before(context):
            found = self._authenticate(metadata)
            record = _record.get()
            if record is not None:
                record.tenant = found.name
            return _tenant.set(found)

        def after(token):
            if token is not None:
                _tenant.reset(token)

        return _run(behaviour, streaming, before, _reraise, after)

    def _authenticate(self, metadata) -> Tenant:
        token = None
        for key, value in metadata or ():
            if key == "authorization":
                scheme, _, secret = value.partition(" ")
                if scheme.lower() != "bearer" or not secret.strip():
                    raise Unauthenticated("authorization must be 'Bearer <token>'")
                token = secret.strip()
                break
        if token is None:
            raise Unauthenticated("missing authorization metadata: 'Bearer <token>'")
        with self.store.snapshot() as db:
            found = tenant_rows.authenticate(db, token)
        if found is None:
            raise Unauthenticated("unknown or revoked bearer token")
        return found


def status_of(error: BaseException) -> tuple[str, str, list[tuple[str, str]]]:
    """A domain error's status code name, message and field violations."""
    if isinstance(error, ServiceError):
        return error.code, error.message, error.violations
    if isinstance(error, InputError):
        field = error.table
        if error.row is not None:
            field += f".row[{error.row}]"
        if error.column is not None:
            field += f".{error.column}"
        return "INVALID_ARGUMENT", str(error), [(field, error.message)]
    if isinstance(error, LoadError):
        where = [
            f"{name} {value}"
            for name, value in (
                ("line", error.line),
                ("row", error.row),
                ("element", error.element),
            )
            if value is not None
        ]
        field = error.path + (f" ({', '.join(where)})" if where else "")
        if error.field:
            field += f".{error.field}"
        return "INVALID_ARGUMENT", str(error), [(field, error.message)]
    return "INTERNAL", "internal error (logged on the server)", []


def abort(error: BaseException, context: grpc.ServicerContext) -> None:
    """End the call with the status ``error`` maps to (never returns)."""
    if _aborted(error, context):
        raise error
    code, message, violations = status_of(error)
    record = _record.get()
    if record is not None:
        record.code = code
    if code == "INTERNAL":
        log.error("unexpected error", exc_info=error)
    status = status_pb2.Status(code=getattr(code_pb2, code), message=bounded(message))
    if violations:
        detail = any_pb2.Any()
        detail.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=bounded(f, FIELD_CHARS), description=bounded(d)
                    )
                    for f, d in violations[:MAX_VIOLATIONS]
                ]
            )
        )
        status.details.append(detail)
    context.abort_with_status(rpc_status.to_status(status))


def _aborted(error: BaseException, context: grpc.ServicerContext) -> bool:
    # context.abort*() sets the code and raises a bare Exception: let it pass.
    return type(error) is Exception and context.code() not in (None, grpc.StatusCode.OK)


def interceptors(store: Store, metrics=None) -> list[grpc.ServerInterceptor]:
    """The service's interceptors, outermost first."""
    return [CallRecords(metrics), ErrorMapping(), Authentication(store)]


__all__ = ["abort", "count_rows", "interceptors", "status_of", "tenant"]

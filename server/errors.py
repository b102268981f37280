"""Domain errors of the service, each bound to the gRPC status code it maps to."""

from __future__ import annotations

import grpc


class ServiceError(Exception):
    """An error a client is meant to see: a status code, a message, field violations.

    Args:
        message: what went wrong, for a person (never internals).
        violations: ``(field, description)`` pairs for a google.rpc.BadRequest detail;
            ``field`` names the table, batch, row and column, e.g.
            ``payments.batch[0].row[3].currency``.
    """

    code = grpc.StatusCode.INTERNAL

    def __init__(self, message: str, violations: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.message = message
        self.violations = list(violations or [])


class InvalidArgument(ServiceError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(ServiceError):
    code = grpc.StatusCode.NOT_FOUND


class Unauthenticated(ServiceError):
    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(ServiceError):
    code = grpc.StatusCode.PERMISSION_DENIED


class FailedPrecondition(ServiceError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class ResourceExhausted(ServiceError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED

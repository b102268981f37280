"""Domain errors of the service, each bound to the status it maps to, and bounded in size.

A client sees these, through gRPC (:mod:`cashmatch.server.rpc.interceptors`)
or any other front end: a status name, a message for a person and field
violations naming table, batch, row and column. Inputs can be arbitrarily
long, so nothing here echoes them whole: :func:`quote` cuts a value to about
100 characters, and every message and violation is cut again when it is sent.
"""

from __future__ import annotations

import re

VALUE_CHARS = 100  # of an input value quoted in a message
MESSAGE_CHARS = 500
FIELD_CHARS = 200
MAX_VIOLATIONS = 20

_LONG_RUN = re.compile(r"\S{" + str(VALUE_CHARS + 1) + ",}")
_LONG_QUOTE = re.compile(r"'[^'\n]{" + str(VALUE_CHARS + 1) + ",}'")


def quote(value: object, most: int = VALUE_CHARS) -> str:
    """``repr(value)``, cut to about ``most`` characters.

    Example:
        >>> quote("x" * 20_000)[-8:], len(quote("x" * 20_000))
        ("xxxx...'", 105)
    """
    text = repr(value)
    return text if len(text) <= most + 2 else text[: most + 1] + "...'"


def bounded(text: str, most: int = MESSAGE_CHARS) -> str:
    """A message with every long value cut (runs without spaces, quoted strings), then cut whole.

    Example:
        >>> message = bounded("row 3: not a decimal amount: '" + "9" * 50_000 + "'")
        >>> message[:40], len(message)
        ("row 3: not a decimal amount: '9999999999", 132)
        >>> len(bounded("word " * 1000))
        500
    """
    text = _LONG_QUOTE.sub(lambda m: m.group(0)[: VALUE_CHARS + 1] + "...'", text)
    text = _LONG_RUN.sub(lambda m: m.group(0)[:VALUE_CHARS] + "...", text)
    return text if len(text) <= most else text[: most - 3] + "..."


class ServiceError(Exception):
    """An error a client is meant to see: a status, a message, field violations.

    Args:
        message: what went wrong, for a person (never internals).
        violations: ``(field, description)`` pairs for a google.rpc.BadRequest detail;
            ``field`` names the table, batch, row and column, e.g.
            ``payments.batch[0].row[3].currency``.
    """

    code = "INTERNAL"  # a grpc.StatusCode name

    def __init__(self, message: str, violations: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.message = message
        self.violations = list(violations or [])


class InvalidArgument(ServiceError):
    code = "INVALID_ARGUMENT"


class NotFound(ServiceError):
    code = "NOT_FOUND"


class Unauthenticated(ServiceError):
    code = "UNAUTHENTICATED"


class PermissionDenied(ServiceError):
    code = "PERMISSION_DENIED"


class FailedPrecondition(ServiceError):
    code = "FAILED_PRECONDITION"


class ResourceExhausted(ServiceError):
    code = "RESOURCE_EXHAUSTED"

"""Bearer tokens of tenants: created, listed (never their secret), revoked, rotated.

Only a token's sha256 is stored; the secret is shown once, when it is made. A
token has a name, unique among its tenant's active tokens (``default`` for a
tenant's first), so that it can be listed, revoked and rotated by name. A
revoked token is refused from the next call on; rotating a token gives its
name a new secret and revokes the old one in one transaction.

Example:
    >>> store = Store(tmp)                                   # doctest: +SKIP
    >>> secret = create(store, "acme", "ci")                 # doctest: +SKIP
    >>> [(t.tenant, t.name) for t in listing(store)]         # doctest: +SKIP
    [('acme', 'ci')]
"""

from __future__ import annotations

import secrets

from cashmatch.server.errors import InvalidArgument, NotFound, quote
from cashmatch.server.store import Store, hash_token
from cashmatch.server.store import tenants as rows
from cashmatch.server.store.tenants import TokenInfo


def _new_secret() -> str:
    return "cm_" + secrets.token_urlsafe(32)


def _check(tenant: str, name: str | None) -> None:
    if not tenant or len(tenant) > 200 or not tenant.isprintable():
        raise InvalidArgument("tenant name must be 1 to 200 printable characters")
    if name is not None and (not name or len(name) > 100 or not name.isprintable()):
        raise InvalidArgument("token name must be 1 to 100 printable characters")


def create(store: Store, tenant: str, name: str | None = None) -> str:
    """Create ``tenant`` if new and a token for it; the secret (shown only now).

    Raises:
        InvalidArgument: the tenant already has an active token of that name.
    """
    _check(tenant, name)
    secret = _new_secret()
    with store.transaction() as db:
        tenant_pk = rows.tenant_id(db, tenant, create=True)
        taken = rows.active_token_names(db, tenant_pk)
        if name is None:
            name = "default" if "default" not in taken else _next_name(taken)
        elif name in taken:
            raise InvalidArgument(
                f"tenant {quote(tenant)} has an active token {quote(name)}: rotate or revoke it"
            )
        rows.insert_token(db, tenant_pk, name, hash_token(secret))
    return secret


def _next_name(taken: set[str]) -> str:
    k = 2
    while f"token-{k}" in taken:
        k += 1
    return f"token-{k}"


def listing(store: Store, tenant: str | None = None) -> list[TokenInfo]:
    """Every token (of one tenant, if given): tenant, name, created, revoked."""
    with store.snapshot() as db:
        return rows.tokens(db, tenant)


def revoke(store: Store, tenant: str, name: str) -> None:
    """Revoke the tenant's active token ``name``: refused from the next call on.

    Raises:
        NotFound: no such active token.
    """
    _check(tenant, name)
    with store.transaction() as db:
        tenant_pk = rows.tenant_id(db, tenant, create=False)
        if tenant_pk is None or not rows.revoke_token(db, tenant_pk, name):
            raise NotFound(f"tenant {quote(tenant)} has no active token {quote(name)}")


def rotate(store: Store, tenant: str, name: str) -> str:
    """A new secret for the token ``name``, the old one revoked at once; the new secret.

    Raises:
        NotFound: no such active token.
    """
    _check(tenant, name)
    secret = _new_secret()
    with store.transaction() as db:
        tenant_pk = rows.tenant_id(db, tenant, create=False)
        if tenant_pk is None or not rows.revoke_token(db, tenant_pk, name):
            raise NotFound(f"tenant {quote(tenant)} has no active token {quote(name)}")
        rows.insert_token(db, tenant_pk, name, hash_token(secret))
    return secret

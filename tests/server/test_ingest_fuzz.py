"""The same IPC fuzz through the whole ingest in process (door, identity, engine, store).

Faster than the real server's, so it runs more cases (``CASHMATCH_INGEST_FUZZ_CASES``,
default 3000): anything but a ServiceError here would be an INTERNAL there.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings

from cashmatch.engine import MatchConfig
from cashmatch.server import tokens
from cashmatch.server.errors import ServiceError
from cashmatch.server.index_cache import IndexCache
from cashmatch.server.ledger import Ledgers
from cashmatch.server.limits import Limits
from cashmatch.server.rpc.convert import read_ipc
from cashmatch.server.store import Store
from cashmatch.server.store import tenants as tenant_rows
from tests.server.conftest import STANDARD, customers, open_items
from tests.server.test_hostile_ipc import _mutated

CASES = int(os.environ.get("CASHMATCH_INGEST_FUZZ_CASES", "3000"))


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("ingest-fuzz"))
    secret = tokens.create(store, "acme")
    with store.snapshot() as db:
        tenant = tenant_rows.authenticate(db, secret)
    service = Ledgers(store, IndexCache(store, MatchConfig()))
    service.put_open_items(tenant, "fuzz", open_items=open_items(STANDARD), customers=customers())
    yield service, tenant
    service.cache.close()
    store.close()


@settings(
    max_examples=CASES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=_mutated())
def test_fuzz_the_whole_ingest(ledgers, data):
    service, tenant = ledgers
    try:
        payments = read_ipc(data, "payments", Limits())
        outcome = service.ingest(tenant, "fuzz", payments)
    except ServiceError:
        return
    assert outcome.received == payments.num_rows
    assert outcome.new + len(outcome.duplicates) == outcome.received

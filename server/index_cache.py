"""The engine index of each ledger, kept in memory, and the per-ledger locks that guard it.

Matching and applying one ledger's payments are serialised by a per-ledger
lock, so concurrent clients get what they would get one after another; every
use of a ledger's index holds that lock, which lets the index be moved in
place after applications (:meth:`~cashmatch.engine.OpenItemIndex.update_open_amounts`,
well under a millisecond where a rebuild of a large ledger takes seconds). An
index is rebuilt when the ledger's version (bumped by every change to open
amounts, open items or learned identities) moved on without it.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from concurrent import futures

from cashmatch.engine import MatchConfig, OpenItemIndex, build_index
from cashmatch.server.metrics import Metrics
from cashmatch.server.store import Store, tenants
from cashmatch.server.store import ledgers as ledger_rows

log = logging.getLogger("cashmatch.server")


class IndexCache:
    """Engine indexes of the most recently used ledgers.

    Args:
        store: where ledgers are read from.
        config: the engine's tunables, for every ledger.
        size: ledgers whose index is kept in memory.
        metrics: where index builds are counted.
    """

    def __init__(self, store: Store, config: MatchConfig, size: int = 64, metrics=None):
        self.store, self.config, self.size = store, config, size
        self.metrics: Metrics | None = metrics
        self._cache: collections.OrderedDict[int, tuple[int, OpenItemIndex]] = (
            collections.OrderedDict()
        )
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()
        # Rebuilds an index right after a review changed its ledger, so the
        # next call (a payment arriving on its own) finds it ready.
        self._rebuilder = futures.ThreadPoolExecutor(1, thread_name_prefix="cashmatch-index")

    def lock(self, ledger_pk: int) -> threading.Lock:
        """The lock of one ledger: hold it to use or change its index or its payments."""
        with self._guard:
            return self._locks.setdefault(ledger_pk, threading.Lock())

    def index(self, ledger_pk: int) -> OpenItemIndex:
        """The engine index of the ledger's current state; the ledger's lock held."""
        with self.store.snapshot() as db:
            current = ledger_rows.version(db, ledger_pk)
        with self._guard:
            cached = self._cache.get(ledger_pk)
            if cached is not None and cached[0] == current:
                self._cache.move_to_end(ledger_pk)
                return cached[1]
        started = time.perf_counter()
        with self.store.snapshot() as db:
            current = ledger_rows.version(db, ledger_pk)
            items = ledger_rows.load_open_items(db, ledger_pk, include_closed=False)
            customers = ledger_rows.load_customers(db, ledger_pk)
            names = tenants.ledger_names(db, ledger_pk)
        index = build_index(items, customers, self.config)
        del items, customers
        if self.metrics is not None:
            self.metrics.index_built(names, time.perf_counter() - started, len(index))
        self._keep(ledger_pk, current, index)
        return index

    def _keep(self, ledger_pk: int, version: int, index: OpenItemIndex) -> None:
        with self._guard:
            self._cache[ledger_pk] = (version, index)
            self._cache.move_to_end(ledger_pk)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)

    def cached(self, ledger_pk: int) -> OpenItemIndex | None:
        """The cached index whatever its version (the lock held), or None."""
        with self._guard:
            found = self._cache.get(ledger_pk)
        return None if found is None else found[1]

    def moved_on(self, ledger_pk: int, index: OpenItemIndex) -> None:
        """The index was updated in place to the ledger's state as now committed; lock held."""
        with self.store.snapshot() as db:
            current = ledger_rows.version(db, ledger_pk)
        self._keep(ledger_pk, current, index)

    def forget(self, ledger_pk: int) -> None:
        """Drop the ledger's index (it may have been moved past what was committed)."""
        with self._guard:
            self._cache.pop(ledger_pk, None)

    def refresh_later(self, ledger_pk: int) -> None:
        """Rebuild the ledger's index in the background, if it is stale by then."""

        def refresh() -> None:
            try:
                with self.lock(ledger_pk):
                    self.index(ledger_pk)
            except Exception:  # the next call builds it anyway
                log.exception("rebuilding the index of ledger %d failed", ledger_pk)

        with contextlib.suppress(RuntimeError):  # shutting down
            self._rebuilder.submit(refresh)

    def warm(self) -> int:
        """Build the index of the most recently changed ledgers (on start)."""
        with self.store.snapshot() as db:
            pks = tenants.ledger_pks(db)
        count = 0
        for pk in pks[: self.size]:
            with self.lock(pk):
                self.index(pk)
            count += 1
        return count

    def close(self) -> None:
        """Stop the background rebuilds; one under way is not waited for."""
        self._rebuilder.shutdown(wait=False, cancel_futures=True)

"""The service's use cases, for any front end: gRPC (:mod:`cashmatch.server.rpc`) or a web console.

:class:`Ledgers` is the whole of it: each method takes the authenticated
tenant, a ledger id and plain values or Arrow tables, applies the business
policy (:mod:`.ingest`, :mod:`.review`, :mod:`.postings`, :mod:`.files`) and
returns plain values; it raises :mod:`cashmatch.server.errors` for a client to
see. Nothing here knows gRPC.

A ledger id names a ledger within its tenant; another tenant's ledger of the
same name is, to this tenant, a name that is free: reading it finds nothing
(NOT_FOUND, the same answer as for a name never used), and writing to it
makes this tenant's own ledger.

Example:
    >>> ledgers = Ledgers(store, IndexCache(store, MatchConfig()))   # doctest: +SKIP
    >>> ledgers.put_open_items(tenant, "acme-eu", open_items=items)   # doctest: +SKIP
    >>> outcome = ledgers.ingest(tenant, "acme-eu", payments)         # doctest: +SKIP
    >>> outcome.statuses, outcome.matches.num_rows                     # doctest: +SKIP
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import pyarrow as pa

from cashmatch.engine.schemas import MATCHES, PAYMENTS
from cashmatch.engine.validate import MAX_AMOUNT_MINOR
from cashmatch.loaders.identity import SAME, Verdict
from cashmatch.server.errors import InvalidArgument, NotFound, quote
from cashmatch.server.faults import fault
from cashmatch.server.index_cache import IndexCache
from cashmatch.server.ledger import review
from cashmatch.server.ledger.files import Upload, Uploads, read_upload
from cashmatch.server.ledger.ingest import FileIn, Incoming, Ingest, Outcome
from cashmatch.server.ledger.postings import REVIEWABLE
from cashmatch.server.limits import Limits
from cashmatch.server.store import Ledger, Store, Tenant, journal
from cashmatch.server.store import ledgers as ledger_rows
from cashmatch.server.store import payments as payment_rows
from cashmatch.server.store import tenants as tenant_rows

MAX_LEDGER_ID = 200
# A ledger's open items in one currency, in absolute value, sum to at most
# this: every total the service reports (and every amount one call applies)
# then fits in int64 with room to spare.
MAX_LEDGER_TOTAL_MINOR = 9 * 10**18


@dataclass
class PutResult:
    ledger: Ledger
    open_items_received: int
    customers_received: int
    invoices_closed: int
    invoices_removed: int
    ledger_open_items: int


@dataclass
class FileResult:
    """What one uploaded file yielded."""

    file_name: str
    sha256: str
    format: str
    duplicate: bool
    payments: int
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass
class Totals:
    """Counts and totals of a ledger (money exact, per currency)."""

    ledger_id: str
    open_items: int
    open_minor_by_currency: dict[str, int]
    customers: int
    payments: int
    payments_by_status: dict[str, int]
    last_sequence: int
    version: int


def check_ledger_id(ledger_id: str) -> None:
    if not ledger_id or len(ledger_id) > MAX_LEDGER_ID or not ledger_id.isprintable():
        raise InvalidArgument(
            "ledger_id is required", [("ledger_id", f"1 to {MAX_LEDGER_ID} printable characters")]
        )


class Ledgers:
    """Every use case of the service.

    Args:
        store: the durable state.
        cache: the ledgers' engine indexes and locks.
        chunk_rows: payments matched at once by an ingest.
    """

    def __init__(self, store: Store, cache: IndexCache, chunk_rows: int | None = None):
        self.store, self.cache = store, cache
        self._ingest = Ingest(store, cache, **({"chunk_rows": chunk_rows} if chunk_rows else {}))

    # -- ledgers ---------------------------------------------------------------

    def ledger(self, tenant: Tenant, ledger_id: str) -> Ledger:
        """The tenant's ledger; NOT_FOUND alike for a free name and another tenant's."""
        check_ledger_id(ledger_id)
        with self.store.snapshot() as db:
            found = tenant_rows.find_ledger(db, tenant, ledger_id)
        if found is None:
            raise NotFound(f"no ledger {quote(ledger_id)}: send its open items first")
        return found

    def put_open_items(
        self,
        tenant: Tenant,
        ledger_id: str,
        *,
        snapshot: bool = True,
        open_items: pa.Table | None = None,
        customers: pa.Table | None = None,
        closed_invoice_ids: list[str] = (),
        posted_through: int = 0,
    ) -> PutResult:
        """Replace (snapshot) or change (incremental) a ledger's open items, in one transaction.

        Tables are validated already (:mod:`cashmatch.engine.validate`). An
        open amount sent by the ERP already holds the applications up to
        ``posted_through`` (the highest ever given is kept); the later ones are
        subtracted from it, so nothing is applied twice.

        Raises:
            InvalidArgument: a snapshot with closed ids; open items whose
                amounts in one currency would sum past ``MAX_LEDGER_TOTAL_MINOR``.
        """
        check_ledger_id(ledger_id)
        if snapshot and closed_invoice_ids:
            raise InvalidArgument(
                "closed_invoice_ids is for incremental changes",
                [("closed_invoice_ids", "not allowed with a snapshot")],
            )
        with self.store.snapshot() as db:
            existing = tenant_rows.find_ledger(db, tenant, ledger_id)
        # The ledger lock keeps a match from reading half a put (SQLite would
        # anyway) and orders puts after the matches already under way.
        lock = self.cache.lock(existing.pk) if existing else threading.Lock()
        with lock, self.store.transaction() as db:
            ledger = tenant_rows.find_ledger(db, tenant, ledger_id)
            ledger = ledger or tenant_rows.create_ledger(db, tenant, ledger_id)
            pk = ledger.pk
            posted = ledger_rows.raise_posted_through(db, pk, posted_through)
            rows = open_items.num_rows if open_items is not None else 0
            ledger_rows.mark_touched(db, open_items["invoice_id"].to_pylist() if rows else [])
            removed = ledger_rows.delete_untouched(db, pk) if snapshot else 0
            if rows:
                ledger_rows.upsert_open_items(db, pk, open_items)
                ledger_rows.subtract_journal_after(db, pk, posted)
            closed = ledger_rows.close_invoices(db, pk, list(closed_invoice_ids))
            if customers is not None:
                ledger_rows.put_customers(db, pk, customers, replace=snapshot)
            _check_totals(ledger_rows.absolute_totals(db, pk))
            ledger_rows.bump(db, pk)
            count = ledger_rows.open_count(db, pk)
            ledger = Ledger(pk, ledger_id, tenant.id, ledger_rows.version(db, pk))
            fault("put.before_commit")
        return PutResult(
            ledger, rows, customers.num_rows if customers is not None else 0, closed, removed, count
        )

    def open_items(self, tenant: Tenant, ledger_id: str, include_closed: bool = False) -> pa.Table:
        """The ledger's open items with their current open amounts (OPEN_ITEMS)."""
        ledger = self.ledger(tenant, ledger_id)
        with self.store.snapshot() as db:
            return ledger_rows.load_open_items(db, ledger.pk, include_closed)

    def totals(self, tenant: Tenant, ledger_id: str) -> Totals:
        """Counts and totals of a ledger."""
        ledger = self.ledger(tenant, ledger_id)
        with self.store.snapshot() as db:
            open_rows = ledger_rows.open_totals(db, ledger.pk)
            by_status = payment_rows.status_counts(db, ledger.pk)
            return Totals(
                ledger_id=ledger.ledger_id,
                open_items=sum(count for count, _ in open_rows.values()),
                open_minor_by_currency={c: total for c, (_, total) in open_rows.items()},
                customers=ledger_rows.customer_count(db, ledger.pk),
                payments=sum(by_status.values()),
                payments_by_status=by_status,
                last_sequence=journal.last_sequence(db, ledger.pk),
                version=ledger_rows.version(db, ledger.pk),
            )

    # -- payments --------------------------------------------------------------

    def ingest(
        self,
        tenant: Tenant,
        ledger_id: str,
        payments: pa.Table,
        files: list[FileIn] | None = None,
        origin: list[int | None] | None = None,
    ) -> Outcome:
        """Match, store and apply payments (validated PAYMENTS rows); see :mod:`.ingest`."""
        ledger = self.ledger(tenant, ledger_id)
        return self._ingest(ledger, Incoming(payments, files or [], origin))

    def uploads(self, limits: Limits) -> Uploads:
        """Where one call's files are received (see :mod:`.files`)."""
        return Uploads(os.path.join(self.store.data_dir, "uploads"), limits)

    def ingest_files(
        self, tenant: Tenant, ledger_id: str, uploads: list[Upload], lenient: bool, limits: Limits
    ) -> tuple[Outcome, list[FileResult]]:
        """Read uploaded files, then ingest their payments as one call.

        A file whose bytes the ledger holds already, or that came earlier in
        the call, is not read: its payments are reported as duplicates.
        """
        ledger = self.ledger(tenant, ledger_id)
        results: list[FileResult] = []
        tables, origin, files = [], [], []
        held: list[str] = []  # payment ids of files ingested before
        first: dict[str, FileResult] = {}
        for upload in uploads:
            earlier = first.get(upload.sha256)
            if earlier is None:
                with self.store.snapshot() as db:
                    prior = payment_rows.file_payments(db, ledger.pk, upload.sha256)
                if prior is not None:
                    held.extend(prior[1])
                    earlier = FileResult(upload.name, upload.sha256, prior[0], True, len(prior[1]))
            if earlier is not None:
                results.append(FileResult(upload.name, upload.sha256, earlier.format, True,
                                          earlier.payments))  # fmt: skip
                first.setdefault(upload.sha256, earlier)
                continue
            read = read_upload(upload, lenient, limits)
            n = read.payments.num_rows
            files.append(FileIn(upload.sha256, upload.name, read.format, n, read.advices))
            origin.extend([len(files) - 1] * n)
            tables.append(read.payments)
            result = FileResult(upload.name, upload.sha256, read.format, False, n,
                                read.skipped, read.problems)  # fmt: skip
            results.append(result)
            first[upload.sha256] = result
        payments = pa.concat_tables([PAYMENTS.empty_table(), *tables])
        outcome = self._ingest(ledger, Incoming(payments, files, origin))
        # Files found known only under the ledger's lock (a concurrent upload of them won).
        by_sha = {f.sha256: f for f in files}
        for result in results:
            file = by_sha.get(result.sha256)
            if file is not None:
                result.duplicate = result.duplicate or file.duplicate
                if result is first[result.sha256]:
                    result.problems.extend(file.notes)
        if held:
            held = list(dict.fromkeys(held))
            outcome.duplicates.extend(Verdict(p, SAME, p, "file") for p in held)
            outcome.received += len(held)
            with self.store.snapshot() as db:
                old = payment_rows.matches_table(db, ledger.pk, held)
            outcome.matches = pa.concat_tables([outcome.matches, old])
        return outcome, results

    def payment_status(self, tenant: Tenant, ledger_id: str, payment_id: str) -> str:
        ledger = self.ledger(tenant, ledger_id)
        with self.store.snapshot() as db:
            found = payment_rows.payment(db, ledger.pk, payment_id)
        if found is None:
            raise NotFound(f"no payment {quote(payment_id)} in this ledger")
        return found["status"]

    # -- review ----------------------------------------------------------------

    def review_page(
        self,
        tenant: Tenant,
        ledger_id: str,
        statuses: tuple[str, ...] = REVIEWABLE,
        after: int = 0,
        size: int = 100,
    ) -> tuple[list[tuple[dict, list[dict]]], int | None]:
        """Payments to review (suggested and unmatched by default), paged by a cursor."""
        if not 0 < size <= 1000:
            raise InvalidArgument("page_size out of range", [("page_size", "1 to 1000")])
        ledger = self.ledger(tenant, ledger_id)
        return review.page(self.store, ledger.pk, tuple(sorted(statuses)), after, size)

    def confirm(self, tenant: Tenant, ledger_id: str, payment_id: str) -> tuple[list[dict], int]:
        ledger = self.ledger(tenant, ledger_id)
        with self.cache.lock(ledger.pk):
            out = review.confirm(self.store, ledger.pk, payment_id)
        self.cache.refresh_later(ledger.pk)
        return out

    def reject(self, tenant: Tenant, ledger_id: str, payment_id: str) -> None:
        ledger = self.ledger(tenant, ledger_id)
        with self.cache.lock(ledger.pk):
            review.reject(self.store, ledger.pk, payment_id)

    def correct(
        self, tenant: Tenant, ledger_id: str, payment_id: str, allocations: list[tuple[str, int]]
    ) -> tuple[list[dict], int]:
        ledger = self.ledger(tenant, ledger_id)
        for k, (_, amount) in enumerate(allocations):
            if abs(amount) > MAX_AMOUNT_MINOR:
                raise InvalidArgument(
                    "amount out of range", [(f"allocations[{k}].amount_minor", "beyond ±10^15")]
                )
        with self.cache.lock(ledger.pk):
            out = review.correct(self.store, ledger.pk, payment_id, allocations)
        self.cache.refresh_later(ledger.pk)
        return out

    # -- export ----------------------------------------------------------------

    def applications(
        self, tenant: Tenant, ledger_id: str, after: int = 0, size: int = 1000
    ) -> tuple[Ledger, list[tuple], bool]:
        """Journal entries after the cursor ``after`` in order, at most ``size``; more follow?"""
        if not 0 < size <= 10_000:
            raise InvalidArgument("page_size out of range", [("page_size", "1 to 10000")])
        if after < 0:
            raise InvalidArgument("negative cursor", [("after_sequence", "0 or more")])
        ledger = self.ledger(tenant, ledger_id)
        with self.store.snapshot() as db:
            rows, more = journal.applications(db, ledger.pk, after, size)
        return ledger, rows, more

    def matches_of(self, tenant: Tenant, ledger_id: str, payment_ids: list[str]) -> pa.Table:
        """The current MATCHES rows of these payments."""
        ledger = self.ledger(tenant, ledger_id)
        if not payment_ids:
            return MATCHES.empty_table()
        with self.store.snapshot() as db:
            return payment_rows.matches_table(db, ledger.pk, payment_ids)


def _check_totals(totals: dict[str, int]) -> None:
    for currency, total in sorted(totals.items()):
        if total > MAX_LEDGER_TOTAL_MINOR:
            raise InvalidArgument(
                f"open_items: the ledger's {currency} open items would total {total} minor units"
                f" in absolute value, more than the {MAX_LEDGER_TOTAL_MINOR} a ledger can hold",
                [
                    (
                        "open_items.amount_open_minor",
                        f"{currency} total beyond {MAX_LEDGER_TOTAL_MINOR}",
                    )
                ],
            )


__all__ = ["FileIn", "FileResult", "Ledgers", "Outcome", "PutResult", "Totals", "check_ledger_id"]

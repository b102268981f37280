"""Ingesting payments: each booking applied once, however often it is reported, in one transaction.

The policy, in order, under the ledger's lock:

1. **Identity** (:mod:`cashmatch.loaders.identity`): every payment is compared
   with the ledger's earlier payments and those before it in the call. The
   same booking reported again (same id, or the same bank reference,
   end-to-end id, trace or check) is not stored again: the call answers with
   what was decided for it the first time. One whose identity is uncertain
   (same content, nothing to tell them apart) is stored flagged
   ``possible_duplicate`` of the earlier one and is never applied
   automatically: an automatic match becomes a suggestion, its reason ends in
   ``+possible_duplicate``. An id reused for another amount is refused.
2. **Remittance advices** waiting in the ledger, and those sent in the call,
   are linked to the new payments; those whose payment has not come are kept.
3. **Matching**, ``chunk_rows`` payments at a time against the ledger's index,
   which is moved after each chunk to what its automatic applications leave
   open, so a large file needs the engine's memory for a chunk only.
4. **Storing and applying**, one transaction: files, payments with their
   identity keys, match rows, journal postings (:mod:`.postings`). An
   automatic match whose invoice no longer has the amount open is stored as a
   suggestion (``+stale_open_amount``): an invoice is never applied beyond its
   open amount. A failure anywhere leaves nothing behind.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine import match_payments
from cashmatch.engine.schemas import MATCHES, REMITTANCE_ADVICES
from cashmatch.loaders.identity import (
    CONFLICT,
    KEYS,
    NEW,
    POSSIBLE_DUPLICATE,
    SAME,
    Verdict,
    identify,
    payment_keys,
)
from cashmatch.loaders.link import link_remittance
from cashmatch.server.errors import InvalidArgument, quote
from cashmatch.server.faults import fault
from cashmatch.server.index_cache import IndexCache
from cashmatch.server.ledger.postings import AUTO, SUGGESTED, UNMATCHED, WRITE_OFFS, post, postings
from cashmatch.server.store import Ledger, Store, journal
from cashmatch.server.store import ledgers as ledger_rows
from cashmatch.server.store import payments as payment_rows

CHUNK_ROWS = 50_000  # payments matched at once
TABULAR_FORMAT = "payments_table"  # the file contract: its payment_id is the sender's
POSSIBLE_DUPLICATE_NOTE = "+possible_duplicate"
STALE_NOTE = "+stale_open_amount"


@dataclass
class FileIn:
    """A file whose payments are in the call.

    Attributes:
        sha256, file_name, format, payments: what is recorded of it.
        advices: its remittance advices (REMITTANCE_ADVICES), to link or keep.
        notes: what the ingest says about it (advices kept for later).
    """

    sha256: str
    file_name: str
    format: str
    payments: int
    advices: pa.Table | None = None
    duplicate: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Incoming:
    """What one call brings: validated PAYMENTS rows, and the files they came from.

    ``origin`` gives, per payment row, the index into ``files`` (None: the
    payments came as Arrow or a message, not from a file).
    """

    payments: pa.Table
    files: list[FileIn] = field(default_factory=list)
    origin: list[int | None] | None = None

    def ids_are_facts(self) -> list[bool]:
        """Per payment, whether its id was chosen by the sender (not made by a bank-file loader)."""
        if self.origin is None:
            return [True] * self.payments.num_rows
        return [o is None or self.files[o].format == TABULAR_FORMAT for o in self.origin]

    def where(self, row: int) -> str:
        """A payment's place in the call, for messages."""
        if self.origin is None or self.origin[row] is None:
            return f"payments.row[{row}]"
        file = self.origin[row]
        first = self.origin.index(file)
        return f"{self.files[file].file_name}.payments[{row - first}]"


@dataclass
class Outcome:
    """What one ingest did.

    Attributes:
        matches: the stored MATCHES rows of the new payments, then those of the
            payments recognised as already held (under the earlier ids).
        received: payments in the call.
        new: payments stored by this call.
        duplicates: verdicts of the payments already held (not applied again).
        possible_duplicates: verdicts of the payments stored flagged.
        statuses: new payments by stored status.
        applied_minor: amounts applied to invoices by this call, per currency.
        last_sequence: the export cursor after the call.
    """

    matches: pa.Table
    received: int
    new: int
    duplicates: list[Verdict]
    possible_duplicates: list[Verdict]
    statuses: dict[str, int]
    applied_minor: dict[str, int]
    last_sequence: int


class Ingest:
    """The ingest use case of one service.

    Args:
        store: the durable state.
        cache: the ledgers' engine indexes and locks.
        chunk_rows: payments matched at once.
    """

    def __init__(self, store: Store, cache: IndexCache, chunk_rows: int = CHUNK_ROWS):
        self.store, self.cache, self.chunk_rows = store, cache, chunk_rows

    def __call__(self, ledger: Ledger, incoming: Incoming) -> Outcome:
        pk = ledger.pk
        payments = incoming.payments
        with self.cache.lock(pk):
            keys = payment_keys(payments)
            with self.store.snapshot() as db:
                earlier = payment_rows.earlier_keys(db, pk, keys)
                for file in incoming.files:
                    file.duplicate = file.duplicate or payment_rows.file_known(db, pk, file.sha256)
            verdicts = identify(keys, earlier, incoming.ids_are_facts())
            _refuse_conflicts(verdicts, incoming)
            payments, keys = self._free_ids(pk, payments, keys, verdicts)
            fresh_rows = [k for k, v in enumerate(verdicts) if v.kind in (NEW, POSSIBLE_DUPLICATE)]
            take = pa.array(fresh_rows, pa.int64())
            fresh, fresh_keys = payments.take(take), keys.take(take)
            origin = [incoming.origin[k] for k in fresh_rows] if incoming.origin else None
            stored_ids = payments["payment_id"].to_pylist()  # loader-made ids made free
            flagged = {
                stored_ids[k]: v.earlier
                for k, v in enumerate(verdicts)
                if v.kind == POSSIBLE_DUPLICATE
            }
            fresh, keep, linked = self._link_advices(pk, fresh, incoming.files)
            index = self.cache.index(pk)
            moved = False
            try:
                chunks = []
                for start in range(0, fresh.num_rows, self.chunk_rows):
                    part = fresh.slice(start, self.chunk_rows)
                    matches = _flag(match_payments(index, part).matches, flagged)
                    moved = _take_down(index, matches) or moved
                    chunks.append((part.num_rows, matches))
                stored = self._store(pk, fresh, fresh_keys, origin, chunks, flagged,
                                     incoming.files, keep, linked)  # fmt: skip
            except BaseException:
                if moved:
                    self.cache.forget(pk)
                raise
            if stored.stale:
                self.cache.forget(pk)
                self.cache.refresh_later(pk)
            elif moved:
                self.cache.moved_on(pk, index)
        duplicates = [v for v in verdicts if v.kind == SAME]
        old = MATCHES.empty_table()
        if duplicates:
            with self.store.snapshot() as db:
                earlier_ids = list(dict.fromkeys(v.earlier for v in duplicates))
                old = payment_rows.matches_table(db, pk, earlier_ids)
        return Outcome(
            matches=pa.concat_tables([stored.matches, old]),
            received=payments.num_rows,
            new=fresh.num_rows,
            duplicates=duplicates,
            possible_duplicates=[v for v in verdicts if v.kind == POSSIBLE_DUPLICATE],
            statuses=stored.statuses,
            applied_minor=stored.applied,
            last_sequence=stored.last_sequence,
        )

    def _free_ids(self, pk: int, payments: pa.Table, keys: pa.Table, verdicts) -> tuple:
        """A loader-made id that names another payment already: the next free ``<id>~<k>``."""
        taken = [k for k, v in enumerate(verdicts) if v.id_taken and v.kind != SAME]
        if not taken:
            return payments, keys
        ids = payments["payment_id"].to_pylist()
        used = set(ids)
        with self.store.snapshot() as db:
            for row in taken:
                k = 2
                while f"{ids[row]}~{k}" in used or payment_rows.payment(db, pk, f"{ids[row]}~{k}"):
                    k += 1
                ids[row] = f"{ids[row]}~{k}"
                used.add(ids[row])
        column = pa.array(ids, pa.string())
        payments = payments.set_column(0, payments.schema.field(0), column)
        return payments, keys.set_column(0, keys.schema.field(0), column)

    def _link_advices(
        self, ledger_pk: int, payments: pa.Table, files: list[FileIn]
    ) -> tuple[pa.Table, pa.Table, list[str]]:
        """Attach waiting and new remittance advices to new payments.

        Returns:
            (payments with remittance, new advices to keep, waiting advice ids now linked).
        """
        with self.store.snapshot() as db:
            pending = payment_rows.pending_advices(db, ledger_pk)
        known = set(pending["advice_id"].to_pylist())
        fresh: list[tuple[FileIn, pa.Table]] = []
        for file in files:
            if file.advices is None or not file.advices.num_rows or file.duplicate:
                continue
            table = file.advices.select(REMITTANCE_ADVICES.names).cast(REMITTANCE_ADVICES)
            mask = pa.array([a not in known for a in table["advice_id"].to_pylist()], pa.bool_())
            fresh.append((file, table.filter(mask)))
        everything = pa.concat_tables([pending, *(t for _, t in fresh)])
        linked_ids: set[str] = set()
        if everything.num_rows and payments.num_rows:
            linked = link_remittance(payments, everything)
            payments = linked.payments
            linked_ids = {link.advice_id for link in linked.linked}
        keep = []
        for file, table in fresh:
            mask = pa.array([a not in linked_ids for a in table["advice_id"].to_pylist()])
            kept = table.filter(mask)
            if kept.num_rows:
                file.notes.append(
                    f"{kept.num_rows} of {table.num_rows} remittance advice(s) kept until"
                    " their payment arrives"
                )
            keep.append(kept)
        kept_all = pa.concat_tables([REMITTANCE_ADVICES.empty_table(), *keep])
        return payments, kept_all, sorted(linked_ids & known)

    def _store(self, pk, fresh, keys, origin, chunks, flagged, files, keep, linked) -> _Stored:
        out = _Stored()
        with self.store.transaction() as db:
            file_pks = []
            for file in files:
                made = None if file.duplicate else payment_rows.insert_file(db, pk, file.__dict__)
                file.duplicate = made is None
                file_pks.append(made)
            start = 0
            for size, matches in chunks:
                by_payment: dict[str, list[dict]] = collections.defaultdict(list)
                for row in matches.to_pylist():
                    by_payment[row["payment_id"]].append(row)
                part, part_keys = fresh.slice(start, size), keys.slice(start, size)
                ids = part["payment_id"].to_pylist()
                statuses = [by_payment[p][0]["status"] if by_payment[p] else UNMATCHED for p in ids]
                extra = {name: part_keys[name].to_pylist() for name in KEYS}
                extra["status"] = statuses
                extra["possible_duplicate_of"] = [flagged.get(p) for p in ids]
                extra["file_pk"] = [
                    None if origin is None or origin[k] is None else file_pks[origin[k]]
                    for k in range(start, start + len(ids))
                ]
                payment_pks = payment_rows.insert_payments(db, pk, part, extra)
                stored = []
                for payment_id, payment_pk, status in zip(ids, payment_pks, statuses, strict=True):
                    rows = by_payment[payment_id]
                    if status == AUTO:
                        if post(db, pk, payment_pk, payment_id, postings(rows, AUTO)):
                            for r in rows:
                                out.applied[r["currency"]] += r["amount_applied_minor"]
                        else:
                            status = SUGGESTED
                            payment_rows.set_status(db, payment_pk, status)
                            rows = [{**r, "status": status, "reason": r["reason"] + STALE_NOTE}
                                    for r in rows]  # fmt: skip
                            out.stale = True
                    out.statuses[status] += 1
                    stored.extend((payment_pk, r) for r in rows)
                payment_rows.insert_matches(db, stored)
                out.tables.append(pa.Table.from_pylist([r for _, r in stored], schema=MATCHES))
                start += len(ids)
            payment_rows.keep_advices(db, pk, keep)
            payment_rows.drop_advices(db, pk, linked)
            if out.applied:
                ledger_rows.bump(db, pk)
            out.last_sequence = journal.last_sequence(db, pk)
            fault("ingest.before_commit")
        fault("ingest.after_commit")
        return out


class _Stored:
    def __init__(self) -> None:
        self.tables: list[pa.Table] = []
        self.statuses: collections.Counter = collections.Counter()
        self.applied: collections.Counter = collections.Counter()
        self.stale = False
        self.last_sequence = 0

    @property
    def matches(self) -> pa.Table:
        return pa.concat_tables([MATCHES.empty_table(), *self.tables])


def _refuse_conflicts(verdicts: list[Verdict], incoming: Incoming) -> None:
    conflicts = [(k, v) for k, v in enumerate(verdicts) if v.kind == CONFLICT]
    if not conflicts:
        return
    violations = []
    for k, verdict in conflicts[:20]:
        field = f"{incoming.where(k)}.payment_id"
        violations.append(
            (field, f"{quote(verdict.payment_id)} already names a payment of another amount")
        )
    raise InvalidArgument(f"{violations[0][0]}: {violations[0][1]}", violations)


def _flag(matches: pa.Table, flagged: dict[str, str]) -> pa.Table:
    """Possible duplicates are never applied automatically: their autos become suggestions."""
    if not flagged:
        return matches
    mask = pc.is_in(matches["payment_id"], value_set=pa.array(list(flagged), pa.string()))
    if not pc.any(mask).as_py():
        return matches
    status = pc.if_else(
        pc.and_(mask, pc.equal(matches["status"], AUTO)), SUGGESTED, matches["status"]
    )
    reason = pc.if_else(
        mask, pc.binary_join_element_wise(matches["reason"], POSSIBLE_DUPLICATE_NOTE, ""),
        matches["reason"],
    )  # fmt: skip
    matches = matches.set_column(matches.schema.get_field_index("status"), "status", status)
    return matches.set_column(matches.schema.get_field_index("reason"), "reason", reason)


def _take_down(index, matches: pa.Table) -> bool:
    """Move the index to what the automatic applications leave open; whether any did."""
    auto = matches.filter(pc.equal(matches["status"], AUTO))
    if not auto.num_rows:
        return False
    left: dict[str, int] = {}
    ids = auto["invoice_id"].to_pylist()
    named = list(dict.fromkeys(i for i in ids if i))
    positions = index.positions_of(named)
    current = {i: int(index.amount[p]) for i, p in zip(named, positions, strict=True) if p >= 0}
    for invoice, applied, residual, action in zip(
        ids, auto["amount_applied_minor"].to_pylist(), auto["invoice_residual_minor"].to_pylist(),
        auto["residual_action"].to_pylist(), strict=True,
    ):  # fmt: skip
        if invoice not in current:
            continue
        amount = left.get(invoice, current[invoice]) - applied
        if action in WRITE_OFFS and residual > 0:
            amount -= residual
        left[invoice] = amount
    index.update_open_amounts(list(left), list(left.values()))
    return True

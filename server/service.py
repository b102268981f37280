"""The CashMatchService servicer: authentication, ledgers, matching and review over gRPC.

Each RPC authenticates the bearer token, resolves the tenant's ledger, and
works on the durable :class:`~cashmatch.server.store.Store`. Matching and
applying one ledger's payments are serialised by a per-ledger lock, so
concurrent clients get what they would get one after another; the engine's
index of a ledger is cached in memory and rebuilt when the ledger's version
(bumped by every change to open amounts, open items or learned identities)
moves on.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import hashlib
import inspect
import logging
import os
import tempfile
import threading
from concurrent import futures
from dataclasses import dataclass

import grpc
import pyarrow as pa
import pyarrow.compute as pc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from cashmatch.engine import InputError, MatchConfig, build_index, match_payments
from cashmatch.engine.money import CURRENCY_EXPONENTS
from cashmatch.engine.schemas import (
    CUSTOMERS,
    MATCHES,
    OPEN_ITEMS,
    PAYMENTS,
    REMITTANCE_ADVICES,
    RESIDUAL_NONE,
)
from cashmatch.loaders import LoadError
from cashmatch.loaders.link import link_remittance
from cashmatch.server import store as st
from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2 as pb
from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2_grpc as pb_grpc
from cashmatch.server.arrow_io import Reassembler, read_ipc, split, table_to_ipc
from cashmatch.server.errors import (
    InvalidArgument,
    ResourceExhausted,
    ServiceError,
    Unauthenticated,
)
from cashmatch.server.limits import CHUNK_BYTES, Limits

log = logging.getLogger("cashmatch.server")

_TABLES = {
    pb.TABLE_KIND_OPEN_ITEMS: ("open_items", OPEN_ITEMS),
    pb.TABLE_KIND_CUSTOMERS: ("customers", CUSTOMERS),
    pb.TABLE_KIND_PAYMENTS: ("payments", PAYMENTS),
}
_STATUS_ENUM = {
    st.AUTO: pb.PAYMENT_STATUS_AUTO,
    st.SUGGESTED: pb.PAYMENT_STATUS_SUGGESTED,
    st.UNMATCHED: pb.PAYMENT_STATUS_UNMATCHED,
    st.CONFIRMED: pb.PAYMENT_STATUS_CONFIRMED,
}
_STATUS_NAME = {v: k for k, v in _STATUS_ENUM.items()}
_KIND_ENUM = {
    "auto": pb.APPLICATION_KIND_AUTO,
    "confirmed": pb.APPLICATION_KIND_CONFIRMED,
    "corrected": pb.APPLICATION_KIND_CORRECTED,
    "write_off_bank_fee": pb.APPLICATION_KIND_WRITE_OFF_BANK_FEE,
    "write_off_discount": pb.APPLICATION_KIND_WRITE_OFF_DISCOUNT,
}
_MAX_LEDGER_ID = 200


# -- errors -------------------------------------------------------------------


def _status_of(error: BaseException) -> tuple[grpc.StatusCode, str, list[tuple[str, str]]]:
    """Map a domain error to a status code, a message and field violations."""
    if isinstance(error, ServiceError):
        return error.code, error.message, error.violations
    if isinstance(error, InputError):
        field = error.table
        if error.row is not None:
            field += f".row[{error.row}]"
        if error.column is not None:
            field += f".{error.column}"
        return grpc.StatusCode.INVALID_ARGUMENT, str(error), [(field, error.message)]
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
        return grpc.StatusCode.INVALID_ARGUMENT, str(error), [(field, error.message)]
    return grpc.StatusCode.INTERNAL, "internal error (logged on the server)", []


def _abort(context: grpc.ServicerContext, error: BaseException) -> None:
    code, message, violations = _status_of(error)
    if code == grpc.StatusCode.INTERNAL:
        log.exception("unexpected error", exc_info=error)
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=message)
    if violations:
        detail = any_pb2.Any()
        detail.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=f, description=d)
                    for f, d in violations[:100]
                ]
            )
        )
        status.details.append(detail)
    context.abort_with_status(rpc_status.to_status(status))


def _authorization(context: grpc.ServicerContext) -> str:
    for key, value in context.invocation_metadata():
        if key == "authorization":
            scheme, _, token = value.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("authorization must be 'Bearer <token>'")
            return token.strip()
    raise Unauthenticated("missing authorization metadata: 'Bearer <token>'")


def rpc(method):
    """Authenticate the caller and turn domain errors into gRPC statuses.

    The wrapped method is called as ``method(self, tenant, request, context)``;
    a generator method (server streaming) is wrapped as a generator.
    """
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def streaming(self, request, context):
            try:
                tenant = self._authenticate(context)
                yield from method(self, tenant, request, context)
            except Exception as error:
                _abort(context, error)

        return streaming

    @functools.wraps(method)
    def unary(self, request, context):
        try:
            return method(self, self._authenticate(context), request, context)
        except Exception as error:
            _abort(context, error)

    return unary


# -- conversions --------------------------------------------------------------


def _match_rows(rows: list[dict]) -> list[pb.MatchRow]:
    return [
        pb.MatchRow(**{k: v for k, v in r.items() if v is not None and k in _MATCH_FIELDS})
        for r in rows
    ]


_MATCH_FIELDS = set(MATCHES.names)


def _payment_message(p: dict) -> pb.Payment:
    return pb.Payment(
        payment_id=p["payment_id"],
        amount_minor=p["amount_minor"],
        currency=p["currency"],
        value_date=p["value_date"].isoformat(),
        payer_name=p["payer_name"] or "",
        payer_account=p["payer_account"] or "",
        reference_text=p["reference_text"] or "",
        check_number=p["check_number"] or "",
        trace_id=p["trace_id"] or "",
        end_to_end_id=p["end_to_end_id"] or "",
        remittance=[
            pb.RemittanceLine(**{k: v for k, v in line.items() if v is not None})
            for line in p["remittance"]
        ],
    )


def _payment_table(message: pb.Payment, limits: Limits) -> pa.Table:
    """One PAYMENTS row from a Payment message, validated."""
    where = "payment"
    violations = []
    texts = (
        "payment_id",
        "currency",
        "payer_name",
        "payer_account",
        "reference_text",
        "check_number",
        "trace_id",
        "end_to_end_id",
    )
    for name in texts:
        if len(getattr(message, name)) > limits.max_string_chars:
            violations.append((f"{where}.{name}", f"longer than {limits.max_string_chars}"))
    if not message.payment_id:
        violations.append((f"{where}.payment_id", "a value is required"))
    if message.currency not in CURRENCY_EXPONENTS:
        violations.append((f"{where}.currency", f"unknown currency {message.currency!r}"))
    try:
        value_date = dt.date.fromisoformat(message.value_date)
    except ValueError:
        violations.append((f"{where}.value_date", f"not an ISO date: {message.value_date!r}"))
        value_date = None
    if len(message.remittance) > limits.max_allocations:
        violations.append((f"{where}.remittance", f"more than {limits.max_allocations} lines"))
    if violations:
        raise InvalidArgument(f"{violations[0][0]}: {violations[0][1]}", violations)
    remittance = [
        {
            "invoice_ref": line.invoice_ref or None,
            "amount_paid_minor": line.amount_paid_minor
            if line.HasField("amount_paid_minor")
            else None,
            "invoice_amount_minor": line.invoice_amount_minor
            if line.HasField("invoice_amount_minor")
            else None,
            "discount_minor": line.discount_minor if line.HasField("discount_minor") else None,
            "adjustment_minor": line.adjustment_minor
            if line.HasField("adjustment_minor")
            else None,
            "adjustment_reason": line.adjustment_reason or None,
        }
        for line in message.remittance
    ]
    row = {
        "payment_id": message.payment_id,
        "amount_minor": message.amount_minor,
        "currency": message.currency,
        "value_date": value_date,
        "payer_name": message.payer_name or None,
        "payer_account": message.payer_account or None,
        "reference_text": message.reference_text or None,
        "check_number": message.check_number or None,
        "trace_id": message.trace_id or None,
        "end_to_end_id": message.end_to_end_id or None,
        "source_format": "grpc",
        "remittance": remittance,
    }
    return pa.Table.from_pylist([row], schema=PAYMENTS)


def _unmatched(payments: pa.Table, reason: str) -> pa.Table:
    rows = [
        {
            "payment_id": p["payment_id"],
            "invoice_id": "",
            "currency": p["currency"],
            "amount_applied_minor": 0,
            "status": st.UNMATCHED,
            "confidence": 0.0,
            "reason": reason,
            "invoice_residual_minor": 0,
            "residual_action": RESIDUAL_NONE,
            "payment_unapplied_minor": p["amount_minor"],
            "customer_id": None,
        }
        for p in payments.select(["payment_id", "currency", "amount_minor"]).to_pylist()
    ]
    return pa.Table.from_pylist(rows, schema=MATCHES)


@dataclass
class Outcome:
    """What one ingest call did: the match rows to return and the summary."""

    matches: pa.Table
    summary: pb.IngestSummary
    statuses: dict[str, str]


# -- the servicer -------------------------------------------------------------


class CashMatchService(pb_grpc.CashMatchServiceServicer):
    """The gRPC servicer.

    Args:
        store: the durable state.
        limits: input bounds.
        config: the engine's tunables, for every ledger.
        index_cache_size: ledgers whose engine index is kept in memory.
    """

    def __init__(
        self,
        store: st.Store,
        limits: Limits | None = None,
        config: MatchConfig | None = None,
        index_cache_size: int = 64,
    ):
        self.store = store
        self.limits = limits or Limits()
        self.config = config or MatchConfig()
        self._cache: collections.OrderedDict[int, tuple[int, object]] = collections.OrderedDict()
        self._cache_size = index_cache_size
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()
        # Rebuilds an index right after a write changed its ledger, so the
        # next call (a payment arriving on its own) finds it ready.
        self._rebuilder = futures.ThreadPoolExecutor(1, thread_name_prefix="cashmatch-index")

    # -- plumbing ------------------------------------------------------------

    def _authenticate(self, context: grpc.ServicerContext) -> st.Tenant:
        tenant = self.store.authenticate(_authorization(context))
        if tenant is None:
            raise Unauthenticated("unknown bearer token")
        return tenant

    def _ledger(self, tenant: st.Tenant, ledger_id: str) -> st.Ledger:
        _check_ledger_id(ledger_id)
        return self.store.ledger(tenant, ledger_id)

    def _lock(self, ledger_pk: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(ledger_pk, threading.Lock())

    def _index(self, ledger_pk: int):
        """The engine index of the ledger's current state (None: nothing open); lock held."""
        version = self.store.totals_version(ledger_pk)
        with self._guard:
            cached = self._cache.get(ledger_pk)
            if cached is not None and cached[0] == version:
                self._cache.move_to_end(ledger_pk)
                return cached[1]
        items, customers, version = self.store.load_ledger(ledger_pk)
        index = build_index(items, customers, self.config) if items.num_rows else None
        with self._guard:
            self._cache[ledger_pk] = (version, index)
            self._cache.move_to_end(ledger_pk)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return index

    def _advance_index(self, ledger_pk: int, stored: pa.Table) -> None:
        """After automatic applications, update the cached index in place of a rebuild; lock held.

        Only the applied invoices' open amounts changed: the engine moves them
        (:meth:`~cashmatch.engine.OpenItemIndex.update_open_amounts`) in
        well under a millisecond where a rebuild of a large ledger takes seconds.
        """
        with self._guard:
            cached = self._cache.get(ledger_pk)
        if cached is None or cached[1] is None:
            self._refresh_later(ledger_pk)
            return
        auto = stored.filter(pc.equal(stored["status"], st.AUTO))
        ids = sorted(set(auto["invoice_id"].to_pylist()) - {""})
        amounts = self.store.open_amounts(ledger_pk, ids)
        index = cached[1]
        # In place: every use of a ledger's index holds its lock, as this does.
        index.update_open_amounts(list(amounts), list(amounts.values()))
        version = self.store.totals_version(ledger_pk)
        with self._guard:
            self._cache[ledger_pk] = (version, index)
            self._cache.move_to_end(ledger_pk)

    def _link_advices(
        self,
        ledger_pk: int,
        payments: pa.Table,
        advices: list[tuple[int, pa.Table]],
        results: list | None,
    ) -> tuple[pa.Table, pa.Table, list[str]]:
        """Attach kept and new remittance advices to new payments; lock held.

        Returns:
            (payments with remittance, new advices to keep, kept advice ids now linked).
        """
        pending = self.store.pending_advices(ledger_pk)
        known = set(pending["advice_id"].to_pylist())
        incoming = [
            (k, t.select(REMITTANCE_ADVICES.names).cast(REMITTANCE_ADVICES)) for k, t in advices
        ]
        fresh = [
            (
                k,
                t.filter(
                    pa.array([a not in known for a in t["advice_id"].to_pylist()], pa.bool_())
                ),
            )
            for k, t in incoming
        ]
        everything = pa.concat_tables([pending, *(t for _, t in fresh)])
        empty = REMITTANCE_ADVICES.empty_table()
        if everything.num_rows == 0 or payments.num_rows == 0:
            linked_ids: set[str] = set()
        else:
            linked = link_remittance(payments, everything)
            payments = linked.payments
            linked_ids = {link.advice_id for link in linked.linked}
        keep = [
            t.filter(
                pa.array([a not in linked_ids for a in t["advice_id"].to_pylist()], pa.bool_())
            )
            for _, t in fresh
        ]
        for (k, table), kept in zip(fresh, keep, strict=True):
            if results is not None and kept.num_rows:
                results[k].problems.append(
                    f"{kept.num_rows} of {table.num_rows} remittance advice(s) kept until"
                    " their payment arrives"
                )
        kept_all = pa.concat_tables([empty, *keep])
        return payments, kept_all, sorted(linked_ids & known)

    def _refresh_later(self, ledger_pk: int) -> None:
        def refresh() -> None:
            try:
                with self._lock(ledger_pk):
                    self._index(ledger_pk)
            except Exception:  # the next call builds it anyway
                log.exception("rebuilding the index of ledger %d failed", ledger_pk)

        self._rebuilder.submit(refresh)

    def close(self) -> None:
        self._rebuilder.shutdown(wait=True, cancel_futures=True)

    def warm(self) -> int:
        """Build the index of every ledger (on start, so the first call is fast)."""
        count = 0
        for pk in self.store.ledger_pks():
            with self._lock(pk):
                self._index(pk)
            count += 1
            if count >= self._cache_size:
                break
        return count

    def _ingest(
        self,
        ledger: st.Ledger,
        payments: pa.Table,
        files: list[dict] | None = None,
        payment_file: list[int | None] | None = None,
        skip_ids: set[str] | None = None,
        advices: list[tuple[int, pa.Table]] | None = None,
        results: list | None = None,
    ) -> Outcome:
        """Match the payments not seen before, store and apply them; one transaction.

        Remittance advices, those of this call (``advices``: index into
        ``results``, table) and those kept from earlier calls, are linked to the
        new payments first; advices whose payment has not come yet are kept.
        """
        ids = payments["payment_id"].to_pylist()
        if len(set(ids)) != len(ids):
            seen: set[str] = set()
            for row, pid in enumerate(ids):
                if pid in seen:
                    raise InvalidArgument(
                        f"payments.row[{row}].payment_id: duplicate value {pid!r}",
                        [(f"payments.row[{row}].payment_id", f"duplicate value {pid!r}")],
                    )
                seen.add(pid)
        with self._lock(ledger.pk):
            known = self.store.known_payments(ledger.pk, ids) | (skip_ids or set())
            fresh = [k for k, pid in enumerate(ids) if pid not in known]
            new = payments.take(pa.array(fresh, pa.int64())) if len(fresh) < len(ids) else payments
            if payment_file is not None:
                payment_file = [payment_file[k] for k in fresh]
            new, keep, linked = self._link_advices(ledger.pk, new, advices or [], results)
            if new.num_rows:
                index = self._index(ledger.pk)
                if index is None:
                    matches = _unmatched(new, "no_open_items")
                else:
                    matches = match_payments(index, new).matches
            else:
                matches = MATCHES.empty_table()
            result = self.store.ingest(
                ledger.pk,
                new,
                matches,
                files,
                payment_file,
                keep_advices=keep,
                linked_advices=linked,
            )
            if result.applied_minor:
                self._advance_index(ledger.pk, result.matches)
        duplicates = [pid for pid in ids if pid in known]
        old = self.store.matches_of(ledger.pk, duplicates) if duplicates else None
        statuses = result.statuses
        summary = pb.IngestSummary(
            payments_received=len(ids),
            payments_new=new.num_rows,
            payments_duplicate=len(duplicates),
            duplicate_payment_ids=duplicates[:1000],
            auto_matched=sum(1 for s in statuses.values() if s == st.AUTO),
            suggested=sum(1 for s in statuses.values() if s == st.SUGGESTED),
            unmatched=sum(1 for s in statuses.values() if s == st.UNMATCHED),
            applied_minor_by_currency=result.applied_minor,
            last_sequence=result.last_sequence,
        )
        out = result.matches if old is None else pa.concat_tables([result.matches, old])
        return Outcome(out, summary, statuses)

    # -- open items ----------------------------------------------------------

    @rpc
    def PutOpenItems(self, tenant, request_iterator, context):
        parts = Reassembler(self.limits)
        ledger_id, mode, closed, posted = None, pb.PUT_MODE_UNSPECIFIED, [], 0
        for request in request_iterator:
            ledger_id = _same_ledger(ledger_id, request.ledger_id)
            if mode == pb.PUT_MODE_UNSPECIFIED:
                mode = request.mode
                _check_ledger_id(ledger_id or "")
                # Refuse another tenant's ledger before reading the whole stream.
                self.store.ledger_or_none(tenant, ledger_id)
            posted = max(posted, request.posted_through_sequence)
            closed.extend(request.closed_invoice_ids)
            if len(closed) > self.limits.max_call_rows:
                raise ResourceExhausted("too many closed_invoice_ids in one call")
            if request.HasField("chunk"):
                kind = request.chunk.table
                if kind not in (pb.TABLE_KIND_OPEN_ITEMS, pb.TABLE_KIND_CUSTOMERS):
                    raise InvalidArgument(
                        "PutOpenItems takes open items and customers only",
                        [("chunk.table", "must be OPEN_ITEMS or CUSTOMERS")],
                    )
                parts.add(_TABLES[kind][0], request.chunk.data)
        if mode not in (pb.PUT_MODE_SNAPSHOT, pb.PUT_MODE_INCREMENTAL):
            raise InvalidArgument("mode is required", [("mode", "SNAPSHOT or INCREMENTAL")])
        if mode == pb.PUT_MODE_SNAPSHOT and closed:
            raise InvalidArgument(
                "closed_invoice_ids is for incremental changes",
                [("closed_invoice_ids", "not allowed with PUT_MODE_SNAPSHOT")],
            )
        open_items = customers = None
        if parts.has("open_items"):
            open_items = read_ipc(
                parts.bytes_of("open_items"), OPEN_ITEMS, "open_items", self.limits
            )
            _check_open_items(open_items)
        if parts.has("customers"):
            customers = read_ipc(parts.bytes_of("customers"), CUSTOMERS, "customers", self.limits)
        # The ledger lock keeps a match from reading half a put (SQLite would
        # anyway) and orders puts after the matches already under way.
        ledger = self.store.ledger_or_none(tenant, ledger_id)
        lock = self._lock(ledger.pk) if ledger else threading.Lock()
        with lock:
            result = self.store.put_open_items(
                tenant,
                ledger_id,
                snapshot=mode == pb.PUT_MODE_SNAPSHOT,
                open_items=open_items,
                customers=customers,
                closed_invoice_ids=closed,
                posted_through=posted,
            )
        return pb.PutOpenItemsResponse(
            ledger_id=ledger_id,
            open_items_received=result.open_items_received,
            customers_received=result.customers_received,
            invoices_closed=result.invoices_closed,
            invoices_removed=result.invoices_removed,
            ledger_open_items=result.ledger_open_items,
            ledger_version=result.ledger.version,
        )

    @rpc
    def GetOpenItems(self, tenant, request, context):
        ledger = self._ledger(tenant, request.ledger_id)
        items, _, _ = self.store.load_ledger(ledger.pk, include_closed=request.include_closed)
        for piece in split(table_to_ipc(items)):
            yield pb.GetOpenItemsResponse(
                chunk=pb.ArrowChunk(table=pb.TABLE_KIND_OPEN_ITEMS, data=piece)
            )

    @rpc
    def GetLedger(self, tenant, request, context):
        ledger = self._ledger(tenant, request.ledger_id)
        totals = self.store.totals(ledger.pk)
        return pb.GetLedgerResponse(ledger_id=ledger.ledger_id, **totals)

    # -- payments ------------------------------------------------------------

    @rpc
    def MatchPayments(self, tenant, request_iterator, context):
        parts = Reassembler(self.limits)
        ledger_id = ledger = None
        for request in request_iterator:
            ledger_id = _same_ledger(ledger_id, request.ledger_id)
            if ledger is None:
                ledger = self._ledger(tenant, ledger_id or "")
            if request.HasField("chunk"):
                if request.chunk.table != pb.TABLE_KIND_PAYMENTS:
                    raise InvalidArgument(
                        "MatchPayments takes payments only", [("chunk.table", "must be PAYMENTS")]
                    )
                parts.add("payments", request.chunk.data)
        if ledger is None:
            raise InvalidArgument("empty request stream", [("ledger_id", "required")])
        payments = (
            read_ipc(parts.bytes_of("payments"), PAYMENTS, "payments", self.limits)
            if parts.has("payments")
            else PAYMENTS.empty_table()
        )
        outcome = self._ingest(ledger, payments)
        for piece in split(table_to_ipc(outcome.matches)):
            yield pb.MatchPaymentsResponse(
                chunk=pb.ArrowChunk(table=pb.TABLE_KIND_MATCHES, data=piece)
            )
        yield pb.MatchPaymentsResponse(summary=outcome.summary)

    @rpc
    def MatchPayment(self, tenant, request, context):
        ledger = self._ledger(tenant, request.ledger_id)
        payments = _payment_table(request.payment, self.limits)
        outcome = self._ingest(ledger, payments)
        rows = outcome.matches.to_pylist()
        duplicate = outcome.summary.payments_duplicate > 0
        status = rows[0]["status"] if rows else st.UNMATCHED
        if duplicate:
            # What the payment is now (it may have been reviewed since).
            status = self.store.payment_status(ledger.pk, request.payment.payment_id)
        return pb.MatchPaymentResponse(
            matches=_match_rows(rows),
            status=_STATUS_ENUM.get(status, pb.PAYMENT_STATUS_UNSPECIFIED),
            duplicate=duplicate,
            last_sequence=outcome.summary.last_sequence,
        )

    @rpc
    def UploadFiles(self, tenant, request_iterator, context):
        ledger_id = ledger = None
        files: list[tuple[str, list[bytes]]] = []
        lenient = False
        total = 0
        for request in request_iterator:
            ledger_id = _same_ledger(ledger_id, request.ledger_id)
            if ledger is None:
                ledger = self._ledger(tenant, ledger_id or "")
            lenient = lenient or request.lenient
            part = request.WhichOneof("part")
            if part == "header":
                if len(files) >= self.limits.max_files_per_call:
                    raise ResourceExhausted(
                        f"more than {self.limits.max_files_per_call} files in one call"
                    )
                name = request.header.file_name
                if not name or len(name) > 255 or "/" in name or "\\" in name or "\0" in name:
                    raise InvalidArgument(
                        f"bad file name {name[:80]!r}",
                        [(f"files[{len(files)}].file_name", "1-255 characters, no path")],
                    )
                files.append((name, []))
            elif part == "data":
                if not files:
                    raise InvalidArgument(
                        "data before a file header", [("header", "send a FileHeader first")]
                    )
                size = sum(len(b) for b in files[-1][1]) + len(request.data)
                total += len(request.data)
                if size > self.limits.max_file_bytes or total > self.limits.max_call_bytes:
                    raise ResourceExhausted(
                        f"file {files[-1][0]!r} or the call is too large"
                        f" (at most {self.limits.max_file_bytes} bytes a file)"
                    )
                files[-1][1].append(request.data)
        if ledger is None or not files:
            raise InvalidArgument("no file sent", [("header", "send at least one file")])
        tables, file_rows, payment_file, results, skip = [], [], [], [], set()
        advices: list[tuple[int, pa.Table]] = []
        seen_sha: set[str] = set()
        for name, pieces in files:
            data = b"".join(pieces)
            sha = hashlib.sha256(data).hexdigest()
            loaded = _load_file(name, data, lenient)
            payments = loaded.payments
            duplicate = sha in seen_sha or self.store.known_file(ledger.pk, sha)
            seen_sha.add(sha)
            results.append(
                pb.FileResult(
                    file_name=name,
                    sha256=sha,
                    format=loaded.format,
                    duplicate=duplicate,
                    payments=payments.num_rows,
                    skipped=loaded.skipped,
                    problems=[str(p)[:1000] for p in loaded.problems[:1000]],
                )
            )
            if duplicate:
                # A re-sent file: none of its payments is applied again.
                skip.update(payments["payment_id"].to_pylist())
            else:
                payment_file.extend([len(file_rows)] * payments.num_rows)
                file_rows.append(
                    {
                        "sha256": sha,
                        "file_name": name,
                        "format": loaded.format,
                        "payments": payments.num_rows,
                    }
                )
            if duplicate:
                payment_file.extend([None] * payments.num_rows)
            tables.append(payments.select(PAYMENTS.names).cast(PAYMENTS))
            if loaded.advices.num_rows and not duplicate:
                advices.append((len(results) - 1, loaded.advices))
        payments = pa.concat_tables(tables)
        # Validate as if the payments had come over the wire.
        payments = read_ipc(table_to_ipc(payments), PAYMENTS, "payments", self.limits)
        outcome = self._ingest(
            ledger, payments, file_rows, payment_file, skip, advices=advices, results=results
        )
        for piece in split(table_to_ipc(outcome.matches)):
            yield pb.UploadFilesResponse(
                chunk=pb.ArrowChunk(table=pb.TABLE_KIND_MATCHES, data=piece)
            )
        for result in results:
            yield pb.UploadFilesResponse(file=result)
        yield pb.UploadFilesResponse(summary=outcome.summary)

    # -- review --------------------------------------------------------------

    @rpc
    def ListReviewItems(self, tenant, request, context):
        ledger = self._ledger(tenant, request.ledger_id)
        statuses = tuple(
            sorted({_STATUS_NAME.get(s, "") for s in request.statuses} or set(st.REVIEWABLE))
        )
        if "" in statuses:
            raise InvalidArgument("unknown status", [("statuses", "PaymentStatus values only")])
        size = request.page_size or 100
        if not 0 < size <= 1000:
            raise InvalidArgument("page_size out of range", [("page_size", "1 to 1000")])
        after = 0
        if request.page_token:
            try:
                after = int(request.page_token)
            except ValueError:
                raise InvalidArgument("bad page_token", [("page_token", "as returned")]) from None
        items, next_pk = self.store.review_page(ledger.pk, statuses, after, size)
        return pb.ListReviewItemsResponse(
            items=[
                pb.ReviewItem(
                    payment=_payment_message(payment),
                    status=_STATUS_ENUM[payment["status"]],
                    matches=_match_rows(rows),
                )
                for payment, rows in items
            ],
            next_page_token=str(next_pk) if next_pk else "",
        )

    @rpc
    def ConfirmMatch(self, tenant, request, context):
        ledger = self._ledger(tenant, request.ledger_id)
        with self._lock(ledger.pk):
            rows, last = self.store.confirm(ledger.pk, request.payment_id)
        self._refresh_later(ledger.pk)
        return pb.ConfirmMatchResponse(matches=_match_rows(rows), last_sequence=last)

    @rpc
    def RejectMatch(self, tenant, request, context):
        ledger = self._ledger(tenant, request.ledger_id)
        with self._lock(ledger.pk):
            self.store.reject(ledger.pk, request.payment_id)
        return pb.RejectMatchResponse(status=pb.PAYMENT_STATUS_UNMATCHED)

    @rpc
    def CorrectMatch(self, tenant, request, context):
        ledger = self._ledger(tenant, request.ledger_id)
        if len(request.allocations) > self.limits.max_allocations:
            raise InvalidArgument(
                "too many allocations", [("allocations", f"at most {self.limits.max_allocations}")]
            )
        allocations = [(a.invoice_id, a.amount_minor) for a in request.allocations]
        with self._lock(ledger.pk):
            rows, last = self.store.correct(ledger.pk, request.payment_id, allocations)
        self._refresh_later(ledger.pk)
        return pb.CorrectMatchResponse(matches=_match_rows(rows), last_sequence=last)

    # -- export --------------------------------------------------------------

    @rpc
    def ExportApplications(self, tenant, request, context):
        ledger = self._ledger(tenant, request.ledger_id)
        size = request.page_size or 1000
        if not 0 < size <= 10_000:
            raise InvalidArgument("page_size out of range", [("page_size", "1 to 10000")])
        if request.after_sequence < 0:
            raise InvalidArgument("negative cursor", [("after_sequence", "0 or more")])
        rows, more = self.store.applications(ledger.pk, request.after_sequence, size)
        return pb.ExportApplicationsResponse(
            applications=[
                pb.Application(
                    sequence=seq,
                    ledger_id=ledger.ledger_id,
                    payment_id=payment_id,
                    invoice_id=invoice_id,
                    currency=currency,
                    amount_minor=amount,
                    kind=_KIND_ENUM[kind],
                    customer_id=customer or "",
                    created_at=created,
                )
                for seq, payment_id, invoice_id, currency, amount, kind, customer, created in rows
            ],
            next_after_sequence=rows[-1][0] if rows else request.after_sequence,
            more=more,
        )


# -- helpers ------------------------------------------------------------------


def _check_ledger_id(ledger_id: str) -> None:
    if not ledger_id or len(ledger_id) > _MAX_LEDGER_ID or not ledger_id.isprintable():
        raise InvalidArgument(
            "ledger_id is required", [("ledger_id", f"1 to {_MAX_LEDGER_ID} printable characters")]
        )


def _same_ledger(current: str | None, sent: str) -> str | None:
    if sent and current and sent != current:
        raise InvalidArgument(
            "one call works on one ledger", [("ledger_id", f"{sent!r} after {current!r}")]
        )
    return current or sent or None


def _check_open_items(items: pa.Table) -> None:
    ids = items["invoice_id"].to_pylist()
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        for row, invoice in enumerate(ids):
            if invoice in seen:
                raise InvalidArgument(
                    f"open_items.row[{row}].invoice_id: duplicate value {invoice!r}",
                    [(f"open_items.row[{row}].invoice_id", f"duplicate value {invoice!r}")],
                )
            seen.add(invoice)
    for row, code in enumerate(items["currency"].to_pylist()):
        if code not in CURRENCY_EXPONENTS:
            raise InvalidArgument(
                f"open_items.row[{row}].currency: unknown currency {code!r}",
                [(f"open_items.row[{row}].currency", f"unknown currency {code!r}")],
            )


def _load_file(name: str, data: bytes, lenient: bool):
    """Read an uploaded file of any format the loaders know.

    Uses the format detector when the loaders have one; otherwise reads the
    file contract's payments CSV / Parquet.
    """
    try:
        from cashmatch.loaders.detect import load_file
    except ImportError:
        load_file = None
    if load_file is not None:
        return load_file(name, data=data, lenient=lenient)
    from cashmatch.loaders import read_payments
    from cashmatch.loaders.base import LoadedFile

    suffix = os.path.splitext(name)[1].lower()
    if suffix not in (".csv", ".txt", ".parquet", ".pq"):
        raise LoadError(name, "unrecognised file: only payments CSV / Parquet can be read here")
    with tempfile.TemporaryDirectory(prefix="cashmatch-upload-") as tmp:
        path = os.path.join(tmp, "upload" + suffix)
        with open(path, "wb") as handle:
            handle.write(data)
        try:
            payments = read_payments(path)
        except LoadError as error:
            # Name the file as the client did, not our temporary copy.
            raise LoadError(
                name,
                error.message,
                line=error.line,
                row=error.row,
                element=error.element,
                field=error.field,
            ) from None
    payments = payments.set_column(
        PAYMENTS.get_field_index("source_file"),
        "source_file",
        pa.array([name] * payments.num_rows, pa.string()),
    )
    return LoadedFile(format="payments_" + suffix.lstrip("."), payments=payments)


__all__ = ["CHUNK_BYTES", "CashMatchService", "Outcome"]

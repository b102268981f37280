"""The CashMatchService servicer: messages in, use cases called, messages out.

Authentication and error mapping are the interceptors' (:mod:`.interceptors`);
what a call means is the use cases'; this module only reads requests, calls
them, and writes replies.
"""

from __future__ import annotations

import pyarrow as pa

from cashmatch.engine.schemas import PAYMENTS
from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2 as pb
from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2_grpc as pb_grpc
from cashmatch.server.errors import InvalidArgument, ResourceExhausted, quote
from cashmatch.server.ledger import Ledgers, check_ledger_id
from cashmatch.server.ledger.ingest import Outcome
from cashmatch.server.ledger.postings import AUTO, CONFIRMED, REVIEWABLE, SUGGESTED, UNMATCHED
from cashmatch.server.limits import Limits
from cashmatch.server.rpc.convert import (
    Reassembler,
    duplicate_messages,
    match_rows,
    payment_message,
    payment_table,
    read_ipc,
    split,
    table_to_ipc,
)
from cashmatch.server.rpc.interceptors import count_rows, tenant

STATUS_ENUM = {
    AUTO: pb.PAYMENT_STATUS_AUTO,
    SUGGESTED: pb.PAYMENT_STATUS_SUGGESTED,
    UNMATCHED: pb.PAYMENT_STATUS_UNMATCHED,
    CONFIRMED: pb.PAYMENT_STATUS_CONFIRMED,
}
STATUS_NAME = {v: k for k, v in STATUS_ENUM.items()}
KIND_ENUM = {
    "auto": pb.APPLICATION_KIND_AUTO,
    "confirmed": pb.APPLICATION_KIND_CONFIRMED,
    "corrected": pb.APPLICATION_KIND_CORRECTED,
    "write_off_bank_fee": pb.APPLICATION_KIND_WRITE_OFF_BANK_FEE,
    "write_off_discount": pb.APPLICATION_KIND_WRITE_OFF_DISCOUNT,
}
_TABLES = {
    pb.TABLE_KIND_OPEN_ITEMS: "open_items",
    pb.TABLE_KIND_CUSTOMERS: "customers",
    pb.TABLE_KIND_PAYMENTS: "payments",
}


def _same_ledger(current: str | None, sent: str) -> str | None:
    if sent and current and sent != current:
        raise InvalidArgument(
            "one call works on one ledger", [("ledger_id", f"{quote(sent)} after {quote(current)}")]
        )
    return current or sent or None


def _chunks(table: pa.Table, kind: int, message):
    for piece in split(table_to_ipc(table)):
        yield message(chunk=pb.ArrowChunk(table=kind, data=piece))


def summary(outcome: Outcome) -> pb.IngestSummary:
    return pb.IngestSummary(
        payments_received=outcome.received,
        payments_new=outcome.new,
        payments_duplicate=len(outcome.duplicates),
        duplicate_payment_ids=[v.payment_id for v in outcome.duplicates[:1000]],
        auto_matched=outcome.statuses.get(AUTO, 0),
        suggested=outcome.statuses.get(SUGGESTED, 0),
        unmatched=outcome.statuses.get(UNMATCHED, 0),
        applied_minor_by_currency=dict(outcome.applied_minor),
        last_sequence=outcome.last_sequence,
        duplicates=duplicate_messages(outcome.duplicates),
        payments_possible_duplicate=len(outcome.possible_duplicates),
        possible_duplicates=duplicate_messages(outcome.possible_duplicates),
    )


class CashMatchService(pb_grpc.CashMatchServiceServicer):
    """The gRPC servicer.

    Args:
        ledgers: the use cases.
        limits: input bounds.
        metrics: where bytes and payments are counted, or None.
    """

    def __init__(self, ledgers: Ledgers, limits: Limits, metrics=None):
        self.ledgers, self.limits, self.metrics = ledgers, limits, metrics

    def _ingested(self, outcome: Outcome, kind: str, size: int) -> None:
        count_rows(rows_in=outcome.received, rows_out=outcome.matches.num_rows)
        if self.metrics is not None:
            self.metrics.ingested(
                {**outcome.statuses, "duplicate": len(outcome.duplicates),
                 "possible_duplicate": len(outcome.possible_duplicates)},
                kind, size,
            )  # fmt: skip

    # -- open items ------------------------------------------------------------

    def PutOpenItems(self, request_iterator, context):
        who = tenant()
        parts = Reassembler(self.limits)
        ledger_id, mode, closed, posted = None, pb.PUT_MODE_UNSPECIFIED, [], 0
        for request in request_iterator:
            ledger_id = _same_ledger(ledger_id, request.ledger_id)
            if mode == pb.PUT_MODE_UNSPECIFIED:
                mode = request.mode
                check_ledger_id(ledger_id or "")
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
                parts.add(_TABLES[kind], request.chunk.data)
        if mode not in (pb.PUT_MODE_SNAPSHOT, pb.PUT_MODE_INCREMENTAL):
            raise InvalidArgument("mode is required", [("mode", "SNAPSHOT or INCREMENTAL")])
        tables = {
            name: read_ipc(parts.take(name), name, self.limits) if parts.has(name) else None
            for name in ("open_items", "customers")
        }
        if self.metrics is not None:
            self.metrics.received("arrow", parts.total)
        result = self.ledgers.put_open_items(
            who, ledger_id, snapshot=mode == pb.PUT_MODE_SNAPSHOT, open_items=tables["open_items"],
            customers=tables["customers"], closed_invoice_ids=closed, posted_through=posted,
        )  # fmt: skip
        count_rows(rows_in=result.open_items_received + result.customers_received)
        return pb.PutOpenItemsResponse(
            ledger_id=ledger_id,
            open_items_received=result.open_items_received,
            customers_received=result.customers_received,
            invoices_closed=result.invoices_closed,
            invoices_removed=result.invoices_removed,
            ledger_open_items=result.ledger_open_items,
            ledger_version=result.ledger.version,
        )

    def GetOpenItems(self, request, context):
        items = self.ledgers.open_items(tenant(), request.ledger_id, request.include_closed)
        count_rows(rows_out=items.num_rows)
        yield from _chunks(items, pb.TABLE_KIND_OPEN_ITEMS, pb.GetOpenItemsResponse)

    def GetLedger(self, request, context):
        totals = self.ledgers.totals(tenant(), request.ledger_id)
        return pb.GetLedgerResponse(
            ledger_id=totals.ledger_id,
            open_items=totals.open_items,
            open_minor_by_currency=totals.open_minor_by_currency,
            customers=totals.customers,
            payments=totals.payments,
            payments_by_status=totals.payments_by_status,
            last_sequence=totals.last_sequence,
            version=totals.version,
        )

    # -- payments --------------------------------------------------------------

    def MatchPayments(self, request_iterator, context):
        who = tenant()
        parts = Reassembler(self.limits)
        ledger_id = None
        for request in request_iterator:
            if ledger_id is None and request.ledger_id:
                # Refuse an unknown ledger before reading the whole stream.
                self.ledgers.ledger(who, request.ledger_id)
            ledger_id = _same_ledger(ledger_id, request.ledger_id)
            if request.HasField("chunk"):
                if request.chunk.table != pb.TABLE_KIND_PAYMENTS:
                    raise InvalidArgument(
                        "MatchPayments takes payments only", [("chunk.table", "must be PAYMENTS")]
                    )
                parts.add("payments", request.chunk.data)
        if ledger_id is None:
            raise InvalidArgument("empty request stream", [("ledger_id", "required")])
        payments = (
            read_ipc(parts.take("payments"), "payments", self.limits)
            if parts.has("payments")
            else PAYMENTS.empty_table()
        )
        outcome = self.ledgers.ingest(who, ledger_id, payments)
        self._ingested(outcome, "arrow", parts.total)
        yield from _chunks(outcome.matches, pb.TABLE_KIND_MATCHES, pb.MatchPaymentsResponse)
        yield pb.MatchPaymentsResponse(summary=summary(outcome))

    def MatchPayment(self, request, context):
        who = tenant()
        self.ledgers.ledger(who, request.ledger_id)
        payments = payment_table(request.payment, self.limits)
        outcome = self.ledgers.ingest(who, request.ledger_id, payments)
        self._ingested(outcome, None, 0)
        rows = outcome.matches.to_pylist()
        reply = pb.MatchPaymentResponse(
            matches=match_rows(rows), last_sequence=outcome.last_sequence
        )
        if outcome.duplicates:
            earlier = outcome.duplicates[0].earlier
            # What the payment is now (it may have been reviewed since).
            status = self.ledgers.payment_status(who, request.ledger_id, earlier)
            reply.duplicate, reply.duplicate_of = True, earlier
        else:
            status = rows[0]["status"] if rows else UNMATCHED
        if outcome.possible_duplicates:
            reply.possible_duplicate = True
            reply.duplicate_of = outcome.possible_duplicates[0].earlier
        reply.status = STATUS_ENUM.get(status, pb.PAYMENT_STATUS_UNSPECIFIED)
        return reply

    def UploadFiles(self, request_iterator, context):
        who = tenant()
        ledger_id = None
        lenient = False
        with self.ledgers.uploads(self.limits) as uploads:
            for request in request_iterator:
                if ledger_id is None and request.ledger_id:
                    self.ledgers.ledger(who, request.ledger_id)
                ledger_id = _same_ledger(ledger_id, request.ledger_id)
                lenient = lenient or request.lenient
                part = request.WhichOneof("part")
                if part == "header":
                    uploads.begin(request.header.file_name)
                elif part == "data":
                    uploads.write(request.data)
            if ledger_id is None:
                raise InvalidArgument("no file sent", [("header", "send at least one file")])
            files = uploads.finish()
            outcome, results = self.ledgers.ingest_files(
                who, ledger_id, files, lenient, self.limits
            )
        self._ingested(outcome, "file", uploads.total)
        yield from _chunks(outcome.matches, pb.TABLE_KIND_MATCHES, pb.UploadFilesResponse)
        for r in results:
            yield pb.UploadFilesResponse(
                file=pb.FileResult(
                    file_name=r.file_name, sha256=r.sha256, format=r.format, duplicate=r.duplicate,
                    payments=r.payments, skipped=r.skipped,
                    problems=[p[:1000] for p in r.problems[:1000]],
                )
            )  # fmt: skip
        yield pb.UploadFilesResponse(summary=summary(outcome))

    # -- review ----------------------------------------------------------------

    def ListReviewItems(self, request, context):
        statuses = {STATUS_NAME.get(s, "") for s in request.statuses} or set(REVIEWABLE)
        if "" in statuses:
            raise InvalidArgument("unknown status", [("statuses", "PaymentStatus values only")])
        after = 0
        if request.page_token:
            try:
                after = int(request.page_token)
            except ValueError:
                raise InvalidArgument("bad page_token", [("page_token", "as returned")]) from None
        items, next_pk = self.ledgers.review_page(
            tenant(), request.ledger_id, tuple(statuses), after, request.page_size or 100
        )
        count_rows(rows_out=len(items))
        return pb.ListReviewItemsResponse(
            items=[
                pb.ReviewItem(
                    payment=payment_message(payment),
                    status=STATUS_ENUM[payment["status"]],
                    matches=match_rows(rows),
                )
                for payment, rows in items
            ],
            next_page_token=str(next_pk) if next_pk else "",
        )

    def ConfirmMatch(self, request, context):
        rows, last = self.ledgers.confirm(tenant(), request.ledger_id, request.payment_id)
        return pb.ConfirmMatchResponse(matches=match_rows(rows), last_sequence=last)

    def RejectMatch(self, request, context):
        self.ledgers.reject(tenant(), request.ledger_id, request.payment_id)
        return pb.RejectMatchResponse(status=pb.PAYMENT_STATUS_UNMATCHED)

    def CorrectMatch(self, request, context):
        if len(request.allocations) > self.limits.max_allocations:
            raise InvalidArgument(
                "too many allocations", [("allocations", f"at most {self.limits.max_allocations}")]
            )
        allocations = [(a.invoice_id, a.amount_minor) for a in request.allocations]
        rows, last = self.ledgers.correct(
            tenant(), request.ledger_id, request.payment_id, allocations
        )
        return pb.CorrectMatchResponse(matches=match_rows(rows), last_sequence=last)

    # -- export ----------------------------------------------------------------

    def ExportApplications(self, request, context):
        ledger, rows, more = self.ledgers.applications(
            tenant(), request.ledger_id, request.after_sequence, request.page_size or 1000
        )
        count_rows(rows_out=len(rows))
        return pb.ExportApplicationsResponse(
            applications=[
                pb.Application(
                    sequence=seq,
                    ledger_id=ledger.ledger_id,
                    payment_id=payment_id,
                    invoice_id=invoice_id,
                    currency=currency,
                    amount_minor=amount,
                    kind=KIND_ENUM[kind],
                    customer_id=customer or "",
                    created_at=created,
                )
                for seq, payment_id, invoice_id, currency, amount, kind, customer, created in rows
            ],
            next_after_sequence=rows[-1][0] if rows else request.after_sequence,
            more=more,
        )

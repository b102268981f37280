"""A small Python client of the cashmatch service, used by the CLI, the tests and the benchmark.

Example:
    >>> client = Client("127.0.0.1:50051", token)           # doctest: +SKIP
    >>> client.put_open_items("acme-eu", open_items)          # doctest: +SKIP
    >>> matches, summary = client.match_payments("acme-eu", payments)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

import grpc
import pyarrow as pa
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from cashmatch.engine.schemas import MATCHES, OPEN_ITEMS
from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2 as pb
from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2_grpc as pb_grpc
from cashmatch.server.limits import CHUNK_BYTES, MiB
from cashmatch.server.rpc.convert import split, table_to_ipc

MODES = {"snapshot": pb.PUT_MODE_SNAPSHOT, "incremental": pb.PUT_MODE_INCREMENTAL}
STATUSES = {
    "auto": pb.PAYMENT_STATUS_AUTO,
    "suggested": pb.PAYMENT_STATUS_SUGGESTED,
    "unmatched": pb.PAYMENT_STATUS_UNMATCHED,
    "confirmed": pb.PAYMENT_STATUS_CONFIRMED,
}
STATUS_NAMES = {v: k for k, v in STATUSES.items()}


def violations(error: grpc.RpcError) -> list[tuple[str, str]]:
    """The BadRequest field violations of a failed call, as ``(field, description)``."""
    status = rpc_status.from_call(error)
    out = []
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            out.extend((v.field, v.description) for v in bad.field_violations)
    return out


def _read_chunks(pieces: Iterable[bytes], schema: pa.Schema) -> pa.Table:
    data = b"".join(pieces)
    if not data:
        return schema.empty_table()
    return pa.ipc.open_stream(pa.BufferReader(data)).read_all()


class Client:
    """A connection to a cashmatch server.

    Args:
        target: ``HOST:PORT``.
        token: the tenant's bearer token.
        root_certificates: PEM of the CA (or self-signed certificate) to trust;
            given, the channel uses TLS.
        timeout: seconds for each call.
        server_name: the name to check the certificate against, when it is not the host.
    """

    def __init__(
        self,
        target: str,
        token: str,
        *,
        root_certificates: bytes | None = None,
        timeout: float = 120.0,
        server_name: str | None = None,
    ):
        options = [
            ("grpc.max_send_message_length", 8 * MiB),
            ("grpc.max_receive_message_length", 8 * MiB),
        ]
        if server_name:
            options.append(("grpc.ssl_target_name_override", server_name))
        if root_certificates is not None:
            credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            self.channel = grpc.secure_channel(target, credentials, options=options)
        else:
            self.channel = grpc.insecure_channel(target, options=options)
        self.stub = pb_grpc.CashMatchServiceStub(self.channel)
        self.metadata = (("authorization", f"Bearer {token}"),)
        self.timeout = timeout

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, method, request, **kwargs):
        return method(request, metadata=self.metadata, timeout=self.timeout, **kwargs)

    # -- open items ----------------------------------------------------------

    def put_open_items(
        self,
        ledger_id: str,
        open_items: pa.Table | None = None,
        customers: pa.Table | None = None,
        *,
        mode: str = "snapshot",
        closed_invoice_ids: Iterable[str] = (),
        posted_through_sequence: int = 0,
    ) -> pb.PutOpenItemsResponse:
        """Send a ledger's open items (and customers): a snapshot, or incremental changes."""

        def requests() -> Iterator[pb.PutOpenItemsRequest]:
            yield pb.PutOpenItemsRequest(
                ledger_id=ledger_id, mode=MODES[mode],
                closed_invoice_ids=list(closed_invoice_ids),
                posted_through_sequence=posted_through_sequence,
            )  # fmt: skip
            for table, kind in ((open_items, pb.TABLE_KIND_OPEN_ITEMS),
                                (customers, pb.TABLE_KIND_CUSTOMERS)):  # fmt: skip
                if table is not None:
                    for piece in split(table_to_ipc(table)):
                        yield pb.PutOpenItemsRequest(chunk=pb.ArrowChunk(table=kind, data=piece))

        return self._call(self.stub.PutOpenItems, requests())

    def get_open_items(self, ledger_id: str, include_closed: bool = False) -> pa.Table:
        """The ledger's open items with their current open amounts."""
        responses = self._call(
            self.stub.GetOpenItems,
            pb.GetOpenItemsRequest(ledger_id=ledger_id, include_closed=include_closed),
        )
        return _read_chunks((r.chunk.data for r in responses), OPEN_ITEMS)

    def get_ledger(self, ledger_id: str) -> pb.GetLedgerResponse:
        return self._call(self.stub.GetLedger, pb.GetLedgerRequest(ledger_id=ledger_id))

    # -- payments ------------------------------------------------------------

    def payment_requests(
        self, ledger_id: str, payments: pa.Table, chunk_bytes: int = CHUNK_BYTES
    ) -> Iterator[pb.MatchPaymentsRequest]:
        yield pb.MatchPaymentsRequest(ledger_id=ledger_id)
        for piece in split(table_to_ipc(payments), chunk_bytes):
            yield pb.MatchPaymentsRequest(
                chunk=pb.ArrowChunk(table=pb.TABLE_KIND_PAYMENTS, data=piece)
            )

    def match_payments(
        self, ledger_id: str, payments: pa.Table | Iterable[pb.MatchPaymentsRequest]
    ) -> tuple[pa.Table, pb.IngestSummary]:
        """Stream payments (a PAYMENTS table) in; get the MATCHES table and the summary."""
        requests = (
            self.payment_requests(ledger_id, payments)
            if isinstance(payments, pa.Table)
            else payments
        )
        pieces, summary = [], None
        for response in self._call(self.stub.MatchPayments, requests):
            if response.HasField("chunk"):
                pieces.append(response.chunk.data)
            else:
                summary = response.summary
        return _read_chunks(pieces, MATCHES), summary

    def upload_files(
        self,
        ledger_id: str,
        files: Iterable[str | os.PathLike | tuple[str, bytes]],
        *,
        lenient: bool = False,
    ) -> tuple[pa.Table, list[pb.FileResult], pb.IngestSummary]:
        """Upload raw bank / lockbox / remittance files; get matches, per-file results, summary."""

        def requests() -> Iterator[pb.UploadFilesRequest]:
            yield pb.UploadFilesRequest(ledger_id=ledger_id, lenient=lenient)
            for item in files:
                if isinstance(item, tuple):
                    name, data = item
                else:
                    name = os.path.basename(os.fspath(item))
                    with open(item, "rb") as handle:
                        data = handle.read()
                yield pb.UploadFilesRequest(header=pb.FileHeader(file_name=name))
                for start in range(0, len(data), CHUNK_BYTES):
                    yield pb.UploadFilesRequest(data=data[start : start + CHUNK_BYTES])

        pieces, results, summary = [], [], None
        for response in self._call(self.stub.UploadFiles, requests()):
            kind = response.WhichOneof("result")
            if kind == "chunk":
                pieces.append(response.chunk.data)
            elif kind == "file":
                results.append(response.file)
            else:
                summary = response.summary
        return _read_chunks(pieces, MATCHES), results, summary

    def match_payment(self, ledger_id: str, **payment) -> pb.MatchPaymentResponse:
        """Match one payment, given as Payment fields (value_date an ISO string or a date)."""
        if "value_date" in payment and not isinstance(payment["value_date"], str):
            payment["value_date"] = payment["value_date"].isoformat()
        remittance = [pb.RemittanceLine(**line) for line in payment.pop("remittance", [])]
        message = pb.Payment(**payment, remittance=remittance)
        return self._call(
            self.stub.MatchPayment, pb.MatchPaymentRequest(ledger_id=ledger_id, payment=message)
        )

    # -- review --------------------------------------------------------------

    def list_review_items(
        self,
        ledger_id: str,
        statuses: Iterable[str] = (),
        page_size: int = 100,
        page_token: str = "",
    ) -> pb.ListReviewItemsResponse:
        return self._call(
            self.stub.ListReviewItems,
            pb.ListReviewItemsRequest(
                ledger_id=ledger_id, statuses=[STATUSES[s] for s in statuses],
                page_size=page_size, page_token=page_token,
            ),
        )  # fmt: skip

    def iter_review_items(
        self, ledger_id: str, statuses: Iterable[str] = (), page_size: int = 100
    ) -> Iterator[pb.ReviewItem]:
        """Every review item, page after page."""
        statuses = list(statuses)
        token = ""
        while True:
            page = self.list_review_items(ledger_id, statuses, page_size, token)
            yield from page.items
            token = page.next_page_token
            if not token:
                return

    def confirm(self, ledger_id: str, payment_id: str) -> pb.ConfirmMatchResponse:
        return self._call(
            self.stub.ConfirmMatch,
            pb.ConfirmMatchRequest(ledger_id=ledger_id, payment_id=payment_id),
        )

    def reject(self, ledger_id: str, payment_id: str) -> pb.RejectMatchResponse:
        return self._call(
            self.stub.RejectMatch, pb.RejectMatchRequest(ledger_id=ledger_id, payment_id=payment_id)
        )

    def correct(
        self, ledger_id: str, payment_id: str, allocations: Iterable[tuple[str, int]]
    ) -> pb.CorrectMatchResponse:
        """Apply the payment to the invoices and amounts (minor units) a person chose."""
        return self._call(
            self.stub.CorrectMatch,
            pb.CorrectMatchRequest(
                ledger_id=ledger_id, payment_id=payment_id,
                allocations=[pb.Allocation(invoice_id=i, amount_minor=a) for i, a in allocations],
            ),
        )  # fmt: skip

    # -- export --------------------------------------------------------------

    def export_applications(
        self, ledger_id: str, after_sequence: int = 0, page_size: int = 1000
    ) -> pb.ExportApplicationsResponse:
        return self._call(
            self.stub.ExportApplications,
            pb.ExportApplicationsRequest(
                ledger_id=ledger_id, after_sequence=after_sequence, page_size=page_size
            ),
        )

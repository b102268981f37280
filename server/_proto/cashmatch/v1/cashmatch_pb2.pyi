from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TableKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TABLE_KIND_UNSPECIFIED: _ClassVar[TableKind]
    TABLE_KIND_OPEN_ITEMS: _ClassVar[TableKind]
    TABLE_KIND_CUSTOMERS: _ClassVar[TableKind]
    TABLE_KIND_PAYMENTS: _ClassVar[TableKind]
    TABLE_KIND_MATCHES: _ClassVar[TableKind]

class PutMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PUT_MODE_UNSPECIFIED: _ClassVar[PutMode]
    PUT_MODE_SNAPSHOT: _ClassVar[PutMode]
    PUT_MODE_INCREMENTAL: _ClassVar[PutMode]

class PaymentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAYMENT_STATUS_UNSPECIFIED: _ClassVar[PaymentStatus]
    PAYMENT_STATUS_AUTO: _ClassVar[PaymentStatus]
    PAYMENT_STATUS_SUGGESTED: _ClassVar[PaymentStatus]
    PAYMENT_STATUS_UNMATCHED: _ClassVar[PaymentStatus]
    PAYMENT_STATUS_CONFIRMED: _ClassVar[PaymentStatus]

class ApplicationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APPLICATION_KIND_UNSPECIFIED: _ClassVar[ApplicationKind]
    APPLICATION_KIND_AUTO: _ClassVar[ApplicationKind]
    APPLICATION_KIND_CONFIRMED: _ClassVar[ApplicationKind]
    APPLICATION_KIND_CORRECTED: _ClassVar[ApplicationKind]
    APPLICATION_KIND_WRITE_OFF_BANK_FEE: _ClassVar[ApplicationKind]
    APPLICATION_KIND_WRITE_OFF_DISCOUNT: _ClassVar[ApplicationKind]
TABLE_KIND_UNSPECIFIED: TableKind
TABLE_KIND_OPEN_ITEMS: TableKind
TABLE_KIND_CUSTOMERS: TableKind
TABLE_KIND_PAYMENTS: TableKind
TABLE_KIND_MATCHES: TableKind
PUT_MODE_UNSPECIFIED: PutMode
PUT_MODE_SNAPSHOT: PutMode
PUT_MODE_INCREMENTAL: PutMode
PAYMENT_STATUS_UNSPECIFIED: PaymentStatus
PAYMENT_STATUS_AUTO: PaymentStatus
PAYMENT_STATUS_SUGGESTED: PaymentStatus
PAYMENT_STATUS_UNMATCHED: PaymentStatus
PAYMENT_STATUS_CONFIRMED: PaymentStatus
APPLICATION_KIND_UNSPECIFIED: ApplicationKind
APPLICATION_KIND_AUTO: ApplicationKind
APPLICATION_KIND_CONFIRMED: ApplicationKind
APPLICATION_KIND_CORRECTED: ApplicationKind
APPLICATION_KIND_WRITE_OFF_BANK_FEE: ApplicationKind
APPLICATION_KIND_WRITE_OFF_DISCOUNT: ApplicationKind

class ArrowChunk(_message.Message):
    __slots__ = ("table", "data")
    TABLE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    table: TableKind
    data: bytes
    def __init__(self, table: _Optional[_Union[TableKind, str]] = ..., data: _Optional[bytes] = ...) -> None: ...

class MatchRow(_message.Message):
    __slots__ = ("payment_id", "invoice_id", "currency", "amount_applied_minor", "status", "confidence", "reason", "invoice_residual_minor", "residual_action", "payment_unapplied_minor", "customer_id")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    INVOICE_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_APPLIED_MINOR_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    INVOICE_RESIDUAL_MINOR_FIELD_NUMBER: _ClassVar[int]
    RESIDUAL_ACTION_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_UNAPPLIED_MINOR_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    invoice_id: str
    currency: str
    amount_applied_minor: int
    status: str
    confidence: float
    reason: str
    invoice_residual_minor: int
    residual_action: str
    payment_unapplied_minor: int
    customer_id: str
    def __init__(self, payment_id: _Optional[str] = ..., invoice_id: _Optional[str] = ..., currency: _Optional[str] = ..., amount_applied_minor: _Optional[int] = ..., status: _Optional[str] = ..., confidence: _Optional[float] = ..., reason: _Optional[str] = ..., invoice_residual_minor: _Optional[int] = ..., residual_action: _Optional[str] = ..., payment_unapplied_minor: _Optional[int] = ..., customer_id: _Optional[str] = ...) -> None: ...

class DuplicatePayment(_message.Message):
    __slots__ = ("payment_id", "earlier_payment_id", "identified_by")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    EARLIER_PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIED_BY_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    earlier_payment_id: str
    identified_by: str
    def __init__(self, payment_id: _Optional[str] = ..., earlier_payment_id: _Optional[str] = ..., identified_by: _Optional[str] = ...) -> None: ...

class IngestSummary(_message.Message):
    __slots__ = ("payments_received", "payments_new", "payments_duplicate", "duplicate_payment_ids", "auto_matched", "suggested", "unmatched", "applied_minor_by_currency", "last_sequence", "duplicates", "payments_possible_duplicate", "possible_duplicates")
    class AppliedMinorByCurrencyEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    PAYMENTS_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    PAYMENTS_NEW_FIELD_NUMBER: _ClassVar[int]
    PAYMENTS_DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_PAYMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    AUTO_MATCHED_FIELD_NUMBER: _ClassVar[int]
    SUGGESTED_FIELD_NUMBER: _ClassVar[int]
    UNMATCHED_FIELD_NUMBER: _ClassVar[int]
    APPLIED_MINOR_BY_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    PAYMENTS_POSSIBLE_DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    POSSIBLE_DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    payments_received: int
    payments_new: int
    payments_duplicate: int
    duplicate_payment_ids: _containers.RepeatedScalarFieldContainer[str]
    auto_matched: int
    suggested: int
    unmatched: int
    applied_minor_by_currency: _containers.ScalarMap[str, int]
    last_sequence: int
    duplicates: _containers.RepeatedCompositeFieldContainer[DuplicatePayment]
    payments_possible_duplicate: int
    possible_duplicates: _containers.RepeatedCompositeFieldContainer[DuplicatePayment]
    def __init__(self, payments_received: _Optional[int] = ..., payments_new: _Optional[int] = ..., payments_duplicate: _Optional[int] = ..., duplicate_payment_ids: _Optional[_Iterable[str]] = ..., auto_matched: _Optional[int] = ..., suggested: _Optional[int] = ..., unmatched: _Optional[int] = ..., applied_minor_by_currency: _Optional[_Mapping[str, int]] = ..., last_sequence: _Optional[int] = ..., duplicates: _Optional[_Iterable[_Union[DuplicatePayment, _Mapping]]] = ..., payments_possible_duplicate: _Optional[int] = ..., possible_duplicates: _Optional[_Iterable[_Union[DuplicatePayment, _Mapping]]] = ...) -> None: ...

class PutOpenItemsRequest(_message.Message):
    __slots__ = ("ledger_id", "mode", "chunk", "closed_invoice_ids", "posted_through_sequence")
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    CLOSED_INVOICE_IDS_FIELD_NUMBER: _ClassVar[int]
    POSTED_THROUGH_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ledger_id: str
    mode: PutMode
    chunk: ArrowChunk
    closed_invoice_ids: _containers.RepeatedScalarFieldContainer[str]
    posted_through_sequence: int
    def __init__(self, ledger_id: _Optional[str] = ..., mode: _Optional[_Union[PutMode, str]] = ..., chunk: _Optional[_Union[ArrowChunk, _Mapping]] = ..., closed_invoice_ids: _Optional[_Iterable[str]] = ..., posted_through_sequence: _Optional[int] = ...) -> None: ...

class PutOpenItemsResponse(_message.Message):
    __slots__ = ("ledger_id", "open_items_received", "customers_received", "invoices_closed", "invoices_removed", "ledger_open_items", "ledger_version")
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    OPEN_ITEMS_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    CUSTOMERS_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    INVOICES_CLOSED_FIELD_NUMBER: _ClassVar[int]
    INVOICES_REMOVED_FIELD_NUMBER: _ClassVar[int]
    LEDGER_OPEN_ITEMS_FIELD_NUMBER: _ClassVar[int]
    LEDGER_VERSION_FIELD_NUMBER: _ClassVar[int]
    ledger_id: str
    open_items_received: int
    customers_received: int
    invoices_closed: int
    invoices_removed: int
    ledger_open_items: int
    ledger_version: int
    def __init__(self, ledger_id: _Optional[str] = ..., open_items_received: _Optional[int] = ..., customers_received: _Optional[int] = ..., invoices_closed: _Optional[int] = ..., invoices_removed: _Optional[int] = ..., ledger_open_items: _Optional[int] = ..., ledger_version: _Optional[int] = ...) -> None: ...

class MatchPaymentsRequest(_message.Message):
    __slots__ = ("ledger_id", "chunk")
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    ledger_id: str
    chunk: ArrowChunk
    def __init__(self, ledger_id: _Optional[str] = ..., chunk: _Optional[_Union[ArrowChunk, _Mapping]] = ...) -> None: ...

class MatchPaymentsResponse(_message.Message):
    __slots__ = ("chunk", "summary")
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    chunk: ArrowChunk
    summary: IngestSummary
    def __init__(self, chunk: _Optional[_Union[ArrowChunk, _Mapping]] = ..., summary: _Optional[_Union[IngestSummary, _Mapping]] = ...) -> None: ...

class FileHeader(_message.Message):
    __slots__ = ("file_name",)
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    file_name: str
    def __init__(self, file_name: _Optional[str] = ...) -> None: ...

class UploadFilesRequest(_message.Message):
    __slots__ = ("ledger_id", "header", "data", "lenient")
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    LENIENT_FIELD_NUMBER: _ClassVar[int]
    ledger_id: str
    header: FileHeader
    data: bytes
    lenient: bool
    def __init__(self, ledger_id: _Optional[str] = ..., header: _Optional[_Union[FileHeader, _Mapping]] = ..., data: _Optional[bytes] = ..., lenient: _Optional[bool] = ...) -> None: ...

class FileResult(_message.Message):
    __slots__ = ("file_name", "sha256", "format", "duplicate", "payments", "skipped", "problems")
    class SkippedEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    PAYMENTS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    file_name: str
    sha256: str
    format: str
    duplicate: bool
    payments: int
    skipped: _containers.ScalarMap[str, int]
    problems: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, file_name: _Optional[str] = ..., sha256: _Optional[str] = ..., format: _Optional[str] = ..., duplicate: _Optional[bool] = ..., payments: _Optional[int] = ..., skipped: _Optional[_Mapping[str, int]] = ..., problems: _Optional[_Iterable[str]] = ...) -> None: ...

class UploadFilesResponse(_message.Message):
    __slots__ = ("chunk", "file", "summary")
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    FILE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    chunk: ArrowChunk
    file: FileResult
    summary: IngestSummary
    def __init__(self, chunk: _Optional[_Union[ArrowChunk, _Mapping]] = ..., file: _Optional[_Union[FileResult, _Mapping]] = ..., summary: _Optional[_Union[IngestSummary, _Mapping]] = ...) -> None: ...

class RemittanceLine(_message.Message):
    __slots__ = ("invoice_ref", "amount_paid_minor", "invoice_amount_minor", "discount_minor", "adjustment_minor", "adjustment_reason")
    INVOICE_REF_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_PAID_MINOR_FIELD_NUMBER: _ClassVar[int]
    INVOICE_AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_MINOR_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_REASON_FIELD_NUMBER: _ClassVar[int]
    invoice_ref: str
    amount_paid_minor: int
    invoice_amount_minor: int
    discount_minor: int
    adjustment_minor: int
    adjustment_reason: str
    def __init__(self, invoice_ref: _Optional[str] = ..., amount_paid_minor: _Optional[int] = ..., invoice_amount_minor: _Optional[int] = ..., discount_minor: _Optional[int] = ..., adjustment_minor: _Optional[int] = ..., adjustment_reason: _Optional[str] = ...) -> None: ...

class Payment(_message.Message):
    __slots__ = ("payment_id", "amount_minor", "currency", "value_date", "payer_name", "payer_account", "reference_text", "check_number", "trace_id", "end_to_end_id", "remittance", "booking_date", "statement_account", "bank_reference", "possible_duplicate_of", "source_file", "source_location")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    PAYER_NAME_FIELD_NUMBER: _ClassVar[int]
    PAYER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_TEXT_FIELD_NUMBER: _ClassVar[int]
    CHECK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    END_TO_END_ID_FIELD_NUMBER: _ClassVar[int]
    REMITTANCE_FIELD_NUMBER: _ClassVar[int]
    BOOKING_DATE_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    BANK_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    POSSIBLE_DUPLICATE_OF_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FILE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_LOCATION_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    amount_minor: int
    currency: str
    value_date: str
    payer_name: str
    payer_account: str
    reference_text: str
    check_number: str
    trace_id: str
    end_to_end_id: str
    remittance: _containers.RepeatedCompositeFieldContainer[RemittanceLine]
    booking_date: str
    statement_account: str
    bank_reference: str
    possible_duplicate_of: str
    source_file: str
    source_location: str
    def __init__(self, payment_id: _Optional[str] = ..., amount_minor: _Optional[int] = ..., currency: _Optional[str] = ..., value_date: _Optional[str] = ..., payer_name: _Optional[str] = ..., payer_account: _Optional[str] = ..., reference_text: _Optional[str] = ..., check_number: _Optional[str] = ..., trace_id: _Optional[str] = ..., end_to_end_id: _Optional[str] = ..., remittance: _Optional[_Iterable[_Union[RemittanceLine, _Mapping]]] = ..., booking_date: _Optional[str] = ..., statement_account: _Optional[str] = ..., bank_reference: _Optional[str] = ..., possible_duplicate_of: _Optional[str] = ..., source_file: _Optional[str] = ..., source_location: _Optional[str] = ...) -> None: ...

class MatchPaymentRequest(_message.Message):
    __slots__ = ("ledger_id", "payment")
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    ledger_id: str
    payment: Payment
    def __init__(self, ledger_id: _Optional[str] = ..., payment: _Optional[_Union[Payment, _Mapping]] = ...) -> None: ...

class MatchPaymentResponse(_message.Message):
    __slots__ = ("matches", "status", "duplicate", "last_sequence", "duplicate_of", "possible_duplicate")
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_OF_FIELD_NUMBER: _ClassVar[int]
    POSSIBLE_DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    matches: _containers.RepeatedCompositeFieldContainer[MatchRow]
    status: PaymentStatus
    duplicate: bool
    last_sequence: int
    duplicate_of: str
    possible_duplicate: bool
    def __init__(self, matches: _Optional[_Iterable[_Union[MatchRow, _Mapping]]] = ..., status: _Optional[_Union[PaymentStatus, str]] = ..., duplicate: _Optional[bool] = ..., last_sequence: _Optional[int] = ..., duplicate_of: _Optional[str] = ..., possible_duplicate: _Optional[bool] = ...) -> None: ...

class ReviewItem(_message.Message):
    __slots__ = ("payment", "status", "matches")
    PAYMENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    payment: Payment
    status: PaymentStatus
    matches: _containers.RepeatedCompositeFieldContainer[MatchRow]
    def __init__(self, payment: _Optional[_Union[Payment, _Mapping]] = ..., status: _Optional[_Union[PaymentStatus, str]] = ..., matches: _Optional[_Iterable[_Union[MatchRow, _Mapping]]] = ...) -> None: ...

class ListReviewItemsRequest(_message.Message):
    __slots__ = ("ledger_id", "statuses", "page_size", "page_token")
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ledger_id: str
    statuses: _containers.RepeatedScalarFieldContainer[PaymentStatus]
    page_size: int
    page_token: str
    def __init__(self, ledger_id: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[PaymentStatus, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReviewItemsResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ReviewItem]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[ReviewItem, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ConfirmMatchRequest(_message.Message):
    __slots__ = ("ledger_id", "payment_id")
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ledger_id: str
    payment_id: str
    def __init__(self, ledger_id: _Optional[str] = ..., payment_id: _Optional[str] = ...) -> None: ...

class ConfirmMatchResponse(_message.Message):
    __slots__ = ("matches", "last_sequence")
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    matches: _containers.RepeatedCompositeFieldContainer[MatchRow]
    last_sequence: int
    def __init__(self, matches: _Optional[_Iterable[_Union[MatchRow, _Mapping]]] = ..., last_sequence: _Optional[int] = ...) -> None: ...

class RejectMatchRequest(_message.Message):
    __slots__ = ("ledger_id", "payment_id")
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ledger_id: str
    payment_id: str
    def __init__(self, ledger_id: _Optional[str] = ..., payment_id: _Optional[str] = ...) -> None: ...

class RejectMatchResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: PaymentStatus
    def __init__(self, status: _Optional[_Union[PaymentStatus, str]] = ...) -> None: ...

class Allocation(_message.Message):
    __slots__ = ("invoice_id", "amount_minor")
    INVOICE_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    invoice_id: str
    amount_minor: int
    def __init__(self, invoice_id: _Optional[str] = ..., amount_minor: _Optional[int] = ...) -> None: ...

class CorrectMatchRequest(_message.Message):
    __slots__ = ("ledger_id", "payment_id", "allocations")
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ALLOCATIONS_FIELD_NUMBER: _ClassVar[int]
    ledger_id: str
    payment_id: str
    allocations: _containers.RepeatedCompositeFieldContainer[Allocation]
    def __init__(self, ledger_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., allocations: _Optional[_Iterable[_Union[Allocation, _Mapping]]] = ...) -> None: ...

class CorrectMatchResponse(_message.Message):
    __slots__ = ("matches", "last_sequence")
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    matches: _containers.RepeatedCompositeFieldContainer[MatchRow]
    last_sequence: int
    def __init__(self, matches: _Optional[_Iterable[_Union[MatchRow, _Mapping]]] = ..., last_sequence: _Optional[int] = ...) -> None: ...

class Application(_message.Message):
    __slots__ = ("sequence", "ledger_id", "payment_id", "invoice_id", "currency", "amount_minor", "kind", "customer_id", "created_at")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    INVOICE_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    ledger_id: str
    payment_id: str
    invoice_id: str
    currency: str
    amount_minor: int
    kind: ApplicationKind
    customer_id: str
    created_at: str
    def __init__(self, sequence: _Optional[int] = ..., ledger_id: _Optional[str] = ..., payment_id: _Optional[str] = ..., invoice_id: _Optional[str] = ..., currency: _Optional[str] = ..., amount_minor: _Optional[int] = ..., kind: _Optional[_Union[ApplicationKind, str]] = ..., customer_id: _Optional[str] = ..., created_at: _Optional[str] = ...) -> None: ...

class ExportApplicationsRequest(_message.Message):
    __slots__ = ("ledger_id", "after_sequence", "page_size")
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ledger_id: str
    after_sequence: int
    page_size: int
    def __init__(self, ledger_id: _Optional[str] = ..., after_sequence: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ExportApplicationsResponse(_message.Message):
    __slots__ = ("applications", "next_after_sequence", "more")
    APPLICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    MORE_FIELD_NUMBER: _ClassVar[int]
    applications: _containers.RepeatedCompositeFieldContainer[Application]
    next_after_sequence: int
    more: bool
    def __init__(self, applications: _Optional[_Iterable[_Union[Application, _Mapping]]] = ..., next_after_sequence: _Optional[int] = ..., more: _Optional[bool] = ...) -> None: ...

class GetOpenItemsRequest(_message.Message):
    __slots__ = ("ledger_id", "include_closed")
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CLOSED_FIELD_NUMBER: _ClassVar[int]
    ledger_id: str
    include_closed: bool
    def __init__(self, ledger_id: _Optional[str] = ..., include_closed: _Optional[bool] = ...) -> None: ...

class GetOpenItemsResponse(_message.Message):
    __slots__ = ("chunk",)
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    chunk: ArrowChunk
    def __init__(self, chunk: _Optional[_Union[ArrowChunk, _Mapping]] = ...) -> None: ...

class GetLedgerRequest(_message.Message):
    __slots__ = ("ledger_id",)
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    ledger_id: str
    def __init__(self, ledger_id: _Optional[str] = ...) -> None: ...

class GetLedgerResponse(_message.Message):
    __slots__ = ("ledger_id", "open_items", "open_minor_by_currency", "customers", "payments", "payments_by_status", "last_sequence", "version")
    class OpenMinorByCurrencyEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class PaymentsByStatusEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    LEDGER_ID_FIELD_NUMBER: _ClassVar[int]
    OPEN_ITEMS_FIELD_NUMBER: _ClassVar[int]
    OPEN_MINOR_BY_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    PAYMENTS_FIELD_NUMBER: _ClassVar[int]
    PAYMENTS_BY_STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ledger_id: str
    open_items: int
    open_minor_by_currency: _containers.ScalarMap[str, int]
    customers: int
    payments: int
    payments_by_status: _containers.ScalarMap[str, int]
    last_sequence: int
    version: int
    def __init__(self, ledger_id: _Optional[str] = ..., open_items: _Optional[int] = ..., open_minor_by_currency: _Optional[_Mapping[str, int]] = ..., customers: _Optional[int] = ..., payments: _Optional[int] = ..., payments_by_status: _Optional[_Mapping[str, int]] = ..., last_sequence: _Optional[int] = ..., version: _Optional[int] = ...) -> None: ...

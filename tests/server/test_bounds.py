"""Bounds against a real server: decoded sizes, compression bombs, money in range, short errors."""

from __future__ import annotations

import datetime as dt
import io

import grpc
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cashmatch.engine.schemas import OPEN_ITEMS
from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2 as pb
from cashmatch.server.client import violations
from tests.server.conftest import STANDARD, ServerProcess, customers, make_tokens, open_items

DAY = dt.date(2024, 5, 20)
HEADER = b"payment_id,amount,currency,value_date,payer_name,payer_account,reference_text\n"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A server whose call and file bounds are 8 MiB (decoded)."""
    data = tmp_path_factory.mktemp("bounds")
    tokens = make_tokens(data, "acme", "globex")
    server = ServerProcess(data, args=["--max-call-mib", "8", "--max-file-mib", "8"]).start()
    server.tokens = tokens
    with server.client(tokens["acme"]) as acme:
        acme.put_open_items("b", open_items(STANDARD), customers())
    yield server
    server.kill()


def _fails(code, call, *args, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(*args, **kwargs)
    assert caught.value.code() == code, caught.value.details()
    # Bounded, whatever the input: a short message, a few short violations.
    assert len(caught.value.details()) <= 500
    found = violations(caught.value)
    assert len(found) <= 20 and all(len(f) <= 200 and len(d) <= 500 for f, d in found)
    return caught.value


def _ipc(table: pa.Table, compression: str | None = None) -> bytes:
    sink = io.BytesIO()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _requests(data: bytes):
    return iter([pb.MatchPaymentsRequest(
        ledger_id="b", chunk=pb.ArrowChunk(table=pb.TABLE_KIND_PAYMENTS, data=data))])  # fmt: skip


def _parquet(ids: list[str], texts=None, compression: str = "snappy") -> bytes:
    """A payments file of the file contract (money as decimal text), as Parquet."""
    n = len(ids)
    table = pa.table({"payment_id": ids, "amount": ["1.00"] * n, "currency": ["EUR"] * n,
                      "value_date": ["2024-05-20"] * n, "payer_name": [None] * n,
                      "payer_account": [None] * n,
                      "reference_text": texts if texts is not None else [None] * n})  # fmt: skip
    sink = io.BytesIO()
    pq.write_table(table, sink, compression=compression)
    return sink.getvalue()


def _payments(n: int, **columns) -> pa.Table:
    base = {"payment_id": [f"P{k}" for k in range(n)], "amount_minor": [100] * n,
            "currency": ["EUR"] * n, "value_date": [DAY] * n}  # fmt: skip
    return pa.table({**base, **columns})


def test_compression_bombs_are_refused_before_they_inflate(small):
    with small.client(small.tokens["acme"]) as acme:
        # 48 MiB of zeros in text, a few kilobytes once compressed: past the 8 MiB bound.
        zeros = pa.array(["0" * (4 << 20)] * 12)
        # A small Parquet upload first, so that the server's imports are behind us.
        acme.upload_files("b", [("warm.parquet", _parquet(["W1"]))])
        before = small.peak_rss_kib()
        for codec in ("zstd", "lz4"):
            data = _ipc(_payments(12, reference_text=zeros), codec)
            assert len(data) < 2 << 20
            error = _fails(grpc.StatusCode.RESOURCE_EXHAUSTED, acme.match_payments, "b",
                           _requests(data))  # fmt: skip
            assert "decodes to" in error.details()
        # A stream that lies: a buffer's length prefix says a terabyte.
        data = bytearray(_ipc(_payments(2, reference_text=["a" * 100, "b" * 100]), "zstd"))
        at = bytes(data).find((100 * 2).to_bytes(8, "little"))
        assert at > 0
        data[at : at + 8] = (1 << 40).to_bytes(8, "little")
        _fails(grpc.StatusCode.RESOURCE_EXHAUSTED, acme.match_payments, "b", _requests(bytes(data)))
        # Nothing was inflated: the peak memory did not move by the bomb's size.
        assert small.peak_rss_kib() - before < 16 * 1024
        # A Parquet file that inflates past the file bound, uploaded.
        # One 4 MiB text, dictionary-encoded, in 500 rows: 2 GB once read as text.
        one = pa.DictionaryArray.from_arrays(pa.array([0] * 500, pa.int32()), zeros[:1])
        bomb = _parquet([f"B{k}" for k in range(500)], one, "zstd")
        assert len(bomb) < 2 << 20
        error = _fails(grpc.StatusCode.RESOURCE_EXHAUSTED, acme.upload_files, "b",
                       [("bomb.parquet", bomb)])  # fmt: skip
        assert "inflate" in error.details()
        # Reading its dictionary (4 MiB, a few copies) is all it cost.
        assert small.peak_rss_kib() - before < 48 * 1024
        # A well-behaved compressed stream is read as any other.
        data = _ipc(_payments(3, reference_text=["INV-2024-000123"] * 3), "zstd")
        _, summary = acme.match_payments("b", _requests(data))
        assert summary.payments_new == 3


def test_money_is_int64_minor_units_and_bounded(small):
    with small.client(small.tokens["acme"]) as acme, small.client(small.tokens["globex"]) as gx:
        error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.match_payments, "b",
                       _payments(2, amount_minor=[1250.0, 3.0]))  # fmt: skip
        assert violations(error)[0][0] == "payments.amount_minor"
        assert "double column is refused" in violations(error)[0][1]
        line = pa.struct([("invoice_ref", pa.string()), ("amount_paid_minor", pa.float64())])
        nested = pa.array([[{"invoice_ref": "I", "amount_paid_minor": 1.5}], []], pa.list_(line))
        error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.match_payments, "b",
                       _payments(2, remittance=nested))  # fmt: skip
        assert violations(error)[0][0] == "payments.remittance.amount_paid_minor"
        error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.match_payments, "b",
                       _payments(2, amount_minor=[5, 10**15 + 1]))  # fmt: skip
        assert violations(error)[0][0] == "payments.batch[0].row[1].amount_minor"
        # Two 5e18 open items: refused at the door, and the ledger answers as before.
        huge = open_items([("H1", "HUGE-1", "C1", 5 * 10**18), ("H2", "HUGE-2", "C1", 5 * 10**18)])
        error = _fails(grpc.StatusCode.INVALID_ARGUMENT, gx.put_open_items, "huge", huge)
        assert violations(error)[0][0] == "open_items.batch[0].row[0].amount_open_minor"
        # 9,001 invoices at the bound: each in range, their sum past what a ledger holds.
        many = open_items([(f"M{k}", f"MAX-{k}", "C1", 10**15) for k in range(9001)])
        error = _fails(grpc.StatusCode.INVALID_ARGUMENT, gx.put_open_items, "huge", many)
        assert "more than the 9000000000000000000" in error.details()
        gx.put_open_items(
            "huge", open_items([(f"M{k}", f"MAX-{k}", "C1", 10**15) for k in range(9000)])
        )
        more = open_items([("M9000", "MAX-9000", "C1", 10**15)])
        _fails(
            grpc.StatusCode.INVALID_ARGUMENT, gx.put_open_items, "huge", more, mode="incremental"
        )
        totals = gx.get_ledger("huge")
        assert (totals.open_items, dict(totals.open_minor_by_currency)) == (
            9000,
            {"EUR": 9 * 10**18},
        )


def test_an_empty_payment_id_is_refused_on_every_door(small):
    with small.client(small.tokens["acme"]) as acme:
        for blank in ("", "  "):
            error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.match_payments, "b",
                           _payments(2, payment_id=["P1", blank]))  # fmt: skip
            assert violations(error) == [("payments.batch[0].row[1].payment_id", "empty id")]
            error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.match_payment, "b",
                           payment_id=blank, amount_minor=1, currency="EUR",
                           value_date="2024-05-20")  # fmt: skip
            assert violations(error) == [("payment.payment_id", "empty id")]
        csv = HEADER + b"P1,1.00,EUR,2024-05-20,,,\n ,2.00,EUR,2024-05-20,,,\n"
        error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.upload_files, "b", [("p.csv", csv)])
        assert violations(error)[0][0] == "p.csv (row 2).payment_id"
        error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.upload_files, "b",
                       [("p.parquet", _parquet(["P1", ""]))])  # fmt: skip
        assert violations(error)[0][0].startswith("p.parquet") and "payment_id" in error.details()
        assert acme.get_ledger("b").payments == 4  # W1 and the compressed stream's, above


def test_errors_echo_no_unbounded_input(small, tmp_path):
    with small.client(small.tokens["acme"]) as acme:
        garbage = b"x" * 20_000
        csv = HEADER + b"G1," + garbage + b",EUR,2024-05-20,,,\n"
        error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.upload_files, "b", [("g.csv", csv)])
        assert "g.csv" in error.details() and "amount" in error.details()
        long_id = _payments(1, payment_id=["Z" * 20_000])
        error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.match_payments, "b", long_id)
        assert violations(error)[0] == ("payments.batch[0].row[0].payment_id",
                                        "longer than 4096 characters")  # fmt: skip
    # A 50 MB record (one field) in a file the default bounds accept.
    data = tmp_path / "data"
    token = make_tokens(data, "acme")["acme"]
    server = ServerProcess(data).start()
    try:
        with server.client(token) as acme:
            acme.put_open_items("b", open_items(STANDARD))
            record = HEADER + b'R1,1.00,EUR,2024-05-20,,,"' + b"y" * (50 << 20) + b'"\n'
            error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.upload_files, "b",
                           [("record.csv", record)])  # fmt: skip
            assert error.details().startswith("record.csv")
            assert acme.get_ledger("b").payments == 0
    finally:
        server.kill()


def test_open_items_table_is_checked_at_the_door(small):
    with small.client(small.tokens["globex"]) as gx:
        row = {"invoice_id": "", "invoice_number": "N", "customer_id": "C", "currency": "EUR",
               "amount_open_minor": 1, "issue_date": DAY, "due_date": DAY}  # fmt: skip
        bad = pa.Table.from_pylist([row], schema=OPEN_ITEMS)
        error = _fails(grpc.StatusCode.INVALID_ARGUMENT, gx.put_open_items, "door", bad)
        assert violations(error) == [("open_items.batch[0].row[0].invoice_id", "empty id")]

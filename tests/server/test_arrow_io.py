"""Arrow IPC chunking and validation, without a server."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from cashmatch.engine.schemas import PAYMENTS
from cashmatch.server.errors import InvalidArgument, ResourceExhausted
from cashmatch.server.limits import Limits
from cashmatch.server.rpc.convert import Reassembler, read_ipc, split, table_to_ipc


def _payments(n: int) -> pa.Table:
    return pa.Table.from_pylist(
        [{"payment_id": f"P{k}", "amount_minor": k, "currency": "EUR",
          "value_date": dt.date(2024, 1, 1), "reference_text": "x" * 50} for k in range(n)],
        schema=PAYMENTS,
    )  # fmt: skip


def test_chunks_reassemble_to_the_same_table():
    table = _payments(5000)
    data = table_to_ipc(table, batch_rows=1000)
    pieces = list(split(data, 4096))
    assert len(pieces) > 10 and all(len(p) <= 4096 for p in pieces)
    parts = Reassembler(Limits())
    for piece in pieces:
        parts.add("payments", piece)
    assert read_ipc(parts.take("payments"), "payments", Limits()).equals(table)


def test_bounds():
    limits = Limits(max_batch_rows=100, max_call_rows=150, max_call_bytes=10_000)
    with pytest.raises(InvalidArgument) as caught:
        read_ipc(table_to_ipc(_payments(101), batch_rows=200), "payments", limits)
    assert caught.value.violations[0][0] == "payments.batch[0]"
    with pytest.raises(ResourceExhausted):
        read_ipc(table_to_ipc(_payments(200), batch_rows=100), "payments", limits)
    parts = Reassembler(limits)
    with pytest.raises(ResourceExhausted):
        for _ in range(11):
            parts.add("payments", b"\0" * 1000)
    with pytest.raises(InvalidArgument) as caught:
        read_ipc(b"not arrow at all", "payments", limits)
    assert caught.value.violations[0][0] == "payments"

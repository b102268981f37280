"""Every payment loader says where in its file each payment was read (source_location)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pyarrow as pa
import pytest

from bench.formats.bai2 import write_bai2
from bench.formats.camt import write_camt053
from bench.formats.cfonb120 import write_cfonb120
from bench.formats.lockbox import write_lockbox
from bench.formats.mt940 import write_mt940
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders import camt
from cashmatch.loaders.detect import load_file


def _payments(currency: str = "EUR", n: int = 3, same_day: bool = False) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "payment_id": f"REF{k:04d}",
                "amount_minor": 10000 + k,
                "currency": currency,
                "value_date": dt.date(2024, 5, 2 if same_day else 2 + k),
                "booking_date": dt.date(2024, 5, 2 if same_day else 2 + k),
                "payer_name": f"PAYER {k}",
                "payer_account": None,
                "reference_text": f"INV-{k}",
            }
            for k in range(1, n + 1)
        ],
        schema=PAYMENTS,
    )


def _file(tmp_path, name, writer, table, **options):
    path = tmp_path / name
    writer(table, str(path), **options)
    return str(path)


def _lines(path: str) -> list[str]:
    return Path(path).read_text(encoding="latin-1").splitlines()


def test_csv_rows_are_counted_from_one_without_the_header(tmp_path):
    path = tmp_path / "payments.csv"
    path.write_text(
        "payment_id,amount,currency,value_date,payer_name,payer_account,reference_text\n"
        "P1,10.00,EUR,2024-05-02,A,,x\nP2,20.00,EUR,2024-05-02,B,,y\n"
    )
    table = load_file(str(path)).payments
    assert table["source_location"].to_pylist() == ["row 1", "row 2"]


def test_mt940_names_the_line_of_each_61(tmp_path):
    path = _file(tmp_path, "s.sta", write_mt940, _payments())
    table = load_file(path).payments
    locations = table["source_location"].to_pylist()
    lines = [int(text.removeprefix("line ")) for text in locations]
    text = _lines(path)
    assert all(text[k - 1].startswith(":61:") for k in lines)
    assert lines == sorted(lines) and len(set(lines)) == 3


def test_cfonb120_names_the_line_of_each_operation(tmp_path):
    path = _file(tmp_path, "s.cfonb", write_cfonb120, _payments())
    table = load_file(path).payments
    text = _lines(path)
    for location in table["source_location"].to_pylist():
        assert text[int(location.removeprefix("line ")) - 1].startswith("04")


def test_lockbox_names_the_line_of_each_check(tmp_path):
    path = _file(tmp_path, "l.dat", write_lockbox, _payments("USD"))
    table = load_file(path).payments
    text = _lines(path)
    for location in table["source_location"].to_pylist():
        assert text[int(location.removeprefix("line ")) - 1].startswith("6")


def test_bai2_names_the_account_record_and_the_detail(tmp_path):
    path = _file(tmp_path, "s.bai", write_bai2, _payments("USD"), account="000123456789")
    table = load_file(path).payments
    # One 03 account record per day here, one 16 detail under each.
    assert table["source_location"].to_pylist() == [
        f"03 record {k} (account 000123456789), 16 record 1" for k in (1, 2, 3)
    ]


@pytest.mark.parametrize("batch_size", [1, 2])
def test_camt_names_statement_entry_and_transaction(batch_size):
    buffer = io.BytesIO()
    # Payments of one day are batched into entries of ``batch_size`` transactions.
    write_camt053(_payments(same_day=True), buffer, batch_size=batch_size)
    data = buffer.getvalue()
    reader = camt.load_camt("s.xml", data=data).payments
    expected = (
        ["Stmt[1]/Ntry[1]/TxDtls[1]", "Stmt[1]/Ntry[2]/TxDtls[1]", "Stmt[1]/Ntry[3]/TxDtls[1]"]
        if batch_size == 1
        else ["Stmt[1]/Ntry[1]/TxDtls[1]", "Stmt[1]/Ntry[1]/TxDtls[2]", "Stmt[1]/Ntry[2]/TxDtls[1]"]
    )
    assert reader["source_location"].to_pylist() == expected

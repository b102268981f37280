"""The PAID.csv reader and the optional amount_original of open items: values and located errors."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashmatch.loaders import LoadError
from cashmatch.loaders.paid import read_paid_invoices
from cashmatch.loaders.tabular import read_open_items
from tests.ar.books import OPEN_HEADER, PAID_HEADER, PAID_ROWS, write_book
from tests.loaders.fuzzing import mutate


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_paid_history_is_read_into_minor_units_and_dates(tmp_path):
    _, paid = write_book(tmp_path)
    table = read_paid_invoices(paid)
    assert table.num_rows == len(PAID_ROWS)
    assert table["amount_minor"].to_pylist() == [20000, 30000, 5000, 10000, 9900]
    assert table["paid_date"][0].as_py() == dt.date(2024, 6, 25)
    assert table["currency"].to_pylist()[3] == "KWD"


def test_amount_original_defaults_to_amount_open(tmp_path):
    open_path, _ = write_book(tmp_path)
    table = read_open_items(open_path)
    assert table["amount_original_minor"].to_pylist()[:4] == [10000, 25000, 7550, -2000]
    plain = write(tmp_path, "o.csv", OPEN_HEADER.replace(",amount_original", "") + "\n"
                  "I1,N1,C1,Acme,EUR,12.50,2024-01-01,2024-01-31\n")  # fmt: skip
    assert read_open_items(plain)["amount_original_minor"].to_pylist() == [1250]


PAID_OK = "P1,N1,C1,Acme,EUR,10.00,2024-01-01,2024-01-31,2024-02-03"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("P2,N1,C1,Acme,EUR,10.001,2024-01-01,2024-01-31,2024-02-03", r"row 2, field 'amount'"),
        ("P2,N1,C1,Acme,EUR,1e3,2024-01-01,2024-01-31,2024-02-03", r"row 2, field 'amount'"),
        ("P2,N1,C1,Acme,EURO,10,2024-01-01,2024-01-31,2024-02-03", r"row 2, field 'currency'"),
        ("P2,N1,C1,Acme,EUR,10,2024-01-01,2024-01-31,03/02/2024", r"row 2, field 'paid_date'"),
        ("P2,N1,C1,Acme,EUR,10,2024-01-01,2024-01-31,", r"row 2, field 'paid_date'"),
        ("P2,N1,,Acme,EUR,10,2024-01-01,2024-01-31,2024-02-03", r"row 2, field 'customer_id'"),
        ("P2,N1,C1,Acme,EUR,10,2024-02-01,2024-01-31,2024-02-03", r"row 2, field 'due_date'"),
        ("P1,N2,C1,Acme,EUR,10,2024-01-01,2024-01-31,2024-02-03", r"row 2, field 'invoice_id'"),
    ],
)
def test_bad_paid_rows_are_located(tmp_path, row, message):
    path = write(tmp_path, "PAID.csv", f"{PAID_HEADER}\n{PAID_OK}\n{row}\n")
    with pytest.raises(LoadError, match=message) as error:
        read_paid_invoices(path)
    assert str(error.value).startswith(path)


def test_missing_paid_column_is_named(tmp_path):
    path = write(tmp_path, "PAID.csv", PAID_HEADER.replace(",paid_date", "") + "\n")
    with pytest.raises(LoadError, match=r"field 'paid_date': missing required column"):
        read_paid_invoices(path)


def test_float_amount_column_in_parquet_is_refused(tmp_path):
    table = pa.table(
        {
            "invoice_id": ["P1"],
            "customer_id": ["C1"],
            "currency": ["EUR"],
            "amount": pa.array([0.1], pa.float64()),
            "issue_date": [dt.date(2024, 1, 1)],
            "due_date": [dt.date(2024, 1, 31)],
            "paid_date": [dt.date(2024, 2, 1)],
        }
    )
    path = tmp_path / "PAID.parquet"
    pq.write_table(table, path)
    with pytest.raises(LoadError, match=r"field 'amount': a floating-point column"):
        read_paid_invoices(path)
    pq.write_table(table.set_column(3, "amount", pa.array(["0.10"])), path)
    assert read_paid_invoices(path)["amount_minor"].to_pylist() == [10]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("I1,N1,C1,Acme,EUR,12.50,10.001,2024-01-01,2024-01-31", r"row 1, field 'amount_original'"),
        ("I1,N1,C1,Acme,EUR,12.50,10.00,2024-01-01,2024-01-31", r"row 1, field 'amount_original'"),
        ("I1,N1,C1,Acme,EUR,12.50,-20,2024-01-01,2024-01-31", r"row 1, field 'amount_original'"),
    ],
)
def test_bad_amount_original_is_located(tmp_path, row, message):
    path = write(tmp_path, "o.csv", f"{OPEN_HEADER}\n{row}\n")
    with pytest.raises(LoadError, match=message):
        read_open_items(path)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fuzzed_paid_file_is_a_table_or_a_located_error(tmp_path, data):
    raw = f"{PAID_HEADER}\n" + "\n".join(PAID_ROWS) + "\n"
    mutated = mutate(data, raw.encode(), b'0123456789-.,;"\n EURPKWDJY')
    path = tmp_path / "PAID.csv"
    path.write_bytes(mutated)
    try:
        table = read_paid_invoices(path)
    except LoadError as error:
        assert str(error).startswith(str(path))
    else:
        assert table.schema.field("amount_minor").type == pa.int64()
        assert table["paid_date"].null_count == 0

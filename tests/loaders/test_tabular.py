"""The file contract: exact money, located errors, atomic output."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashmatch.engine.money import MoneyError, format_amount, parse_amount
from cashmatch.loaders import LoadError, read_customers, read_open_items, read_payments
from cashmatch.loaders.columns import format_amount_column, parse_amount_column
from cashmatch.loaders.tabular import write_table_atomically

HEADER = (
    "invoice_id,invoice_number,customer_id,customer_name,currency,amount_open,issue_date,due_date"
)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@given(st.integers(-(10**15) + 1, 10**15 - 1), st.sampled_from(["EUR", "JPY", "KWD"]))
def test_amount_round_trips_through_decimal_strings(minor, currency):
    assert parse_amount(format_amount(minor, currency), currency) == minor
    column = format_amount_column([minor], pa.array([currency]))
    exponent = {"EUR": 2, "JPY": 0, "KWD": 3}[currency]
    assert parse_amount_column(column, [exponent], path="x", field="amount").tolist() == [minor]


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1234.5", "EUR", 123450),
        ("0.10", "EUR", 10),
        ("10.500", "EUR", 1050),
        ("7", "JPY", 7),
        ("1.125", "KWD", 1125),
        ("-3.00", "USD", -300),
    ],
)
def test_parse_amount_exact(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [("1.005", "EUR"), ("1.5", "JPY"), ("1e3", "EUR"), ("", "EUR"), ("1", "XYZ")],
)
def test_parse_amount_refuses_what_it_cannot_represent(text, currency):
    with pytest.raises(MoneyError):
        parse_amount(text, currency)


def test_open_items_read_into_minor_units(tmp_path):
    path = write(
        tmp_path,
        "oi.csv",
        HEADER + ",po_number\nI1,INV-1,C1,Acme,EUR,100.5,2024-01-01,"
        "2024-01-31,PO-9\nI2,INV-2,C1,Acme,jpy,1000,2024-01-02,2024-02-01,\n",
    )
    table = read_open_items(path)
    assert table["amount_open_minor"].to_pylist() == [10050, 1000]
    assert table["currency"].to_pylist() == ["EUR", "JPY"]
    assert table["issue_date"].to_pylist()[1] == dt.date(2024, 1, 2)
    assert table["po_number"].to_pylist() == ["PO-9", None]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("I1,INV-1,C1,Acme,EUR,12.345,2024-01-01,2024-01-31", r"row 1, field 'amount_open'"),
        ("I1,INV-1,C1,Acme,EUR,abc,2024-01-01,2024-01-31", r"row 1, field 'amount_open'.*'abc'"),
        (
            "I1,INV-1,C1,Acme,EUR,1,2024-01-01,2024-01-31\nI1,INV-2,C1,Acme,EUR,1,2024-01-01,2024-01-31",
            r"row 2, field 'invoice_id': duplicate",
        ),
        ("I1,INV-1,C1,Acme,EUX,1,2024-01-01,2024-01-31", r"row 1, field 'currency'.*'EUX'"),
        ("I1,INV-1,C1,Acme,EUR,1,2024-13-01,2024-01-31", r"row 1, field 'issue_date'"),
        ("I1,,C1,Acme,EUR,1,2024-01-01,2024-01-31", r"row 1, field 'invoice_number'"),
    ],
)
def test_bad_open_items_are_located(tmp_path, body, message):
    path = write(tmp_path, "oi.csv", HEADER + "\n" + body + "\n")
    with pytest.raises(LoadError, match=message) as error:
        read_open_items(path)
    assert str(error.value).startswith(path)


def test_missing_column_is_named(tmp_path):
    path = write(tmp_path, "p.csv", "payment_id,amount,currency\nP1,1,EUR\n")
    with pytest.raises(LoadError, match=r"field 'value_date': missing required column"):
        read_payments(path)


def test_payments_and_customers(tmp_path):
    pay = write(
        tmp_path,
        "p.csv",
        "payment_id,amount,currency,value_date,payer_name,payer_account,"
        "reference_text\nP1,99.99,EUR,2024-05-01,ACME,DE89 3704,INV-1\n",
    )
    table = read_payments(pay)
    assert table.to_pylist()[0]["amount_minor"] == 9999
    assert table.to_pylist()[0]["source_format"] == "csv"
    cust = write(
        tmp_path,
        "c.csv",
        "customer_id,name,aliases,bank_accounts,parent_customer_id\n"
        "C1,Acme,Acme Trading| ACME Co ,DE1|FR2,\nC2,Sub,,,C1\n",
    )
    rows = read_customers(cust).to_pylist()
    assert rows[0]["aliases"] == ["Acme Trading", "ACME Co"]
    assert rows[0]["bank_accounts"] == ["DE1", "FR2"]
    assert rows[1]["aliases"] == [] and rows[1]["parent_customer_id"] == "C1"


def test_latin1_file_is_a_load_error(tmp_path):
    path = tmp_path / "oi.csv"
    path.write_bytes(
        (HEADER + "\nI1,INV-1,C1,M\xfcller,EUR,1,2024-01-01,2024-01-31\n").encode("latin-1")
    )
    with pytest.raises(LoadError, match="cannot read"):
        read_open_items(str(path))


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(TypeError):
        write_table_atomically("not a table", target)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []

"""Remittance CSV: grouping, optional columns, bad input, fuzzing, round trip."""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.formats.remittance_csv import write_remittance_csv
from cashmatch.engine.schemas import PAYMENTS, REMITTANCE_ADVICES
from cashmatch.loaders.errors import LoadError
from cashmatch.loaders.remittance_csv import load_remittance_csv, sniff_remittance_csv

FULL = (
    b"payment_reference,invoice_number,amount_paid,currency,discount,deduction,"
    b"deduction_reason,invoice_amount,payer_name,payment_date,payment_amount\n"
    b"TRN-1,INV-1,98.00,USD,2.00,,,100.00,Acme Corp,2024-01-05,143.00\n"
    b"TRN-1,INV-2,45.00,USD,,5.00,damaged goods,50.00,,,\n"
    b"E2E-9,INV-3,1500,JPY,,,,,Tanaka KK,2024-01-06,1500\n"
)


def load(data: bytes, **kwargs):
    return load_remittance_csv("remit.csv", data=data, **kwargs)


def error_of(data: bytes, **kwargs) -> LoadError:
    with pytest.raises(LoadError) as info:
        load(data, **kwargs)
    return info.value


def test_rows_grouped_into_one_advice_per_payment_reference():
    loaded = load(FULL)
    assert loaded.format == "remittance_csv"
    assert loaded.payments.num_rows == 0 and loaded.payments.schema == PAYMENTS
    assert loaded.advices.schema == REMITTANCE_ADVICES
    first, second = loaded.advices.to_pylist()
    assert (first["trace_id"], first["currency"], first["amount_minor"]) == ("TRN-1", "USD", 14300)
    assert (first["payer_name"], first["payment_date"]) == ("Acme Corp", dt.date(2024, 1, 5))
    assert first["lines"] == [
        {
            "invoice_ref": "INV-1",
            "amount_paid_minor": 9800,
            "invoice_amount_minor": 10000,
            "discount_minor": 200,
            "adjustment_minor": None,
            "adjustment_reason": None,
        },
        {
            "invoice_ref": "INV-2",
            "amount_paid_minor": 4500,
            "invoice_amount_minor": 5000,
            "discount_minor": None,
            "adjustment_minor": -500,
            "adjustment_reason": "damaged goods",
        },
    ]
    assert (second["trace_id"], second["currency"], second["amount_minor"]) == (
        "E2E-9",
        "JPY",
        1500,
    )
    assert second["lines"][0]["amount_paid_minor"] == 1500
    assert {a["source_format"] for a in loaded.advices.to_pylist()} == {"remittance_csv"}
    assert loaded.summary["total_advised"] == {"JPY": "1500", "USD": "143.00"}
    assert loaded.summary["remittance_lines"] == 3
    assert loaded.summary["date_range"] == ["2024-01-05", "2024-01-06"]
    assert loaded.problems == [] and loaded.skipped == {}


def test_minimal_columns_default_currency_and_summed_amount():
    data = b"payment_reference,invoice_number,amount_paid\nR1,A,10.5\nR2,B,1\nR1,C,-0.25\n"
    advices = load(data).advices.to_pylist()
    assert [(a["trace_id"], a["currency"], a["amount_minor"]) for a in advices] == [
        ("R1", "EUR", 1025),
        ("R2", "EUR", 100),
    ]
    assert [line["invoice_ref"] for line in advices[0]["lines"]] == ["A", "C"]
    jpy = load(b"payment_reference,invoice_number,amount_paid\nR1,A,700\n", currency="jpy")
    assert jpy.advices["currency"].to_pylist() == ["JPY"]
    assert jpy.advices["amount_minor"].to_pylist() == [700]


def test_semicolons_quotes_header_case_bom_crlf_blank_lines_extra_columns():
    data = (
        b"\xef\xbb\xbf Payment_Reference ;INVOICE_NUMBER;Amount_Paid;Payer_Name;Notes\r\n"
        b"\r\n"
        b'"TRN;7";"INV 1";"1234.56";"Smith; Jones & Co";"see mail"\r\n'
        b"  \r\n"
    )
    loaded = load(data)
    advice = loaded.advices.to_pylist()[0]
    assert advice["trace_id"] == "TRN;7"
    assert advice["payer_name"] == "Smith; Jones & Co"
    assert advice["lines"][0]["invoice_ref"] == "INV 1"
    assert advice["amount_minor"] == 123456
    assert loaded.summary["ignored_columns"] == ["notes"]
    assert sniff_remittance_csv(data)


def test_latin1_and_utf8():
    latin = "payment_reference,invoice_number,amount_paid,payer_name\nR,F-1,1,Société Générale\n"
    assert load(latin.encode("latin-1")).advices["payer_name"].to_pylist() == ["Société Générale"]
    assert load(latin.encode("utf-8")).advices["payer_name"].to_pylist() == ["Société Générale"]


def test_advice_ids_are_stable_and_depend_on_content():
    ids = load(FULL).advices["advice_id"].to_pylist()
    assert ids == load(FULL).advices["advice_id"].to_pylist()
    assert ids[0].startswith("TRN-1#") and len(set(ids)) == 2
    changed = load(FULL.replace(b"INV-2,45.00", b"INV-2,44.00")).advices["advice_id"].to_pylist()
    assert changed[0] != ids[0] and changed[1] == ids[1]


def test_blank_values_in_later_rows_do_not_conflict():
    data = (
        b"payment_reference,invoice_number,amount_paid,payer_name,payment_amount\n"
        b"R,A,1,,\nR,B,2,Acme,3\nR,C,0,,\n"
    )
    advice = load(data).advices.to_pylist()[0]
    assert (advice["payer_name"], advice["amount_minor"], len(advice["lines"])) == ("Acme", 300, 3)


def test_sniff():
    assert sniff_remittance_csv(b"payment_reference,invoice_number,amount_paid\nR,A,1\n")
    assert sniff_remittance_csv(b"invoice_number\tamount_paid\tpayment_reference\n")
    assert not sniff_remittance_csv(b"payment_id,amount,currency,value_date\n")
    assert not sniff_remittance_csv(b"ISA*00*          *00*")
    assert not sniff_remittance_csv(b"")


# --- bad input ----------------------------------------------------------------------------


HEADER = b"payment_reference,invoice_number,amount_paid,currency,payment_date,payment_amount\n"


@pytest.mark.parametrize(
    ("body", "row", "field"),
    [
        (b"R,A,1,EUR,,\nR,B,12.3.4,EUR,,\n", 2, "amount_paid"),
        (b"R,A,1.234,EUR,,\n", 1, "amount_paid"),
        (b"R,A,100.5,JPY,,\n", 1, "amount_paid"),
        (b"R,A,1,EUR,,\n,B,1,EUR,,\n", 2, "payment_reference"),
        (b"R,,1,EUR,,\n", 1, "invoice_number"),
        (b"R,A,,EUR,,\n", 1, "amount_paid"),
        (b"R,A,1,XYZ,,\n", 1, "currency"),
        (b"R,A,1,EUR,05/01/2024,\n", 1, "payment_date"),
        (b"R,A,1,EUR,2024-02-30,\n", 1, "payment_date"),
        (b"R,A,1,EUR,,abc\n", 1, "payment_amount"),
        (b"R,A,1,EUR,,5\nR,B,1,EUR,,6\n", 2, "payment_amount"),
        (b"R,A,1,EUR,,\nR,B,1,USD,,\n", 2, "currency"),
        (b"R,A,1,EUR,,\nR,B,1,EUR,2024-01-01,,extra\n", 2, None),
        (b"R,A,1\n", 1, None),
    ],
)
def test_bad_rows_are_located(body, row, field):
    error = error_of(HEADER + body)
    assert (error.row, error.field) == (row, field)
    assert "remit.csv" in str(error)
    lenient = load(HEADER + body, lenient=True)
    assert lenient.skipped == {"invalid_row": 1}
    assert len(lenient.problems) == 1 and f"row {row}" in lenient.problems[0]


def test_lenient_keeps_the_good_rows():
    data = HEADER + b"R1,A,1,EUR,,\nR1,B,x,EUR,,\nR2,C,2,EUR,,\nR3,D,3,EUR,,\n"
    lenient = load(data, lenient=True)
    assert lenient.advices["trace_id"].to_pylist() == ["R1", "R2", "R3"]
    assert lenient.advices["amount_minor"].to_pylist() == [100, 200, 300]
    assert lenient.summary["skipped"] == {"invalid_row": 1}


def test_missing_and_duplicate_columns_and_empty_file():
    missing = error_of(b"payment_reference,invoice_number\nR,A\n")
    assert (missing.field, missing.line) == ("amount_paid", 1)
    dup = error_of(b"payment_reference,invoice_number,amount_paid,amount_paid\nR,A,1,1\n")
    assert dup.field == "amount_paid"
    assert "empty" in error_of(b"").message
    assert "empty" in error_of(b"\n \n").message
    header_only = load(b"payment_reference,invoice_number,amount_paid\n")
    assert header_only.advices.num_rows == 0
    assert error_of(b"payment_reference,invoice_number,amount_paid\n", currency="XXX").field == (
        "currency"
    )
    with pytest.raises(LoadError, match="cannot read"):
        load_remittance_csv("/nonexistent/remit.csv")


def test_truncated_file_is_a_bad_row():
    cut = FULL[: FULL.index(b"1500,JPY") + 4]
    error = error_of(cut)
    assert error.row == 3


# --- fuzzing ----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_random_bytes(data):
    for raw in (data, HEADER + data):
        for lenient in (False, True):
            with contextlib.suppress(LoadError):
                load(raw, lenient=lenient)
        sniff_remittance_csv(raw)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_mutated_fixture(data):
    raw = bytearray(FULL)
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(raw) - 1))
        byte = data.draw(st.sampled_from(b',;"\n\r.-0123456789AZ \xff\x00'))
        if data.draw(st.booleans()):
            raw[position] = byte
        else:
            del raw[position]
    for lenient in (False, True):
        with contextlib.suppress(LoadError):
            loaded = load(bytes(raw), lenient=lenient)
            assert loaded.payments.num_rows == 0
            for amount in loaded.advices["amount_minor"].to_pylist():
                assert isinstance(amount, int)


# --- round trip -----------------------------------------------------------------------------


def _payments() -> pa.Table:
    rows = [
        {
            "payment_id": "P-1",
            "amount_minor": 14300,
            "currency": "USD",
            "value_date": dt.date(2024, 3, 1),
            "payer_name": 'Acme, Corp "East"',
            "trace_id": "TRACE-1",
            "remittance": [
                {
                    "invoice_ref": "INV-1",
                    "amount_paid_minor": 9800,
                    "invoice_amount_minor": 10000,
                    "discount_minor": 200,
                },
                {
                    "invoice_ref": "INV-2",
                    "amount_paid_minor": 4500,
                    "adjustment_minor": -500,
                    "adjustment_reason": "short",
                },
            ],
        },
        {
            "payment_id": "P-2",
            "amount_minor": 1500,
            "currency": "JPY",
            "value_date": dt.date(2024, 3, 2),
            "payer_name": None,
            "end_to_end_id": "E2E-2",
            "remittance": [{"invoice_ref": "J-1", "amount_paid_minor": 1500}],
        },
        {
            "payment_id": "P-3",
            "amount_minor": 5,
            "currency": "KWD",
            "value_date": dt.date(2024, 3, 3),
            "payer_name": "Kuwait Co",
            "remittance": [{"invoice_ref": "K-1", "amount_paid_minor": 5}],
        },
    ]
    return pa.Table.from_pylist(rows, schema=PAYMENTS)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_round_trip(delimiter):
    payments = _payments()
    buffer = io.StringIO()
    write_remittance_csv(payments, buffer, delimiter=delimiter)
    data = buffer.getvalue().encode("utf-8")
    assert sniff_remittance_csv(data[:4096])
    advices = load(data).advices
    assert advices["trace_id"].to_pylist() == ["TRACE-1", "E2E-2", "P-3"]
    for name, column in (
        ("amount_minor", "amount_minor"),
        ("currency", "currency"),
        ("payment_date", "value_date"),
        ("payer_name", "payer_name"),
    ):
        assert advices[name].to_pylist() == payments[column].to_pylist(), name
    assert advices["lines"].to_pylist() == payments["remittance"].to_pylist()
    # And back again from the advices table.
    again = io.StringIO()
    write_remittance_csv(advices, again, delimiter=delimiter)
    assert load(again.getvalue().encode("utf-8")).advices.equals(advices)


@pytest.mark.parametrize(
    "module", ["cashmatch.loaders.remittance_csv", "bench.formats.remittance_csv"]
)
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0

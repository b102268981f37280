"""The engine's door (engine/validate.py): what a table may hold, for every path that feeds it."""

from __future__ import annotations

import datetime as dt
import decimal
import doctest

import pyarrow as pa
import pytest

from cashmatch.engine import InputError, build_index, match_payments, validate
from cashmatch.engine.schemas import OPEN_ITEMS, PAYMENTS, REMITTANCE_LINE
from cashmatch.engine.validate import (
    MAX_AMOUNT_MINOR,
    validate_customers,
    validate_open_items,
    validate_payments,
)

DAY = dt.date(2024, 5, 2)


def _payments(**columns) -> pa.Table:
    base = {"payment_id": ["P1", "P2"], "amount_minor": [100, 200], "currency": ["EUR", "EUR"],
            "value_date": [DAY, DAY]}  # fmt: skip
    return pa.table({**base, **columns})


def _refused(call, *args) -> InputError:
    with pytest.raises(InputError) as caught:
        call(*args)
    return caught.value


def test_docstring_example():
    result = doctest.testmod(validate, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    "amounts",
    [
        pa.array([1250.0, 3.0]),
        pa.array([1250.0, 3.0], pa.float32()),
        pa.array([decimal.Decimal("1250.00"), decimal.Decimal("3.00")]),
        pa.array([True, False]),
    ],
)
def test_money_as_float_decimal_or_bool_is_refused_not_reinterpreted(amounts):
    error = _refused(validate_payments, _payments(amount_minor=amounts))
    assert (error.table, error.row, error.column) == ("payments", None, "amount_minor")
    assert "column is refused: money is int64 minor units" in error.message
    # Integers of any width, and integer text, are exact: read as they are.
    table = validate_payments(_payments(amount_minor=pa.array([1250, 3], pa.int16())))
    assert table["amount_minor"].to_pylist() == [1250, 3]
    assert (
        validate_payments(_payments(amount_minor=["1250", "3"]))["amount_minor"][0].as_py() == 1250
    )


def test_nested_remittance_money_as_float_is_refused():
    line = pa.struct([("invoice_ref", pa.string()), ("amount_paid_minor", pa.float64())])
    remittance = pa.array([[{"invoice_ref": "INV-1", "amount_paid_minor": 12.5}], []],
                          pa.list_(line))  # fmt: skip
    error = _refused(validate_payments, _payments(remittance=remittance))
    assert error.column == "remittance.amount_paid_minor"
    assert "double column is refused" in error.message


def test_amounts_beyond_the_bound_are_refused_at_their_row():
    for value in (MAX_AMOUNT_MINOR + 1, -MAX_AMOUNT_MINOR - 1, -(2**63), 2**63 - 1):
        error = _refused(validate_payments, _payments(amount_minor=[5, value]))
        assert (error.row, error.column) == (1, "amount_minor"), value
        assert "beyond ±10^15 minor units" in error.message
    assert validate_payments(_payments(amount_minor=[MAX_AMOUNT_MINOR, -MAX_AMOUNT_MINOR]))
    lines = pa.array(
        [[], [{"invoice_ref": "A", "amount_paid_minor": 1},
              {"invoice_ref": "B", "amount_paid_minor": 5 * 10**18}]],
        pa.list_(REMITTANCE_LINE),
    )  # fmt: skip
    error = _refused(validate_payments, _payments(remittance=lines))
    assert (error.row, error.column) == (1, "remittance.amount_paid_minor")
    items = pa.Table.from_pylist(
        [{"invoice_id": f"I{k}", "invoice_number": f"N{k}", "customer_id": "C", "currency": "EUR",
          "amount_open_minor": 5 * 10**18, "issue_date": DAY, "due_date": DAY} for k in range(2)],
        schema=OPEN_ITEMS,
    )  # fmt: skip
    error = _refused(build_index, items)
    assert (error.table, error.row, error.column) == ("open_items", 0, "amount_open_minor")


@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
def test_empty_ids_are_refused(blank):
    error = _refused(validate_payments, _payments(payment_id=["P1", blank]))
    assert (error.row, error.column, error.message) == (1, "payment_id", "empty id")
    items = pa.table({"invoice_id": [blank], "invoice_number": ["N"], "customer_id": ["C"],
                      "currency": ["EUR"], "amount_open_minor": [5], "issue_date": [DAY],
                      "due_date": [DAY]})  # fmt: skip
    assert _refused(validate_open_items, items).column == "invoice_id"
    customers = pa.table({"customer_id": [blank], "name": ["Acme"]})
    assert _refused(validate_customers, customers).column == "customer_id"


def test_duplicates_currencies_nulls_and_missing_columns_are_located():
    error = _refused(validate_payments, _payments(payment_id=["P1", "P1"]))
    assert (error.row, error.column, error.message) == (1, "payment_id", "duplicate value 'P1'")
    long = "X" * 20_000
    error = _refused(validate_payments, _payments(payment_id=[long, long]))
    assert len(error.message) < 130  # values in messages are cut
    error = _refused(validate_payments, _payments(currency=["EUR", "EURO"]))
    assert (error.row, error.column) == (1, "currency")
    error = _refused(validate_payments, _payments(currency=["EUR", None]))
    assert (error.row, error.message) == (1, "a value is required")
    error = _refused(validate_payments, _payments().drop_columns(["value_date"]))
    assert (error.row, error.column, error.message) == (
        None,
        "value_date",
        "missing required column",
    )
    error = _refused(validate_payments, _payments(amount_minor=["10", "1x"]))
    assert error.column == "amount_minor" and "cannot be read as int64" in error.message


def test_match_payments_goes_through_the_door():
    index = build_index(OPEN_ITEMS.empty_table())
    with pytest.raises(InputError, match="column is refused"):
        match_payments(index, _payments(amount_minor=[1.0, 2.0]))
    with pytest.raises(InputError, match="empty id"):
        match_payments(index, _payments(payment_id=["", "P2"]))
    matches = match_payments(index, validate_payments(_payments())).matches
    assert matches["status"].to_pylist() == ["unmatched", "unmatched"]
    assert PAYMENTS.names == validate_payments(_payments()).schema.names


def test_dates_out_of_range_are_refused():
    far = pa.array([(DAY - dt.date(1970, 1, 1)).days, 9_000_000], pa.int32()).cast(pa.date32())
    error = _refused(validate_payments, _payments(value_date=far))
    assert (error.row, error.column) == (1, "value_date") and "out of range" in error.message
    early = pa.array([dt.date(1899, 12, 31), DAY])
    assert _refused(validate_payments, _payments(booking_date=early)).column == "booking_date"


def test_a_column_sent_twice_is_refused():
    table = _payments()
    table = table.append_column("currency", pa.array(["EUR", "USD"]))
    error = _refused(validate_payments, table)
    assert (error.column, error.message) == ("currency", "a column sent twice")

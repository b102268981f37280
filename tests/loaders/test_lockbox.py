"""BAI lockbox loader: public samples, layouts, bad input, fuzzing, round trip."""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.formats.lockbox import write_lockbox
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.errors import LoadError
from cashmatch.loaders.lockbox import (
    LAYOUTS_FILE,
    _parse_toml_subset,
    load_layouts,
    load_lockbox,
    sniff_lockbox,
)
from tests.loaders.fuzzing import mutate

SAMPLES = "lockbox"


def _path(samples_dir, name: str) -> str:
    return str(samples_dir / SAMPLES / name)


# A standard-layout file: one batch, two checks, the first paying two invoices.
GOOD = [
    "100ABCDEFGHIJ00999999912403151800",
    "2ABCDEFGHIJ0099999991000000000040008000801",
    "50000000022222240315ABCDEFGHIJ0099999991",
    "6001001000001250005500270700123455550000000180031524ACME TRADING INC",
    "40010016010INV-1001       0000010000",
    "40010016029INV-1002       0000002500",
    "6001002000000999905500270700999999990000000181031524BETA CORP",
    "700100000222222403150020000022499",
    "8000000002222224031500020000022499",
    "9000010",
]


def _data(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _error(lines: list[str], **kwargs) -> LoadError:
    with pytest.raises(LoadError) as info:
        load_lockbox("bad.lbx", data=_data(lines), **kwargs)
    return info.value


# --- public samples ------------------------------------------------------------------


def test_fundersclub_one_check(samples_dir):
    loaded = load_lockbox(_path(samples_dir, "fundersclub_lockbox_1check.bai"))
    [row] = loaded.payments.to_pylist()
    assert row["payer_name"] == "BOB E SMITH"
    assert (row["amount_minor"], row["currency"]) == (700000, "USD")
    assert row["check_number"] == "180"
    assert row["payer_account"] == "055002707/0012345555"
    assert row["value_date"] == dt.date(2016, 5, 23)  # deposit date of the batch
    assert row["payment_id"] == "0022222-160523-001-001"
    assert [line["invoice_ref"] for line in row["remittance"]] == ["CE554"]
    assert row["source_format"] == "lockbox"
    assert loaded.summary["lockboxes"] == ["0022222"]


def test_fundersclub_empty_batch(samples_dir):
    loaded = load_lockbox(_path(samples_dir, "fundersclub_lockbox_empty.bai"))
    assert loaded.payments.num_rows == 0 and loaded.problems == []
    assert loaded.summary["total_credited"] == {"USD": "0.00"}


def test_opentaps_two_batches(samples_dir):
    loaded = load_lockbox(
        _path(samples_dir, "opentaps_lockbox_2batches_7checks.mbx"), layout="opentaps"
    )
    rows = loaded.payments.to_pylist()
    assert len(rows) == 7
    assert len({r["payment_id"][:-4] for r in rows}) == 2  # two batches
    lines = [line for r in rows for line in r["remittance"]]
    assert len(lines) == 8
    assert {line["invoice_ref"] for line in lines} == {
        "LB0001", "LB0002", "LB0003", "LB0004", "LB0005", "LB0006", "LB000X",
    }  # fmt: skip
    two = [r for r in rows if len(r["remittance"]) == 2]
    assert len(two) == 1 and two[0]["amount_minor"] == 150000
    assert [(x["invoice_ref"], x["amount_paid_minor"]) for x in two[0]["remittance"]] == [
        ("LB0002", 100000),
        ("LB0003", 50000),
    ]
    assert sum(r["amount_minor"] for r in rows) == 525405
    assert rows[0]["check_number"] == "1012345678"
    assert rows[0]["payer_account"] == "1111111111/3333333333"


def test_opentaps_bad_service_total(samples_dir):
    path = _path(samples_dir, "opentaps_lockbox_bad_total_negative.mbx")
    with pytest.raises(LoadError) as info:
        load_lockbox(path, layout="opentaps")
    assert (info.value.line, info.value.field) == (22, "amount")
    assert "service total 3254.05" in str(info.value)
    loaded = load_lockbox(path, layout="opentaps", lenient=True)
    assert loaded.payments.num_rows == 7 and len(loaded.problems) == 1


def test_opentaps_needs_its_layout(samples_dir):
    # Read with the standard columns the amounts are nonsense: the batch total says so.
    with pytest.raises(LoadError) as info:
        load_lockbox(_path(samples_dir, "opentaps_lockbox_2batches_7checks.mbx"))
    assert (info.value.line, info.value.field) == (13, "amount")


def test_every_sample_sniffs(samples_dir):
    for path in sorted((samples_dir / SAMPLES).iterdir()):
        assert sniff_lockbox(path.read_bytes()[:4096]), path.name
    assert not sniff_lockbox(b"01,SENDER,RECV,230101,1200,1,,,2/\n02,x/\n")
    assert not sniff_lockbox(b":20:X\n:25:Y\n")


# --- layouts and corner cases ------------------------------------------------------------


def test_toml_fallback_reads_the_same_layouts():
    assert _parse_toml_subset(LAYOUTS_FILE.read_text()) == load_layouts()
    assert load_layouts()["opentaps"]["detail"]["check_number"] == [68, 80]


def test_unknown_layout():
    assert "unknown lockbox layout" in _error(GOOD, layout="nope").message


def test_standard_file_with_remittance_and_crlf():
    data = _data(GOOD).replace(b"\n", b"\r\n")
    loaded = load_lockbox("good.lbx", data=data)
    rows = loaded.payments.to_pylist()
    assert [r["amount_minor"] for r in rows] == [12500, 9999]
    assert [(x["invoice_ref"], x["amount_paid_minor"]) for x in rows[0]["remittance"]] == [
        ("INV-1001", 10000),
        ("INV-1002", 2500),
    ]
    assert rows[0]["reference_text"] == "INV-1001 INV-1002"
    assert rows[1]["remittance"] == [] and rows[1]["payer_name"] == "BETA CORP"
    assert [r["payment_id"] for r in rows] == ["0022222-240315-001-001", "0022222-240315-001-002"]


def test_latin1_and_bom_names():
    lines = list(GOOD)
    lines[6] = lines[6].replace("BETA CORP", "BÉTA CORP")
    loaded = load_lockbox("l1.lbx", data=_data(lines).decode().encode("latin-1"))
    assert loaded.payments.column("payer_name")[1].as_py() == "BÉTA CORP"
    loaded = load_lockbox("bom.lbx", data=b"\xef\xbb\xbf" + _data(lines))
    assert loaded.payments.column("payer_name")[1].as_py() == "BÉTA CORP"


# --- bad input ------------------------------------------------------------------------


def test_wrong_batch_total():
    lines = list(GOOD)
    lines[7] = "700100000222222403150020000022498"
    error = _error(lines)
    assert (error.line, error.field) == (8, "amount") and "batch total" in error.message


def test_wrong_counts():
    lines = list(GOOD)
    lines[7] = "700100000222222403150030000022499"
    assert (_error(lines).line, _error(lines).field) == (8, "count")
    lines = [*GOOD[:-1], "9000011"]
    assert (_error(lines).line, _error(lines).field) == (10, "record_count")


def test_truncated_file():
    error = _error(GOOD[:6])
    assert "truncated" in error.message and error.line == 6


def test_unknown_record_type_and_lenient():
    lines = [*GOOD[:7], "X junk", *GOOD[7:]]
    lines[-1] = "9000011"
    error = _error(lines)
    assert (error.line, error.field) == (8, "record_type")
    loaded = load_lockbox("bad.lbx", data=_data(lines), lenient=True)
    assert loaded.payments.num_rows == 2 and loaded.skipped == {"invalid": 1}
    assert "line 8" in loaded.problems[0]


def test_bad_amount_strict_and_lenient():
    lines = list(GOOD)
    lines[6] = lines[6][:7] + "00000099X9" + lines[6][17:]
    error = _error(lines)
    assert (error.line, error.field) == (7, "amount")
    loaded = load_lockbox("bad.lbx", data=_data(lines), lenient=True)
    assert loaded.payments.num_rows == 1 and loaded.skipped == {"invalid": 1}
    # The batch total no longer matches the checks read: reported too.
    assert "line 7" in loaded.problems[0]
    assert any("line 8, field 'amount': batch total" in p for p in loaded.problems)


def test_structure_errors():
    assert "outside a batch" in _error([GOOD[0], GOOD[3], *GOOD[7:]]).message
    assert _error(["6 no header"]).field == "record_type"
    assert "without a preceding check" in _error([*GOOD[:3], GOOD[4], *GOOD[7:]]).message
    assert _error([GOOD[0][:23] + "991399"]).field == "date"


# --- fuzzing --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_fuzz_random_bytes(data):
    for layout in ("standard", "opentaps"):
        with contextlib.suppress(LoadError):
            load_lockbox("f.lbx", data=b"1" + data, layout=layout, lenient=True)
        with contextlib.suppress(LoadError):
            load_lockbox("f.lbx", data=data, layout=layout)


@pytest.fixture(scope="module")
def sample_bytes(samples_dir) -> bytes:
    return (samples_dir / SAMPLES / "opentaps_lockbox_2batches_7checks.mbx").read_bytes()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_fuzz_mutated_sample(sample_bytes, data):
    raw = mutate(data, sample_bytes, b"0123456789456789 ABC\r\n\xe9", max_edits=8)
    for lenient in (False, True):
        with contextlib.suppress(LoadError):
            loaded = load_lockbox("m.mbx", data=raw, lenient=lenient, layout="opentaps")
            assert loaded.payments.schema.equals(PAYMENTS)


# --- round trip -----------------------------------------------------------------------


def _payments() -> pa.Table:
    rows = []
    for i in range(250):
        invoices = [
            {"invoice_ref": f"INV-{i}-{k}", "amount_paid_minor": 1000 + i * 7 + k}
            for k in range(i % 4)
        ]
        rows.append(
            {
                "payment_id": f"P{i}",
                "amount_minor": sum(x["amount_paid_minor"] for x in invoices) or 4200 + i,
                "currency": "USD",
                "value_date": dt.date(2024, 6, 3 + i % 2),
                "payer_name": f"PAYER {i} LLC" if i % 5 else None,
                "payer_account": f"021000021/{700000 + i}" if i % 3 else None,
                "check_number": str(9000 + i),
                "remittance": invoices,
            }
        )
    return pa.Table.from_pylist(rows, schema=PAYMENTS)


def test_round_trip():
    table = _payments()
    buffer = io.BytesIO()
    write_lockbox(table, buffer, batch_size=40)
    loaded = load_lockbox("rt.lbx", data=buffer.getvalue())
    assert loaded.problems == [] and loaded.skipped == {}
    got = loaded.payments.to_pylist()
    assert len(got) == table.num_rows
    # Batches follow deposit dates, so compare by check number (unique here).
    by_check = {r["check_number"]: r for r in got}
    for want in table.to_pylist():
        row = by_check[want["check_number"]]
        for name in ("amount_minor", "currency", "value_date", "payer_name", "payer_account"):
            assert row[name] == want[name], (want["payment_id"], name)
        assert [(x["invoice_ref"], x["amount_paid_minor"]) for x in row["remittance"]] == [
            (x["invoice_ref"], x["amount_paid_minor"]) for x in want["remittance"]
        ]
    assert len({r["payment_id"] for r in got}) == len(got)
    assert sniff_lockbox(buffer.getvalue()[:4096])
    again = load_lockbox("rt.lbx", data=buffer.getvalue())
    assert again.payments.column("payment_id").equals(loaded.payments.column("payment_id"))

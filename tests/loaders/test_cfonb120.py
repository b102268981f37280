"""CFONB 120 loader: public samples, corner cases, bad input, fuzzing, round trip."""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.formats.cfonb120 import write_cfonb120
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.cfonb120 import load_cfonb120, read_cfonb120_operations, sniff_cfonb120
from cashmatch.loaders.errors import LoadError
from tests.loaders.fuzzing import mutate

SAMPLES = "cfonb120"


def _sample(samples_dir, name: str) -> str:
    return str(samples_dir / SAMPLES / name)


def _record(kind: str, rest: str) -> str:
    record = (kind + rest).ljust(120)
    assert len(record) == 120
    return record


def _balance(kind: str, day: str, amount: str, account: str = "00012345678") -> str:
    return _record(kind, f"30004    00123EUR2 {account}  {day}".ljust(88) + amount)


def _op(day: str, label: str, amount: str, ref: str = "", reject: str = "  ") -> str:
    head = f"30004000200123EUR2 0001234567805{day}{reject}{day}{label:<31}  0000000  "
    return _record("04", head + amount + f"{ref:<16}")


def _detail(qualifier: str, text: str) -> str:
    return _record("05", f"30004000200123EUR2 0001234567805150524     {qualifier}{text}")


GOOD = [
    _balance("01", "140524", "0000000010000{"),  # +1000.00
    _op("150524", "VIR SEPA ACME", "0000000001050{", ref="VREF1"),  # +105.00
    _detail("NPY", "ACME SARL"),
    _detail("RCN", "E2E-77".ljust(35) + "FACTURE F-2024-12"),
    _detail("LIB", "SOLDE FACTURE F-2024-13"),
    _detail("MMO", "USD20000000011500"),
    _op("150524", "PRLV SEPA EDF", "0000000000422R"),  # -42.29
    _op("150524", "VIR SEPA RETOUR", "0000000000100{", reject="01"),  # returned, +10.00
    _balance("07", "150524", "0000000010728F"),  # 1072.86: wrong on purpose, see _fix_closing
]


def _good(lines=None, sep="\r\n") -> bytes:
    return sep.join(GOOD if lines is None else lines).encode("latin-1") + sep.encode()


# -- public samples ----------------------------------------------------------------


def test_silarhi_complex(samples_dir):
    path = _sample(samples_dir, "silarhi_complex_facture.cfonb120")
    loaded = load_cfonb120(path)
    assert loaded.payments.num_rows == 0
    assert loaded.skipped == {"debit": 5}
    assert loaded.summary["balances_checked"] == 8
    ops = read_cfonb120_operations(path)
    assert len(ops) == 5
    facture = ops[3]
    assert facture.label == "FACTURE SGT20022040001692"
    assert facture.amount_minor == -11775  # "0000000001177N": N is -5
    assert facture.entry_number == "0001692"
    assert facture.booking_date == dt.date(2020, 4, 10)
    assert facture.value_date == dt.date(2020, 4, 1)
    assert [q for q, _ in ops[4].details] == ["LIB", "LIB"]


def test_pennylane_details(samples_dir):
    path = _sample(samples_dir, "pennylane_example_05_details.cfonb120")
    loaded = load_cfonb120(path)
    assert sorted(loaded.summary["accounts"]) == ["00123456789", "98765432100"]
    assert loaded.payments.num_rows + sum(loaded.skipped.values()) == 6
    assert loaded.skipped == {"debit": 5}
    (row,) = loaded.payments.to_pylist()
    assert row["amount_minor"] == 9749
    assert row["reference_text"] == "PRLV SEPA GROUPAMA CEN P051928612 22793301700040"
    assert row["payment_id"] == "187060000000123456789-190517-#1"
    ops = read_cfonb120_operations(path)
    assert [op.payer_name for op in ops][:2] == ["INTERNET SFR", "ELEC ERDF"]
    assert sum(len(op.details) for op in ops) == 14
    assert ops[1].reference == "REFERENCE"


def test_akretion_lcr(samples_dir):
    path = _sample(samples_dir, "akretion_lcr_bank_statement.cfonb120")
    with pytest.raises(LoadError) as info:
        load_cfonb120(path)  # the sample's balances do not add up
    assert (info.value.line, info.value.field) == (6, "amount")
    loaded = load_cfonb120(path, lenient=True)
    assert len(loaded.problems) == 1
    assert loaded.skipped == {"debit": 3}
    (row,) = loaded.payments.to_pylist()
    assert row["amount_minor"] == 400000
    assert row["reference_text"] == "LCL20000000144"
    assert row["currency"] == "EUR"
    refs = [op.label for op in read_cfonb120_operations(path, lenient=True)]
    assert refs == ["LCL20000000142", "LCL20000000141", "LCL20000000144", "LCL20000000143"]


def test_silarhi_empty_days(samples_dir):
    loaded = load_cfonb120(_sample(samples_dir, "silarhi_unused_parts_empty_days.cfonb120"))
    assert loaded.payments.num_rows == 0 and loaded.skipped == {}
    assert loaded.summary["balances_checked"] == 8
    assert len(loaded.summary["accounts"]) == 3


@pytest.mark.parametrize(
    "name",
    [
        "akretion_lcr_bank_statement.cfonb120",
        "pennylane_example_05_details.cfonb120",
        "silarhi_complex_facture.cfonb120",
        "silarhi_unused_parts_empty_days.cfonb120",
    ],
)
def test_sniff_samples(samples_dir, name):
    with open(_sample(samples_dir, name), "rb") as handle:
        assert sniff_cfonb120(handle.read(4096))


def test_sniff_rejects_others():
    assert not sniff_cfonb120(b":20:REF\r\n:25:ACCOUNT\r\n")
    assert not sniff_cfonb120(b"01,GRP,BNK,240301,1200\n")
    assert not sniff_cfonb120(b"0130004    00123EUR2 short line\n")


# -- handwritten corner cases -------------------------------------------------------


def _fix_closing(lines):
    """GOOD with its 07 set to what the operations give: 1000 + 105 - 42.29 + 10."""
    out = list(lines)
    out[-1] = _balance("07", "150524", "0000000010727A")  # 1072.71
    return out


def test_credit_with_details():
    loaded = load_cfonb120("r.cfo", data=_good(_fix_closing(GOOD)))
    assert loaded.skipped == {"debit": 1, "return": 1}
    (row,) = loaded.payments.to_pylist()
    assert row["amount_minor"] == 10500
    assert row["payer_name"] == "ACME SARL"
    assert row["end_to_end_id"] == "E2E-77"
    assert row["reference_text"] == "VIR SEPA ACME FACTURE F-2024-12 SOLDE FACTURE F-2024-13"
    assert row["payment_id"] == "300040012300012345678-240515-VREF1"
    assert row["value_date"] == dt.date(2024, 5, 15)
    assert loaded.summary["total_credited"] == {"EUR": "105.00"}


def test_one_long_line_and_blank_lines():
    lines = _fix_closing(GOOD)
    one_line = "".join(lines).encode("latin-1")
    a = load_cfonb120("a.cfo", data=one_line)
    b = load_cfonb120("b.cfo", data=_good(lines, sep="\n\n"))
    assert a.payments.to_pylist()[0]["payment_id"] == b.payments.to_pylist()[0]["payment_id"]
    assert a.skipped == b.skipped == {"debit": 1, "return": 1}
    assert sniff_cfonb120(one_line[:4096])


def test_trailing_spaces_trimmed():
    lines = [line.rstrip() for line in _fix_closing(GOOD)]
    assert load_cfonb120("t.cfo", data=_good(lines)).payments.num_rows == 1


def test_latin1_and_bom():
    lines = _fix_closing(GOOD)
    lines[2] = _detail("NPY", "SOCIÉTÉ GÉNÉRALE")
    for data in (_good(lines), b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8")):
        (row,) = load_cfonb120("l.cfo", data=data).payments.to_pylist()
        assert row["payer_name"] == "SOCIÉTÉ GÉNÉRALE"


def test_decimals_field_rescales():
    lines = _fix_closing(GOOD)
    # Three decimals on a EUR operation: 105.000 -> 10500 minor units.
    lines[1] = lines[1][:19] + "3" + lines[1][20:90] + "0000000010500{" + lines[1][104:]
    (row,) = load_cfonb120("d.cfo", data=_good(lines)).payments.to_pylist()
    assert row["amount_minor"] == 10500


# -- bad input -----------------------------------------------------------------------


def test_balance_mismatch():
    with pytest.raises(LoadError) as info:
        load_cfonb120("m.cfo", data=_good())
    assert (info.value.line, info.value.field) == (9, "amount")
    loaded = load_cfonb120("m.cfo", data=_good(), lenient=True)
    assert loaded.payments.num_rows == 1 and "1072.71" in loaded.problems[0]


def test_truncated_file():
    lines = _fix_closing(GOOD)[:-1]
    with pytest.raises(LoadError) as info:
        load_cfonb120("t.cfo", data=_good(lines))
    assert info.value.line == 1 and "truncated" in info.value.message
    cut = _good(_fix_closing(GOOD))[:-200]
    with pytest.raises(LoadError):
        load_cfonb120("t.cfo", data=cut)


def test_unknown_record_type():
    lines = _fix_closing(GOOD)
    lines.insert(6, _record("09", "whatever"))
    with pytest.raises(LoadError) as info:
        load_cfonb120("u.cfo", data=_good(lines))
    assert (info.value.line, info.value.field) == (7, "record type")
    loaded = load_cfonb120("u.cfo", data=_good(lines), lenient=True)
    assert loaded.payments.num_rows == 1 and "line 7" in loaded.problems[0]


def test_bad_amount():
    lines = _fix_closing(GOOD)
    lines[1] = lines[1][:90] + "00000000010X0{" + lines[1][104:]
    with pytest.raises(LoadError) as info:
        load_cfonb120("b.cfo", data=_good(lines))
    assert (info.value.line, info.value.field) == (2, "amount")
    loaded = load_cfonb120("b.cfo", data=_good(lines), lenient=True)
    # The operation is gone and its 05s cannot attach; no balance verdict for the run.
    assert loaded.payments.num_rows == 0
    assert loaded.skipped == {"debit": 1, "return": 1}
    assert any("line 2" in p for p in loaded.problems)


def test_bad_date_and_currency():
    lines = _fix_closing(GOOD)
    lines[6] = lines[6][:34] + "320524" + lines[6][40:]
    with pytest.raises(LoadError) as info:
        load_cfonb120("d.cfo", data=_good(lines))
    assert (info.value.line, info.value.field) == (7, "booking date")
    lines = _fix_closing(GOOD)
    lines[1] = lines[1][:16] + "XYZ" + lines[1][19:]
    with pytest.raises(LoadError) as info:
        load_cfonb120("c.cfo", data=_good(lines))
    assert (info.value.line, info.value.field) == (2, "currency")


def test_orphan_detail_and_bad_length():
    with pytest.raises(LoadError) as info:
        load_cfonb120("o.cfo", data=_good([GOOD[0], GOOD[2], _fix_closing(GOOD)[-1]]))
    assert (info.value.line, info.value.field) == (2, "05")
    with pytest.raises(LoadError) as info:
        load_cfonb120("l.cfo", data=_good([GOOD[0] + "XYZ", GOOD[-1]]))
    assert (info.value.line, info.value.field) == (1, "record")


def test_empty_and_missing(tmp_path):
    with pytest.raises(LoadError):
        load_cfonb120("e.cfo", data=b"\r\n\r\n")
    with pytest.raises(LoadError, match="no such file"):
        load_cfonb120(str(tmp_path / "absent.cfo"))


# -- fuzzing --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=800))
def test_fuzz_random_bytes(data):
    for lenient in (False, True):
        with contextlib.suppress(LoadError):
            load_cfonb120("f.cfo", data=data, lenient=lenient)


@pytest.fixture(scope="module")
def sample_bytes(samples_dir) -> bytes:
    with open(samples_dir / SAMPLES / "pennylane_example_05_details.cfonb120", "rb") as handle:
        return handle.read()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_fuzz_mutated_sample(sample_bytes, data):
    raw = mutate(data, sample_bytes, b"0123456789{}AJRZ \r\n\xe9", max_edits=8)
    for lenient in (False, True):
        with contextlib.suppress(LoadError):
            load_cfonb120("m.cfo", data=raw, lenient=lenient)


# -- round trip -------------------------------------------------------------------------


def _payments() -> pa.Table:
    rows = []
    for i in range(30):
        day = dt.date(2024, 2, 25) + dt.timedelta(days=i)
        text = f"Facture FA-{2000 + i} du {day:%d/%m/%Y} client {i}" + " lot suivant" * (i % 9)
        rows.append(
            {
                "payment_id": f"VIR{i:013d}",
                "amount_minor": 1 + i * 7_654_321,
                "currency": ("EUR", "XOF", "TND")[i % 3],
                "value_date": day,
                "booking_date": day + dt.timedelta(days=i % 2),
                "payer_name": f"Société Dupont & Fils {i}" if i % 4 else None,
                "reference_text": text,
                "end_to_end_id": f"E2E-{i}" if i % 2 else None,
                "remittance": [{"invoice_ref": f"FA-{2000 + i}"}] if i % 3 == 0 else [],
            }
        )
    return pa.Table.from_pylist(rows, schema=PAYMENTS)


def test_round_trip():
    table = _payments()
    buffer = io.BytesIO()
    write_cfonb120(table, buffer)
    loaded = load_cfonb120("rt.cfo", data=buffer.getvalue())
    assert loaded.problems == [] and loaded.skipped == {}
    assert loaded.summary["balances_checked"] == 3
    got = {r["payment_id"].rsplit("-", 1)[1]: r for r in loaded.payments.to_pylist()}
    assert len(got) == table.num_rows
    for want in table.to_pylist():
        row = got[want["payment_id"]]
        for name in (
            "amount_minor",
            "currency",
            "value_date",
            "booking_date",
            "payer_name",
            "reference_text",
            "end_to_end_id",
        ):
            assert row[name] == want[name], (want["payment_id"], name)
        assert [x["invoice_ref"] for x in row["remittance"]] == [
            x["invoice_ref"] for x in want["remittance"]
        ]
    assert sniff_cfonb120(buffer.getvalue()[:4096])

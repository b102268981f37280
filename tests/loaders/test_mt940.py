"""MT940/MT942 loader: public samples, corner cases, bad input, fuzzing, round trip."""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.formats.mt940 import write_mt940
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.errors import LoadError
from cashmatch.loaders.mt940 import load_mt940, read_mt940_lines, sniff_mt940
from cashmatch.loaders.mt940_details import parse_details
from tests.loaders.fuzzing import mutate

SAMPLES = "mt940"


def _sample(samples_dir, name: str) -> str:
    return str(samples_dir / SAMPLES / name)


def _total(loaded) -> int:
    return loaded.payments.num_rows + sum(loaded.skipped.values())


# -- public samples ------------------------------------------------------------


def test_betterplace_large(samples_dir):
    loaded = load_mt940(_sample(samples_dir, "wolph_betterplace_sepa_mt9401_large.sta"))
    assert len(loaded.summary["statements"]) == 26
    assert _total(loaded) == 97
    assert loaded.skipped == {"debit": 54, "return": 17, "reversal": 2}
    assert loaded.payments.num_rows == 24
    assert loaded.summary["total_credited"] == {"EUR": "2038680.20"}
    assert loaded.summary["balances_checked"] == 26
    rows = {r["payment_id"]: r for r in loaded.payments.to_pylist()}
    row = rows["0724710324647450"]
    assert row["amount_minor"] == 15455193
    assert row["payer_name"] == "Quentin Quast"
    assert row["payer_account"] == "DE03508800500194791600"
    assert row["reference_text"] == "Strukturierter Verwendungszweck 30030004 DE"
    assert row["end_to_end_id"] == "TFNR 0300300004"
    assert row["value_date"] == dt.date(2007, 9, 7)
    assert row["booking_date"] == dt.date(2007, 9, 4)
    assert row["source_format"] == "mt940"
    assert len(rows) == 24  # ids unique


def test_betterplace_snippet_balance_mismatch(samples_dir):
    path = _sample(samples_dir, "wolph_betterplace_sepa_snippet_structured86.sta")
    # The published snippet lost lines of its second statement: the balances
    # no longer add up, which rejects the file.
    with pytest.raises(LoadError) as info:
        load_mt940(path)
    assert info.value.line == 55 and info.value.field == ":62F:"
    loaded = load_mt940(path, lenient=True)
    assert len(loaded.problems) == 1 and "line 55" in loaded.problems[0]
    assert _total(loaded) == 11
    assert loaded.skipped == {"debit": 3, "return": 3}
    first = loaded.payments.to_pylist()[0]
    assert first["payer_name"] == "KARL KAUFMANN"
    assert first["payer_account"] == "DE14508800500194785000"
    assert first["reference_text"] == "Verw CTSc-01 BC-PPP TFNr 22 004"
    assert first["end_to_end_id"] == "EndToEndId TFNR 22 004 00001"


def test_rabobank_legacy(samples_dir):
    path = _sample(samples_dir, "wolph_jejik_rabobank_factuurnummer.sta")
    with pytest.raises(LoadError) as info:
        load_mt940(path)
    assert info.value.field == ":62F:" and info.value.line == 11
    loaded = load_mt940(path, lenient=True)
    assert len(loaded.summary["statements"]) == 4
    assert loaded.payments.num_rows == 0 and loaded.skipped == {"debit": 5}
    lines = read_mt940_lines(path, lenient=True)
    assert len(lines) == 5
    tmobile = lines[1]
    assert tmobile.payer_name == "T-MOBILE NETHERLANDS BV"  # the name at the end of :61:
    assert tmobile.payer_account == "0733959555"
    assert "FACTUURNUMMER 987654321" in tmobile.reference_text
    assert "FACTUUR * 173787046" in lines[3].reference_text
    assert lines[0].amount_minor == 121328 and lines[0].mark == "D"


def test_abnamro_header_lines(samples_dir):
    path = _sample(samples_dir, "wolph_jejik_abnamro.sta")
    loaded = load_mt940(path, lenient=True)
    assert len(loaded.summary["statements"]) == 2
    assert loaded.skipped == {"debit": 10}
    assert len(loaded.problems) == 2  # both statements' balances disagree in the sample
    lines = read_mt940_lines(path, lenient=True)
    assert "BETREFT FACTUUR D.D. 20-05-2011" in lines[0].reference_text
    assert "BETALINGSKENM." in lines[0].reference_text
    assert lines[0].booking_date == dt.date(2011, 5, 24)
    assert lines[3].amount_minor == 1180  # "11,8"


def test_cmxl_multi_bank(samples_dir):
    loaded = load_mt940(_sample(samples_dir, "wolph_cmxl_multi_bank_faktura.sta"))
    assert _total(loaded) == 16
    assert loaded.skipped == {"debit": 9}
    assert loaded.summary["total_credited"] == {
        "DEM": "49396.74",
        "EUR": "3000.00",
        "PLN": "20040.00",
    }
    rows = loaded.payments.to_pylist()
    polish = next(r for r in rows if r["payment_id"] == "8327000090031789")
    assert "FAKTURA 333/2003" in polish["reference_text"]
    assert polish["payer_account"] == "PL08106000760000777777777777"
    assert polish["payer_name"].startswith("HUTA SZKLA TOPIC")
    german = next(r for r in rows if r["currency"] == "EUR")
    assert german["payer_name"] == "MUELLER" and german["payment_id"] == "55555"
    # "N" is no reference: the repeated customer reference falls back to position.
    assert sorted(r["payment_id"] for r in rows if r["currency"] == "DEM") == [
        "131110/27/01/10",
        "131110/27/01/3",
        "131110/27/01/6",
        "131110/27/01/9",
    ]


def test_asn_envelope(samples_dir):
    loaded = load_mt940(_sample(samples_dir, "wolph_asnb_0708271685.940"))
    assert len(loaded.summary["statements"]) == 31
    assert _total(loaded) == 8
    assert loaded.skipped == {"debit": 5}
    rows = loaded.payments.to_pylist()
    assert [r["amount_minor"] for r in rows] == [100000, 82872, 100018]
    dividend = rows[1]
    assert dividend["payer_name"] == "transfer solutions bv"
    assert dividend["payer_account"] == "NL25INGB9999999999"
    assert "Transfer Solutions BV-DIVIDEND 28/01/2020" in dividend["reference_text"]
    assert len(set(r["payment_id"] for r in rows)) == 3


@pytest.mark.parametrize(
    "name",
    [
        "wolph_asnb_0708271685.940",
        "wolph_betterplace_sepa_mt9401_large.sta",
        "wolph_betterplace_sepa_snippet_structured86.sta",
        "wolph_cmxl_multi_bank_faktura.sta",
        "wolph_jejik_abnamro.sta",
        "wolph_jejik_rabobank_factuurnummer.sta",
    ],
)
def test_sniff_samples(samples_dir, name):
    with open(_sample(samples_dir, name), "rb") as handle:
        assert sniff_mt940(handle.read(4096))


def test_sniff_rejects_others():
    assert not sniff_mt940(b"0130002    00447EUR2 0000888899H  160911" + b" " * 80)
    assert not sniff_mt940(b'<?xml version="1.0"?><Document/>')
    assert not sniff_mt940(b":20:only a reference\nand text\n")


# -- handwritten corner cases ---------------------------------------------------

STATEMENT = (
    ":20:REF1\r\n:25:NL91ABNA0417164300\r\n:28C:1/1\r\n:60F:C231229EUR100,00\r\n"
    ":61:2312290102C50,5NTRFNONREF//BANKREF1\r\n"
    ":86:/TRTP/SEPA OVERBOEKING/IBAN/NL02RABO0123456789/BIC/RABONL2U"
    "/NAME/ACME BV/REMI/USTD//INVOICE 2023-117/EREF/E2E-9\r\n"
    ":61:231229D20,NTRFNONREF\r\n:86:fee\r\n"
    ":61:231229RD1,NTRFNONREF\r\n"
    ":62F:C240102EUR131,50\r\n-\r\n"
)


def test_slash_keys_and_rollover():
    loaded = load_mt940("x.sta", data=STATEMENT.encode())
    assert loaded.skipped == {"debit": 1, "reversal": 1}
    (row,) = loaded.payments.to_pylist()
    assert row["payment_id"] == "BANKREF1"
    assert row["amount_minor"] == 5050
    assert row["value_date"] == dt.date(2023, 12, 29)
    assert row["booking_date"] == dt.date(2024, 1, 2)  # MMDD rolls into next year
    assert row["payer_name"] == "ACME BV"
    assert row["payer_account"] == "NL02RABO0123456789"
    assert row["reference_text"] == "INVOICE 2023-117"
    assert row["end_to_end_id"] == "E2E-9"
    assert loaded.summary["total_credited"] == {"EUR": "50.50"}


def test_inv_key_becomes_remittance_line():
    details = parse_details([["/INV/F-2024-0042 20240105/RFB/ORDER 77/ORDP//GLOBEX SA"]])
    assert details.invoice_refs == ["F-2024-0042 20240105"]
    assert details.payer_name == "GLOBEX SA"
    assert "ORDER 77" in details.reference_text


def test_gvc_keys():
    details = parse_details(
        [
            [
                "166?00GUTSCHRIFT?20EREF+E2E 1?21KREF+K1?22MREF+M1?23SVWZ+Rechnung 4711",
                "?24 und 4712",
            ],
            ["?30GENODEF1?31DE02120300000000202051?32MUSTER?33 GMBH"],
        ]
    )
    assert details.reference_text == "Rechnung 4711 und 4712"
    assert details.end_to_end_id == "E2E 1"
    assert details.payer_account == "DE02120300000000202051"
    assert details.payer_name == "MUSTER GMBH"
    assert not details.is_return


def test_mt942_interim():
    data = (
        b":20:INTRADAY\n:25:DE02120300000000202051\n:28C:7/1\n:34F:EURC0,\n:13D:2401021200+0100\n"
        b":61:240102C10,NTRFNONREF//R1\n:86:first\n:61:240102C2,5NTRFNONREF//R2\n"
        b":90D:0EUR0,\n:90C:2EUR12,5\n-\n"
    )
    loaded = load_mt940("i.sta", data=data)
    assert loaded.format == "mt942"
    assert loaded.payments.column("amount_minor").to_pylist() == [1000, 250]
    bad = data.replace(b":90C:2EUR12,5", b":90C:2EUR12,4")
    with pytest.raises(LoadError) as info:
        load_mt940("i.sta", data=bad)
    assert info.value.field == ":90C:" and info.value.line == 10


def test_duplicate_references_get_unique_ids():
    entry = ":61:240102C1,NTRFNONREF//SAME\n"
    data = f":20:S\n:25:A\n:60F:C240101EUR0,\n{entry}{entry}:62F:C240102EUR2,\n".encode()
    ids = load_mt940("d.sta", data=data).payments.column("payment_id").to_pylist()
    assert ids == ["S//1", "S//2"]


def test_latin1_and_bom():
    text = STATEMENT.replace("ACME BV", "CAFÉ MÜLLER")
    for data in (text.encode("latin-1"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        (row,) = load_mt940("x.sta", data=data).payments.to_pylist()
        assert row["payer_name"] == "CAFÉ MÜLLER"


# -- bad input --------------------------------------------------------------------


def test_truncated_file():
    data = STATEMENT.encode()[: STATEMENT.index(":62F:")]
    with pytest.raises(LoadError) as info:
        load_mt940("t.sta", data=data)
    assert info.value.field == ":62F:" and "truncated" in info.value.message


def test_wrong_closing_balance():
    data = STATEMENT.replace("131,50", "131,51").encode()
    with pytest.raises(LoadError) as info:
        load_mt940("b.sta", data=data)
    assert (info.value.line, info.value.field) == (10, ":62F:")
    loaded = load_mt940("b.sta", data=data, lenient=True)
    assert loaded.payments.num_rows == 1 and len(loaded.problems) == 1


def test_unknown_tag():
    data = STATEMENT.replace(":28C:1/1", ":99X:1/1").encode()
    with pytest.raises(LoadError) as info:
        load_mt940("u.sta", data=data)
    assert (info.value.line, info.value.field) == (3, ":99X:")
    loaded = load_mt940("u.sta", data=data, lenient=True)
    assert loaded.payments.num_rows == 1 and "unknown tag" in loaded.problems[0]


def test_bad_amount_lenient_skips_line():
    data = STATEMENT.replace("C50,5NTRF", "C50.5NTRF").encode()
    with pytest.raises(LoadError) as info:
        load_mt940("a.sta", data=data)
    assert (info.value.line, info.value.field) == (5, ":61:")
    loaded = load_mt940("a.sta", data=data, lenient=True)
    assert loaded.payments.num_rows == 0
    assert loaded.skipped == {"debit": 1, "reversal": 1}
    assert len(loaded.problems) == 1 and "line 5" in loaded.problems[0]


def test_bad_date_and_currency():
    with pytest.raises(LoadError) as info:
        load_mt940("d.sta", data=STATEMENT.replace(":61:231229", ":61:231329").encode())
    assert info.value.field == ":61:" and "value date" in info.value.message
    with pytest.raises(LoadError) as info:
        load_mt940("c.sta", data=STATEMENT.replace("EUR100,00", "XYZ100,00").encode())
    assert (info.value.line, info.value.field) == (4, ":60F:")


def test_not_mt940():
    with pytest.raises(LoadError):
        load_mt940("n.sta", data=b"hello\nworld\n")
    with pytest.raises(LoadError) as info:
        load_mt940("n.sta", data=b":25:X\n:20:Y\n")
    assert info.value.line == 1


def test_missing_file(tmp_path):
    with pytest.raises(LoadError, match="no such file"):
        load_mt940(str(tmp_path / "absent.sta"))


# -- fuzzing ------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_fuzz_random_bytes(data):
    for lenient in (False, True):
        with contextlib.suppress(LoadError):
            load_mt940("f.sta", data=data, lenient=lenient)


@pytest.fixture(scope="module")
def sample_bytes(samples_dir) -> bytes:
    with open(samples_dir / SAMPLES / "wolph_cmxl_multi_bank_faktura.sta", "rb") as handle:
        return handle.read()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_fuzz_mutated_sample(sample_bytes, data):
    raw = mutate(data, sample_bytes, b":?/,-{}\r\n CDR0123456789", max_edits=8)
    for lenient in (False, True):
        with contextlib.suppress(LoadError):
            load_mt940("m.sta", data=raw, lenient=lenient)


# -- round trip ------------------------------------------------------------------------


def _payments() -> pa.Table:
    rows = []
    for i in range(40):
        currency = ("EUR", "JPY", "KWD")[i % 3]
        day = dt.date(2023, 12, 20) + dt.timedelta(days=i)
        rows.append(
            {
                "payment_id": f"PAY{i:05d}",
                "amount_minor": 1 + i * 104729,
                "currency": currency,
                "value_date": day,
                "booking_date": day + dt.timedelta(days=i % 2),
                "payer_name": f"Müller & Söhne GmbH Niederlassung {i}" if i % 4 else None,
                "payer_account": f"DE{i:02d}500105175407324931" if i % 5 else None,
                "reference_text": f"Rechnung RE-{1000 + i} vom {day:%d.%m.%Y} Kunde {i}",
                "end_to_end_id": f"E2E/{i}" if i % 2 else None,
            }
        )
    return pa.Table.from_pylist(rows, schema=PAYMENTS)


@pytest.mark.parametrize("envelope", [False, True])
def test_round_trip(envelope):
    table = _payments()
    buffer = io.BytesIO()
    write_mt940(table, buffer, statement_size=7, envelope=envelope)
    loaded = load_mt940("rt.sta", data=buffer.getvalue())
    assert loaded.problems == [] and loaded.skipped == {}
    got = {r["payment_id"]: r for r in loaded.payments.to_pylist()}
    assert len(got) == table.num_rows
    for want in table.to_pylist():
        row = got[want["payment_id"]]
        for name in (
            "amount_minor",
            "currency",
            "value_date",
            "booking_date",
            "payer_name",
            "payer_account",
            "reference_text",
            "end_to_end_id",
        ):
            assert row[name] == want[name], (want["payment_id"], name)
    assert sniff_mt940(buffer.getvalue()[:4096])

"""BAI2 loader: public samples, corner cases, bad input, fuzzing, round trip."""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.formats.bai2 import write_bai2
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders import bai2
from cashmatch.loaders.bai2 import load_bai2, sniff_bai2, type_code_kind
from cashmatch.loaders.errors import LoadError

SAMPLES = "bai2"


def _load(samples_dir, name: str, **kwargs):
    return load_bai2(str(samples_dir / SAMPLES / name), **kwargs)


def _file(*records: str, account_total: int | None = None) -> bytes:
    """A one-group, one-account file around ``records`` (16/88 lines), trailers computed."""
    details = [r for r in records if r.startswith("16,")]
    total = sum(int(r.split(",")[2]) for r in details) if account_total is None else account_total
    account = ["03,12345,USD,010,0,,/", *records]
    account.append(f"49,{total},{len(account) + 1}/")
    group = ["02,RCV,SND,1,240115,2400,USD,/", *account, f"98,{total},1,{len(account) + 2}/"]
    lines = ["01,SND,RCV,240116,0800,7,,,2/", *group, f"99,{total},1,{len(group) + 2}/"]
    return ("\n".join(lines) + "\n").encode()


def _rows(loaded) -> list[dict]:
    return loaded.payments.to_pylist()


# --- public samples ------------------------------------------------------------------


def test_citi_fps_keyed_88(samples_dir):
    loaded = _load(samples_dir, "mojbai2_citi_uk_fps_with_88_detail.bai2")
    assert loaded.skipped == {} and loaded.problems == []
    [row] = _rows(loaded)
    assert row["payment_id"] == "1234567890"  # the bank reference
    assert (row["amount_minor"], row["currency"]) == (1, "GBP")
    assert row["value_date"] == dt.date(2015, 7, 15)  # funds type V
    assert row["payer_name"] == "DOE JO"  # BO1: sub-field of BO:
    assert row["payer_account"] == "111111/11111111"  # OB: sort code / BO: account
    assert row["trace_id"] == "RP12312312312312"
    assert "A1234BC 22/03/66" in row["reference_text"]  # PY: payer reference
    assert loaded.summary["accounts"] == ["77777777"]


def test_natwest_debits_skipped_and_wrapped_text(samples_dir):
    loaded = _load(samples_dir, "mojbai2_natwest_uk_5txn.bai2")
    assert loaded.skipped == {"debit": 4}
    [row] = _rows(loaded)
    assert (row["amount_minor"], row["currency"]) == (89, "GBP")  # 03 currency, 02 blank
    assert row["value_date"] == dt.date(2009, 12, 16)
    # The 88 that filled 80 columns is glued to the next one: "CLIE" + "NT".
    assert "INTERNATIONAL-5373 CLIENT SECCY AC TFR" in row["reference_text"]
    assert row["payment_id"].startswith("NWBKGB2L:")  # no bank reference: derived


def test_svb_two_groups_no_final_slash(samples_dir):
    loaded = _load(samples_dir, "mojbai2_svb_us_2groups_ach.bai2")
    rows = _rows(loaded)
    assert [(r["payment_id"], r["amount_minor"]) for r in rows] == [
        ("172629", 490196),
        ("150675", 905800),
    ]
    assert [r["value_date"] for r in rows] == [dt.date(2022, 2, 1), dt.date(2022, 2, 2)]
    assert {r["reference_text"] for r in rows} == {"SOME PAYMENT ACH OFFSET"}
    assert loaded.summary["groups"] == 2 and loaded.problems == []


def test_cad_multi_account(samples_dir):
    loaded = _load(samples_dir, "moov_sample1_cad_multi_account.bai2")
    rows = _rows(loaded)
    assert len(rows) == 5 and loaded.skipped == {"debit": 12}  # 17 details
    assert {r["currency"] for r in rows} == {"CAD"}
    assert sum(r["amount_minor"] for r in rows) == 320000
    assert rows[0]["reference_text"] == "TFR 1020 0345678"
    assert rows[0]["value_date"] == dt.date(2006, 3, 16)  # the V date, not the as-of date
    assert rows[0]["booking_date"] == dt.date(2006, 3, 17)
    assert loaded.summary["total_credited"] == {"CAD": "3200.00"}
    assert len({r["payment_id"] for r in rows}) == 5


def test_spec_example_funds_types(samples_dir):
    loaded = _load(samples_dir, "moov_sample2_bai_spec_example_lockbox.bai2")
    rows = _rows(loaded)
    assert [r["amount_minor"] for r in rows] == [450000, 500000, 20000000, 10000000]
    assert rows[1]["reference_text"] == "LOCK BOX NO.68751"  # after funds type S
    assert rows[2]["payment_id"] == "SP4738"  # after funds type V with a date
    assert rows[2]["value_date"] == dt.date(2004, 6, 22)
    assert rows[2]["reference_text"].startswith("PROCEEDS OF LETTER OF CREDIT")
    assert loaded.summary["groups"] == 4 and len(loaded.summary["accounts"]) == 5
    assert {r["currency"] for r in rows} == {"USD"}  # both currency fields blank


def test_several_records_per_line_and_broken_record(samples_dir):
    loaded = _load(samples_dir, "moov_sample3_multi_records_per_line.bai2")
    rows = _rows(loaded)
    assert len(rows) + loaded.skipped["debit"] == 26
    assert len(rows) == 13 and loaded.problems == []
    assert rows[1]["reference_text"] == "TRANSFER   MSPBNA BANK        PPD"  # 2nd on its line
    broken = rows[3]  # the 16 split over two lines
    assert broken["amount_minor"] == 2500
    assert broken["reference_text"].startswith("111111     ACH_SETL           1111111111111111")
    wire = next(r for r in rows if r["amount_minor"] == 13855)
    assert wire["reference_text"].endswith("FOSTER CITY       CA 94404")


def test_goldman_no_slash_wrong_trailers(samples_dir):
    with pytest.raises(LoadError) as info:
        _load(samples_dir, "moov_sample4_gs_ach_remittance_88_no_slash.bai2")
    assert (info.value.line, info.value.field) == (22, "control_total")
    loaded = _load(samples_dir, "moov_sample4_gs_ach_remittance_88_no_slash.bai2", lenient=True)
    rows = {r["payment_id"]: r for r in _rows(loaded)}
    assert len(rows) == 9 and loaded.skipped == {"debit": 8}  # 17 details
    assert any("record count 26 != 18" in p for p in loaded.problems)
    rtp = rows["GI2228400005800"]
    assert rtp["payer_name"] == "SAMPLE INC"  # DBNM:
    assert rtp["end_to_end_id"] == "RTR60880840833"  # EREF:
    assert rtp["reference_text"].endswith("Test Remittance")  # REMI:
    assert rtp["payer_account"] == "000000010/02122056789012205"  # DABA/DACT
    check = rows["SX22293073766088"]  # 175 check deposit
    assert check["check_number"] == "GS4N04L1COP45VY"
    assert rows["GI2229300000187"]["check_number"] is None  # 195 wire: not a check


def test_every_sample_sniffs(samples_dir):
    for path in sorted((samples_dir / SAMPLES).iterdir()):
        assert sniff_bai2(path.read_bytes()[:4096]), path.name


# --- corner cases ---------------------------------------------------------------------


def test_type_code_ranges():
    kinds = {code: type_code_kind(code) for code in ("010", "100", "399", "400", "699")}
    assert kinds == {"010": "status", "100": "credit", "399": "credit", "400": "debit",
                     "699": "debit"}  # fmt: skip
    assert [type_code_kind(c) for c in ("700", "890", "910", "925", "975")] == [
        "loan", "non_monetary", "status", "credit", "debit",
    ]  # fmt: skip


def test_funds_type_d_distribution_and_loan_skipped():
    data = _file(
        "16,195,1000,D,2,0,600,1,400,BREF1,CREF1,WIRE FROM ACME/",
        "16,701,50,0,,,LOAN/",
    )
    loaded = load_bai2("d.bai", data=data)
    [row] = _rows(loaded)
    assert (row["payment_id"], row["reference_text"]) == ("BREF1", "WIRE FROM ACME")
    assert loaded.skipped == {"loan": 1}


def test_duplicate_bank_references_made_unique():
    data = _file("16,165,100,0,REF,,A/", "16,165,200,0,REF,,B/")
    ids = [r["payment_id"] for r in _rows(load_bai2("dup.bai", data=data))]
    assert ids == ["REF", "REF#2"]
    assert ids == [r["payment_id"] for r in _rows(load_bai2("dup.bai", data=data))]


def test_text_with_commas_and_slash_kept():
    data = _file("16,115,5000,0,,987,INV 1/2, PART/")
    [row] = _rows(load_bai2("t.bai", data=data))
    assert row["reference_text"] == "INV 1/2, PART"
    assert row["check_number"] == "987"  # 115 lockbox deposit: customer ref is the check


def test_crlf_and_bom_and_latin1():
    data = _file("16,165,100,0,R1,,CAFÉ/").replace(b"\n", b"\r\n")
    [row] = _rows(load_bai2("bom.bai", data=b"\xef\xbb\xbf" + data))
    assert row["reference_text"] == "CAFÉ"
    [row] = _rows(load_bai2("l1.bai", data=data.decode().encode("latin-1")))
    assert row["reference_text"] == "CAFÉ"


def test_03_summary_continued_with_trailing_comma():
    lines = [
        "01,S,R,240116,0800,7,,,2/",
        "02,R,S,1,240115,2400,,/",
        "03,1,EUR,010,500,,,015,700,,,/",
        "88,100,300,1,,/",
        "16,142,300,,B1,/",
        "49,1800,4/",
        "98,1800,1,6/",
        "99,1800,1,8/",
    ]
    loaded = load_bai2("s.bai", data="\n".join(lines).encode())
    assert [(r["amount_minor"], r["currency"]) for r in _rows(loaded)] == [(300, "EUR")]


# --- bad input ------------------------------------------------------------------------


def _error(data: bytes) -> LoadError:
    with pytest.raises(LoadError) as info:
        load_bai2("bad.bai", data=data)
    return info.value


def test_wrong_account_total():
    error = _error(_file("16,165,100,0,R1,,/", account_total=99))
    assert (error.line, error.field, error.path) == (5, "control_total", "bad.bai")


def test_wrong_record_count():
    data = _file("16,165,100,0,R1,,/").replace(b"99,100,1,7/", b"99,100,1,8/")
    assert (_error(data).line, _error(data).field) == (7, "record_count")


def test_truncated_file():
    data = b"\n".join(_file("16,165,100,0,R1,,/").splitlines()[:4])
    error = _error(data)
    assert error.field == "record_code" and "truncated" in error.message


def test_unknown_record_type_and_lenient():
    data = _file("16,165,100,0,R1,,/", "77,JUNK/", "16,165,200,0,R2,,/")
    assert (_error(data).line, _error(data).field) == (5, "record_code")
    loaded = load_bai2("bad.bai", data=data, lenient=True)
    assert [r["payment_id"] for r in _rows(loaded)] == ["R1", "R2"]
    assert len(loaded.problems) == 1 and "line 5" in loaded.problems[0]


def test_bad_amount_strict_and_lenient():
    data = _file("16,165,1O0,0,R1,,/", "16,165,200,0,R2,,/", account_total=200)
    error = _error(data)
    assert (error.line, error.field) == (4, "amount")
    loaded = load_bai2("bad.bai", data=data, lenient=True)
    assert [r["payment_id"] for r in _rows(loaded)] == ["R2"]
    assert loaded.skipped == {"invalid": 1}
    assert "line 4" in loaded.problems[0] and "'amount'" in loaded.problems[0]


def test_bad_funds_type_and_date_and_currency():
    assert _error(_file("16,165,100,X,R1,,/")).field == "funds_type"
    assert _error(_file("16,165,100,V,241341,,R1,,/")).field == "value_date"
    data = _file("16,165,100,0,R1,,/").replace(b"03,12345,USD", b"03,12345,XXX")
    assert (_error(data).line, _error(data).field) == (3, "currency")


def test_not_bai2():
    assert _error(b"hello").line == 1
    assert not sniff_bai2(b":20:STATEMENT\n") and not sniff_bai2(b"")


# --- fuzzing --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_fuzz_random_bytes(data):
    for lenient in (False, True):
        with contextlib.suppress(LoadError):
            load_bai2("f.bai", data=b"01," + data, lenient=lenient)


@pytest.fixture(scope="module")
def sample_bytes(samples_dir) -> bytes:
    return (samples_dir / SAMPLES / "moov_sample2_bai_spec_example_lockbox.bai2").read_bytes()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_fuzz_mutated_sample(sample_bytes, data):
    raw = bytearray(sample_bytes)
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["set", "delete", "insert"]))
        byte = data.draw(st.sampled_from(b"0123456789,/SVDZ+- \r\n\xe9"))
        if action == "set":
            raw[pos] = byte
        elif action == "delete":
            del raw[pos]
        else:
            raw.insert(pos, byte)
    for lenient in (False, True):
        with contextlib.suppress(LoadError):
            loaded = load_bai2("m.bai", data=bytes(raw), lenient=lenient)
            assert loaded.payments.schema.equals(PAYMENTS)


# --- round trip -----------------------------------------------------------------------


def _payments() -> pa.Table:
    rows = []
    for i in range(40):
        day = dt.date(2024, 5, 1 + i % 3)
        rows.append(
            {
                "payment_id": f"BR{i:05d}",
                "amount_minor": 1 + i * 12345,
                "currency": ("USD", "CAD", "JPY")[i % 3],
                "value_date": day + dt.timedelta(days=i % 2),
                "booking_date": day,
                "payer_name": f"ACME {i} INC" if i % 4 else None,
                "payer_account": f"021000021/{10**8 + i}" if i % 5 else None,
                "reference_text": f"INV-{1000 + i} and INV/{100 + i}, thanks" if i % 6 else None,
                "end_to_end_id": f"E2E{i}" if i % 2 else None,
                "trace_id": f"T{i}" if i % 7 == 0 else None,
                "check_number": str(5000 + i) if i % 3 == 1 else None,
            }
        )
    return pa.Table.from_pylist(rows, schema=PAYMENTS)


def test_round_trip():
    table = _payments()
    buffer = io.BytesIO()
    write_bai2(table, buffer)
    loaded = load_bai2("rt.bai", data=buffer.getvalue())
    assert loaded.problems == [] and loaded.skipped == {}
    got = {r["payment_id"]: r for r in _rows(loaded)}
    assert len(got) == table.num_rows
    for want in table.to_pylist():
        row = got[want["payment_id"]]
        for name in ("amount_minor", "currency", "value_date", "booking_date", "payer_name",
                     "payer_account", "reference_text", "end_to_end_id", "trace_id",
                     "check_number"):  # fmt: skip
            assert row[name] == want[name], (want["payment_id"], name)
    assert sniff_bai2(buffer.getvalue()[:4096])


def test_writer_rejects_what_bai2_cannot_carry():
    table = _payments().slice(0, 1)
    bad = table.set_column(0, "payment_id", pa.array(["A,B"]))
    with pytest.raises(ValueError):
        write_bai2(bad, io.BytesIO())
    looks_like_end = table.set_column(6, "reference_text", pa.array(["PART/16,REST"]))
    with pytest.raises(ValueError):
        write_bai2(looks_like_end, io.BytesIO())


# --- joined 88s (fast path) against the exact reader -----------------------------------


def _state(reader) -> tuple:
    cols = vars(reader.cols)
    return (cols, reader.skipped, reader.problems, reader.file_info, reader.accounts,
            reader.credited, reader.groups)  # fmt: skip


def _same_as_exact(data: bytes, lenient: bool) -> bool:
    """True when the joined read was used; then it must equal the exact one."""
    text = bai2.decode_text("f", data)
    body = text.lstrip()
    fast = bai2._merged_read("f", text, body, lenient)
    if fast is None:
        return False
    assert _state(fast) == _state(bai2._read("f", text, body, lenient))
    return True


def test_joined_88s_read_like_the_exact_reader(samples_dir):
    buffer = io.BytesIO()
    write_bai2(_payments(), buffer)
    assert _same_as_exact(buffer.getvalue(), lenient=False)
    long_text = "88,REMI: " + "X" * 75 + "/"  # fills 80 columns: glued to the next 88
    data = _file(
        "16,175,500,0,R1,123,TEXT, WITH COMMA/",
        long_text,
        "88,CONTINUED WORD/",
        "88,OB:111111 BRANCH OB3:BANK NAME/",
        "88,BO:11111111 BO1:NAME/",
        "88,/",
        "88,  DBNM: PADDED  /",
        "16,475,700,V,240110,,R2,,/",
        "88,free text/",
    )
    assert _same_as_exact(data, lenient=False)
    assert _same_as_exact(data, lenient=True)
    for path in sorted((samples_dir / SAMPLES).iterdir()):
        for lenient in (False, True):
            _same_as_exact(path.read_bytes(), lenient)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_joined_88s_fuzzed_lines(data):
    buffer = io.BytesIO()
    write_bai2(_payments().slice(0, 8), buffer)
    lines = buffer.getvalue().split(b"\n")
    extra = [b"88,", b"88,/", b"/", b"", b"88,1,2,,/", b"88,OB:1 B OB3:N/", b"88,TEXT/",
             b"88," + b"Y" * 78 + b"/", b"16,165,5,0,R,,/", b"16,475,5,0,R,,/", b"49,0,2/",
             b"03,9,USD,,/", b"16,165,5,0,A,,/88,B/"]  # fmt: skip
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(lines) - 1))
        lines.insert(at, data.draw(st.sampled_from(extra)))
    raw = b"\n".join(lines)
    for lenient in (False, True):
        _same_as_exact(raw, lenient)

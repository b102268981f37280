"""X12 820 remittance advices: the public samples, corner cases, bad input, fuzzing, round trip."""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.formats.edi820 import write_edi820
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.edi820 import load_edi820, sniff_edi820, x12_minor
from cashmatch.loaders.errors import LoadError
from tests.loaders.fuzzing import mutate

SAMPLES = (
    "oopfactory_820_example6_2ent.edi",
    "oopfactory_820_mortgage_bankers_nm1_rmr.edi",
    "oopfactory_820_safeway_rmr_adx.edi",
    "oopfactory_820_scana_energy.edi",
    "oopfactory_820_wikipedia_3rmr.edi",
)

ISA = (
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240105*1200*U*00401"
    "*000000007*0*P*>"
)


def tx_body(
    amount: str = "100.00",
    trace: str = "TR-1",
    *,
    flag: str = "C",
    handling: str = "C",
    date: str = "20240105",
    extra_header: tuple[str, ...] = (),
    detail: tuple[str, ...] = ("ENT*1", "RMR*IV*INV-1*PI*100.00"),
    payer: str = "ACME CORP",
) -> list[str]:
    """The segments between ST and SE of one 820."""
    bpr = f"BPR*{handling}*{amount}*{flag}*ACH*CTX*01*011000015*DA*111*222**01*021000021*DA*333"
    return [
        bpr + (f"*{date}" if date else ""),
        f"TRN*1*{trace}",
        *extra_header,
        f"N1*PR*{payer}",
        "N1*PE*US INC",
        *detail,
    ]


def x12(
    *bodies: list[str],
    term: str = "~",
    after: str = "\n",
    se_counts: dict[int, int] | None = None,
    se_controls: dict[int, str] | None = None,
    ge_count: int | None = None,
    iea_control: str = "000000007",
) -> bytes:
    """A whole interchange with one ST/SE per body, counts right unless overridden."""
    segments = [ISA, "GS*RA*SENDER*RECEIVER*20240105*1200*42*X*004010"]
    for number, body in enumerate(bodies, start=1):
        control = f"{number:04d}"
        count = (se_counts or {}).get(number, len(body) + 2)
        segments += [f"ST*820*{control}", *body]
        segments.append(f"SE*{count}*{(se_controls or {}).get(number, control)}")
    segments += [f"GE*{len(bodies) if ge_count is None else ge_count}*42", f"IEA*1*{iea_control}"]
    return "".join(s + term + after for s in segments).encode("utf-8")


def load(data: bytes, **kwargs):
    return load_edi820("test.edi", data=data, **kwargs)


# --- the public samples ---------------------------------------------------------------


@pytest.fixture(scope="module")
def samples(samples_dir):
    return {name: load_edi820(str(samples_dir / "edi820" / name)) for name in SAMPLES}


def test_every_sample_is_an_advice_not_a_payment(samples, samples_dir):
    for name, loaded in samples.items():
        assert loaded.format == "edi820"
        assert loaded.payments.num_rows == 0
        assert loaded.payments.schema == PAYMENTS
        assert loaded.advices.num_rows == 1, name
        assert loaded.problems == [] and loaded.skipped == {}
        advice = loaded.advices.to_pylist()[0]
        assert advice["source_format"] == "edi820"
        assert advice["source_file"].endswith(name)
        assert sniff_edi820((samples_dir / "edi820" / name).read_bytes()[:4096])


def test_safeway_bpr_ent_rmr_adx(samples):
    loaded = samples["oopfactory_820_safeway_rmr_adx.edi"]
    advice = loaded.advices.to_pylist()[0]
    assert advice["amount_minor"] == 41609315
    assert advice["currency"] == "USD"
    assert advice["trace_id"] == "4311000190"
    assert advice["payer_name"] == "Safeway - U. S. Corporate"
    assert advice["payment_date"] == dt.date(2005, 10, 20)
    assert advice["advice_id"] == "9251750000/000025029/106/00106001"
    lines = advice["lines"]
    rmr = [line for line in lines if line["amount_paid_minor"] is not None]
    adx = [line for line in lines if line["amount_paid_minor"] is None]
    assert [line["invoice_ref"] for line in rmr] == [
        "6092392",
        "6093694",
        "6093695",
        "6093696",
        "P7340039-25PB",
        "6093692",
    ]
    assert sum(line["amount_paid_minor"] for line in rmr) == 44886276
    # Net = gross - discount on every RMR*IV that carries a discount.
    for line in rmr:
        discount = line["discount_minor"] or 0
        assert line["invoice_amount_minor"] - discount == line["amount_paid_minor"]
    assert rmr[0]["invoice_amount_minor"] == 2085111 and rmr[0]["discount_minor"] == 42077
    assert rmr[4]["discount_minor"] is None
    # The four ADX stand at ENT level (before any RMR of their ENT): lines of their own.
    assert [(a["invoice_ref"], a["adjustment_minor"], a["adjustment_reason"]) for a in adx] == [
        ("WSO_144324_05", -1367681, "ZZ"),
        ("WSO_144343_05", -1820000, "ZZ"),
        ("P7159010-17", -89280, "ZZ"),
        ("P7817948-20", 21000, "ZZ"),
    ]
    # The three credit memos reconcile the invoices to the BPR amount.
    assert (
        sum(line["amount_paid_minor"] for line in rmr) + sum(a["adjustment_minor"] for a in adx[:3])
        == advice["amount_minor"]
    )
    assert loaded.summary["total_advised"] == {"USD": "416093.15"}
    assert loaded.summary["remittance_lines"] == 10
    assert loaded.summary["payment_methods"] == {"ACH": 1}


def test_wikipedia_backslash_terminator(samples):
    loaded = samples["oopfactory_820_wikipedia_3rmr.edi"]
    advice = loaded.advices.to_pylist()[0]
    assert advice["amount_minor"] == 7777
    assert advice["trace_id"] == "0310162359"
    assert advice["payer_name"] == "WHIZCO OF AMERICA INC"
    # Its BPR has 15 elements: there is no BPR16 payment date.
    assert advice["payment_date"] is None
    assert [(x["invoice_ref"], x["amount_paid_minor"]) for x in advice["lines"]] == [
        ("1111111111111111", 1111),
        ("2222222222222222", 2222),
        ("4444444444444444", 4444),
    ]
    assert sum(x["amount_paid_minor"] for x in advice["lines"]) == advice["amount_minor"]


def test_scana_trailing_spaces_and_newline_terminator(samples):
    advice = samples["oopfactory_820_scana_energy.edi"].advices.to_pylist()[0]
    assert advice["amount_minor"] == 1000000
    assert advice["trace_id"] == "0001"
    assert advice["payer_name"] == "CUSTOMER NAME"
    assert advice["payment_date"] == dt.date(2003, 1, 1)
    assert [(x["invoice_ref"], x["amount_paid_minor"]) for x in advice["lines"]] == [
        ("5189800007544", 500000)
    ]


def test_mortgage_bankers_nm1_it1_sac_tx1(samples):
    advice = samples["oopfactory_820_mortgage_bankers_nm1_rmr.edi"].advices.to_pylist()[0]
    assert advice["amount_minor"] == 33767
    assert advice["trace_id"] == "888999"
    assert advice["payment_date"] == dt.date(1999, 1, 5)
    assert advice["payer_name"] is None  # N1*41 and N1*MH, no N1*PR
    assert [(x["invoice_ref"], x["amount_paid_minor"]) for x in advice["lines"]] == [
        ("8889444", 23600),
        ("66666789", 1016700),
    ]


def test_example6_paid_invoice_discount_and_padded_control_numbers(samples):
    advice = samples["oopfactory_820_example6_2ent.edi"].advices.to_pylist()[0]
    assert advice["amount_minor"] == 6655
    assert advice["trace_id"] == "5600516513"
    assert advice["payer_name"] == "VIJSHTA Business Incor"
    assert advice["payment_date"] == dt.date(2005, 4, 13)
    first, second = advice["lines"]
    assert (first["invoice_ref"], first["amount_paid_minor"]) == ("3151551151025500", 3625)
    assert first["invoice_amount_minor"] is None
    assert (second["amount_paid_minor"], second["invoice_amount_minor"]) == (5235, 5235)
    assert second["discount_minor"] == 0
    # ST02 "0001203" and SE02 "000001203" are the same control number.
    assert advice["advice_id"].endswith("/0001203")


# --- corner cases ----------------------------------------------------------------------


def test_amounts_in_x12_notation():
    assert x12_minor("416093.15", 2, "BPR02") == 41609315
    assert x12_minor("-12.5", 2, "ADX01") == -1250
    assert x12_minor(".5", 2, "RMR04") == 50
    assert x12_minor("10.500", 2, "RMR04") == 1050
    assert x12_minor("+7", 0, "RMR04") == 7
    assert x12_minor("0.125", 3, "RMR04") == 125


@pytest.mark.parametrize("bad", ["1.2.3", "１２", "1e5", "1.234", "+-1", ".", "-", "1,50", "12 3"])
def test_bad_x12_numbers_are_rejected(bad):
    error = error_of(x12(tx_body(detail=("ENT*1", f"RMR*IV*INV-1*PI*{bad}"))))
    assert error.field == "RMR04"


def test_several_transaction_sets_give_several_advices_with_distinct_ids():
    loaded = load(x12(tx_body("10", "T-A"), tx_body("20.5", "T-B"), tx_body(".75", "T-C")))
    advices = loaded.advices.to_pylist()
    assert [a["trace_id"] for a in advices] == ["T-A", "T-B", "T-C"]
    assert [a["amount_minor"] for a in advices] == [1000, 2050, 75]
    assert [a["advice_id"] for a in advices] == [
        "SENDER/000000007/42/0001",
        "SENDER/000000007/42/0002",
        "SENDER/000000007/42/0003",
    ]
    assert loaded.summary["total_advised"] == {"USD": "31.25"}
    assert loaded.summary["transaction_sets"] == 3
    assert loaded.summary["date_range"] == ["2024-01-05", "2024-01-05"]


def test_currency_segment_sets_the_exponent():
    jpy = load(
        x12(tx_body("1500", extra_header=("CUR*PR*JPY",), detail=("ENT*1", "RMR*IV*A*PI*1500")))
    )
    advice = jpy.advices.to_pylist()[0]
    assert advice["currency"] == "JPY" and advice["amount_minor"] == 1500
    assert advice["lines"][0]["amount_paid_minor"] == 1500
    eur = load(
        x12(tx_body("12.34", extra_header=("CUR*PR*EUR",), detail=("ENT*1", "RMR*IV*A*PI*12.34")))
    )
    assert eur.advices["currency"].to_pylist() == ["EUR"]
    assert eur.summary["total_advised"] == {"EUR": "12.34"}


def test_adx_after_rmr_adjusts_that_line_and_at_ent_level_is_a_line():
    detail = (
        "ENT*1",
        "RMR*IV*INV-1*PI*90*100",
        "REF*PO*123",
        "ADX*-6*01",
        "ADX*-4*02",
        "RMR*IV*INV-2*PI*50",
        "DTM*003*20240101",
        "ENT*2",
        "ADX*-3.5*ZZ*CM*CM-9",
        "RMR*IV*INV-3*PI*10",
        "ADX*1*11",
    )
    advice = load(x12(tx_body("146.5", detail=detail))).advices.to_pylist()[0]
    lines = {line["invoice_ref"]: line for line in advice["lines"]}
    assert list(lines) == ["INV-1", "INV-2", "CM-9", "INV-3"]
    assert (lines["INV-1"]["adjustment_minor"], lines["INV-1"]["adjustment_reason"]) == (
        -1000,
        "01,02",
    )
    assert lines["INV-2"]["adjustment_minor"] is None
    assert lines["CM-9"]["amount_paid_minor"] is None
    assert (lines["CM-9"]["adjustment_minor"], lines["CM-9"]["adjustment_reason"]) == (-350, "ZZ")
    assert (lines["INV-3"]["adjustment_minor"], lines["INV-3"]["adjustment_reason"]) == (100, "11")


def test_debits_prenotes_and_payment_only_are_counted_not_loaded():
    loaded = load(
        x12(
            tx_body("10", "DEBIT", flag="D"),
            tx_body("0", "PRENOTE", handling="P"),
            tx_body("30", "NOLINES", handling="D", detail=()),
            tx_body("40", "GOOD"),
        )
    )
    assert loaded.advices["trace_id"].to_pylist() == ["GOOD"]
    assert loaded.skipped == {"debit": 1, "prenotification": 1, "no_remittance": 1}
    assert loaded.summary["skipped"] == loaded.skipped


def test_newline_terminator_bom_and_yymmdd_date():
    text = x12(tx_body("5", date="240229"), term="", after="\r\n")
    loaded = load(b"\xef\xbb\xbf" + text)
    advice = loaded.advices.to_pylist()[0]
    assert advice["payment_date"] == dt.date(2024, 2, 29)
    assert advice["amount_minor"] == 500


def test_pretty_printed_backslash_terminator_and_single_line_file():
    pretty = x12(tx_body("7.25"), term="\\", after="\r\n    ")
    assert load(pretty).advices["amount_minor"].to_pylist() == [725]
    single = x12(tx_body("7.25"), after="")
    assert load(single).advices["amount_minor"].to_pylist() == [725]
    assert sniff_edi820(single[:200]) and sniff_edi820(pretty)


def test_latin1_payer_name():
    data = x12(tx_body(payer="SOCIÉTÉ GÉNÉRALE")).decode("utf-8").encode("latin-1")
    assert load(data).advices["payer_name"].to_pylist() == ["SOCIÉTÉ GÉNÉRALE"]


def test_utf8_payer_name():
    data = x12(tx_body(payer="Müller & Söhne"))
    assert load(data).advices["payer_name"].to_pylist() == ["Müller & Söhne"]


def test_sniff_rejects_other_formats():
    assert not sniff_edi820(b"payment_reference,invoice_number,amount_paid\n")
    assert not sniff_edi820(b"01,BANK,CUST,240101,1200,1,,,2/\n")
    po = ISA + "~GS*PO*A*B*20240101*1200*1*X*004010~ST*850*0001~"
    assert not sniff_edi820(po.encode())
    assert not sniff_edi820(b"")


def test_reload_gives_the_same_ids():
    data = x12(tx_body("1", "A"), tx_body("2", "B"))
    assert load(data).advices["advice_id"].equals(load(data).advices["advice_id"])


# --- bad input ----------------------------------------------------------------------------


def error_of(data: bytes, **kwargs) -> LoadError:
    with pytest.raises(LoadError) as info:
        load(data, **kwargs)
    return info.value


def test_bad_rmr_amount_names_segment_line_and_element():
    data = x12(tx_body(detail=("ENT*1", "RMR*IV*INV-1*PI*12.3.4")))
    error = error_of(data)
    # ISA, GS, ST, BPR, TRN, N1, N1, ENT, RMR: the 9th segment, on line 9.
    assert (error.field, error.element, error.line) == ("RMR04", "segment 9 (RMR)", 9)
    assert "12.3.4" in str(error) and "test.edi" in str(error)


def test_bad_bpr_amount_is_located_at_the_bpr():
    error = error_of(x12(tx_body("1O0.00")))
    assert (error.field, error.element, error.line) == ("BPR02", "segment 4 (BPR)", 4)


def test_too_many_decimals_for_the_currency():
    error = error_of(
        x12(tx_body("5", extra_header=("CUR*PR*JPY",), detail=("ENT*1", "RMR*IV*A*PI*5.5")))
    )
    assert error.field == "RMR04"


def test_bad_date_and_flag_and_currency():
    assert error_of(x12(tx_body(date="20241301"))).field == "BPR16"
    assert error_of(x12(tx_body(flag="X"))).field == "BPR03"
    assert error_of(x12(tx_body(extra_header=("CUR*PR*XYZ",)))).field == "CUR02"
    late = tx_body(detail=("ENT*1", "RMR*IV*A*PI*1", "CUR*PR*EUR"))
    assert error_of(x12(late)).field == "CUR"


def test_se_segment_count_mismatch():
    data = x12(tx_body(), tx_body("5"), se_counts={2: 99})
    error = error_of(data)
    assert error.field == "SE01" and "99" in error.message
    # ISA GS, ST + 6 + SE, ST BPR TRN N1 N1 ENT RMR SE: the second SE is segment 18.
    assert error.element == "segment 18 (SE)" and error.line == 18
    lenient = load(data, lenient=True)
    assert lenient.advices.num_rows == 2
    assert len(lenient.problems) == 1 and "SE01" in lenient.problems[0]


def test_control_number_mismatches():
    assert error_of(x12(tx_body(), se_controls={1: "0002"})).field == "SE02"
    assert error_of(x12(tx_body(), ge_count=3)).field == "GE01"
    assert error_of(x12(tx_body(), iea_control="000000008")).field == "IEA02"
    lenient = load(x12(tx_body(), ge_count=3, iea_control="8"), lenient=True)
    assert lenient.advices.num_rows == 1
    assert [p.split("field ")[1][:6] for p in lenient.problems] == ["'GE01'", "'IEA02"]


def test_unknown_segment_rejected_and_skipped_leniently():
    data = x12(tx_body(detail=("ENT*1", "ZZZ*1", "RMR*IV*A*PI*1")), tx_body("2", "OK"))
    error = error_of(data)
    assert (error.field, error.element) == ("ZZZ", "segment 9 (ZZZ)")
    lenient = load(data, lenient=True)
    assert lenient.advices["trace_id"].to_pylist() == ["OK"]
    assert lenient.skipped == {"invalid": 1}
    assert len(lenient.problems) == 1 and "ZZZ" in lenient.problems[0]


def test_truncated_file():
    data = x12(tx_body(), tx_body("5", "SECOND"))
    cut = data[: data.index(b"RMR", data.index(b"SECOND"))]
    error = error_of(cut)
    assert error.field == "SE" and "truncated" in error.message
    lenient = load(cut, lenient=True)
    assert lenient.advices["trace_id"].to_pylist() == ["TR-1"]
    assert lenient.skipped == {"invalid": 1}
    assert len(lenient.problems) == 3  # no SE, no GE, no IEA


def test_structure_errors():
    assert error_of(b"").field == "ISA"
    assert error_of(b"hello world").field == "ISA"
    assert error_of(ISA[:60].encode()).field == "ISA16"
    not_820 = x12(tx_body()).replace(b"ST*820", b"ST*850")
    assert error_of(not_820).field == "ST01"
    outside = x12(tx_body()).replace(b"GS*RA", b"RMR*IV*X*PI*1~\nGS*RA")
    assert error_of(outside).field == "RMR"
    no_bpr = x12(tx_body()[1:])
    assert error_of(no_bpr).field == "BPR"
    duplicate = x12(tx_body(), tx_body(), se_controls={2: "0001"}).replace(
        b"ST*820*0002", b"ST*820*0001"
    )
    assert error_of(duplicate).field == "ST02"


def test_lenient_keeps_good_sets_around_a_bad_one():
    data = x12(tx_body("1", "A"), tx_body("x", "B"), tx_body("3", "C"))
    lenient = load(data, lenient=True)
    assert lenient.advices["trace_id"].to_pylist() == ["A", "C"]
    assert lenient.skipped == {"invalid": 1}
    assert "BPR02" in lenient.problems[0]
    with pytest.raises(LoadError):
        load(data)


def test_missing_file():
    with pytest.raises(LoadError, match="cannot read"):
        load_edi820("/nonexistent/dir/file.edi")


# --- fuzzing ---------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_fuzz_random_bytes(data):
    # Bare, and behind a valid ISA so that the segment reader sees the bytes too.
    for raw in (data, ISA.encode() + b"~" + data):
        for lenient in (False, True):
            with contextlib.suppress(LoadError):
                load(raw, lenient=lenient)
        sniff_edi820(raw)


@pytest.fixture(scope="module")
def sample_bytes(samples_dir):
    return [(samples_dir / "edi820" / name).read_bytes() for name in SAMPLES]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_fuzz_mutated_sample(sample_bytes, data):
    source = data.draw(st.sampled_from(sample_bytes))
    raw = mutate(data, source, b"*~\\:>0123456789.-ABCRST \r\n\xff", max_edits=8)
    for lenient in (False, True):
        try:
            loaded = load(raw, lenient=lenient)
        except LoadError:
            continue
        assert loaded.payments.num_rows == 0
        for amount in loaded.advices["amount_minor"].to_pylist():
            assert isinstance(amount, int)


# --- round trip through the writer ---------------------------------------------------------


def _payments() -> pa.Table:
    rows = [
        {
            "payment_id": "P-1",
            "amount_minor": 41609315,
            "currency": "USD",
            "value_date": dt.date(2024, 3, 1),
            "payer_name": "Safeway Inc",
            "trace_id": "TRACE-1",
            "remittance": [
                {
                    "invoice_ref": "INV-1",
                    "amount_paid_minor": 2043034,
                    "invoice_amount_minor": 2085111,
                    "discount_minor": 42077,
                },
                {
                    "invoice_ref": "INV-2",
                    "amount_paid_minor": 100,
                    "adjustment_minor": -50,
                    "adjustment_reason": "01",
                },
                {"invoice_ref": "CM-7", "adjustment_minor": -1367681, "adjustment_reason": "ZZ"},
            ],
        },
        {
            "payment_id": "P-2",
            "amount_minor": 1500,
            "currency": "JPY",
            "value_date": dt.date(2024, 3, 2),
            "payer_name": "Tanaka KK",
            "end_to_end_id": "E2E-2",
            "remittance": [{"invoice_ref": "J-1", "amount_paid_minor": 1500}],
        },
        {
            "payment_id": "P-3",
            "amount_minor": 5,
            "currency": "KWD",
            "value_date": dt.date(2024, 3, 3),
            "payer_name": None,
            "remittance": [{"invoice_ref": "K-1", "amount_paid_minor": -5}],
        },
    ]
    return pa.Table.from_pylist(rows, schema=PAYMENTS)


@pytest.mark.parametrize(("term", "newline"), [("~", False), ("\\", True), ("'", True)])
def test_round_trip(term, newline):
    payments = _payments()
    buffer = io.BytesIO()
    write_edi820(payments, buffer, terminator=term, newline=newline)
    assert sniff_edi820(buffer.getvalue()[:4096])
    loaded = load(buffer.getvalue())
    assert loaded.problems == [] and loaded.skipped == {}
    advices = loaded.advices.to_pylist()
    assert [a["trace_id"] for a in advices] == ["TRACE-1", "E2E-2", "P-3"]
    assert [a["amount_minor"] for a in advices] == payments["amount_minor"].to_pylist()
    assert [a["currency"] for a in advices] == payments["currency"].to_pylist()
    assert [a["payment_date"] for a in advices] == payments["value_date"].to_pylist()
    assert [a["payer_name"] for a in advices] == payments["payer_name"].to_pylist()
    expected = payments["remittance"].to_pylist()
    # The writer puts ENT-level adjustments first; compare as sets of lines.
    for advice, lines in zip(advices, expected, strict=True):
        key = lambda line: line["invoice_ref"]  # noqa: E731
        assert sorted(advice["lines"], key=key) == sorted(lines, key=key)


def test_round_trip_of_advices_table():
    advices = load(x12(tx_body("1", "A"), tx_body("2.5", "B"))).advices
    buffer = io.BytesIO()
    write_edi820(advices, buffer)
    again = load(buffer.getvalue()).advices
    for column in ("trace_id", "amount_minor", "currency", "payment_date", "payer_name", "lines"):
        assert again[column].equals(advices[column]), column


@pytest.mark.parametrize("module", ["cashmatch.loaders.edi820", "bench.formats.edi820"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0

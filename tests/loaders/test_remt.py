"""remt.001 loader: the public header-only sample, handwritten advices, bad input."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashmatch.engine.schemas import PAYMENTS, REMITTANCE_ADVICES
from cashmatch.loaders.camt import sniff_camt053
from cashmatch.loaders.errors import LoadError
from cashmatch.loaders.remt import load_remt001, sniff_remt001

NS = "urn:iso:std:iso:20022:tech:xsd:remt.001.001.04"

ADVICE = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{NS}">
<RmtAdvc>
<GrpHdr><MsgId>RA-7</MsgId><CreDtTm>2024-05-02T10:00:00</CreDtTm>
<InitgPty><Nm>Acme</Nm></InitgPty></GrpHdr>
<RmtInf>
<RmtId>ADV-1</RmtId>
<Strd><RfrdDocInf><Nb>INV-100</Nb></RfrdDocInf>
<RfrdDocAmt><DuePyblAmt Ccy="EUR">120.00</DuePyblAmt>
<DscntApldAmt><Amt Ccy="EUR">2.40</Amt></DscntApldAmt><RmtdAmt Ccy="EUR">117.60</RmtdAmt>
</RfrdDocAmt></Strd>
<Strd><RfrdDocInf><Nb>CN-5</Nb></RfrdDocInf>
<RfrdDocAmt><CdtNoteAmt Ccy="EUR">17.60</CdtNoteAmt></RfrdDocAmt></Strd>
<OrgnlPmtInf><Refs><InstrId>I-1</InstrId><EndToEndId>E2E-1</EndToEndId></Refs>
<Amt><InstdAmt Ccy="EUR">100.00</InstdAmt></Amt><ReqdExctnDt><Dt>2024-05-03</Dt></ReqdExctnDt>
<Dbtr><Nm>Globex GmbH</Nm></Dbtr></OrgnlPmtInf>
</RmtInf>
<RmtInf>
<Ustrd>Invoices 4711 and 4712</Ustrd>
<OrgnlPmtInf><Refs><EndToEndId>NOTPROVIDED</EndToEndId><TxId>T-2</TxId></Refs></OrgnlPmtInf>
</RmtInf>
</RmtAdvc>
</Document>
"""


def test_header_only_sample_is_an_empty_advice_file(samples_dir):
    path = samples_dir / "remt001" / "moov_remt001_v04_header_only.xml"
    assert sniff_remt001(path.read_bytes()[:4096])
    assert not sniff_camt053(path.read_bytes()[:4096])
    loaded = load_remt001(str(path))
    assert loaded.format == "remt.001"
    assert loaded.advices.num_rows == 0 and loaded.advices.schema == REMITTANCE_ADVICES
    assert loaded.payments.num_rows == 0 and loaded.payments.schema == PAYMENTS
    assert loaded.summary["message_id"] == "MsgId" and loaded.summary["advices"] == 0


def test_advices_with_structured_lines():
    loaded = load_remt001("ra.xml", data=ADVICE.encode())
    first, second = loaded.advices.to_pylist()
    assert first["advice_id"] == "ADV-1"
    assert (first["amount_minor"], first["currency"]) == (10_000, "EUR")
    assert first["payment_date"] == dt.date(2024, 5, 3)
    assert first["payer_name"] == "Globex GmbH"
    assert (first["end_to_end_id"], first["trace_id"]) == ("E2E-1", "I-1")
    assert [(x["invoice_ref"], x["amount_paid_minor"]) for x in first["lines"]] == [
        ("INV-100", 11_760),
        ("CN-5", -1_760),
    ]
    assert first["lines"][0]["invoice_amount_minor"] == 12_000
    assert first["lines"][0]["discount_minor"] == 240
    assert second["advice_id"] == "RA-7#2"
    assert second["end_to_end_id"] is None and second["trace_id"] == "T-2"
    assert [x["invoice_ref"] for x in second["lines"]] == ["Invoices 4711 and 4712"]
    assert loaded.summary["total_advised"] == {"EUR": "100.00"}
    assert {a["source_format"] for a in loaded.advices.to_pylist()} == {"remt.001"}


def test_bad_amount_names_the_element():
    bad = ADVICE.replace(">117.60<", ">117,60<")
    with pytest.raises(LoadError) as error:
        load_remt001("ra.xml", data=bad.encode())
    assert error.value.element == "/Document/RmtAdvc/RmtInf[1]/Strd[1]/RfrdDocAmt/RmtdAmt"
    assert error.value.field == "Amt" and error.value.line == 10
    lenient = load_remt001("ra.xml", data=bad.encode(), lenient=True)
    assert lenient.advices.num_rows == 1 and len(lenient.problems) == 1


def test_wrong_message_and_truncation():
    with pytest.raises(LoadError, match=r"not a remt\.001 message"):
        load_remt001("x.xml", data=ADVICE.replace("remt.001.001.04", "camt.053.001.08").encode())
    with pytest.raises(LoadError) as error:
        load_remt001("x.xml", data=ADVICE.encode()[:300])
    assert error.value.line is not None
    with pytest.raises(LoadError, match="DOCTYPE"):
        load_remt001(
            "x.xml", data=ADVICE.replace("<Document", "<!DOCTYPE Document>\n<Document", 1).encode()
        )


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fuzz_mutated_advice(data):
    base = bytearray(ADVICE.encode())
    for _ in range(data.draw(st.integers(1, 5))):
        base[data.draw(st.integers(0, len(base) - 1))] = data.draw(
            st.sampled_from(list(b'<>/&;"0.9A \x00\xff'))
        )
    with contextlib.suppress(LoadError):
        load_remt001("fuzz.xml", data=bytes(base), lenient=data.draw(st.booleans()))

"""The camt fast path against the lxml reader: the same result, or it declines; never another."""

from __future__ import annotations

import datetime as dt
import io

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.formats.camt import write_camt053
from bench.test_bench_load_camt import generate_payments
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders import camt
from cashmatch.loaders.errors import LoadError
from tests.loaders.fuzzing import mutate
from tests.loaders.test_camt import _FUZZ_BASE, _payments, doc, ntry, tx

# The public samples that are plain enough for the fast path: all of them today.
# A change that makes one fall back shows here (the comparisons would still pass).
SAMPLES_TAKEN = [
    "camt053/genkgo_camt053_v02_multi_statement.xml",
    "camt053/genkgo_camt053_v08_strd_cdtrref.xml",
    "camt053/moov_finland_camt053_v02_sample_scor_rfrddoc.xml",
    "camt053/moov_postfinance_camt053_v04_5entries.xml",
    "camt053/moov_statement_1_camt053_v02_ustrd.xml",
    "camt054/genkgo_camt054_v04_batch_3tx.xml",
    "camt054/genkgo_camt054_v08_batch_3tx.xml",
    "camt054/moov_finland_camt054_v02_sample_rfrddoc.xml",
    "camt054/moov_postfinance_camt054_v04_6tx_strd_ustrd.xml",
    "camt054/moov_postfinance_camt054_v04_esr_6tx.xml",
    "camt054/moov_postfinance_camt054_v04_qrr_2tx.xml",
]


def lxml_result(data: bytes, lenient: bool = False, expect: str | None = None):
    """What the loader gave before the fast path: the lxml reader's result, or its LoadError."""
    try:
        return camt._load_lxml("f.xml", data, lenient, expect)
    except LoadError as error:
        return error


def assert_same(fast, reference) -> None:
    assert fast.format == reference.format
    fast.payments.validate(full=True)
    assert fast.payments.schema == PAYMENTS
    assert fast.payments.equals(reference.payments)
    assert fast.advices.equals(reference.advices)
    assert fast.skipped == reference.skipped
    assert list(fast.skipped) == list(reference.skipped)
    assert fast.problems == reference.problems == []
    assert fast.summary == reference.summary


def check(data: bytes, *, taken: bool | None = None, expect: str | None = None):
    """The fast path on ``data`` declines or equals the reader (strict and lenient).

    Args:
        taken: True to insist that the fast path reads it, False that it declines.
    """
    fast = camt._load_fast("f.xml", data, expect)
    if taken is not None:
        assert (fast is not None) == taken
    for lenient in (False, True):
        reference = lxml_result(data, lenient, expect)
        if isinstance(reference, LoadError) or reference.problems:
            # A file the reader rejects, or reads with problems, is never the fast path's.
            assert fast is None, reference
        elif fast is not None:
            assert_same(fast, reference)
    return fast


# -- files the fast path must take -----------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES_TAKEN)
def test_public_samples(samples_dir, name):
    check((samples_dir / name).read_bytes(), taken=True)


def test_every_sample_is_checked(samples_dir):
    found = {f"{p.parent.name}/{p.name}" for p in samples_dir.glob("camt05[34]/*.xml")}
    assert found == set(SAMPLES_TAKEN)


def test_samples_read_from_a_file(samples_dir):
    """The memory-mapped file gives what the bytes give."""
    path = samples_dir / SAMPLES_TAKEN[2]
    fast = camt._load_fast(str(path), None, None)
    assert fast is not None
    assert_same(fast, camt._load_lxml(str(path), None, False, None))


def test_load_camt_takes_the_fast_path_from_its_size_on(samples_dir, monkeypatch):
    path = str(samples_dir / SAMPLES_TAKEN[2])
    calls = []
    real = camt._load_fast

    def spy(*args):
        calls.append(args[0])
        return real(*args)

    monkeypatch.setattr(camt, "_load_fast", spy)
    small = camt.load_camt(path)
    assert calls == [], "a small file goes straight to the lxml reader"
    monkeypatch.setattr(camt, "FAST_PATH_MIN_BYTES", 0)
    assert_same(camt.load_camt(path), small)
    assert calls == [path]


@pytest.mark.parametrize(("seed", "batch_size"), [(1, 1), (2, 3), (3, 7), (4, 1)])
def test_bench_statements(seed, batch_size):
    buffer = io.BytesIO()
    write_camt053(generate_payments(300, seed=seed), buffer, batch_size=batch_size)
    fast = check(buffer.getvalue(), taken=True)
    assert fast.payments.num_rows == 300


@pytest.mark.parametrize("batch_size", [1, 2, 3])
def test_writer_corner_cases(batch_size):
    """Several currencies, exponents 0 and 3, credit notes, discounts, adjustments, long text."""
    buffer = io.BytesIO()
    write_camt053(_payments(), buffer, batch_size=batch_size)
    fast = check(buffer.getvalue(), taken=True)
    assert fast.payments.num_rows == 4


def test_large_batch_spans_chunks(monkeypatch):
    """An entry longer than a scan chunk, and more events than the first buffer holds."""
    from cashmatch.loaders import camt_scan

    monkeypatch.setattr(camt_scan, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(camt_scan, "_CHUNK_EVENTS", 64)
    buffer = io.BytesIO()
    write_camt053(generate_payments(500, seed=9), buffer, batch_size=200)
    fast = check(buffer.getvalue(), taken=True)
    assert fast.payments.num_rows == 500


# -- handwritten documents: what the reader does, element by element ---------------------


def _ustrd(*lines: str) -> str:
    return "<RmtInf>" + "".join(f"<Ustrd>{line}</Ustrd>" for line in lines) + "</RmtInf>"


STRD_V08 = (
    "<RmtInf><Strd><RfrdDocInf><Nb>INV-1</Nb></RfrdDocInf><RfrdDocInf><Nb> </Nb></RfrdDocInf>"
    '<RfrdDocAmt><DuePyblAmt Ccy="EUR">100.00</DuePyblAmt>'
    '<DscntApldAmt><Tp><Cd>DISC</Cd></Tp><Amt Ccy="EUR">2.00</Amt></DscntApldAmt>'
    '<DscntApldAmt><Amt Ccy="USD">9.00</Amt></DscntApldAmt>'
    '<AdjstmntAmtAndRsn><Amt Ccy="EUR">3.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
    "<Rsn>FEE</Rsn></AdjstmntAmtAndRsn>"
    '<AdjstmntAmtAndRsn><Amt Ccy="EUR">1.00</Amt><AddtlInf>later</AddtlInf></AdjstmntAmtAndRsn>'
    '<RmtdAmt Ccy="EUR">95.00</RmtdAmt></RfrdDocAmt>'
    "<CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd>"
    '<Strd><RfrdDocAmt><CdtNoteAmt Ccy="EUR">5.00</CdtNoteAmt></RfrdDocAmt></Strd>'
    "<Strd><AddtlRmtInf>only text</AddtlRmtInf></Strd>"
    '<Strd><RfrdDocAmt><DscntApldAmt Ccy="EUR">1.50</DscntApldAmt></RfrdDocAmt></Strd>'
    "<Strd><CdtrRefInf><Ref>  </Ref></CdtrRefInf>"
    '<RfrdDocAmt><RmtdAmt Ccy="USD">1.00</RmtdAmt></RfrdDocAmt></Strd>'
    "</RmtInf>"
)

DOCUMENTS = {
    "plain": doc(ntry(txs=tx(ref="T1", body=_ustrd("Invoice 1", "  ", "and 2")))),
    "no details": doc(ntry(extra="<AddtlNtryInf>entry text</AddtlNtryInf>")),
    "statuses": doc(
        ntry(sts="<Sts>PDNG</Sts>", ref="A")
        + ntry(sts="<Sts><Prtry>BOOK</Prtry></Sts>", ref="B")
        + ntry(sts="<Sts> </Sts>", ref="C")
        + ntry(sts="", ref="D")
        + ntry(extra="<RvslInd>true</RvslInd>", ref="E")
        + ntry(extra="<RvslInd>0</RvslInd>", ref="F")
        + ntry(cdi="DBIT", ref="G", txs=tx(ref="G1") + tx(ref="G2"))
    ),
    "batch": doc(
        ntry(
            "10.00",
            ref="N",
            txs=tx("4.00", ref="N1")
            + tx("6.00", body="<AmtDtls><TxAmt><Amt Ccy='EUR'>6.00</Amt></TxAmt></AmtDtls>")
            + tx("1.00", body="<CdtDbtInd>DBIT</CdtDbtInd>")
            + tx("1.00", body="<RtrInf><Rsn><Cd>AC01</Cd></Rsn></RtrInf>"),
        )
    ),
    "batch in two currencies": doc(
        ntry("10.00", txs=tx("4.00", ref="X1") + tx("6.00", ref="X2", ccy="USD"))
    ),
    "ids": doc(
        ntry(ref=None, txs=tx(e2e="E-1"))
        + ntry(ref=None, txs=tx(e2e="NOTPROVIDED"))
        + ntry(ref="SAME")
        + ntry(ref="SAME")
        + ntry(ref=None, extra="<NtryRef>NR-1</NtryRef>")
        + ntry(ref=" ", txs=tx(body="<Refs><TxId>T</TxId><UETR>U</UETR></Refs>"))
    ),
    "ids without statement or message": doc(ntry(ref=None) + ntry(ref=None))
    .replace(b"<MsgId>MSG-1</MsgId>", b"")
    .replace(b"<Id>STMT-1</Id>", b""),
    "dates": doc(
        ntry(ref="A", dates="<BookgDt><DtTm>2024-05-02T10:00:00+02:00</DtTm></BookgDt>")
        + ntry(ref="B", dates="<ValDt><Dt> 2024-02-29</Dt></ValDt>")
    ),
    "payers": doc(
        ntry(
            txs=tx(
                ref="P1",
                body="<RltdPties><Dbtr><Pty><Nm>Acme &amp; Co</Nm></Pty></Dbtr>"
                "<DbtrAcct><Id><Othr><Id>ACC-7</Id></Othr></Id></DbtrAcct></RltdPties>"
                "<AddtlTxInf>tx text</AddtlTxInf>",
            )
        )
        + ntry(
            ref="P2",
            txs=tx(
                body="<RltdPties><Dbtr><Nm> </Nm></Dbtr><UltmtDbtr><Nm>Ultimate</Nm></UltmtDbtr>"
                "</RltdPties><Refs><ChqNb>000123</ChqNb><InstrId>I-1</InstrId></Refs>"
            ),
        )
    ),
    "structured": doc(ntry("100.00", txs=tx(ref="S1", body=STRD_V08))),
    "text with references": doc(
        ntry(
            txs=tx(
                ref="R&#x31;",
                body=_ustrd("caf&#233; &lt;b&gt; &#x1F600;", "&#160;&#32;", "a\r\nb\rc\u00a0"),
            )
        )
    ),
    "summary": doc(
        ntry("1.00", ref="A") + ntry("2.00", cdi="DBIT", ref="B"),
        summary="<TxsSummry><TtlNtries><NbOfNtries>2</NbOfNtries><Sum>3.00</Sum></TtlNtries>"
        "<TtlCdtNtries><NbOfNtries> 1 </NbOfNtries><Sum>1</Sum></TtlCdtNtries>"
        "<TtlDbtNtries><NbOfNtries>x</NbOfNtries><Sum></Sum></TtlDbtNtries></TxsSummry>",
    ),
    "namespaces": (
        b'<?xml version="1.0"?>\n'
        b'<c:Document xmlns:c="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04"'
        b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="a b">'
        b"<c:BkToCstmrStmt><c:GrpHdr><c:MsgId>M</c:MsgId></c:GrpHdr><c:Stmt><c:Id>S</c:Id>"
        b'<c:Ntry><c:Amt Ccy="CHF">1.5</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd>'
        b"<c:ValDt><c:Dt>2024-01-02</c:Dt></c:ValDt>"
        b"</c:Ntry></c:Stmt></c:BkToCstmrStmt></c:Document>"
    ),
    "camt.054": doc(ntry(txs=tx(ref="N1")), kind="054"),
    "comments": doc(ntry(txs=tx(ref="C1")))
    .replace(b"<Ntry>", b"<!-- an entry - or two? --><Ntry>", 1)
    .replace(b"<BookgDt>", b"<BookgDt><!-- here -->", 1),
    "bom and crlf": b"\xef\xbb\xbf" + doc(ntry(txs=tx(ref="B1"))).replace(b"\n", b"\r\n"),
    "empty statement": doc(""),
    "self-closing": doc(ntry(txs=tx(ref="SC", body="<AddtlTxInf/><RmtInf/>"))),
}


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_handwritten_documents(name):
    """All plain enough to be taken: each must equal the reader's result."""
    check(DOCUMENTS[name], taken=True)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"<html><body>hi</body></html>", id="not camt"),
        pytest.param(
            doc(ntry()).replace(b"<Document", b"<!DOCTYPE Document>\n<Document"), id="dtd"
        ),
        pytest.param(doc(ntry()).replace(b"UTF-8", b"ISO-8859-1"), id="latin-1 declared"),
        pytest.param(doc(ntry()).replace(b"ACCT-1", b"\xe9"), id="latin-1 bytes"),
        pytest.param(doc(ntry(txs=tx(ref="<![CDATA[x]]>"))), id="cdata"),
        pytest.param(doc(ntry(txs=tx(ref="&nbsp;"))), id="unknown entity"),
        pytest.param(doc(ntry()).replace(b"<Ntry>", b"<?pi x?><Ntry>"), id="pi"),
        pytest.param(doc(ntry("1.234")), id="too many decimals"),
        pytest.param(doc(ntry("5.00", "XXX")), id="unknown currency"),
        pytest.param(doc(ntry("5.00", "")), id="no currency"),
        pytest.param(doc(ntry(cdi="CRED")), id="bad direction"),
        pytest.param(doc(ntry(dates="<BookgDt><Dt>2024-02-30</Dt></BookgDt>")), id="bad date"),
        pytest.param(doc(ntry(dates="")), id="no date"),
        pytest.param(doc(ntry("10.00", txs=tx("4.00") + tx("5.00"))), id="batch sum"),
        pytest.param(
            doc(
                ntry(),
                summary="<TxsSummry><TtlNtries><NbOfNtries>2</NbOfNtries></TtlNtries></TxsSummry>",
            ),
            id="summary count",
        ),
        pytest.param(doc(ntry()).replace(b"</Ntry>", b"</Ntryx>"), id="mismatched tag"),
        pytest.param(doc(ntry())[:-40], id="truncated"),
        pytest.param(doc(ntry()).replace(b"<Ntry>", b"<Other><Ntry>", 1), id="ntry misplaced"),
        pytest.param(doc(ntry(), kind="054"), id="wrong kind"),
        pytest.param(
            doc(ntry(), xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08"), id="wrong ns"
        ),
        pytest.param(
            doc(ntry(ref="A") + ntry(ref="B")).replace(b"</Amt>", b"</Amt><Amt/>", 1),
            id="repeated amount",
        ),
        pytest.param(
            DOCUMENTS["namespaces"].replace(b"<c:CdtDbtInd>", b"<Amt>x</Amt><c:CdtDbtInd>"),
            id="element in no namespace",
        ),
        pytest.param(doc(ntry()).replace(b"<Ntry>", b"<!-- a -- b --><Ntry>"), id="bad comment"),
        pytest.param(doc(ntry(ref="A]]>")), id="cdata end in text"),
        pytest.param(doc(ntry()).replace(b"<Amt ", b"<Amt xmlns:p='u' "), id="nested xmlns"),
    ],
)
def test_declines_what_it_must(data):
    """Errors, encodings, DTDs, CDATA, repeats: the reader's (expect is camt.053 for one)."""
    check(data, taken=False, expect="camt.053" if b"camt.054" in data else None)


# -- mutations -------------------------------------------------------------------------------

_ALPHABET = b'<>/&;#x"= \n\r\t.-0123456789:ADENTXabz\x00\x80\xc3\xa9\xff'
_SAMPLE_BASES = [
    _FUZZ_BASE,
    DOCUMENTS["structured"],
    DOCUMENTS["text with references"],
    DOCUMENTS["statuses"],
    DOCUMENTS["namespaces"],
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_mutated_documents(data):
    base = data.draw(st.sampled_from(_SAMPLE_BASES))
    check(mutate(data, base, _ALPHABET))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_mutated_samples(samples_dir, data):
    name = data.draw(st.sampled_from(SAMPLES_TAKEN))
    check(mutate(data, (samples_dir / name).read_bytes(), _ALPHABET, max_edits=4))


def test_declined_files_still_load(tmp_path):
    """A declined file goes to the reader: load_camt053 gives its result."""
    data = doc(ntry(txs=tx(ref="<![CDATA[x]]>")))
    assert camt._load_fast("c.xml", data, None) is None
    loaded = camt.load_camt053("c.xml", data=data)
    assert loaded.payments.column("payment_id").to_pylist() == ["x"]


def test_source_columns_and_dates():
    buffer = io.BytesIO()
    write_camt053(generate_payments(3, seed=1), buffer)
    fast = camt._load_fast("dir/s.xml", buffer.getvalue(), None)
    assert fast.payments.column("source_file").to_pylist() == ["dir/s.xml"] * 3
    assert fast.payments.column("source_format").to_pylist() == ["camt.053"] * 3
    assert fast.payments.column("value_date").to_pylist()[0] == dt.date(2024, 3, 1)
    assert pa.types.is_date32(fast.payments.schema.field("booking_date").type)

"""camt.053 / camt.054 loader: public samples, handwritten corner cases, bad input, fuzzing."""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.formats.camt import write_camt053
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders import camt
from cashmatch.loaders.camt import (
    load_camt,
    load_camt053,
    load_camt054,
    sniff_camt053,
    sniff_camt054,
)
from cashmatch.loaders.errors import LoadError

# -- helpers ---------------------------------------------------------------------


def rows(loaded) -> list[dict]:
    return loaded.payments.to_pylist()


def by_id(loaded) -> dict[str, dict]:
    return {r["payment_id"]: r for r in rows(loaded)}


def refs(row) -> list[str | None]:
    return [line["invoice_ref"] for line in row["remittance"]]


def total(loaded, currency: str) -> int:
    return sum(r["amount_minor"] for r in rows(loaded) if r["currency"] == currency)


def sample(samples_dir, name: str) -> bytes:
    folder = "camt053" if "camt053" in name else "camt054"
    return (samples_dir / folder / name).read_bytes()


def doc(
    entries: str,
    *,
    version: str = "08",
    kind: str = "053",
    summary: str = "",
    header: str = "",
    xmlns: str | None = None,
    declaration: str = '<?xml version="1.0" encoding="UTF-8"?>',
) -> bytes:
    """A minimal camt document around handwritten ``Ntry`` elements."""
    container, report = (
        ("BkToCstmrStmt", "Stmt") if kind == "053" else ("BkToCstmrDbtCdtNtfctn", "Ntfctn")
    )
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.{kind}.001.{version}" if xmlns is None else xmlns
    attr = f' xmlns="{ns}"' if ns else ""
    return (
        f"{declaration}\n<Document{attr}>\n<{container}>\n"
        "<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2024-05-02T06:00:00</CreDtTm></GrpHdr>\n"
        f"<{report}>\n<Id>STMT-1</Id>\n"
        "<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
        f"{header}{summary}{entries}</{report}>\n</{container}>\n</Document>\n"
    ).encode()


def ntry(
    amount: str = "100.00",
    ccy: str = "EUR",
    *,
    cdi: str = "CRDT",
    sts: str = "<Sts><Cd>BOOK</Cd></Sts>",
    ref: str | None = "ACCT-1",
    txs: str = "",
    extra: str = "",
    dates: str = "<BookgDt><Dt>2024-05-02</Dt></BookgDt><ValDt><Dt>2024-05-03</Dt></ValDt>",
) -> str:
    ccy_attr = f' Ccy="{ccy}"' if ccy else ""
    acct = f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else ""
    details = f"<NtryDtls>{txs}</NtryDtls>" if txs else ""
    return (
        f"<Ntry>\n<Amt{ccy_attr}>{amount}</Amt>\n<CdtDbtInd>{cdi}</CdtDbtInd>\n{extra}{sts}\n"
        f"{dates}\n{acct}\n{details}\n</Ntry>\n"
    )


def tx(
    amount: str | None = None,
    *,
    ref: str | None = None,
    e2e: str | None = None,
    body: str = "",
    ccy: str = "EUR",
) -> str:
    refs_ = ""
    if ref or e2e:
        refs_ = "<Refs>"
        refs_ += f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else ""
        refs_ += f"<EndToEndId>{e2e}</EndToEndId>" if e2e else ""
        refs_ += "</Refs>"
    amt = f'<Amt Ccy="{ccy}">{amount}</Amt>' if amount is not None else ""
    return f"<TxDtls>{refs_}{amt}{body}</TxDtls>"


# -- sniffing ----------------------------------------------------------------------

CAMT053_SAMPLES = [
    "moov_finland_camt053_v02_sample_scor_rfrddoc.xml",
    "moov_postfinance_camt053_v04_5entries.xml",
    "moov_statement_1_camt053_v02_ustrd.xml",
    "genkgo_camt053_v08_strd_cdtrref.xml",
    "genkgo_camt053_v02_multi_statement.xml",
]
CAMT054_SAMPLES = [
    "moov_postfinance_camt054_v04_esr_6tx.xml",
    "moov_postfinance_camt054_v04_6tx_strd_ustrd.xml",
    "moov_postfinance_camt054_v04_qrr_2tx.xml",
    "moov_finland_camt054_v02_sample_rfrddoc.xml",
    "genkgo_camt054_v04_batch_3tx.xml",
    "genkgo_camt054_v08_batch_3tx.xml",
]


@pytest.mark.parametrize("name", CAMT053_SAMPLES)
def test_sniff_camt053_samples(samples_dir, name):
    head = (samples_dir / "camt053" / name).read_bytes()[:4096]
    assert sniff_camt053(head) and not sniff_camt054(head)


@pytest.mark.parametrize("name", CAMT054_SAMPLES)
def test_sniff_camt054_samples(samples_dir, name):
    head = (samples_dir / "camt054" / name).read_bytes()[:4096]
    assert sniff_camt054(head) and not sniff_camt053(head)


def test_sniff_rejects_other_formats(samples_dir):
    remt = (samples_dir / "remt001" / "moov_remt001_v04_header_only.xml").read_bytes()
    assert not sniff_camt053(remt) and not sniff_camt054(remt)
    assert not sniff_camt053(b":20:STATEMENT\r\n:25:12345\r\n:28C:1/1\r\n")
    assert not sniff_camt053(b"01,BANK,CUST,240101,0600,1,,,2/\n")
    assert not sniff_camt053(b"")
    # Without a namespace the container element decides; with a prefix too.
    assert sniff_camt053(b"<Document><BkToCstmrStmt><GrpHdr>")
    assert sniff_camt054(b"\xef\xbb\xbf<a:Document><a:BkToCstmrDbtCdtNtfctn>")


# -- public samples ------------------------------------------------------------------


def test_finland_camt053_credits(samples_dir):
    data = sample(samples_dir, "moov_finland_camt053_v02_sample_scor_rfrddoc.xml")
    assert data.count(b"<Ntry>") == 10 and data.count(b"<TxDtls>") == 12
    loaded = load_camt053("fi.xml", data=data)
    assert loaded.format == "camt.053"
    # 6 credit entries (TtlCdtNtries 6 / 23075.00), each one transaction.
    assert loaded.payments.num_rows == 6
    assert total(loaded, "EUR") == 2_307_500
    # Debits: 4 entries = 1 + 1 (no TxDtls) + 3 + 2 transactions.
    assert loaded.skipped == {"debit": 7}
    assert loaded.problems == []
    pay = by_id(loaded)
    intl = pay["091029ACCTSTMTARCH06"]
    assert intl["amount_minor"] == 212_000 and intl["currency"] == "EUR"
    assert intl["payer_name"] == "DEBTOR NAME"
    assert intl["reference_text"] == "INVOICE US20291092"
    assert intl["trace_id"] == "ISSRBKREF12345678"
    assert intl["value_date"] == dt.date(2009, 10, 30)
    assert intl["booking_date"] == dt.date(2009, 10, 29)
    prio = pay["091029ACCTSTMTARCH07"]
    assert prio["payer_name"] == "PAYERS NAME2" and prio["amount_minor"] == 545_500
    assert prio["remittance"][0]["invoice_ref"] == "RF98123456789012"
    assert prio["remittance"][0]["amount_paid_minor"] == 550_000
    sct = pay["091029ACCTSTMTARCH08"]
    assert sct["end_to_end_id"] == "EndToEndIdSCT01" and refs(sct) == ["RF98123456789012"]
    assert set(r["source_format"] for r in rows(loaded)) == {"camt.053"}
    assert set(r["source_file"] for r in rows(loaded)) == {"fi.xml"}
    summary = loaded.summary
    assert summary["accounts"] == ["FI7433010001222090"]
    assert summary["statements"] == ["BANKSTMTID0972009"]
    assert summary["total_credited"] == {"EUR": "23075.00"}
    assert summary["value_date_range"] == ("2009-10-29", "2009-10-30")


def test_finland_camt053_debit_batch_remittance_when_credited(samples_dir):
    """SCOR 3900, CINV 217827182718 and 'Invoices 123 and 321' sit in a debit batch.

    Flipping every entry to CRDT shows they are read (12 TxDtls + 1 entry without
    details = 13 payments); the TxsSummry and the balances then disagree, which
    lenient mode reports.
    """
    data = sample(samples_dir, "moov_finland_camt053_v02_sample_scor_rfrddoc.xml")
    flipped = data.replace(b"<CdtDbtInd>DBIT</CdtDbtInd>", b"<CdtDbtInd>CRDT</CdtDbtInd>")
    with pytest.raises(LoadError) as error:
        load_camt053("fi.xml", data=flipped)
    assert error.value.field == "NbOfNtries"
    assert (
        error.value.element == "/Document/BkToCstmrStmt/Stmt[1]/TxsSummry/TtlCdtNtries/NbOfNtries"
    )
    loaded = load_camt053("fi.xml", data=flipped, lenient=True)
    assert loaded.payments.num_rows == 13
    # TtlCdtNtries and TtlDbtNtries count and sum, and opening + entries != closing.
    assert len(loaded.problems) == 5
    assert "but the closing balance (CLBD) is 23644.83 EUR" in loaded.problems[-1]
    pay = by_id(loaded)
    assert refs(pay["091029ARCH03001"]) == ["3900"]
    assert pay["091029ARCH03001"]["amount_minor"] == 200_002
    assert pay["091029ARCH03002"]["reference_text"] == "Invoices 123 and 321"
    assert refs(pay["091029ARCH03003"]) == ["217827182718"]
    # The two charge transactions share an AcctSvcrRef: made unique by position.
    assert "091029ARCH09001#1.10.1" in pay and "091029ARCH09001#1.10.2" in pay
    assert pay["091029ACCTSTMTARCH02"]["amount_minor"] == 400_000  # entry without TxDtls


def test_postfinance_camt053(samples_dir):
    loaded = load_camt053(
        "pf.xml", data=sample(samples_dir, "moov_postfinance_camt053_v04_5entries.xml")
    )
    assert loaded.payments.num_rows == 4
    assert loaded.skipped == {"debit": 1}
    assert total(loaded, "CHF") == 450 + 150_000 + 153_700 + 169_222
    ids = [r["payment_id"] for r in rows(loaded)]
    assert len(set(ids)) == 4
    # Two entries carry the same AcctSvcrRef: both get their position appended.
    assert "07582000303KBMSU#1.4.1" in ids and "07582000303KBMSU#1.5.1" in ids
    texts = [r["reference_text"] for r in rows(loaded)]
    assert all(t.startswith(("GUTSCHRIFT", "SAMMELGUTSCHRIFT")) for t in texts)
    assert "PAKET ID: 201124CH00000UR0" in texts[2]
    assert loaded.summary["accounts"] == ["CH2909000000250094239"]


def test_lithuanian_statement_only_debits(samples_dir):
    loaded = load_camt053(
        "lt.xml", data=sample(samples_dir, "moov_statement_1_camt053_v02_ustrd.xml")
    )
    assert loaded.payments.num_rows == 0
    assert loaded.payments.schema == PAYMENTS
    assert loaded.skipped == {"debit": 4}
    assert loaded.summary["accounts"] == ["LT007180000000000000"]
    assert loaded.summary["total_credited"] == {}


def test_genkgo_v08_uses_booked_entry_amount(samples_dir):
    loaded = load_camt053("v8.xml", data=sample(samples_dir, "genkgo_camt053_v08_strd_cdtrref.xml"))
    (row,) = rows(loaded)
    # The single TxDtls says "0 SEK"; what was booked on the account is the entry's 8.85 EUR.
    assert (row["amount_minor"], row["currency"]) == (885, "EUR")
    assert row["payment_id"] == "AAAASESS-FP-CN_98765/01"
    assert row["payer_name"] == "NAME NAME"  # Dbtr/Pty/Nm (version 08)
    assert row["payer_account"] == "NL56AGDH9619008421"
    assert row["end_to_end_id"] == "MUELL/FINP/RA12345"
    assert refs(row) == ["4654654654654654"]
    assert row["booking_date"] == dt.date(2014, 12, 31)  # from BookgDt/DtTm
    assert row["value_date"] == dt.date(2015, 1, 2)


def test_genkgo_multi_statement(samples_dir):
    data = sample(samples_dir, "genkgo_camt053_v02_multi_statement.xml")
    loaded = load_camt053("multi.xml", data=data)
    assert loaded.summary["statements"] == ["253EURNL26VAYB8060476890", "254EURNL26VAYB8060476890"]
    (row,) = rows(loaded)
    assert row["reference_text"] == "Transaction Description 1"
    assert row["payment_id"] == row["end_to_end_id"] == "000000001"
    assert loaded.skipped == {"debit": 1}


def test_finland_camt054(samples_dir):
    data = sample(samples_dir, "moov_finland_camt054_v02_sample_rfrddoc.xml")
    assert b"\n" not in data.strip()  # the whole file is one line
    loaded = load_camt054("fi054.xml", data=data)
    assert loaded.format == "camt.054"
    assert loaded.payments.num_rows == 6
    assert total(loaded, "EUR") == 550_000
    # 2 debit entries (3 + 2 transactions) and the INFO reversal with 2 returns.
    assert loaded.skipped == {"debit": 5, "not_booked": 2}
    pay = by_id(loaded)
    first = pay["D091029N987654321S001"]
    assert first["amount_minor"] == 190_000 and first["payer_name"] == "PAYERS NAME1"
    # Invoice 2500.00 minus credit note 600.00 = 1900.00 paid.
    assert [(x["invoice_ref"], x["amount_paid_minor"]) for x in first["remittance"]] == [
        ("3900", 250_000),
        ("12344", -60_000),
    ]
    assert sum(x["amount_paid_minor"] for x in first["remittance"]) == first["amount_minor"]
    at = pay["D091029N123456789S001"]
    assert refs(at) == ["RF7812345", "RF0812344"] and at["end_to_end_id"] == "EndToEndIdAT-41-001"
    assert pay["D091029N123456789S002"]["reference_text"] == "RFB/557742358"
    assert pay["D091029N123456789S002"]["payer_name"] == "AT-02 DEBTOR NAME 02"


def test_postfinance_camt054_strd_ustrd(samples_dir):
    data = sample(samples_dir, "moov_postfinance_camt054_v04_6tx_strd_ustrd.xml")
    loaded = load_camt054("pf.xml", data=data)
    assert loaded.payments.num_rows == 6 and loaded.skipped == {}
    assert total(loaded, "CHF") == 150_000
    texts = [r["reference_text"] for r in rows(loaded)]
    assert texts[3:] == ["Rg.-Nr. 001", "Rg.-Nr. 1234567890", "Rg.-Nr. 987654321"]
    assert {r["payer_name"] for r in rows(loaded)} == {"Bernasconi Maria"}
    assert {r["payer_account"] for r in rows(loaded)} == {"CH5109000000250092291"}
    # The Strd blocks hold only AddtlRmtInf "?REJECT?0": no remittance line.
    assert all(r["remittance"] == [] for r in rows(loaded))
    assert [r["payment_id"] for r in rows(loaded)] == [f"000000000000000{i}" for i in range(1, 7)]


def test_postfinance_camt054_esr(samples_dir):
    loaded = load_camt054(
        "esr.xml", data=sample(samples_dir, "moov_postfinance_camt054_v04_esr_6tx.xml")
    )
    assert loaded.payments.num_rows == 5 and loaded.skipped == {"debit": 1}
    assert total(loaded, "CHF") == 153_700
    esr = [refs(r)[0] for r in rows(loaded)]
    assert all(len(ref) == 27 and ref.isdigit() for ref in esr)
    assert esr[3] == "359335273113716998981168243"
    assert [r["amount_minor"] for r in rows(loaded)] == [25_000, 20_000, 30_000, 32_400, 46_300]


def test_postfinance_camt054_qrr(samples_dir):
    loaded = load_camt054(
        "qrr.xml", data=sample(samples_dir, "moov_postfinance_camt054_v04_qrr_2tx.xml")
    )
    assert [refs(r) for r in rows(loaded)] == [
        ["539115429773825311971477453"],
        ["662437765447746478179744715"],
    ]
    assert [r["amount_minor"] for r in rows(loaded)] == [77_829, 91_393]
    assert rows(loaded)[0]["end_to_end_id"] == "1006265-aic5dL-75dzf3jk9-cf2d5e9"
    assert rows(loaded)[1]["trace_id"] == "1005970-70a75515"


@pytest.mark.parametrize(
    "name", ["genkgo_camt054_v04_batch_3tx.xml", "genkgo_camt054_v08_batch_3tx.xml"]
)
def test_genkgo_camt054_batch(samples_dir, name):
    data = sample(samples_dir, name)
    loaded = load_camt054("g.xml", data=data)
    assert loaded.payments.num_rows == 0 and loaded.skipped == {"debit": 3}
    # Credited, the batch splits into its 3 transactions with their 4 creditor refs.
    credited = load_camt054(
        "g.xml", data=data.replace(b"<CdtDbtInd>DBIT</CdtDbtInd>", b"<CdtDbtInd>CRDT</CdtDbtInd>")
    )
    got = rows(credited)
    assert [r["amount_minor"] for r in got] == [310, 320, 320]
    assert {r["currency"] for r in got} == {"CHF"}
    assert [refs(r) for r in got] == [
        ["ISR ref number V1"],
        ["ISR ref number V2"],
        ["Ref number V3 block 1", "Ref number V3 block 2"],
    ]
    assert got[2]["reference_text"] == (
        "Unstructured Remittance Information V3 block 1 "
        "Unstructured Remittance Information V3 block 2"
    )
    assert [r["payment_id"] for r in got] == [f"ACSR160617103200001#1.1.{i}" for i in (1, 2, 3)]
    assert {r["payer_name"] for r in got} == {"UNIFITS GmbH"}


@pytest.mark.parametrize("name", CAMT053_SAMPLES + CAMT054_SAMPLES)
def test_samples_reload_identically(samples_dir, name):
    path = samples_dir / ("camt053" if name in CAMT053_SAMPLES else "camt054") / name
    first, second = load_camt(str(path)), load_camt(str(path), data=path.read_bytes())
    assert first.payments.equals(second.payments)
    ids = first.payments.column("payment_id").to_pylist()
    assert len(ids) == len(set(ids))


# -- handwritten corner cases -------------------------------------------------------


@pytest.mark.parametrize("version", ["02", "03", "04", "05", "06", "07", "08", "10"])
@pytest.mark.parametrize("kind", ["053", "054"])
def test_any_version_and_both_kinds(version, kind):
    sts = "<Sts>BOOK</Sts>" if version < "08" else "<Sts><Cd>BOOK</Cd></Sts>"
    data = doc(ntry("12.34", sts=sts), version=version, kind=kind)
    loaded = load_camt("x.xml", data=data)
    assert loaded.format == f"camt.{kind}"
    assert rows(loaded)[0]["amount_minor"] == 1234


def test_no_namespace_and_prefixed_namespace():
    plain = doc(ntry("5.00"), xmlns="")
    assert rows(load_camt053("plain.xml", data=plain))[0]["amount_minor"] == 500
    prefixed = re.sub(rb"<(/?)(\w+)", rb"<\1c:\2", doc(ntry("6.00")).split(b"\n", 1)[1])
    prefixed = prefixed.replace(b'c:Document xmlns="', b'c:Document xmlns:c="')
    assert rows(load_camt053("prefixed.xml", data=prefixed))[0]["amount_minor"] == 600


def test_status_reversal_return_and_debit_are_counted():
    entries = (
        ntry("1.00", sts="<Sts>PDNG</Sts>", ref="A")
        + ntry("2.00", sts="<Sts><Cd>INFO</Cd></Sts>", ref="B")
        + ntry("3.00", extra="<RvslInd>true</RvslInd>", ref="C")
        + ntry("4.00", cdi="DBIT", ref="D", txs=tx("1.00") + tx("3.00"))
        + ntry(
            "5.00",
            ref="E",
            txs=tx("2.00", ref="E1")
            + tx("3.00", ref="E2", body="<RtrInf><Rsn><Cd>AC01</Cd></Rsn></RtrInf>"),
        )
        + ntry("6.00", ref="F")
    )
    loaded = load_camt053("s.xml", data=doc(entries))
    assert [r["payment_id"] for r in rows(loaded)] == ["E1", "F"]
    assert loaded.skipped == {"not_booked": 2, "reversal": 1, "debit": 2, "return": 1}


def test_batch_uses_transaction_amounts_and_checks_their_sum():
    body = '<AmtDtls><TxAmt><Amt Ccy="EUR">30.00</Amt></TxAmt></AmtDtls>'
    good = ntry("100.00", txs=tx("70.00", ref="T1") + tx("99.99", ref="T2", body=body))
    loaded = load_camt053("b.xml", data=doc(good))
    assert [(r["payment_id"], r["amount_minor"]) for r in rows(loaded)] == [
        ("T1", 7000),
        ("T2", 3000),
    ]
    bad = ntry("100.00", txs=tx("70.00", ref="T1") + tx("20.00", ref="T2"))
    with pytest.raises(LoadError) as error:
        load_camt053("b.xml", data=doc(bad))
    assert error.value.element == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt"
    assert error.value.field == "Amt" and "90.00" in error.value.message
    missing = ntry("100.00", txs=tx("70.00", ref="T1") + tx(None, ref="T2"))
    with pytest.raises(LoadError) as error:
        load_camt053("b.xml", data=doc(missing))
    assert (
        error.value.element == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/NtryDtls[1]/TxDtls[2]/Amt"
    )


def test_payment_id_fallbacks():
    entries = (
        ntry("1.00", ref=None, extra="<NtryRef>NREF-1</NtryRef>")
        + ntry("2.00", ref=None, txs=tx(e2e="E2E-2"))
        + ntry("3.00", ref=None, txs=tx(e2e="NOTPROVIDED"))
        + ntry("4.00", ref="SAME")
        + ntry("5.00", ref="SAME")
    )
    got = rows(load_camt053("ids.xml", data=doc(entries)))
    assert [r["payment_id"] for r in got] == [
        "NREF-1",
        "E2E-2",
        "MSG-1/STMT-1#1.3.1",
        "SAME#1.4.1",
        "SAME#1.5.1",
    ]
    assert got[2]["end_to_end_id"] is None


def test_dates_datetime_and_missing_value_date():
    entry = ntry(dates="<BookgDt><DtTm>2024-05-02T23:59:00+02:00</DtTm></BookgDt>")
    (row,) = rows(load_camt053("d.xml", data=doc(entry)))
    assert row["value_date"] == row["booking_date"] == dt.date(2024, 5, 2)
    with pytest.raises(LoadError) as error:
        load_camt053("d.xml", data=doc(ntry(dates="")))
    assert error.value.field == "ValDt"
    with pytest.raises(LoadError) as error:
        load_camt053("d.xml", data=doc(ntry(dates="<ValDt><Dt>2024-02-30</Dt></ValDt>")))
    assert error.value.element == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/ValDt/Dt"


def test_structured_remittance_amounts_v08():
    strd = (
        "<RmtInf><Ustrd>first line</Ustrd><Ustrd>second line</Ustrd><Strd>"
        "<RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>INV-9</Nb></RfrdDocInf>"
        '<RfrdDocAmt><DuePyblAmt Ccy="EUR">100.00</DuePyblAmt>'
        '<DscntApldAmt><Tp><Cd>PPD</Cd></Tp><Amt Ccy="EUR">2.00</Amt></DscntApldAmt>'
        '<AdjstmntAmtAndRsn><Amt Ccy="EUR">3.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
        "<Rsn>DMG</Rsn></AdjstmntAmtAndRsn>"
        '<RmtdAmt Ccy="EUR">95.00</RmtdAmt></RfrdDocAmt>'
        "<CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd>"
        '<Strd><RfrdDocAmt><RmtdAmt Ccy="USD">1.00</RmtdAmt></RfrdDocAmt>'
        "<CdtrRefInf><Ref>QRR-2</Ref></CdtrRefInf></Strd></RmtInf>"
    )
    (row,) = rows(load_camt053("r.xml", data=doc(ntry("95.00", txs=tx(body=strd)))))
    assert row["reference_text"] == "first line second line"
    first, extra, foreign = row["remittance"]
    assert first == {
        "invoice_ref": "INV-9",
        "amount_paid_minor": 9500,
        "invoice_amount_minor": 10000,
        "discount_minor": 200,
        "adjustment_minor": -300,
        "adjustment_reason": "DMG",
    }
    assert extra["invoice_ref"] == "RF18539007547034" and extra["amount_paid_minor"] is None
    # An amount in another currency cannot be a line amount of a EUR payment.
    assert foreign["invoice_ref"] == "QRR-2" and foreign["amount_paid_minor"] is None


def test_discount_v02_plain_amount_and_text_fallbacks():
    strd = (
        '<RmtInf><Strd><RfrdDocInf><Nb>A1</Nb></RfrdDocInf><RfrdDocAmt><DscntApldAmt Ccy="EUR">1.50'
        "</DscntApldAmt></RfrdDocAmt></Strd></RmtInf><AddtlTxInf>tx info</AddtlTxInf>"
    )
    entries = ntry("10.00", ref="A", txs=tx(body=strd)) + ntry(
        "20.00", ref="B", extra="", txs=""
    ).replace("</Ntry>", "<AddtlNtryInf>entry info</AddtlNtryInf></Ntry>")
    got = rows(load_camt053("t.xml", data=doc(entries, version="02")))
    assert got[0]["remittance"][0]["discount_minor"] == 150
    assert got[0]["reference_text"] == "tx info"
    assert got[1]["reference_text"] == "entry info"


def test_currency_exponents():
    entries = (
        ntry("1500", "JPY", ref="J") + ntry("1.250", "KWD", ref="K") + ntry("3.10", "EUR", ref="E")
    )
    got = by_id(load_camt053("c.xml", data=doc(entries)))
    assert got["J"]["amount_minor"] == 1500
    assert got["K"]["amount_minor"] == 1250
    assert got["E"]["amount_minor"] == 310


def test_transaction_summary_checked():
    summary = (
        "<TxsSummry><TtlNtries><NbOfNtries>2</NbOfNtries><Sum>30.00</Sum></TtlNtries>"
        "<TtlCdtNtries><NbOfNtries>2</NbOfNtries><Sum>30.00</Sum></TtlCdtNtries></TxsSummry>\n"
    )
    entries = ntry("10.00", ref="A") + ntry("20.00", ref="B")
    assert load_camt053("s.xml", data=doc(entries, summary=summary)).payments.num_rows == 2
    wrong_sum = summary.replace(
        "<Sum>30.00</Sum></TtlCdtNtries>", "<Sum>31.00</Sum></TtlCdtNtries>"
    )
    with pytest.raises(LoadError) as error:
        load_camt053("s.xml", data=doc(entries, summary=wrong_sum))
    assert error.value.field == "Sum"
    assert error.value.element == "/Document/BkToCstmrStmt/Stmt[1]/TxsSummry/TtlCdtNtries/Sum"
    text = doc(entries, summary=wrong_sum).decode()
    assert error.value.line == text[: text.index("<TtlCdtNtries>")].count("\n") + 1
    wrong_count = summary.replace(
        "<NbOfNtries>2</NbOfNtries><Sum>30.00</Sum></TtlNtries>",
        "<NbOfNtries>3</NbOfNtries><Sum>30.00</Sum></TtlNtries>",
    )
    with pytest.raises(LoadError, match="says 3 entries but the file has 2"):
        load_camt053("s.xml", data=doc(entries, summary=wrong_count))
    lenient = load_camt053("s.xml", data=doc(entries, summary=wrong_count), lenient=True)
    assert lenient.payments.num_rows == 2
    assert len(lenient.problems) == 1 and "TtlNtries/NbOfNtries" in lenient.problems[0]


def test_payer_fallbacks():
    parties = (
        "<RltdPties><UltmtDbtr><Nm>Ultimate Ltd</Nm></UltmtDbtr>"
        "<DbtrAcct><Id><Othr><Id>12-3456-789</Id></Othr></Id></DbtrAcct></RltdPties>"
    )
    (row,) = rows(load_camt053("p.xml", data=doc(ntry(txs=tx(body=parties)))))
    assert row["payer_name"] == "Ultimate Ltd" and row["payer_account"] == "12-3456-789"


def test_empty_statement_and_check_number():
    (row,) = rows(
        load_camt053(
            "e.xml",
            data=doc(
                ntry(txs=tx(body="")).replace(
                    "<TxDtls>", "<TxDtls><Refs><TxId>T-9</TxId><ChqNb>000123</ChqNb></Refs>"
                )
            ),
        )
    )
    assert row["check_number"] == "000123" and row["trace_id"] == "T-9"
    empty = load_camt053("e.xml", data=doc(""))
    assert empty.payments.num_rows == 0 and empty.summary["statements"] == ["STMT-1"]


# -- encodings ------------------------------------------------------------------------


def test_latin1_bytes_in_a_utf8_file_fall_back_to_latin1():
    parties = "<RltdPties><Dbtr><Nm>Müller & Söhne</Nm></Dbtr></RltdPties>".replace("&", "&amp;")
    data = doc(ntry(txs=tx(body=parties))).decode().encode("latin-1")
    (row,) = rows(load_camt053("l1.xml", data=data))
    assert row["payer_name"] == "Müller & Söhne"
    declared = doc(
        ntry(txs=tx(body=parties)), declaration='<?xml version="1.0" encoding="ISO-8859-1"?>'
    )
    (row,) = rows(load_camt053("l1.xml", data=declared.decode().encode("latin-1")))
    assert row["payer_name"] == "Müller & Söhne"


def test_utf8_with_bom():
    parties = "<RltdPties><Dbtr><Nm>Šiaulių bankas</Nm></Dbtr></RltdPties>"
    data = b"\xef\xbb\xbf" + doc(ntry(txs=tx(body=parties)))
    (row,) = rows(load_camt053("bom.xml", data=data))
    assert row["payer_name"] == "Šiaulių bankas"


# -- bad input ------------------------------------------------------------------------


def test_truncated_file_names_the_line(samples_dir):
    data = sample(samples_dir, "moov_postfinance_camt053_v04_5entries.xml")
    cut = data[: len(data) // 2]
    with pytest.raises(LoadError) as error:
        load_camt053("cut.xml", data=cut)
    assert "XML syntax error" in error.value.message
    assert error.value.line == cut.count(b"\n") + 1


@pytest.mark.parametrize(
    ("amount", "ccy", "field", "message"),
    [
        ("12,50", "EUR", "Amt", "not a decimal amount"),
        ("abc", "EUR", "Amt", "not a decimal amount"),
        ("-5.00", "EUR", "Amt", "not a decimal amount"),
        ("１２.00", "EUR", "Amt", "not a decimal amount"),  # fullwidth digits are not ASCII
        ("1.234", "EUR", "Amt", "more than 2 decimals"),
        ("5.00", "", "Ccy", "without a Ccy"),
        ("5.00", "XXX", "Amt", "unknown currency"),
    ],
)
def test_bad_amounts_name_element_line_and_field(amount, ccy, field, message):
    entries = ntry("1.00", ref="A") + ntry("2.00", ref="B") + ntry(amount, ccy, ref="C")
    data = doc(entries)
    with pytest.raises(LoadError) as error:
        load_camt053("bad.xml", data=data)
    assert error.value.element == "/Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt"
    assert error.value.field == field
    assert message in error.value.message
    line = (
        data.decode()
        .splitlines()
        .index(next(x for x in data.decode().splitlines() if f">{amount}</Amt>" in x))
        + 1
    )
    assert error.value.line == line
    assert "bad.xml" in str(error.value)
    # Leniently the entry is skipped and reported; the others load.
    loaded = load_camt053("bad.xml", data=data, lenient=True)
    assert [r["payment_id"] for r in rows(loaded)] == ["A", "B"]
    assert len(loaded.problems) == 1 and "Ntry[3]/Amt" in loaded.problems[0]


def test_bad_transaction_in_lenient_mode_drops_the_whole_entry():
    bad = ntry("10.00", ref="A", txs=tx("5.00", ref="A1") + tx("5.x0", ref="A2"))
    loaded = load_camt053("l.xml", data=doc(bad + ntry("1.00", ref="B")), lenient=True)
    assert [r["payment_id"] for r in rows(loaded)] == ["B"]
    assert "TxDtls[2]/Amt" in loaded.problems[0]


def test_wrong_document_types():
    with pytest.raises(LoadError, match=r"not a camt\.052/camt\.053/camt\.054 message"):
        load_camt(
            "p.xml",
            data=b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">'
            b"<CstmrCdtTrfInitn><GrpHdr><MsgId>1</MsgId></GrpHdr></CstmrCdtTrfInitn></Document>",
        )
    with pytest.raises(LoadError, match="does not match"):
        load_camt("p.xml", data=doc(ntry(), xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"))
    with pytest.raises(LoadError, match=r"expected a camt\.054 file, found camt\.053"):
        load_camt054("p.xml", data=doc(ntry()))
    with pytest.raises(LoadError, match=r"no camt\.052/camt\.053/camt\.054 content"):
        load_camt("p.xml", data=b"<html><body>hi</body></html>")
    with pytest.raises(LoadError) as error:
        load_camt053(
            "p.xml",
            data=doc(
                ntry().replace("<Ntry>", "<Other><Ntry>").replace("</Ntry>", "</Ntry></Other>")
            ),
        )
    assert "outside" in error.value.message and error.value.element.endswith("/Other/Ntry")
    with pytest.raises(LoadError) as error:
        load_camt053("p.xml", data=doc(ntry(cdi="CRED")))
    assert error.value.field == "CdtDbtInd"
    with pytest.raises(LoadError, match="no such file"):
        load_camt053("/nonexistent/statement.xml")
    with pytest.raises(LoadError):
        load_camt053("empty.xml", data=b"")


def test_billion_laughs_is_refused_quickly():
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    data = doc(ntry(txs=tx(body="<RmtInf><Ustrd>&a9;</Ustrd></RmtInf>")))
    data = data.replace(b"<Document", f"<!DOCTYPE Document [{entities}]>\n<Document".encode(), 1)
    start = time.perf_counter()
    with pytest.raises(LoadError):
        load_camt053("bomb.xml", data=data)
    assert time.perf_counter() - start < 2


def test_external_entity_and_doctype_are_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = doc(ntry(txs=tx(body="<RmtInf><Ustrd>&xxe;</Ustrd></RmtInf>")))
    data = data.replace(
        b"<Document",
        f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://{secret}">]>\n<Document'.encode(),
        1,
    )
    with pytest.raises(LoadError) as error:
        load_camt053("xxe.xml", data=data)
    assert "DOCTYPE" in error.value.message and "TOP-SECRET" not in str(error.value)
    harmless = doc(ntry()).replace(b"<Document", b"<!DOCTYPE Document>\n<Document", 1)
    with pytest.raises(LoadError, match="DOCTYPE"):
        load_camt053("dt.xml", data=harmless)


# -- writer round trip -------------------------------------------------------------------


def _payments() -> pa.Table:
    line = {
        "invoice_ref": "INV-1",
        "amount_paid_minor": 9_000,
        "invoice_amount_minor": 10_000,
        "discount_minor": 500,
        "adjustment_minor": -500,
        "adjustment_reason": "short payment",
    }
    long_text = " ".join(f"word{i}" for i in range(60))  # > 140 characters: several Ustrd
    may2, may1, may3 = dt.date(2024, 5, 2), dt.date(2024, 5, 1), dt.date(2024, 5, 3)
    credit_note = {"invoice_ref": "CN-1", "amount_paid_minor": -1_000}
    data = [
        dict(payment_id="P-1", amount_minor=9_000, currency="EUR", value_date=may2,
             booking_date=may1, payer_name="Acme & <Sons>", payer_account="DE89370400440532013000",
             reference_text=long_text, end_to_end_id="E2E-1", trace_id="TX-1", remittance=[line]),
        dict(payment_id="P-2", amount_minor=150, currency="JPY", value_date=may2,
             booking_date=may2, payer_name="Yamada", payer_account="ACC 77",
             reference_text="Rg.-Nr. 42", remittance=[]),
        dict(payment_id="P-3", amount_minor=2_000, currency="EUR", value_date=may2,
             booking_date=may1, payer_name="Globex", check_number="000777",
             remittance=[credit_note, {"invoice_ref": "INV-2", "amount_paid_minor": 3_000}]),
        dict(payment_id="P-4", amount_minor=1, currency="KWD", value_date=may3, booking_date=may3),
    ]  # fmt: skip
    return pa.Table.from_pylist(data, schema=PAYMENTS)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_writer_round_trip(batch_size):
    table = _payments()
    buffer = io.BytesIO()
    write_camt053(table, buffer, batch_size=batch_size)
    loaded = load_camt053("rt.xml", data=buffer.getvalue())
    assert loaded.problems == [] and loaded.skipped == {}
    keep = ["payment_id", "amount_minor", "currency", "value_date", "booking_date",
            "payer_name", "payer_account", "reference_text", "end_to_end_id", "trace_id",
            "check_number"]  # fmt: skip
    want = {r["payment_id"]: r for r in table.to_pylist()}
    got = by_id(loaded)
    assert set(got) == set(want)
    for pid, row in want.items():
        assert {k: got[pid][k] for k in keep} == {k: row[k] for k in keep}, pid
        expected_lines = [
            {
                **dict.fromkeys(
                    [
                        "invoice_amount_minor",
                        "discount_minor",
                        "adjustment_minor",
                        "adjustment_reason",
                    ]
                ),
                **line,
            }
            for line in row["remittance"] or []
        ]
        assert got[pid]["remittance"] == expected_lines, pid
    assert loaded.summary["total_credited"] == {"EUR": "110.00", "JPY": "150", "KWD": "0.001"}


def test_writer_output_is_deterministic():
    first, second = io.BytesIO(), io.BytesIO()
    write_camt053(_payments(), first)
    write_camt053(_payments(), second)
    assert first.getvalue() == second.getvalue()
    assert sniff_camt053(first.getvalue()[:4096])


# -- fuzzing -----------------------------------------------------------------------------------

_FUZZ_BASE = doc(
    ntry(
        "10.00",
        ref="A",
        txs=tx("4.00", ref="A1", body="<RmtInf><Ustrd>x</Ustrd></RmtInf>") + tx("6.00", ref="A2"),
    )
    + ntry("2.00", cdi="DBIT", ref="B"),
    summary="<TxsSummry><TtlNtries><NbOfNtries>2</NbOfNtries><Sum>12.00</Sum></TtlNtries></TxsSummry>",
)


def _only_load_errors(data: bytes, lenient: bool) -> None:
    start = time.perf_counter()
    try:
        loaded = load_camt("fuzz.xml", data=data, lenient=lenient)
    except LoadError:
        pass
    else:
        assert loaded.payments.schema == PAYMENTS
    assert time.perf_counter() - start < 2


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.booleans())
def test_fuzz_random_bytes(data, lenient):
    _only_load_errors(data, lenient)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.booleans())
def test_fuzz_mutated_documents(data, lenient):
    base = bytearray(_FUZZ_BASE)
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(base) - 1))
        action = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        byte = data.draw(st.integers(0, 255))
        if action == "replace":
            base[position] = byte
        elif action == "delete":
            del base[position]
        else:
            base.insert(position, byte)
    _only_load_errors(bytes(base), lenient)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_mutated_samples(samples_dir, data):
    name = data.draw(st.sampled_from(CAMT053_SAMPLES + CAMT054_SAMPLES))
    base = bytearray(sample(samples_dir, name))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(base) - 1))
        base[position] = data.draw(st.sampled_from(list(b"<>/&;\"'0.9AZ \n\x00\xff")))
    _only_load_errors(bytes(base), lenient=data.draw(st.booleans()))


def test_flushing_in_small_batches_gives_the_same_table(monkeypatch):
    """Payments go to Arrow every few rows; a failed entry after a flush is still dropped whole."""
    entries = "".join(
        ntry(f"{i}.00", ref=f"R{i}", txs=tx(f"{i - 1}.00", ref=f"R{i}a") + tx("1.00", ref=f"R{i}b"))
        for i in range(2, 9)
    )
    # The second transaction of Ntry[6] is unreadable: its first was already appended.
    entries = entries.replace(
        'R7b</AcctSvcrRef></Refs><Amt Ccy="EUR">1.00', 'R7b</AcctSvcrRef></Refs><Amt Ccy="EUR">1.0x'
    )
    expected = load_camt053("b.xml", data=doc(entries), lenient=True)
    monkeypatch.setattr(camt, "FLUSH_ROWS", 3)
    batched = load_camt053("b.xml", data=doc(entries), lenient=True)
    assert batched.payments.column("amount_minor").num_chunks > 1
    assert batched.payments.equals(expected.payments)
    assert batched.payments.num_rows == 12 and len(batched.problems) == 1
    assert "Ntry[6]" in batched.problems[0]

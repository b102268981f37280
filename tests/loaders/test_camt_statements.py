"""camt statements as banks write them: intraday reports, balances, batches mixing returns."""

from __future__ import annotations

import pytest

from cashmatch.loaders.camt import load_camt, load_camt052, load_camt053, sniff_camt052
from cashmatch.loaders.detect import load_file
from cashmatch.loaders.errors import LoadError
from tests.loaders.test_camt import doc, ntry, rows, tx

KEYS = ("payment_id", "amount_minor", "currency", "value_date", "end_to_end_id",
        "statement_account", "bank_reference", "payer_name", "reference_text")  # fmt: skip


def balances(opening: str, closing: str, *, opening_cdi="CRDT", code="OPBD", closing_day="03"):
    def bal(kind, amount, cdi, day):
        return (
            f"<Bal><Tp><CdOrPrtry><Cd>{kind}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{cdi}</CdtDbtInd>'
            f"<Dt><Dt>2024-05-{day}</Dt></Dt></Bal>\n"
        )

    return bal(code, opening, opening_cdi, "01") + bal("CLBD", closing, "CRDT", closing_day)


def intraday(entries: str, header: str = "") -> bytes:
    data = doc(entries, header=header, kind="053")
    return (
        data.replace(b"camt.053.001.08", b"camt.052.001.08")
        .replace(b"BkToCstmrStmt>", b"BkToCstmrAcctRpt>")
        .replace(b"<Stmt>", b"<Rpt>")
        .replace(b"</Stmt>", b"</Rpt>")
    )


# -- camt.052 ---------------------------------------------------------------------------


def test_intraday_report_is_read_like_a_statement():
    batch = ntry(
        "30.00",
        ref="ENTRY-1",
        txs=tx("10.00", ref="TX-1", e2e="E2E-1") + tx("20.00", ref="TX-2"),
    )
    pending = ntry("5.00", ref="P-1", sts="<Sts><Cd>PDNG</Cd></Sts>")
    data = intraday(batch + pending)
    assert sniff_camt052(data[:4096])
    loaded = load_file("intraday.xml", data=data)
    assert loaded.format == "camt.052"
    assert [(r["payment_id"], r["amount_minor"]) for r in rows(loaded)] == [
        ("TX-1", 1000),
        ("TX-2", 2000),
    ]
    assert loaded.skipped == {"not_booked": 1}
    assert {r["source_format"] for r in rows(loaded)} == {"camt.052"}
    with pytest.raises(LoadError, match=r"expected a camt\.053 file, found camt\.052"):
        load_camt053("intraday.xml", data=data)
    assert load_camt052("intraday.xml", data=data).payments.num_rows == 2


def test_intraday_then_end_of_day_report_the_same_bookings_alike():
    """The facts payment identity is read from are the same in both reports."""
    parties = "<RltdPties><Dbtr><Nm>Acme GmbH</Nm></Dbtr></RltdPties>"
    entries = ntry(
        "30.00",
        ref="ENTRY-1",
        txs=tx("10.00", ref="TX-1", e2e="E2E-1", body=parties)
        + tx("20.00", e2e="E2E-2", body=parties + "<RmtInf><Ustrd>INV-9</Ustrd></RmtInf>"),
    )
    morning = load_camt("morning.xml", data=intraday(entries))
    evening = load_camt("evening.xml", data=doc(entries + ntry("7.00", ref="LATER")))
    first = [{k: r[k] for k in KEYS} for r in rows(morning)]
    second = [{k: r[k] for k in KEYS} for r in rows(evening)][:2]
    assert first == second
    assert first[0]["bank_reference"] == "TX-1" and first[1]["bank_reference"] is None
    single = rows(load_camt("one.xml", data=doc(ntry("5.00", ref="E-9", txs=tx(e2e="X")))))
    assert single[0]["bank_reference"] == "E-9"  # one transaction: the entry is the booking
    assert first[0]["statement_account"] == "DE89370400440532013000"


# -- balances -----------------------------------------------------------------------------


def test_balances_are_checked():
    entries = ntry("10.00", ref="A") + ntry("4.00", ref="D", cdi="DBIT") + ntry("2.50", ref="B")
    good = load_camt053("b.xml", data=doc(entries, header=balances("100.00", "108.50")))
    assert good.summary["balances_checked"] == 1 and good.problems == []
    bad = doc(entries, header=balances("100.00", "110.00"))
    with pytest.raises(LoadError) as error:
        load_camt053("b.xml", data=bad)
    assert error.value.element == "/Document/BkToCstmrStmt/Stmt[1]/Bal[2]/Amt"
    assert error.value.message == (
        "opening balance 100.00 EUR (OPBD) + booked entries 8.50 EUR = 108.50 EUR,"
        " but the closing balance (CLBD) is 110.00 EUR"
    )
    lines = bad.decode().splitlines()
    assert error.value.line == lines.index(next(x for x in lines if "CLBD" in x)) + 1
    lenient = load_camt053("b.xml", data=bad, lenient=True)
    assert lenient.payments.num_rows == 2
    assert len(lenient.problems) == 1 and "closing balance (CLBD)" in lenient.problems[0]


def test_balance_signs_previous_close_and_pending_entries():
    entries = ntry("10.00", ref="A") + ntry("99.00", ref="P", sts="<Sts>PDNG</Sts>")
    data = doc(entries, header=balances("5.00", "5.00", opening_cdi="DBIT", code="PRCD"))
    assert load_camt053("b.xml", data=data).summary["balances_checked"] == 1


def test_value_dated_closing_balance_leaves_out_later_value_dates():
    """PostFinance's CLBD leaves out an entry booked today but valued tomorrow."""
    later = "<BookgDt><Dt>2024-05-03</Dt></BookgDt><ValDt><Dt>2024-05-04</Dt></ValDt>"
    entries = ntry("10.00", ref="A") + ntry("3.00", ref="L", dates=later)
    data = doc(entries, header=balances("100.00", "110.00"))
    assert load_camt053("b.xml", data=data).problems == []
    with pytest.raises(LoadError, match="closing balance"):
        load_camt053("b.xml", data=doc(entries, header=balances("100.00", "111.00")))


def test_unreadable_balance_amount_is_an_error():
    data = doc(ntry("10.00"), header=balances("1OO.00", "110.00"))
    with pytest.raises(LoadError) as error:
        load_camt053("b.xml", data=data)
    assert error.value.element == "/Document/BkToCstmrStmt/Stmt[1]/Bal[1]/Amt"
    assert "not a decimal amount: '1OO.00'" in error.value.message
    lenient = load_camt053("b.xml", data=data, lenient=True)
    assert lenient.payments.num_rows == 1 and "balance skipped" in lenient.problems[0]
    no_direction = balances("100.00", "110.00").replace("<CdtDbtInd>CRDT</CdtDbtInd>", "", 1)
    with pytest.raises(LoadError, match="balance OPBD: expected CdtDbtInd"):
        load_camt053("b.xml", data=doc(ntry("10.00"), header=no_direction))


def test_other_balance_kinds_and_other_currencies_are_not_summed():
    header = balances("100.00", "100.00").replace("OPBD", "OPAV")
    assert load_camt053("b.xml", data=doc(ntry("1.00"), header=header)).problems == []
    usd = ntry("1.00", "USD", ref="U")
    loaded = load_camt053("b.xml", data=doc(usd, header=balances("100.00", "100.00")))
    assert loaded.summary["balances_checked"] == 0


# -- batched entries mixing returns ---------------------------------------------------------


def test_batched_entry_mixing_credits_returns_and_debits():
    returned = "<RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>closed account</AddtlInf></RtrInf>"
    debited = "<CdtDbtInd>DBIT</CdtDbtInd>"
    txs = (
        tx("70.00", ref="PAY-1")
        + tx("50.00", ref="RET-1", body=f"<CdtDbtInd>CRDT</CdtDbtInd>{returned}")
        + tx("20.00", ref="DEB-1", body=debited)
        + tx("5.00", ref="PAY-2", body="<CdtDbtInd>CRDT</CdtDbtInd>")
    )
    # Booked net: 70 + 50 - 20 + 5 = 105.
    loaded = load_camt053("m.xml", data=doc(ntry("105.00", ref="BATCH", txs=txs)))
    assert [(r["payment_id"], r["amount_minor"]) for r in rows(loaded)] == [
        ("PAY-1", 7000),
        ("PAY-2", 500),
    ]
    assert loaded.skipped == {"return": 1, "debit": 1}
    # A bank that books the returned items apart gives the credits' sum.
    gross = load_camt053("m.xml", data=doc(ntry("125.00", ref="BATCH", txs=txs)))
    assert gross.payments.num_rows == 2
    with pytest.raises(LoadError, match=r"does not match its 4 transactions: credits 125\.00"):
        load_camt053("m.xml", data=doc(ntry("100.00", ref="BATCH", txs=txs)))


def test_debited_and_reversed_entries_hold_no_payment_whatever_their_parts_say():
    credit_parts = tx("1.00", body="<CdtDbtInd>CRDT</CdtDbtInd>") * 2
    debit = ntry("2.00", ref="D", cdi="DBIT", txs=credit_parts)
    reversed_ = ntry("2.00", ref="R", extra="<RvslInd>true</RvslInd>", txs=credit_parts)
    loaded = load_camt053("d.xml", data=doc(debit + reversed_))
    assert loaded.payments.num_rows == 0
    assert loaded.skipped == {"debit": 2, "reversal": 2}


def test_single_transaction_follows_its_own_direction_and_return_information():
    own_debit = ntry("3.00", ref="A", txs=tx(body="<CdtDbtInd>DBIT</CdtDbtInd>"))
    returned = ntry("4.00", ref="B", txs=tx(body="<RtrInf><Rsn><Cd>MS03</Cd></Rsn></RtrInf>"))
    loaded = load_camt053("s.xml", data=doc(own_debit + returned + ntry("5.00", ref="C")))
    assert [r["payment_id"] for r in rows(loaded)] == ["C"]
    assert loaded.skipped == {"debit": 1, "return": 1}

"""A booking is applied once, however often and in whatever shape the bank reports it.

Against a real server: the next day's statement repeating yesterday's
bookings, an intraday report followed by the end-of-day statement, a batched
entry without references coming back as another entry of a later file; eight
clients uploading one new file at once; one file twice in one call.
"""

from __future__ import annotations

import collections
import datetime as dt
import io
import re
import threading

import pyarrow as pa

from bench.formats.camt import write_camt053
from bench.formats.mt940 import write_mt940
from cashmatch.engine.schemas import PAYMENTS
from tests.server.conftest import STANDARD, customers, open_items

DAY = dt.date(2024, 5, 20)
HEADER = (
    b"payment_id,amount,currency,value_date,payer_name,payer_account,reference_text,"
    b"statement_account,bank_reference\n"
)
ACCOUNT = "50880050/0194787400888"


def _applied(client, ledger: str) -> collections.Counter:
    """How many applications each payment got (write-offs aside)."""
    kinds = {1, 2, 3}  # auto, confirmed, corrected
    return collections.Counter(
        a.payment_id for a in client.export_applications(ledger, 0, 10_000).applications
        if a.kind in kinds
    )  # fmt: skip


def _no_invoice_overpaid(client, ledger: str) -> None:
    original = {r[0]: r[3] for r in STANDARD}
    paid = collections.Counter()
    for a in client.export_applications(ledger, 0, 10_000).applications:
        paid[a.invoice_id] += a.amount_minor
    assert all(paid[i] <= original[i] for i in paid), paid


def _statement(rows: list[dict], number: int) -> bytes:
    table = pa.Table.from_pylist(
        [{"currency": "EUR", "value_date": DAY, **r} for r in rows], schema=PAYMENTS
    )
    buffer = io.BytesIO()
    write_mt940(table, buffer, account=ACCOUNT)
    # Each day's statement has its own reference and number.
    return buffer.getvalue().replace(b":20:STMT00000001", f":20:STMT{number:08d}".encode())


A = {"payment_id": "BK-A", "amount_minor": 125000, "reference_text": "INV-2024-000123",
     "payer_name": "NORTHWIND PRECISION"}  # fmt: skip
B = {"payment_id": "BK-B", "amount_minor": 98050, "reference_text": "INV-2024-000124",
     "payer_name": "NORTHWIND PRECISION"}  # fmt: skip
C = {"payment_id": "BK-C", "amount_minor": 45000, "reference_text": "INV-2024-000132",
     "payer_name": "ACME INTERNATIONAL"}  # fmt: skip


def test_next_days_statement_repeats_yesterdays_bookings(acme):
    acme.put_open_items("nextday", open_items(STANDARD), customers())
    _, _, first = acme.upload_files("nextday", [("0520.sta", _statement([A, B], 1))])
    assert (first.payments_new, first.auto_matched) == (2, 2)
    _, files, again = acme.upload_files("nextday", [("0521.sta", _statement([A, B, C], 2))])
    assert not files[0].duplicate  # other bytes, the same bookings
    assert (again.payments_new, again.payments_duplicate, again.auto_matched) == (1, 2, 1)
    assert {(d.payment_id, d.earlier_payment_id, d.identified_by) for d in again.duplicates} == {
        ("BK-A", "BK-A", "bank_key"), ("BK-B", "BK-B", "bank_key")}  # fmt: skip
    # A statement export that renumbers the payments: the bank's reference on the account.
    csv = (
        HEADER
        + (
            f"X-1,1250.00,EUR,2024-05-20,NORTHWIND PRECISION,,INV-2024-000123,{ACCOUNT},BK-A\n"
            f"X-2,300.00,EUR,2024-05-20,ACME,,INV-2024-000200,{ACCOUNT},BK-D\n"
        ).encode()
    )
    _, _, renumbered = acme.upload_files("nextday", [("export.csv", csv)])
    assert [(d.payment_id, d.earlier_payment_id, d.identified_by)
            for d in renumbered.duplicates] == [("X-1", "BK-A", "bank_key")]  # fmt: skip
    assert renumbered.payments_new == 1
    assert _applied(acme, "nextday") == {"BK-A": 1, "BK-B": 1, "BK-C": 1, "X-2": 1}
    _no_invoice_overpaid(acme, "nextday")


def _mt942(
    entries: list[tuple[str, str, str]], bank_ref: str = "", payer: str = "NORTHWIND PRECISION"
) -> bytes:
    lines = [":20:INTRADAY1", f":25:{ACCOUNT}", ":28C:1/1", ":34F:EURC0,", ":13D:2405201200+0100"]
    total = 0
    for amount, e2e, text in entries:
        total += int(amount.replace(",", ""))
        eref = f"EREF+{e2e}" if e2e else ""
        lines += [f":61:240520C{amount}NTRFNONREF" + (f"//{bank_ref}" if bank_ref else ""),
                  f":86:166?00GUTSCHRIFT?20{eref}SVWZ+{text}?32{payer}"]  # fmt: skip
    lines += [":90D:0EUR0,", f":90C:{len(entries)}EUR{total // 100},{total % 100:02d}", "-", ""]
    return "\n".join(lines).encode()


def test_intraday_report_then_end_of_day_statement(acme):
    acme.put_open_items("intraday", open_items(STANDARD), customers())
    # With the payer's end-to-end id: the same booking, for certain.
    _, files, first = acme.upload_files(
        "intraday", [("942.sta", _mt942([("1250,00", "E2E-77", "INV-2024-000123")]))]
    )
    assert files[0].format == "mt942" and first.auto_matched == 1
    eod = _statement([{**A, "end_to_end_id": "E2E-77"}], 1)
    _, _, final = acme.upload_files("intraday", [("940.sta", eod)])
    assert [(d.identified_by, d.payment_id) for d in final.duplicates] == [
        ("end_to_end_key", "BK-A")]  # fmt: skip
    assert final.payments_new == 0
    # Without one: identity is uncertain. Stored, flagged, never applied automatically.
    _, _, first = acme.upload_files(
        "intraday", [("942b.sta", _mt942([("980,50", "", "INV-2024-000124")]))]
    )
    assert first.auto_matched == 1
    matches, _, final = acme.upload_files("intraday", [("940b.sta", _statement([B], 2))])
    (flagged,) = final.possible_duplicates
    assert (flagged.payment_id, flagged.identified_by) == ("BK-B", "content_key")
    assert flagged.earlier_payment_id.startswith("INTRADAY1/")
    assert final.auto_matched == 0 and final.payments_possible_duplicate == 1
    assert all(r["status"] != "auto" and r["reason"].endswith("+possible_duplicate")
               for r in matches.to_pylist())  # fmt: skip
    (review,) = [i for i in acme.iter_review_items("intraday") if i.payment.payment_id == "BK-B"]
    assert review.payment.possible_duplicate_of == flagged.earlier_payment_id
    assert review.payment.source_file == "940b.sta" and review.payment.source_location
    # A bank that numbers the booking anew in the statement: still only possibly new.
    intraday = _mt942([("450,00", "", "INV-2024-000132")], "INTRA-5", "ACME INTERNATIONAL")
    _, _, first = acme.upload_files("intraday", [("942c.sta", intraday)])
    assert first.auto_matched == 1
    _, _, final = acme.upload_files("intraday", [("940c.sta", _statement([C], 3))])
    assert [d.payment_id for d in final.possible_duplicates] == ["BK-C"]
    assert final.auto_matched == 0
    applied = _applied(acme, "intraday")
    assert sum(applied.values()) == 3 and not {"BK-B", "BK-C"} & set(applied)
    assert "INTRA-5" in applied
    _no_invoice_overpaid(acme, "intraday")


def _camt(rows: list[dict], message_id: str) -> bytes:
    table = pa.Table.from_pylist(
        [{"currency": "EUR", "value_date": DAY, **r} for r in rows], schema=PAYMENTS
    )
    buffer = io.BytesIO()
    write_camt053(table, buffer, message_id=message_id, batch_size=3)
    # The batch's transactions carry no reference of their own.
    xml = buffer.getvalue().decode()
    xml = re.sub(r"<Refs>\n<AcctSvcrRef>[^<]*</AcctSvcrRef>\n", "<Refs>\n", xml)
    return xml.encode()


def test_batched_entry_without_references_comes_back_in_another_entry(acme):
    acme.put_open_items("batched", open_items(STANDARD), customers())
    batch = [{**A, "payer_name": "NORTHWIND A"}, {**B, "payer_name": "NORTHWIND B"}, C]
    _, files, first = acme.upload_files("batched", [("d1.xml", _camt(batch, "MSG-1"))])
    assert files[0].format == "camt.053" and first.auto_matched == 3
    other = {"payment_id": "BK-E", "amount_minor": 60000, "reference_text": "INV-2024-000300",
             "payer_name": "GRANITE", "value_date": DAY - dt.timedelta(days=1)}  # fmt: skip
    _, _, later = acme.upload_files("batched", [("d2.xml", _camt([other, *batch], "MSG-2"))])
    assert later.payments_possible_duplicate == 3 and later.auto_matched == 1
    assert {d.identified_by for d in later.possible_duplicates} == {"content_key"}
    applied = _applied(acme, "batched")
    assert sum(applied.values()) == 4  # three bookings once, and the new one
    _no_invoice_overpaid(acme, "batched")


def test_eight_clients_upload_one_new_file_at_once(server, acme):
    acme.put_open_items("race-upload", open_items(STANDARD), customers())
    data = _statement([A, B, C], 1)
    results, errors = [], []

    def upload():
        try:
            with server.client(server.tokens["acme"]) as client:
                results.append(client.upload_files("race-upload", [("same.sta", data)]))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=upload) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    firsts = [r for r in results if not r[1][0].duplicate]
    assert len(firsts) == 1 and firsts[0][2].payments_new == 3
    # Every other answer is what a re-upload answers.
    _, _, resent = acme.upload_files("race-upload", [("same.sta", data)])
    for matches, others, summary in results:
        if summary is firsts[0][2]:
            continue
        assert others[0].duplicate and others[0].payments == 3
        assert (summary.payments_new, summary.payments_duplicate) == (0, 3)
        assert sorted(matches["payment_id"].to_pylist()) == ["BK-A", "BK-B", "BK-C"]
    assert (resent.payments_new, resent.payments_duplicate) == (0, 3)
    assert _applied(acme, "race-upload") == {"BK-A": 1, "BK-B": 1, "BK-C": 1}


def test_the_same_file_twice_in_one_call_is_deduplicated(acme):
    acme.put_open_items("twice", open_items(STANDARD), customers())
    data = _statement([A, C], 1)
    _, files, summary = acme.upload_files("twice", [("a.sta", data), ("b.sta", data)])
    assert [f.duplicate for f in files] == [False, True]
    assert (summary.payments_new, summary.auto_matched) == (2, 2)
    assert _applied(acme, "twice") == {"BK-A": 1, "BK-C": 1}

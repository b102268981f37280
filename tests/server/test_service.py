"""End to end: the real server process, the real client, one ledger per test."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import grpc
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from cashmatch.server._proto.cashmatch.v1 import cashmatch_pb2 as pb
from cashmatch.server.client import violations
from cashmatch.server.store import DB_NAME, hash_token
from tests.server.conftest import STANDARD, D, customers, open_amounts, open_items, payments


def _fails(code: grpc.StatusCode, call, *args, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        result = call(*args, **kwargs)
        if hasattr(result, "__next__"):
            list(result)
    assert caught.value.code() == code, caught.value.details()
    return caught.value


def test_snapshot_then_incremental_open_items(acme):
    put = acme.put_open_items("oi", open_items(STANDARD), customers())
    assert (put.open_items_received, put.customers_received, put.ledger_open_items) == (7, 4, 7)
    assert open_amounts(acme, "oi")["I2"] == 98050

    change = open_items(
        [("I2", "INV-2024-000124", "C1", 50000), ("I20", "INV-2024-000900", "C1", 1234, "USD")]
    )
    put = acme.put_open_items("oi", change, mode="incremental", closed_invoice_ids=["I3"])
    assert put.invoices_closed == 1
    amounts = open_amounts(acme, "oi")
    assert (amounts["I2"], amounts["I20"], amounts["I3"], amounts["I1"]) == (50000, 1234, 0, 125000)
    ledger = acme.get_ledger("oi")
    assert ledger.open_items == 7  # 7 + I20 - I3
    assert dict(ledger.open_minor_by_currency) == {
        "EUR": 125000 + 50000 + 30000 + 500000 + 120000,
        "USD": 1234,
    }

    # A new snapshot replaces the ledger whole.
    put = acme.put_open_items("oi", open_items(STANDARD[:2]), mode="snapshot")
    assert (put.invoices_removed, put.ledger_open_items) == (6, 2)
    assert set(open_amounts(acme, "oi")) == {"I1", "I2"}


def test_streamed_payments_are_matched_and_reduce_open_amounts(acme):
    acme.put_open_items("stream", open_items(STANDARD), customers())
    batch = payments(
        [
            {"amount_minor": 125000, "reference_text": "INV-2024-000123"},
            {"amount_minor": 45000, "payer_name": "ACME INTL SUPPLIES"},
            {"amount_minor": 777, "reference_text": "nothing"},
        ]
    )
    # Tiny chunks: the server reassembles an IPC stream cut into many messages.
    matches, summary = acme.match_payments(
        "stream", acme.payment_requests("stream", batch, chunk_bytes=256)
    )
    rows = {r["payment_id"]: r for r in matches.to_pylist()}
    assert (rows["P1"]["invoice_id"], rows["P1"]["status"]) == ("I1", "auto")
    assert (rows["P2"]["invoice_id"], rows["P2"]["status"]) == ("I3", "auto")
    assert (rows["P3"]["invoice_id"], rows["P3"]["status"]) == ("", "unmatched")
    assert (summary.payments_new, summary.auto_matched, summary.unmatched) == (3, 2, 1)
    assert dict(summary.applied_minor_by_currency) == {"EUR": 170000}
    amounts = open_amounts(acme, "stream")
    assert (amounts["I1"], amounts["I3"], amounts["I2"]) == (0, 0, 98050)
    # The next batch is matched against what is really still open: I1 is paid.
    matches, _ = acme.match_payments(
        "stream", payments([{"amount_minor": 125000, "reference_text": "INV-2024-000123"}], "Q")
    )
    assert matches["status"].to_pylist() != ["auto"] or matches["invoice_id"][0].as_py() != "I1"
    assert open_amounts(acme, "stream")["I1"] == 0


def test_single_payment_call_and_idempotent_resubmission(acme):
    acme.put_open_items("single", open_items(STANDARD), customers())
    payment = dict(
        payment_id="S1",
        amount_minor=98050,
        currency="EUR",
        value_date="2024-05-20",
        reference_text="INV-2024-000124",
    )
    first = acme.match_payment("single", **payment)
    assert (first.status, first.duplicate) == (pb.PAYMENT_STATUS_AUTO, False)
    assert [(m.invoice_id, m.amount_applied_minor) for m in first.matches] == [("I2", 98050)]
    again = acme.match_payment("single", **payment)
    assert again.duplicate and again.status == pb.PAYMENT_STATUS_AUTO
    assert [(m.invoice_id, m.amount_applied_minor) for m in again.matches] == [("I2", 98050)]
    assert open_amounts(acme, "single")["I2"] == 0
    exported = acme.export_applications("single").applications
    assert [(a.payment_id, a.invoice_id, a.amount_minor) for a in exported] == [("S1", "I2", 98050)]

    batch = payments(
        [
            {"amount_minor": 30000, "reference_text": "INV-2024-000200"},
            {"amount_minor": 98050, "reference_text": "INV-2024-000124"},
        ],
        "B",
    )
    _, first_summary = acme.match_payments("single", batch)
    _, second = acme.match_payments("single", batch)
    assert (first_summary.payments_new, second.payments_new) == (2, 0)
    assert (second.payments_duplicate, list(second.duplicate_payment_ids)) == (2, ["B1", "B2"])
    assert len(acme.export_applications("single").applications) == 2  # S1, B1: once each
    assert open_amounts(acme, "single")["I4"] == 0


def test_review_confirm_reject_correct_and_learning(acme):
    items = open_items(
        [
            *STANDARD,
            ("I11", "INV-2024-000400", "C1", 30000),
            ("I20", "INV-2024-000900", "C1", 1234, "USD"),
        ]
    )
    acme.put_open_items("review", items, customers())
    batch = payments(
        [
            {"amount_minor": 60000, "payer_name": "Granite Logistics Ltd"},  # I9 or I10?
            {"amount_minor": 45000, "payer_name": "Zeta Holdings"},  # amount only
            {"amount_minor": 777, "reference_text": "nothing"},
        ],
        "R",
    )
    _, summary = acme.match_payments("review", batch)
    assert (summary.suggested, summary.unmatched) == (2, 1)
    listed = list(acme.iter_review_items("review", page_size=1))
    assert [(i.payment.payment_id, i.status) for i in listed] == [
        ("R1", pb.PAYMENT_STATUS_SUGGESTED),
        ("R2", pb.PAYMENT_STATUS_SUGGESTED),
        ("R3", pb.PAYMENT_STATUS_UNMATCHED),
    ]
    proposed = listed[0].matches[0].invoice_id
    assert proposed in ("I9", "I10")

    confirmed = acme.confirm("review", "R1")
    assert [(m.invoice_id, m.status) for m in confirmed.matches] == [(proposed, "confirmed")]
    assert open_amounts(acme, "review")[proposed] == 0
    _fails(grpc.StatusCode.FAILED_PRECONDITION, acme.confirm, "review", "R1")

    assert acme.reject("review", "R2").status == pb.PAYMENT_STATUS_UNMATCHED
    assert open_amounts(acme, "review")["I3"] == 45000
    unmatched = [i.payment.payment_id for i in acme.iter_review_items("review", ["unmatched"])]
    assert unmatched == ["R2", "R3"]

    # A person picks I3 for Zeta Holdings: the service learns Zeta is customer C2.
    corrected = acme.correct("review", "R2", [("I3", 40000)])
    assert [
        (m.invoice_id, m.amount_applied_minor, m.invoice_residual_minor, m.payment_unapplied_minor)
        for m in corrected.matches
    ] == [("I3", 40000, 5000, 5000)]
    assert open_amounts(acme, "review")["I3"] == 5000
    nxt = acme.match_payment(
        "review",
        payment_id="R9",
        amount_minor=30000,
        currency="EUR",
        value_date="2024-05-21",
        payer_name="Zeta Holdings",
    )
    assert [(m.invoice_id, m.customer_id) for m in nxt.matches] == [("I4", "C2")]
    assert nxt.status == pb.PAYMENT_STATUS_AUTO

    # Corrections are validated, all at once.
    error = _fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        acme.correct,
        "review",
        "R3",
        [("I1", 200000), ("I20", 100), ("NOPE", 1), ("I2", -5)],
    )
    fields = dict(violations(error))
    assert "more than the 125000 open" in fields["allocations[0].amount_minor"]
    assert "invoice in USD" in fields["allocations[1].invoice_id"]
    assert "no invoice" in fields["allocations[2].invoice_id"]
    assert fields["allocations[3].amount_minor"] == "must be positive"
    error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.correct, "review", "R3", [("I1", 778)])
    assert "more than the payment" in dict(violations(error))["allocations"]
    assert open_amounts(acme, "review")["I1"] == 125000
    kinds = [a.kind for a in acme.export_applications("review").applications]
    assert kinds == [
        pb.APPLICATION_KIND_CONFIRMED,
        pb.APPLICATION_KIND_CORRECTED,
        pb.APPLICATION_KIND_AUTO,
    ]


def test_export_cursor_resumes_without_gaps_or_duplicates(acme):
    rows = [(f"E{k}", f"EXP-{k:06d}", "C1", 1000 + k) for k in range(7)]
    acme.put_open_items("export", open_items(rows), customers())
    batch = payments(
        [{"amount_minor": 1000 + k, "reference_text": f"EXP-{k:06d}"} for k in range(7)]
    )
    acme.match_payments("export", batch)
    # An ERP reads two pages, "crashes" before saving the second cursor, resumes.
    first = acme.export_applications("export", 0, page_size=3)
    assert first.more and len(first.applications) == 3
    second = acme.export_applications("export", first.next_after_sequence, page_size=3)
    resumed = acme.export_applications("export", first.next_after_sequence, page_size=3)
    assert list(second.applications) == list(resumed.applications)
    seen, cursor = list(first.applications), first.next_after_sequence
    while True:
        page = acme.export_applications("export", cursor, page_size=3)
        seen.extend(page.applications)
        cursor = page.next_after_sequence
        if not page.more:
            break
    sequences = [a.sequence for a in seen]
    assert sequences == sorted(set(sequences)) and len(sequences) == 7
    assert sorted(a.invoice_id for a in seen) == [f"E{k}" for k in range(7)]
    assert acme.export_applications("export", cursor).applications == []


def test_authentication_and_tenant_isolation(server, acme, globex):
    acme.put_open_items("acme-only", open_items(STANDARD))
    with server.client("cm_forged-token") as forged:
        _fails(grpc.StatusCode.UNAUTHENTICATED, forged.get_ledger, "acme-only")
    stub = acme.stub
    for metadata in ((), (("authorization", "Basic abc"),)):
        error = _fails(
            grpc.StatusCode.UNAUTHENTICATED,
            stub.GetLedger,
            pb.GetLedgerRequest(ledger_id="acme-only"),
            metadata=metadata,
        )
        assert "Bearer" in error.details()
    # Another tenant's ledger answers exactly as a name never used: no existence oracle.
    calls = (globex.get_open_items, globex.export_applications, globex.get_ledger,
             lambda name: globex.match_payments(name, payments([{"amount_minor": 125000}])),
             lambda name: globex.match_payment(name, payment_id="X", amount_minor=1,
                                               currency="EUR", value_date="2024-05-20"),
             lambda name: globex.confirm(name, "P1"))  # fmt: skip
    for call in calls:
        taken = _fails(grpc.StatusCode.NOT_FOUND, call, "acme-only")
        free = _fails(grpc.StatusCode.NOT_FOUND, call, "never-used-x")
        assert taken.details().replace("acme-only", "never-used-x") == free.details()
    # Two tenants may use the same name: globex's put makes globex's own ledger.
    put = globex.put_open_items("acme-only", open_items(STANDARD[:1]))
    assert put.ledger_open_items == 1
    assert set(open_amounts(globex, "acme-only")) == {"I1"}
    assert len(open_amounts(acme, "acme-only")) == len(STANDARD)
    _, summary = globex.match_payments(
        "acme-only", payments([{"amount_minor": 125000, "reference_text": "INV-2024-000123"}])
    )
    assert summary.auto_matched == 1
    assert open_amounts(acme, "acme-only")["I1"] == 125000
    assert acme.get_ledger("acme-only").payments == 0
    # Only the hash of a token is stored.
    db = sqlite3.connect(server.data_dir / DB_NAME)
    stored = [r[0] for r in db.execute("SELECT token_hash FROM tokens")]
    db.close()
    assert hash_token(server.tokens["acme"]) in stored
    assert server.tokens["acme"] not in stored


def test_bad_batches_are_refused_naming_batch_row_and_column(acme):
    acme.put_open_items("bad", open_items(STANDARD))
    good = payments([{"amount_minor": 1}, {"amount_minor": 2}], "G")
    day = good["value_date"][0]
    batches = [
        pa.record_batch(
            {
                "payment_id": ["G1", "G2"],
                "amount_minor": [1, 2],
                "currency": ["EUR", "EUR"],
                "value_date": [day, day],
            }
        ),
        pa.record_batch(
            {
                "payment_id": ["X1", "X2", "X3"],
                "amount_minor": [5, 6, 7],
                "currency": ["EUR", "EUR", None],
                "value_date": [day, day, day],
            }
        ),
    ]
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batches[0].schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
    requests = [
        pb.MatchPaymentsRequest(
            ledger_id="bad",
            chunk=pb.ArrowChunk(table=pb.TABLE_KIND_PAYMENTS, data=sink.getvalue().to_pybytes()),
        )
    ]
    error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.match_payments, "bad", iter(requests))
    assert violations(error) == [("payments.batch[1].row[2].currency", "a value is required")]

    text_amount = pa.table(
        {
            "payment_id": ["Y1", "Y2"],
            "amount_minor": ["10", "1x"],
            "currency": ["EUR", "EUR"],
            "value_date": ["2024-05-01"] * 2,
        }
    )
    error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.match_payments, "bad", text_amount)
    assert violations(error)[0][0] == "payments.batch[0].row[1].amount_minor"

    error = _fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        acme.match_payments,
        "bad",
        good.drop_columns(["currency"]),
    )
    assert violations(error) == [("payments.currency", "missing required column")]

    long_text = payments([{"amount_minor": 1, "reference_text": "x" * 5000}], "L")
    error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.match_payments, "bad", long_text)
    assert violations(error)[0][0] == "payments.batch[0].row[0].reference_text"

    twice = pa.concat_tables([good, good])
    error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.match_payments, "bad", twice)
    assert violations(error)[0][0] == "payments.row[2].payment_id"

    error = _fails(
        grpc.StatusCode.INVALID_ARGUMENT,
        acme.match_payment,
        "bad",
        payment_id="Z",
        amount_minor=1,
        currency="XXX",
        value_date="20-05-2024",
    )
    assert {f for f, _ in violations(error)} == {"payment.currency", "payment.value_date"}
    # Nothing of a refused batch was stored.
    assert acme.get_ledger("bad").payments == 0


def test_oversized_message_is_refused(acme):
    acme.put_open_items("big", open_items(STANDARD[:1]))
    blob = b"\0" * (9 * 1024 * 1024)
    requests = iter(
        [
            pb.MatchPaymentsRequest(
                ledger_id="big", chunk=pb.ArrowChunk(table=pb.TABLE_KIND_PAYMENTS, data=blob)
            )
        ]
    )
    _fails(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        acme.stub.MatchPayments,
        requests,
        metadata=acme.metadata,
        timeout=30,
    )


def test_upload_csv_file_and_submit_cli(server, acme, tmp_path):
    acme.put_open_items("files", open_items(STANDARD), customers())
    csv = (
        b"payment_id,amount,currency,value_date,payer_name,payer_account,reference_text\n"
        b"F1,1250.00,EUR,2024-05-20,Northwind,,INV-2024-000123\n"
        b"F2,450.00,EUR,2024-05-20,ACME INTL SUPPLIES,,\n"
    )
    matches, files, summary = acme.upload_files("files", [("incoming.csv", csv)])
    assert [(f.file_name, f.payments, f.duplicate) for f in files] == [("incoming.csv", 2, False)]
    assert sorted(
        zip(matches["payment_id"].to_pylist(), matches["invoice_id"].to_pylist(), strict=True)
    ) == [("F1", "I1"), ("F2", "I3")]
    assert summary.auto_matched == 2
    # The same file again: recognised, nothing applied twice.
    _, files, summary = acme.upload_files("files", [("again.csv", csv)])
    assert files[0].duplicate and summary.payments_new == 0 and summary.payments_duplicate == 2
    assert len(acme.export_applications("files").applications) == 2

    path = tmp_path / "more.csv"
    path.write_bytes(
        b"payment_id,amount,currency,value_date,payer_name,payer_account,reference_text\n"
        b"F3,980.50,EUR,2024-05-21,,,INV-2024-000124\n"
    )
    out = tmp_path / "matches.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cashmatch.server.cli_service",
            "submit",
            str(path),
            "--server",
            server.target,
            "--token",
            server.tokens["acme"],
            "--ledger",
            "files",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "more.csv: " in done.stdout and "auto: 1" in done.stdout
    assert "applied: 980.50 EUR" in done.stdout
    written = pacsv.read_csv(out).to_pylist()
    assert [(r["payment_id"], r["invoice_id"], str(r["amount_applied"])) for r in written] == [
        ("F3", "I2", "980.5")
    ]
    bad = (
        b"payment_id,amount,currency,value_date,payer_name,payer_account,reference_text\n"
        b"B1,12.3.4,EUR,2024-05-20,,,\n"
    )
    error = _fails(grpc.StatusCode.INVALID_ARGUMENT, acme.upload_files, "files", [("bad.csv", bad)])
    (field, _), *_ = violations(error)
    assert field.startswith("bad.csv") and "amount" in field


def test_health_and_reflection(server):
    assert server.health() == health_pb2.HealthCheckResponse.SERVING
    assert server.health("cashmatch.v1.CashMatchService") == health_pb2.HealthCheckResponse.SERVING
    with grpc.insecure_channel(server.target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        (response,) = list(stub.ServerReflectionInfo(iter([request]), timeout=10))
    names = {s.name for s in response.list_services_response.service}
    assert {"cashmatch.v1.CashMatchService", "grpc.health.v1.Health"} <= names


def test_concurrent_clients_same_result_as_sequential(server, acme):
    rows = [(f"K{k}", f"CON-{k:06d}", "C1", 5000 + k) for k in range(24)]
    batches = [
        payments(
            [{"amount_minor": 5000 + k, "reference_text": f"CON-{k:06d}"} for k in range(t, 24, 4)],
            f"T{t}-",
        )
        for t in range(4)
    ]
    for ledger in ("conc-a", "conc-b", "conc-seq"):
        acme.put_open_items(ledger, open_items(rows), customers())
    for batch in batches:
        acme.match_payments("conc-seq", batch)

    errors = []

    def work(ledger, batch):
        try:
            with server.client(server.tokens["acme"]) as client:
                client.match_payments(ledger, batch)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [
        threading.Thread(target=work, args=(ledger, batch))
        for batch in batches
        for ledger in ("conc-a", "conc-b")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors

    def applied(ledger):
        return sorted(
            (a.payment_id, a.invoice_id, a.amount_minor)
            for a in acme.export_applications(ledger).applications
        )

    assert applied("conc-a") == applied("conc-b") == applied("conc-seq")
    assert len(applied("conc-seq")) == 24
    assert open_amounts(acme, "conc-a") == open_amounts(acme, "conc-seq")

    # Eight people correct eight payments onto one invoice that can take only one.
    acme.put_open_items("race", open_items([("X1", "RACE-1", "C1", 10000)]), customers())
    acme.match_payments("race", payments([{"amount_minor": 6000 + k} for k in range(8)], "U"))
    outcomes = []

    def correct(k):
        with server.client(server.tokens["acme"]) as client:
            try:
                client.correct("race", f"U{k + 1}", [("X1", 6000)])
                outcomes.append("ok")
            except grpc.RpcError as error:
                outcomes.append(error.code())

    threads = [threading.Thread(target=correct, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert outcomes.count("ok") == 1
    assert outcomes.count(grpc.StatusCode.INVALID_ARGUMENT) == 7
    assert open_amounts(acme, "race")["X1"] == 4000
    assert [a.amount_minor for a in acme.export_applications("race").applications] == [6000]


def test_write_offs_close_invoices_and_are_exported(acme):
    acme.put_open_items("writeoff", open_items(STANDARD), customers())
    batch = payments(
        [
            # 12.50 bank fee short on INV-2024-000123; 2% discount on FA2400917.
            {"amount_minor": 125000 - 1250, "reference_text": "INV-2024-000123"},
            {"amount_minor": 490000, "reference_text": "FA2400917", "value_date": D(2024, 4, 22)},
        ]
    )
    matches, _ = acme.match_payments("writeoff", batch)
    actions = {r["invoice_id"]: r["residual_action"] for r in matches.to_pylist()}
    assert actions == {"I1": "write_off_bank_fee", "I7": "write_off_discount"}
    amounts = open_amounts(acme, "writeoff")
    assert (amounts["I1"], amounts["I7"]) == (0, 0)
    exported = [
        (a.invoice_id, a.amount_minor, a.kind)
        for a in acme.export_applications("writeoff").applications
    ]
    assert sorted(exported) == [
        ("I1", 1250, pb.APPLICATION_KIND_WRITE_OFF_BANK_FEE),
        ("I1", 123750, pb.APPLICATION_KIND_AUTO),
        ("I7", 10000, pb.APPLICATION_KIND_WRITE_OFF_DISCOUNT),
        ("I7", 490000, pb.APPLICATION_KIND_AUTO),
    ]
    # The advanced index knows both are closed: paying them again applies nothing.
    again, _ = acme.match_payments(
        "writeoff", payments([{"amount_minor": 1250, "reference_text": "INV-2024-000123"}], "W")
    )
    assert again["status"].to_pylist() != ["auto"]


def test_remittance_advice_before_its_payment_is_kept_then_linked(acme):
    acme.put_open_items("advice", open_items(STANDARD), customers())
    advice = (
        b"payment_reference,invoice_number,amount_paid,currency\n"
        b"TRC-77,INV-2024-000123,1250.00,EUR\n"
        b"TRC-77,INV-2024-000124,50.00,EUR\n"
    )
    matches, files, summary = acme.upload_files("advice", [("advice.csv", advice)])
    assert (files[0].format, summary.payments_received, matches.num_rows) == (
        "remittance_csv",
        0,
        0,
    )
    assert "kept until their payment arrives" in files[0].problems[0]
    # The bank statement comes the next day: the payment carries only the trace.
    statement = (
        b"payment_id,amount,currency,value_date,payer_name,payer_account,reference_text,trace_id\n"
        b"BANK-1,1300.00,EUR,2024-05-21,SOMEONE,,TRANSFER,TRC-77\n"
    )
    matches, files, _ = acme.upload_files("advice", [("statement.csv", statement)])
    rows = {r["invoice_id"]: r for r in matches.to_pylist()}
    assert {k: (r["amount_applied_minor"], r["status"]) for k, r in rows.items()} == {
        "I1": (125000, "auto"),
        "I2": (5000, "auto"),
    }
    assert rows["I1"]["reason"] == "remittance_advice"
    # Linked once: the advice is no longer waiting (another payment with the same trace).
    other = statement.replace(b"BANK-1", b"BANK-2").replace(b"1300.00", b"1250.00")
    matches, files, summary = acme.upload_files("advice", [("statement2.csv", other)])
    assert summary.payments_new == 1
    assert all(r["reason"] != "remittance_advice" for r in matches.to_pylist())

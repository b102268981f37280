"""The realistic profile: each case is what it says; the classic profile is unchanged.

The benchmark suite, its cached data and the sameness checks use the classic
output, so that is pinned byte for byte. The realistic cases are checked
against their own definitions on the ledger they come with: what the payer
quotes, what the truth applies, and what makes each case hard (a rival
invoice, an unknown account, a fee above 5%).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from itertools import combinations

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from bench.generator import generate
from bench.realistic_cases import REALISTIC_CASES
from bench.realistic_ledger import p_open, render_number, sample_ages
from bench.realistic_names import SCRIPTS, cyrillic_to_latin, latin_to_ascii, special_name
from bench.realistic_names import zengin_kana as kana
from bench.realistic_payers import looks_like_discount

# sha256 (first 16 hex digits) of the five tables of the classic output (their
# non-empty columns), as
# main made them before the realistic profile existed.
CLASSIC_DIGESTS = {
    (3, 400, 60): "d8524c9058006573",
    (11, 1500, 200): "b071b4756abbe819",
}


def _digest(data) -> str:
    h = hashlib.sha256()
    for name in ("customers", "open_items", "payments", "truth", "cases"):
        table = getattr(data, name)
        # Columns the generator leaves empty are left out, so that a column a
        # schema gains later (a loader's field, null in generated data) does
        # not change the digest of what the generator makes.
        table = table.select([c for c in table.column_names if table[c].null_count < len(table)])
        sink = pa.BufferOutputStream()
        with ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        h.update(sink.getvalue().to_pybytes())
    h.update(str(data.as_of).encode())
    return h.hexdigest()[:16]


@pytest.mark.parametrize("args", sorted(CLASSIC_DIGESTS))
def test_classic_profile_is_byte_identical(args):
    assert _digest(generate(*args)) == CLASSIC_DIGESTS[args]
    assert _digest(generate(*args, profile="classic")) == CLASSIC_DIGESTS[args]


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="unknown profile 'real'"):
        generate(1, 100, profile="real")


@pytest.fixture(scope="module")
def data():
    return generate(seed=77, n_invoices=8000, n_payments=2400, profile="realistic")


@pytest.fixture(scope="module")
def view(data):
    """Payments, truth and open items as dicts, by payment and by invoice."""
    items = {r["invoice_id"]: r for r in data.open_items.to_pylist()}
    truth = defaultdict(list)
    for r in data.truth.to_pylist():
        truth[r["payment_id"]].append(r)
    cases = dict(zip(data.cases["payment_id"].to_pylist(), data.cases["case"].to_pylist()))
    pays = {r["payment_id"]: r for r in data.payments.to_pylist()}
    by_kind = defaultdict(list)
    for pid, case in cases.items():
        by_kind[case.split(":")[0]].append(pid)
    customers = {r["customer_id"]: r for r in data.customers.to_pylist()}
    return {
        "items": items,
        "truth": truth,
        "cases": cases,
        "pays": pays,
        "kind": by_kind,
        "customers": customers,
    }


def test_realistic_profile_is_reproducible(data):
    again = generate(seed=77, n_invoices=8000, n_payments=2400, profile="realistic")
    assert _digest(again) == _digest(data)
    assert _digest(generate(seed=78, n_invoices=8000, n_payments=2400, profile="realistic")) != (
        _digest(data)
    )


def test_every_kind_is_generated_in_about_its_share(data, view):
    n = data.payments.num_rows
    for kind, share in REALISTIC_CASES.items():
        got = len(view["kind"][kind])
        # Duplicates and instalments emit more than one payment per draw.
        assert 0.3 * share * n <= got <= 3 * share * n + 5, (kind, got)


def test_truth_never_applies_more_than_is_open_nor_more_than_is_paid(data, view):
    applied = defaultdict(int)
    for pid, rows in view["truth"].items():
        total = sum(r["amount_applied_minor"] for r in rows)
        assert 0 < total <= view["pays"][pid]["amount_minor"], pid
        for r in rows:
            applied[r["invoice_id"]] += r["amount_applied_minor"]
            assert r["residual_action"] in (
                "none",
                "leave_open",
                "write_off_bank_fee",
                "write_off_discount",
            )
    for invoice, amount in applied.items():
        open_amount = view["items"][invoice]["amount_open_minor"]
        if open_amount < 0:
            assert amount == open_amount  # a credit note is used whole
        else:
            assert 0 < amount <= open_amount


def test_ledger_ages_numbers_and_credit_notes_like_a_real_one(data):
    items = data.open_items.to_pylist()
    credit = [r for r in items if r["amount_open_minor"] < 0]
    assert 0.04 * len(items) <= len(credit) <= 0.06 * len(items)
    ages = np.array([(data.as_of - r["issue_date"]).days for r in items])
    assert np.median(ages) < 90 and (ages > 365).mean() > 0.02
    numbers = [r["invoice_number"] for r in items]
    assert len(set(numbers)) == len(numbers)
    assert any(re.fullmatch(r"INV-2023-\d{6}", x) for x in numbers)
    assert any(re.fullmatch(r"88\d{8}", x) for x in numbers)
    assert any(re.fullmatch(r"[ABC]-2[34]-\d{5}", x) for x in numbers)
    # A year-restarting series has the same sequence open in two years.
    seqs = defaultdict(set)
    for x in numbers:
        m = re.fullmatch(r"INV-(\d{4})-(\d{6})", x)
        if m:
            seqs[int(m.group(2))].add(m.group(1))
    assert sum(len(years) > 1 for years in seqs.values()) >= 5


def test_ages_follow_the_chance_of_being_open():
    ages = sample_ages(np.random.default_rng(1), 200_000)
    assert ages.min() >= 1 and ages.max() <= 720
    # The density is proportional to p_open: compare two windows.
    young = ((ages >= 10) & (ages < 20)).mean()
    old = ((ages >= 400) & (ages < 410)).mean()
    expected = p_open(np.arange(10, 20)).sum() / p_open(np.arange(400, 410)).sum()
    assert young / old == pytest.approx(expected, rel=0.15)
    assert render_number("fa", 2024, 7) == "FA2400007"
    assert render_number("year", 2024, 117, credit=True) == "2024-00117"


def test_credit_note_payments_net_one_open_credit_note(view):
    modes = set()
    for pid in view["kind"]["credit_note"]:
        case = view["cases"][pid]
        if ":" not in case:
            continue  # the fallback when no credit note was left
        rows = view["truth"][pid]
        negative = [r for r in rows if r["amount_applied_minor"] < 0]
        assert len(negative) == 1 and len(rows) >= 2
        note = view["items"][negative[0]["invoice_id"]]
        assert note["amount_open_minor"] == negative[0]["amount_applied_minor"]
        pay = view["pays"][pid]
        mode = case.split(":")[1]
        modes.add(mode)
        if mode == "remittance":
            lines = pay["remittance"]
            assert sum(line["amount_paid_minor"] for line in lines) == pay["amount_minor"]
            assert any(line["invoice_ref"] == note["invoice_number"] for line in lines)
        elif mode == "unquoted":
            assert note["invoice_number"] not in pay["reference_text"]
    assert modes == {"quoted", "unquoted", "none", "remittance"}


def test_po_payments_quote_the_po_of_every_invoice_they_pay(view):
    for pid in view["kind"]["po_reference"]:
        if ":" not in view["cases"][pid]:
            continue
        text = view["pays"][pid]["reference_text"]
        for r in view["truth"][pid]:
            item = view["items"][r["invoice_id"]]
            assert item["po_number"] and item["po_number"] in text
            assert item["invoice_number"] not in text


def test_shorthand_covers_consecutive_numbers_of_one_customer(view):
    forms = set()
    for pid in view["kind"]["ref_shorthand"]:
        case = view["cases"][pid]
        if ":" not in case:
            continue
        forms.add(case.split(":")[1])
        rows = [view["items"][r["invoice_id"]] for r in view["truth"][pid]]
        assert len(rows) >= 2 and len({r["customer_id"] for r in rows}) == 1
        tails = [int(re.search(r"\d+$", r["invoice_number"]).group(0)) for r in rows]
        assert tails == list(range(tails[0], tails[0] + len(tails)))
        text = view["pays"][pid]["reference_text"]
        # Only the first number is written out in full, if any.
        assert not all(r["invoice_number"] in text for r in rows) or case.endswith(
            ("range", "glued")
        )
    assert forms == {
        "slash_suffix",
        "glued_suffix",
        "range",
        "glued",
        "comma_suffix",
        "spaced_list",
    }


def _sequence(number: str) -> int:
    """The sequence of a year-restarting number: after the last "-", or FA24's last 5 digits."""
    return int(number.rsplit("-", 1)[1] if "-" in number else number[-5:])


def test_year_reset_payments_quote_a_sequence_another_open_item_shares(view):
    rivals = 0
    by_tail = defaultdict(list)
    for item in view["items"].values():
        if item["amount_open_minor"] > 0:
            by_tail[_sequence(item["invoice_number"])].append(item)
    for pid in view["kind"]["year_reset"]:
        (row,) = view["truth"][pid]
        item = view["items"][row["invoice_id"]]
        seq = _sequence(item["invoice_number"])
        assert str(seq) in view["pays"][pid]["reference_text"]
        assert item["invoice_number"] not in view["pays"][pid]["reference_text"]
        rivals += len(by_tail[seq]) > 1
    assert rivals >= 0.8 * len(view["kind"]["year_reset"])


def test_garbled_references_differ_from_the_number(view):
    for pid in view["kind"]["garbled_ref"]:
        text = view["pays"][pid]["reference_text"]
        numbers = [view["items"][r["invoice_id"]]["invoice_number"] for r in view["truth"][pid]]
        assert not all(n in text for n in numbers), (text, numbers)


def test_amount_only_payments_have_a_rival_combination(view):
    open_by_customer = defaultdict(list)
    for item in view["items"].values():
        open_by_customer[item["customer_id"]].append(item)
    for pid in view["kind"]["amount_only"]:
        if ":" not in view["cases"][pid]:
            continue
        (row,) = view["truth"][pid]
        item = view["items"][row["invoice_id"]]
        pay = view["pays"][pid]
        assert pay["reference_text"] in (
            "",
            "PAYMENT",
            "ZAHLUNG",
            "VIREMENT",
            "SEPA CREDIT TRANSFER",
            "SAMMELZAHLUNG",
        )
        assert pay["payer_account"] in view["customers"][item["customer_id"]]["bank_accounts"]
        others = [
            o["amount_open_minor"]
            for o in open_by_customer[item["customer_id"]]
            if o["invoice_id"] != item["invoice_id"] and o["amount_open_minor"] > 0
        ]
        size = 2 if view["cases"][pid].endswith("pair") else 3
        assert any(sum(c) == pay["amount_minor"] for c in combinations(others, size))


def test_name_payments_come_from_unknown_accounts_in_another_script(view):
    scripts = set()
    for pid in view["kind"]["name_script"]:
        case = view["cases"][pid]
        if ":" not in case:
            continue
        variant = case.split(":")[1]
        scripts.add(variant.split("_")[0])
        (row,) = view["truth"][pid]
        customer = view["customers"][view["items"][row["invoice_id"]]["customer_id"]]
        pay = view["pays"][pid]
        assert pay["payer_account"] not in customer["bank_accounts"]
        if variant.endswith("reverse"):
            assert customer["name"].isascii() and not pay["payer_name"].isascii()
        else:
            assert not customer["name"].isascii()
            assert pay["payer_name"].isascii() or variant == "japanese"
    assert scripts == set(SCRIPTS)


def test_fees_are_above_five_percent_of_small_payments_and_correspondent_charges(view):
    for kind in ("bank_charge", "fx_charges", "fee_shortpay"):
        for pid in view["kind"][kind]:
            (row,) = view["truth"][pid]
            pay = view["pays"][pid]
            fee = view["items"][row["invoice_id"]]["amount_open_minor"] - pay["amount_minor"]
            assert fee > 0 and row["residual_action"] == "write_off_bank_fee"
            # Never a shortfall a customary discount would explain as well.
            assert not looks_like_discount(fee + pay["amount_minor"], fee)
            if kind == "bank_charge":
                assert fee > 0.05 * pay["amount_minor"]
            elif kind == "fx_charges":
                assert pay["currency"] != "EUR"


def test_instalments_add_up_to_what_is_open_and_the_last_closes_it(view):
    paid = defaultdict(list)
    for pid in view["kind"]["instalment"]:
        (row,) = view["truth"][pid]
        paid[row["invoice_id"]].append((pid, row))
    assert any(len(rows) > 1 for rows in paid.values())
    for invoice, rows in paid.items():
        case = view["cases"][rows[0][0]]
        open_amount = view["items"][invoice]["amount_open_minor"]
        total = sum(r["amount_applied_minor"] for _, r in rows)
        if case.endswith("middle"):
            assert total < open_amount and rows[-1][1]["residual_action"] == "leave_open"
        else:
            assert total == open_amount and rows[-1][1]["residual_action"] == "none"


def test_third_parties_and_legal_form_twins(view):
    customers = view["customers"]
    for pid in view["kind"]["third_party"]:
        (row,) = view["truth"][pid]
        owner = customers[view["items"][row["invoice_id"]]["customer_id"]]
        pay = view["pays"][pid]
        assert pay["payer_account"] not in owner["bank_accounts"] or not owner["bank_accounts"]
        assert view["items"][row["invoice_id"]]["invoice_number"] in pay["reference_text"]
    forms = defaultdict(set)
    for c in customers.values():
        base, _, form = c["name"].rpartition(" ")
        forms[base].add(form)
    assert any(
        {"SA", "SARL"} <= f or {"GmbH", "AG"} <= f or {"Ltd", "Inc"} <= f for f in forms.values()
    )
    for pid in view["kind"]["legal_form"]:
        case = view["cases"][pid]
        if case.startswith("legal_form:cut"):
            assert re.search(r" (SA|IN)$", view["pays"][pid]["payer_name"])


def test_unmatchable_closed_invoices_quote_a_number_no_open_item_has(view):
    numbers = {item["invoice_number"] for item in view["items"].values()}
    closed = [p for p in view["kind"]["unmatchable"] if view["cases"][p].endswith("closed_invoice")]
    assert closed
    for pid in closed:
        assert pid not in view["truth"]
        quoted = re.findall(r"[A-Z0-9][A-Z0-9-]{4,}", view["pays"][pid]["reference_text"])
        assert quoted and not set(quoted) & numbers


def test_bank_renderings_of_names():
    assert cyrillic_to_latin("ЖЕМЧУГ", "swift") == "JEMCHUG"
    assert cyrillic_to_latin("ЖЕМЧУГ", "icao") == "ZHEMCHUG"
    assert latin_to_ascii("Ærø Fiskeri", "german") == "AEROE FISKERI"
    assert latin_to_ascii("Ærø Fiskeri", "strip") == "AERO FISKERI"
    # Zengin's half-width kana read back as the full-width reading, small kana enlarged.
    assert unicodedata.normalize("NFKC", kana("キョウワカガク")) == "キヨウワカガク"
    rng = np.random.default_rng(5)
    for script in SCRIPTS:
        for _ in range(20):
            name = special_name(rng, script)
            assert name.bank and all(name.bank)
            if not name.reverse and script != "japanese":
                assert all(b.isascii() for b in name.bank), name

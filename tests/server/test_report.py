"""The figures of a run and its HTML report, read as text (see test_report_browser for the page)."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import re

import lxml.html
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashmatch.engine import build_index, match_payments
from cashmatch.engine.review import review_alternatives, review_matches
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders import read_customers, read_open_items, read_payments
from cashmatch.server.report import RunInfo, compute_figures, render_report, summary_lines
from cashmatch.server.report.html import exceptions
from tests.server.report_data import EXAMPLES, HOSTILE, hostile_run, read_csv


@pytest.fixture(scope="module")
def example_run():
    index = build_index(
        read_open_items(EXAMPLES / "open_items.csv"), read_customers(EXAMPLES / "customers.csv")
    )
    payments = read_payments(EXAMPLES / "payments.csv")
    result = match_payments(index, payments, alternatives=True)
    return index, payments, result, review_matches(index, payments, result)


@pytest.mark.parametrize(
    "name",
    [
        "cashmatch.engine.review",
        "cashmatch.loaders.camt",
        "cashmatch.server.report.figures",
        "cashmatch.server.report.html",
        "cashmatch.server.report.reasons",
    ],
)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_every_payment_s_cash_is_accounted_for_once(example_run):
    _, payments, result, reviewed = example_run
    figures = compute_figures(reviewed)
    assert figures.payments == payments.num_rows
    assert figures.statuses == {s: result.stats[s] for s in ("auto", "suggested", "unmatched")}
    received = {}
    for row in payments.to_pylist():
        received[row["currency"]] = received.get(row["currency"], 0) + row["amount_minor"]
    for currency, lines in figures.by_currency.items():
        assert lines["received"].minor == received[currency]
        parts = ("auto", "on_account", "suggested", "unmatched")
        assert sum(lines[k].minor for k in parts) == lines["received"].minor
        assert lines["auto"].count + lines["suggested"].count + lines["unmatched"].count == (
            lines["received"].count
        )
    assert figures.by_currency["EUR"]["auto"].minor == result.stats["applied_minor"]["EUR"]
    assert figures.contested == result.stats["contested"]
    fees = sum(
        r["invoice_residual_minor"]
        for r in reviewed.to_pylist()
        if r["status"] == "auto"
        and r["residual_action"] == "write_off_bank_fee"
        and r["currency"] == "EUR"
    )
    assert figures.by_currency["EUR"]["write_off_bank_fee"].minor == fees > 0


def test_summary_lines_show_decimals_with_their_currency(example_run):
    lines = summary_lines(compute_figures(example_run[3]))
    assert lines[0].split() == ["by", "currency", "count", "amount"]
    jpy = [line for line in lines if line.startswith("JPY")]
    assert jpy and re.search(r"received\s+\d+\s+\d+ JPY$", jpy[0])
    assert any(re.search(r"applied automatically\s+\d+\s+\d+\.\d\d EUR$", x) for x in lines)


def test_the_queue_holds_every_exception_with_its_alternatives(example_run):
    index, _, result, reviewed = example_run
    queue = exceptions(reviewed, review_alternatives(index, result))
    assert len(queue) == result.stats["suggested"] + result.stats["unmatched"]
    assert [e["value_date"] for e in queue] == sorted(e["value_date"] for e in queue)
    with_alternatives = [e for e in queue if e["alternatives"]]
    assert with_alternatives
    ranks = {(r["payment_id"], r["rank"]) for r in result.alternatives.to_pylist()}
    assert sum(len(e["alternatives"]) for e in queue) == len(ranks)
    contested = [e for e in queue if "contested" in e["reason"]]
    assert len(contested) == result.stats["contested"]
    assert all(e["contested_with"] for e in contested)


def test_report_needs_nothing_outside_itself(tmp_path):
    html = hostile_run(tmp_path)["report"].read_text()
    # The only URL is SVG's namespace name, which is never fetched.
    assert set(re.findall(r"[a-z]+://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"<(link|iframe|object|embed|img|base)\b", html, re.I)
    attributes = {name for element in lxml.html.fromstring(html).iter() for name in element.attrib}
    assert not attributes & {"src", "href", "srcset", "action", "background", "poster"}
    assert "@import" not in html and "url(" not in html
    (meta,) = lxml.html.fromstring(html).xpath("//meta[@http-equiv='Content-Security-Policy']")
    policy = meta.get("content")
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy
    assert "'unsafe-inline'" not in policy


def test_hostile_names_and_texts_are_text_not_markup(tmp_path):
    out = hostile_run(tmp_path)
    html = out["report"].read_text()
    assert "<script>window.__pwned" not in html and "<img" not in html and "<h1>broken" not in html
    document = lxml.html.fromstring(html)
    assert len(document.findall(".//script")) == 2
    assert [h.text for h in document.iter("h1")] == ["Matching report"]
    payers = {td.text_content() for td in document.find_class("payer")}
    refs = {td.text_content() for td in document.find_class("ref")}
    for name, text in HOSTILE:
        assert name in payers and text in refs
    evil = {r["payment_id"]: r for r in read_csv(out["matches"]) if r["payment_id"].startswith("E")}
    assert {r["payer_name"] for r in evil.values()} == {name for name, _ in HOSTILE}


def _one_payment(name: str, text: str) -> str:
    items = pa.table(
        {
            "invoice_id": ["I1"],
            "invoice_number": ["INV-1"],
            "customer_id": ["C1"],
            "customer_name": ["Acme"],
            "currency": ["EUR"],
            "amount_open_minor": [5000],
            "issue_date": [dt.date(2024, 5, 1)],
            "due_date": [dt.date(2024, 5, 31)],
        }
    )
    index = build_index(items)
    payments = pa.Table.from_pylist(
        [
            {
                "payment_id": "P1",
                "amount_minor": 4321,
                "currency": "EUR",
                "value_date": dt.date(2024, 5, 10),
                "payer_name": name,
                "reference_text": text,
                "source_location": text,
            }
        ],
        schema=PAYMENTS,
    )
    result = match_payments(index, payments, alternatives=True)
    reviewed = review_matches(index, payments, result)
    return render_report(reviewed, review_alternatives(index, result), RunInfo(inputs=[name]))


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(name=_TEXT.filter(lambda s: s.strip()), text=_TEXT)
def test_any_payer_name_and_reference_read_back_as_given(name, text):
    document = lxml.html.fromstring(_one_payment(name, text))
    (payer,) = document.find_class("payer")
    assert payer.text_content() == name
    (ref,) = document.find_class("ref")
    assert ref.text_content() == text
    (item,) = document.find_class("item")
    assert item.get("data-payer") == name.lower()
    assert len(document.findall(".//script")) == 2

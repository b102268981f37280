"""The HTML report as a person sees it: opened in headless Chromium, read from the rendered DOM."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.server.browser import chromium, full_page_screenshot, require_chromium
from tests.server.report_data import HOSTILE, hostile_run, read_csv


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    require_chromium()
    return hostile_run(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def page(run):
    with chromium() as driver:
        driver.get(run["report"].resolve().as_uri())
        yield driver


@pytest.fixture(scope="module")
def payments(run):
    """Per payment: its status, amount and the invoice numbers it and its alternatives name."""
    out: dict[str, dict] = {}
    for row in read_csv(run["matches"]):
        entry = out.setdefault(row["payment_id"], {**row, "numbers": set()})
        if row["invoice_number"]:
            entry["numbers"].add(row["invoice_number"])
    for row in read_csv(run["alternatives"]):
        out[row["payment_id"]].setdefault("alternative_numbers", set()).add(row["invoice_number"])
    return out


def _visible(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('tbody.item'))"
        ".filter(t => !t.hidden).map(t => t.dataset.payment)"
    )


def _search(driver, text: str) -> list[str]:
    box = driver.find_element("id", "search")
    box.clear()
    if text:
        box.send_keys(text)
    else:  # clear() fires no input event
        driver.execute_script("document.getElementById('search').dispatchEvent(new Event('input'))")
    return _visible(driver)


def _select(driver, name: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", f"filter-{name}")).select_by_value(value)


def test_page_opens_with_its_script_and_nothing_fetched(page):
    assert page.title.endswith("matching report")
    assert page.execute_script("return document.documentElement.classList.contains('js')")
    assert page.execute_script("return performance.getEntriesByType('resource').length") == 0
    errors = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def test_summary_figures_are_the_run_s(page, payments):
    statuses = [p["status"] for p in payments.values()]
    shown = {
        key: page.find_element("css selector", f"[data-figure={key}]").text
        for key in ("payments", "auto", "suggested", "unmatched")
    }
    assert shown == {
        "payments": f"{len(payments):,}",
        "auto": f"{statuses.count('auto'):,}",
        "suggested": f"{statuses.count('suggested'):,}",
        "unmatched": f"{statuses.count('unmatched'):,}",
    }
    received = page.find_element(
        "css selector", "table.figures[data-currency=EUR] tr[data-line=received] td.money"
    ).text
    eur = sum(
        int(p["payment_amount"].replace(".", ""))
        for p in payments.values()
        if p["currency"] == "EUR"
    )
    assert received == f"{eur // 100:,}.{eur % 100:02d} EUR"
    assert len(page.find_elements("css selector", "svg.chart")) == 4


def test_queue_lists_every_exception_and_hostile_text_stays_text(page, payments):
    exceptions = {p for p, row in payments.items() if row["status"] != "auto"}
    assert set(_search(page, "")) == exceptions
    assert page.execute_script("return window.__pwned") is None
    # The hostile markup did not become elements: one h1, no img, the page's scripts only.
    assert len(page.find_elements("tag name", "h1")) == 1
    assert page.find_elements("tag name", "img") == []
    assert len(page.find_elements("tag name", "script")) == 2
    payers = {
        td.get_attribute("textContent")
        for td in page.find_elements("css selector", "tbody.item td.payer")
    }
    assert {name for name, _ in HOSTILE} <= payers


def test_search_by_payer_amount_and_invoice_number(page, payments):
    assert sorted(_search(page, "pwned")) == ["EVIL1", "EVIL2"]
    assert _search(page, "<script>") == ["EVIL1"]
    assert _search(page, "222.11") == ["EVIL2"]
    suggested = next(
        p
        for p, row in sorted(payments.items())
        if row["status"] == "suggested" and row.get("alternative_numbers")
    )
    row = payments[suggested]
    amount = row["payment_amount"]
    whole, cents = amount.split(".")
    grouped = f"{int(whole):,}.{cents}"
    assert suggested in _search(page, grouped)
    assert suggested in _search(page, amount.replace(".", ","))
    (number,) = sorted(row["numbers"])[:1]
    assert suggested in _search(page, number)
    alternative = sorted(row["alternative_numbers"])[0]
    assert suggested in _search(page, alternative.lower())
    payer = row["payer_name"].split()[0]
    assert suggested in _search(page, payer)
    assert _search(page, "no such payer anywhere") == []
    assert page.find_element("id", "nothing").is_displayed()
    assert page.find_element("id", "shown").text.startswith("0 of ")
    _search(page, "")


def test_filters_by_status_and_reason(page, payments):
    _select(page, "status", "unmatched")
    shown = _visible(page)
    assert set(shown) == {p for p, row in payments.items() if row["status"] == "unmatched"}
    _select(page, "status", "")
    _select(page, "reason", "customer+amount_ambiguous")
    shown = _visible(page)
    assert shown and all(
        payments[p]["reason"].startswith("customer+amount_ambiguous") for p in shown
    )
    _select(page, "reason", "")
    assert len(_visible(page)) == sum(r["status"] != "auto" for r in payments.values())


def test_sorting_by_amount_and_back_by_date(page):
    header = page.find_element("css selector", "th[data-sort=amount]")
    header.click()
    amounts = page.execute_script(
        "return Array.from(document.querySelectorAll('tbody.item')).map(t => +t.dataset.amount)"
    )
    assert amounts == sorted(amounts) and header.get_attribute("aria-sort") == "ascending"
    header.click()
    amounts = page.execute_script(
        "return Array.from(document.querySelectorAll('tbody.item')).map(t => +t.dataset.amount)"
    )
    assert amounts == sorted(amounts, reverse=True)
    page.find_element("css selector", "th[data-sort=date]").click()
    dates = page.execute_script(
        "return Array.from(document.querySelectorAll('tbody.item')).map(t => t.dataset.date)"
    )
    assert dates == sorted(dates)


def test_a_payment_opens_on_its_evidence_and_alternatives(page, payments, run, tmp_path):
    ambiguous = next(
        p
        for p, row in sorted(payments.items())
        if row["reason"] == "customer+amount_ambiguous" and row.get("alternative_numbers")
    )
    assert _search(page, ambiguous) == [ambiguous]
    item = page.find_element("css selector", f"tbody.item[data-payment='{ambiguous}']")
    evidence = item.find_element("css selector", "tr.evidence")
    assert not evidence.is_displayed()
    item.find_element("css selector", "tr.head").click()
    assert evidence.is_displayed()
    text = evidence.text
    assert "several of the customer's invoices fit the amount" in text
    shown = {e.text for e in evidence.find_elements("css selector", "table.alternatives .inv")}
    assert shown == payments[ambiguous]["alternative_numbers"]
    assert payments[ambiguous]["source_location"] in text
    contested = next(p for p, row in sorted(payments.items()) if "contested" in row["reason"])
    _search(page, contested)
    item = page.find_element("css selector", f"tbody.item[data-payment='{contested}']")
    item.find_element("css selector", "tr.head").click()
    rival = item.find_element("css selector", "code.rival").text
    assert rival == payments[contested]["contested_with"]
    _search(page, "")
    path = tmp_path / "report.png"
    full_page_screenshot(page, str(path))
    assert path.stat().st_size > 10_000
    keep = os.environ.get("CASHMATCH_SCREENSHOTS")
    if keep:
        os.makedirs(keep, exist_ok=True)
        shutil.copy(path, os.path.join(keep, "report.png"))

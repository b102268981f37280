"""The HTML report of a matching run: one self-contained file a person reads in a browser.

The summary in figures and charts, then the exceptions queue: every suggested
and unmatched payment with its evidence, the other payments that claimed its
invoice and its next best candidates, sortable, filterable and searchable by
payer, amount or invoice number.

The file needs nothing but itself: styles and the small script that sorts and
filters are inline, the charts are SVG drawn here (:mod:`.charts`), and a
Content-Security-Policy allows only that style and that script (by hash), so
no network request is made and nothing injected would run. Every value from
the input is escaped by Jinja2's autoescaping: payer names and reference texts
come from outside.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from importlib import resources

import jinja2
import pyarrow as pa
import pyarrow.compute as pc
from markupsafe import Markup, escape

from cashmatch.engine.money import format_amount
from cashmatch.engine.schemas import AUTO, SUGGESTED, UNMATCHED
from cashmatch.server.report import charts
from cashmatch.server.report.figures import (
    CONFIDENCE_BIN,
    LINES,
    Figures,
    compute_figures,
    first_rows,
)
from cashmatch.server.report.reasons import evidence, explain

# Reasons drawn in the reasons chart; the rest are summed as "other".
MAX_REASONS_CHARTED = 14
KIND_LABELS = {
    "hypothesis": "weighed by the engine",
    "same_amount": "same amount",
    "other_combination": "other combination",
    "nearest_amount": "nearest amount",
}
ACTION_LABELS = {
    "none": "",
    "leave_open": "rest stays open",
    "write_off_bank_fee": "write off as bank fee",
    "write_off_discount": "write off as discount",
}


@dataclass
class RunInfo:
    """What the report says about the run itself.

    Attributes:
        inputs: the files read, as named on the command line.
        open_items: how many open items the payments were matched against.
        auto_threshold, suggest_threshold: the confidences that decided.
        generated: when the report was made (UTC).
    """

    inputs: list[str] = field(default_factory=list)
    open_items: int = 0
    auto_threshold: float = 0.0
    suggest_threshold: float = 0.0
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))


def display_amount(minor: int, currency: str) -> str:
    """An amount as people read it: digits grouped by thousands, then the currency.

    Example:
        >>> display_amount(123456789, "EUR"), display_amount(-5000, "JPY")
        ('1,234,567.89 EUR', '-5,000 JPY')
    """
    text = format_amount(minor, currency)
    sign = "-" if text.startswith("-") else ""
    whole, dot, fraction = text.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}{dot}{fraction} {currency}"


def _search_forms(minor: int, currency: str) -> list[str]:
    """The ways a person types an amount: 1234.50, 1,234.50, 1234,50."""
    plain = format_amount(minor, currency)
    grouped = display_amount(minor, currency).rsplit(" ", 1)[0]
    return [plain, grouped, plain.replace(".", ",")]


def _invoice(row: dict, currency: str, open_minor: int | None = None) -> dict:
    applied = row["amount_applied_minor"]
    residual = row["invoice_residual_minor"]
    opened = open_minor if open_minor is not None else applied + residual
    return {
        "invoice_id": row["invoice_id"],
        "invoice_number": row["invoice_number"],
        "customer": row.get("customer_name") or row.get("customer_id") or "",
        "open": display_amount(opened, currency),
        "applied": display_amount(applied, currency),
        "residual": display_amount(residual, currency) if residual else "",
        "action": ACTION_LABELS.get(row["residual_action"], row["residual_action"]),
    }


def _alternatives_by_payment(alternatives: pa.Table) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in alternatives.to_pylist():
        ranked = out.setdefault(row["payment_id"], [])
        if not ranked or ranked[-1]["rank"] != row["rank"]:
            confidence = row["confidence"]
            ranked.append(
                {
                    "rank": row["rank"],
                    "kind": KIND_LABELS.get(row["kind"], row["kind"]),
                    "confidence": "" if confidence is None else f"{confidence:.2f}",
                    "reason": row["reason"],
                    "phrases": explain(row["reason"]),
                    "unapplied": row["payment_unapplied_minor"],
                    "unapplied_text": display_amount(
                        row["payment_unapplied_minor"], row["currency"]
                    ),
                    "invoices": [],
                }
            )
        ranked[-1]["invoices"].append(_invoice(row, row["currency"], row["invoice_open_minor"]))
    return out


def exceptions(reviewed: pa.Table, alternatives: pa.Table) -> list[dict]:
    """Every suggested and unmatched payment as the queue shows it, oldest value date first."""
    mask = pc.is_in(reviewed["status"], pa.array([SUGGESTED, UNMATCHED]))
    rows = reviewed.filter(mask).to_pylist()
    others = _alternatives_by_payment(alternatives)
    queue: list[dict] = []
    for row in rows:
        if queue and queue[-1]["payment_id"] == row["payment_id"]:
            if row["invoice_id"]:
                queue[-1]["applications"].append(_invoice(row, row["currency"]))
            continue
        currency = row["currency"]
        alts = others.get(row["payment_id"], [])
        invoice_numbers = [row["invoice_number"]] + [
            inv["invoice_number"] for alt in alts for inv in alt["invoices"]
        ]
        searched = [
            row["payment_id"],
            row["payer_name"] or "",
            row["payer_account"] or "",
            row["customer_name"] or "",
            row["reference_text"] or "",
            *invoice_numbers,
            *_search_forms(row["payment_amount_minor"], currency),
        ]
        queue.append(
            {
                "payment_id": row["payment_id"],
                "status": row["status"],
                "currency": currency,
                "amount_minor": row["payment_amount_minor"],
                "amount": display_amount(row["payment_amount_minor"], currency),
                "value_date": row["value_date"].isoformat(),
                "payer_name": row["payer_name"] or "",
                "payer_account": row["payer_account"] or "",
                "reference_text": row["reference_text"] or "",
                "source_file": row["source_file"] or "",
                "source_location": row["source_location"] or "",
                "customer": row["customer_name"] or row["customer_id"] or "",
                "confidence": row["confidence"],
                "reason": row["reason"],
                "evidence": evidence(row["reason"]),
                "phrases": explain(row["reason"]),
                "applications": [_invoice(row, currency)] if row["invoice_id"] else [],
                "unapplied": display_amount(row["payment_unapplied_minor"], currency),
                "unapplied_minor": row["payment_unapplied_minor"],
                "contested_with": [p for p in row["contested_with"].split("|") if p],
                "alternatives": alts,
                "search": " ".join(searched).casefold(),
            }
        )
    queue.sort(key=lambda e: (e["value_date"], -e["amount_minor"], e["payment_id"]))
    return queue


def _charts(figures: Figures) -> dict[str, Markup]:
    total = sum(figures.statuses.values())
    status_rows = [
        (
            "payments",
            [
                (s, figures.statuses.get(s, 0), f"{figures.statuses.get(s, 0):,} {s}")
                for s in (AUTO, SUGGESTED, UNMATCHED)
            ],
        )
    ]
    amount_rows = []
    for currency, lines in figures.by_currency.items():
        parts = []
        for key in (AUTO, "on_account", SUGGESTED, UNMATCHED):
            minor = lines[key].minor
            parts.append(
                (key, max(minor, 0), f"{charts.LABELS[key]}: {display_amount(minor, currency)}")
            )
        amount_rows.append((currency, parts))
    by_reason: dict[str, dict[str, int]] = {}
    for reason, status, count in figures.reasons:
        key = evidence(reason)
        by_reason.setdefault(key, {})
        by_reason[key][status] = by_reason[key].get(status, 0) + count
    ordered = sorted(by_reason.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    if len(ordered) > MAX_REASONS_CHARTED:
        rest: dict[str, int] = {}
        for _, counts in ordered[MAX_REASONS_CHARTED - 1 :]:
            for status, n in counts.items():
                rest[status] = rest.get(status, 0) + n
        ordered = ordered[: MAX_REASONS_CHARTED - 1] + [("other reasons", rest)]
    return {
        "status_count": charts.stacked_bars(
            status_rows, f"{total:,} payments by status", counted=True
        ),
        "status_amount": charts.stacked_bars(amount_rows, "Amounts received by status"),
        "reasons": charts.reason_bars(ordered, "Payments by reason"),
        "confidence": charts.histogram(figures.confidence, CONFIDENCE_BIN, "Confidence"),
    }


# Run before the body is parsed, so that the evidence rows the script toggles are
# hidden from the first layout (without a script, every row shows).
_HEAD_SCRIPT = 'document.documentElement.classList.add("js");'


def _asset(name: str) -> str:
    return resources.files("cashmatch.server.report").joinpath("templates", name).read_text()


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


def breakable(reason: str) -> Markup:
    """A ``+``-joined reason, escaped, that may wrap after each ``+``."""
    return Markup("+<wbr>").join(escape(part) for part in reason.split("+"))


_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("cashmatch.server.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENVIRONMENT.filters["breakable"] = breakable


def render_report(
    reviewed: pa.Table, alternatives: pa.Table, info: RunInfo, title: str = "cashmatch"
) -> str:
    """The report as one HTML document.

    Args:
        reviewed: the matches as reviewed (MATCHES_FOR_REVIEW).
        alternatives: the alternatives as reviewed (ALTERNATIVES_FOR_REVIEW).
        info: what to say about the run.
        title: the document's title.
    """
    figures = compute_figures(reviewed)
    style, script = _asset("report.css"), _asset("report.js")
    scripts = " ".join(_csp_hash(text) for text in (_HEAD_SCRIPT, script))
    csp = (
        "default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'; "
        f"style-src {_csp_hash(style)}; script-src {scripts}"
    )
    queue = exceptions(reviewed, alternatives)
    summary = []
    for currency, lines in figures.by_currency.items():
        summary.append(
            {
                "currency": currency,
                "lines": [
                    {
                        "key": key,
                        "label": label,
                        "count": lines[key].count,
                        "amount": display_amount(lines[key].minor, currency),
                    }
                    for key, label in LINES
                ],
            }
        )
    first = reviewed.filter(pa.array(first_rows(reviewed)))
    return _ENVIRONMENT.get_template("report.html.j2").render(
        title=title,
        csp=csp,
        style=Markup(style),
        script=Markup(script),
        head_script=Markup(_HEAD_SCRIPT),
        info=info,
        figures=figures,
        summary=summary,
        charts=_charts(figures),
        queue=queue,
        reasons=sorted({e["evidence"] for e in queue}),
        currencies=sorted({e["currency"] for e in queue}),
        payments=first.num_rows,
    )


def write_text_atomically(text: str, path: str | os.PathLike) -> None:
    """Write ``text`` (UTF-8) so that the file appears whole or not at all."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, tmp = tempfile.mkstemp(prefix=".cashmatch-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise

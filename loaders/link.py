"""Attach remittance advices (EDI 820, remittance CSV) to the payments they describe.

An advice travels apart from its money: the bank statement carries the
payment, the 820 or the CSV says which invoices it pays. Each advice is tried,
in this order, until one way finds exactly one payment:

1. ``trace_id``: the advice's trace id equals a payment's ``trace_id``,
   ``end_to_end_id`` or ``payment_id`` (case-insensitive); failing that, it
   appears as a whole token of a payment's ``reference_text`` (trace ids of
   6 characters or more, so that "0001" does not hit every text).
2. ``end_to_end_id``: the advice's end-to-end id equals a payment's.
3. ``amount_payer_date``: same currency and amount, a payer name that agrees
   (normalised; one may be the other cut short, as banks cut names) and a
   value date within ``date_window_days`` of the advice's payment date.

A key that finds several payments is narrowed to those of the advice's amount
and currency; if that still leaves several, the advice is ambiguous and is not
linked. An advice links to at most one payment; a payment may take several
advices. Every advice not linked is reported with the reason.

Indexes are dicts built once, so the cost is linear in payments + advices.

Example:
    >>> result = link_remittance(payments, advices)  # doctest: +SKIP
    >>> result.linked[0]  # doctest: +SKIP
    Link(advice_id='S/1/1/0001', payment_id='BAI-123', method='trace_id')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.normalize import normalize_name

TRACE = "trace_id"
TRACE_IN_TEXT = "trace_in_reference"
END_TO_END = "end_to_end_id"
AMOUNT_PAYER_DATE = "amount_payer_date"

# Shortest trace id looked up among the words of a payment's free text.
MIN_TOKEN = 6
# Shortest payer name (letters and digits) that may match as a prefix.
MIN_NAME_PREFIX = 3

_TOKEN = re.compile(r"[A-Z0-9](?:[A-Z0-9_\-/.]*[A-Z0-9])?")


class Link(NamedTuple):
    """An advice attached to a payment, and how the link was found."""

    advice_id: str
    payment_id: str
    method: str


class Unlinked(NamedTuple):
    """An advice left out, and why."""

    advice_id: str
    reason: str


@dataclass
class LinkResult:
    """What :func:`link_remittance` did.

    Attributes:
        payments: the payments table, each linked payment's ``remittance``
            extended with its advices' lines (after the lines it had).
        linked: one :class:`Link` per advice attached, in advice order.
        unlinked: one :class:`Unlinked` per advice not attached, in advice order.
    """

    payments: pa.Table
    linked: list[Link] = field(default_factory=list)
    unlinked: list[Unlinked] = field(default_factory=list)


def _key(value: str | None) -> str:
    return value.strip().upper() if value else ""


def _index(columns: list[list[str | None]]) -> dict[str, list[int]]:
    """Map each normalised value to the rows holding it in any of ``columns``, once per row."""
    index: dict[str, list[int]] = {}
    for row, values in enumerate(zip(*columns, strict=True)):
        for key in {_key(value) for value in values if value}:
            if key:
                index.setdefault(key, []).append(row)
    return index


def _token_index(texts: list[str | None]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for row, text in enumerate(texts):
        if not text:
            continue
        for token in set(_TOKEN.findall(text.upper())):
            if len(token) >= MIN_TOKEN:
                index.setdefault(token, []).append(row)
    return index


def _name_forms(name: str | None) -> tuple[str, str]:
    """The abbreviated and the full-word normalised name, spaces removed."""
    if not name:
        return "", ""
    return (
        normalize_name(name).replace(" ", ""),
        normalize_name(name, abbreviate=False).replace(" ", ""),
    )


def _prefix(a: str, b: str) -> bool:
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= MIN_NAME_PREFIX and long.startswith(short)


def names_agree(a: str | None, b: str | None) -> bool:
    """Whether two payer names may be the same payer: equal once normalised, or one cut short.

    Example:
        >>> names_agree("Safeway - U. S. Corporate", "SAFEWAY U S CORPORA")
        True
        >>> names_agree("Acme International Inc.", "ACME INTL"), names_agree("Acme", "Apex")
        (True, False)
    """
    first, second = _name_forms(a), _name_forms(b)
    return _prefix(first[0], second[0]) or _prefix(first[1], second[1])


def link_remittance(
    payments: pa.Table, advices: pa.Table, *, date_window_days: int = 5
) -> LinkResult:
    """Attach each advice's lines to the one payment it describes.

    Args:
        payments: a PAYMENTS table.
        advices: a REMITTANCE_ADVICES table (from any number of files).
        date_window_days: how far apart the advice's payment date and the
            payment's value date may be for a link by amount and payer.

    Returns:
        The payments with ``remittance`` filled, the links and the advices left out.
    """
    payment_ids = payments["payment_id"].to_pylist()
    currencies = payments["currency"].to_pylist()
    amounts = payments["amount_minor"].to_pylist()
    e2e_ids = payments["end_to_end_id"].to_pylist()
    by_id = _index([payments["trace_id"].to_pylist(), e2e_ids, payment_ids])
    by_e2e = _index([e2e_ids])
    by_token: dict[str, list[int]] | None = None  # built on first need
    by_amount: dict[tuple, list[int]] = {}
    value_days = pc.cast(payments["value_date"], pa.int32()).to_pylist()
    for row, (currency, amount, day) in enumerate(
        zip(currencies, amounts, value_days, strict=True)
    ):
        if day is not None:
            by_amount.setdefault((currency, amount, day), []).append(row)
    payer_names = payments["payer_name"].to_pylist()
    name_cache: dict[int, tuple[str, str]] = {}

    def narrow(rows: list[int], amount: int | None, currency: str | None) -> list[int]:
        if len(rows) <= 1:
            return rows
        return [r for r in rows if amounts[r] == amount and currencies[r] == currency]

    result = LinkResult(payments)
    chosen_rows: list[int] = []
    chosen_advices: list[int] = []
    seen: set[str] = set()
    advice_days = pc.cast(advices["payment_date"], pa.int32()).to_pylist()
    columns = (
        advices["advice_id"].to_pylist(),
        advices["trace_id"].to_pylist(),
        advices["end_to_end_id"].to_pylist(),
        advices["payer_name"].to_pylist(),
        advices["amount_minor"].to_pylist(),
        advices["currency"].to_pylist(),
        advice_days,
    )
    for position, (advice_id, trace, e2e, payer, amount, currency, day) in enumerate(
        zip(*columns, strict=True)
    ):
        if advice_id in seen:
            result.unlinked.append(Unlinked(advice_id, "duplicate advice_id"))
            continue
        seen.add(advice_id)
        row, method, reason = None, None, None
        trace_key = _key(trace)
        for method_name, lookup in ((TRACE, by_id), (TRACE_IN_TEXT, None), (END_TO_END, by_e2e)):
            key = _key(e2e) if method_name == END_TO_END else trace_key
            if not key:
                continue
            if method_name == TRACE_IN_TEXT:
                if len(key) < MIN_TOKEN:
                    continue
                if by_token is None:
                    by_token = _token_index(payments["reference_text"].to_pylist())
                lookup = by_token
            rows = lookup.get(key)
            if not rows:
                continue
            rows = narrow(rows, amount, currency)
            if len(rows) == 1:
                row, method = rows[0], method_name
            else:
                reason = f"ambiguous: {method_name} {key!r} matches {len(lookup[key])} payments"
            break
        if row is None and reason is None:
            row, reason = _by_amount(
                by_amount, payer_names, name_cache, payer, amount, currency, day, date_window_days
            )
            method = AMOUNT_PAYER_DATE
        if row is not None and currency and currencies[row] != currency:
            reason = (
                f"{method} matches payment {payment_ids[row]!r} but its currency is "
                f"{currencies[row]}, the advice's {currency}"
            )
            row = None
        if row is None:
            result.unlinked.append(Unlinked(advice_id, reason or "no matching payment"))
            continue
        result.linked.append(Link(advice_id, payment_ids[row], method))
        chosen_rows.append(row)
        chosen_advices.append(position)
    if chosen_rows:
        result.payments = _with_lines(payments, advices, chosen_rows, chosen_advices)
    return result


def _by_amount(
    by_amount: dict[tuple, list[int]],
    payer_names: list[str | None],
    name_cache: dict[int, tuple[str, str]],
    payer: str | None,
    amount: int | None,
    currency: str | None,
    day: int | None,
    window: int,
) -> tuple[int | None, str | None]:
    missing = [
        what
        for what, value in (
            ("payer name", payer),
            ("amount", amount),
            ("currency", currency),
            ("payment date", day),
        )
        if value is None or value == ""
    ]
    if missing:
        return None, f"no trace or end-to-end match, and no {' or '.join(missing)} to match by"
    forms = _name_forms(payer)
    matches: list[int] = []
    for offset in range(-window, window + 1):
        for row in by_amount.get((currency, amount, day + offset), ()):
            other = name_cache.get(row)
            if other is None:
                other = name_cache[row] = _name_forms(payer_names[row])
            if _prefix(forms[0], other[0]) or _prefix(forms[1], other[1]):
                matches.append(row)
                if len(matches) > 1:
                    return None, ("ambiguous: several payments of the same amount, payer and dates")
    if not matches:
        return None, "no payment with this trace id, end-to-end id, or amount, payer and date"
    return matches[0], None


def _with_lines(
    payments: pa.Table, advices: pa.Table, rows: list[int], advice_rows: list[int]
) -> pa.Table:
    """Append the advices' lines to the payments' remittance, without a Python loop per row."""
    n = payments.num_rows
    order = np.argsort(np.asarray(rows, dtype=np.int64), kind="stable")
    rows_sorted = np.asarray(rows, dtype=np.int64)[order]
    extra_lists = (
        advices["lines"]
        .combine_chunks()
        .take(pa.array(np.asarray(advice_rows, dtype=np.int64)[order]))
    )
    extra_values = extra_lists.flatten()
    extra_len = np.bincount(
        rows_sorted, weights=pc.list_value_length(extra_lists).to_numpy(), minlength=n
    ).astype(np.int64)
    old = payments["remittance"].combine_chunks()
    old_len = pc.fill_null(pc.list_value_length(old), 0).to_numpy().astype(np.int64)
    old_values = old.flatten()
    old_start = np.concatenate([[0], np.cumsum(old_len)[:-1]]) if n else old_len
    extra_start = np.concatenate([[0], np.cumsum(extra_len)[:-1]]) if n else extra_len
    new_len = old_len + extra_len
    offsets = np.concatenate([[0], np.cumsum(new_len)]).astype(np.int32)
    owner = np.repeat(np.arange(n), new_len)
    k = np.arange(int(offsets[-1])) - offsets[:-1][owner]
    take = np.where(
        k < old_len[owner],
        old_start[owner] + k,
        len(old_values) + extra_start[owner] + k - old_len[owner],
    )
    values = pa.concat_arrays([old_values, extra_values]).take(pa.array(take, pa.int64()))
    # A payment that had no remittance and was linked to nothing keeps its null.
    linked = np.bincount(rows_sorted, minlength=n) > 0
    mask = pa.array(old.is_null().to_numpy(zero_copy_only=False) & ~linked)
    remittance = pa.ListArray.from_arrays(
        pa.array(offsets), values, type=payments.schema.field("remittance").type, mask=mask
    )
    index = payments.schema.get_field_index("remittance")
    return payments.set_column(index, payments.schema.field("remittance"), remittance)

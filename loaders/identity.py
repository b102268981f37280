"""Payment identity: when two reported payments are the same booking, from stable bank facts.

Banks report a booking more than once: the next day's statement repeats
yesterday's transactions, an intraday report (camt.052, MT942) is followed by
the end-of-day statement (camt.053, MT940), a batched entry whose transactions
carry no reference of their own (``EndToEndId`` ``NOTPROVIDED``) comes back as
another entry of a later file. A file's hash does not see any of this, and ids
a loader makes from positions in a file (``ENTRY#3``) change from one report to
the next. A booking must be applied once, so identity is read from the facts
the bank states about the booking, never from where it sits in a file.

The facts, in order of strength (each ``*_key`` is None when its facts are absent):

1. ``payment_id`` -- when the sender chose it (an ERP over gRPC, the file
   contract's ``payment_id`` column): the same id in one ledger is the same
   payment, and the same id with another amount or currency is a conflict,
   refused, never guessed. An id a bank-file loader made is no identity fact:
   it may come from a position in the file (``<:20:>/<:28C:>/<line>``,
   ``ENTRY#3``), which the next report does not keep; such a payment is
   identified by the keys below alone, and when its id is taken by another
   payment it is flagged (``id_taken``) for the caller to give it a free one.
2. ``bank_key`` -- ``statement_account`` + ``bank_reference`` + currency + amount.
   The bank's own reference of the booking (camt ``AcctSvcrRef``, MT940 ``:61:``
   after ``//``, BAI2 16-record bank reference, CFONB 120 operation reference) is
   unique on the account it books to.
3. ``end_to_end_key`` -- ``end_to_end_id`` + ``statement_account`` + currency +
   amount + value date. The payer's end-to-end id travels unchanged through
   every bank; the value date keeps apart the recurring payments of payers who
   reuse one id.
4. ``trace_key`` -- ``trace_id`` (an ACH trace number, a lockbox or EDI trace) +
   currency + amount.
5. ``check_key`` -- ``check_number`` + ``payer_account`` (the MICR account) +
   ``statement_account`` + currency + amount.
6. ``content_key`` -- what the booking says when it has no reference to rely on:
   ``statement_account``, currency, amount, value date, the counterparty
   (``payer_account``, else the first 27 letters and digits of ``payer_name``,
   the length MT940 keeps) and the remittance (letters and digits of
   ``reference_text``, its first 140, and the structured invoice references).

Placeholders that banks print where they have no reference (``NOTPROVIDED``,
``NONREF``, ``NONE``, ``N/A``, ``0``, ...) are no reference. Texts are compared
on their letters and digits, uppercased, so that an intraday report and a
statement that space or wrap them differently still agree.

How a later payment relates to the earlier ones (:func:`identify`):

* **same** -- it shares its ``payment_id`` (same amount and currency), or any of
  keys 2-5, with an earlier payment: it is that payment, reported again, and
  is never applied again.
* **possible duplicate** -- identity is *uncertain*: it shares only its
  ``content_key`` with an earlier payment, and no key of kinds 2-5 tells them
  apart (a kind both have, with different values). Two genuine payments can
  look like this (a payer paying the same invoice twice on one day), so it is
  kept, flagged ``possible_duplicate`` naming the earlier payment, and never
  applied automatically: a person decides.
* **new** -- anything else, including a payment whose content equals an earlier
  one's while the bank's references of the two differ: the bank says these are
  two bookings. Not so between an intraday report (camt.052, MT942) and a
  statement: some banks give the booking a new reference at the end of the
  day, so there the content decides (a possible duplicate).

Where a reference sits matters: ``bank_reference`` is the transaction's own.
An entry's reference shared by the transactions of a batch (and renumbered
when the batch comes back in another entry) is no fact about one transaction;
loaders may put it in ``payment_id``, which for bank files is no identity fact.

Example:
    >>> import datetime as dt
    >>> rows = [dict(payment_id=i, amount_minor=125000, currency="EUR",
    ...              value_date=dt.date(2024, 5, 2), payer_name="ACME GMBH",
    ...              reference_text="INV 2024-0001", statement_account="DE89370400440532013000",
    ...              bank_reference=ref, end_to_end_id=e2e)
    ...         for i, ref, e2e in [("A", "BK1", None), ("B", "BK1", None),
    ...                             ("C", None, "NOTPROVIDED"), ("D", "BK2", None)]]
    >>> table = pa.Table.from_pylist(rows)
    >>> [(v.payment_id, v.kind, v.earlier, v.by) for v in identify(payment_keys(table))]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('A', 'new', None, None), ('B', 'same', 'A', 'bank_key'),
     ('C', 'possible_duplicate', 'A', 'content_key'), ('D', 'new', None, None)]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

import pyarrow as pa

# The keys that identify a booking for certain, strongest first.
STRONG_KEYS = ("bank_key", "end_to_end_key", "trace_key", "check_key")
KEYS = (*STRONG_KEYS, "content_key")
KEYS_SCHEMA = pa.schema(
    [
        pa.field("payment_id", pa.string(), nullable=False),
        pa.field("amount_minor", pa.int64(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        *(pa.field(name, pa.string()) for name in KEYS),
        # "intraday" (camt.052, MT942) or "statement" (anything else), from source_format.
        pa.field("report_kind", pa.string()),
    ]
)
INTRADAY_FORMATS = frozenset({"mt942", "camt.052"})


def report_kind(source_format: str | None) -> str:
    """``intraday`` for an intraday report's payment, else ``statement``."""
    return "intraday" if (source_format or "").lower() in INTRADAY_FORMATS else "statement"


# What banks print where there is no reference.
PLACEHOLDERS = frozenset(
    {"", "NOTPROVIDED", "NOT PROVIDED", "NONREF", "NONE", "N/A", "NA", "0", "-", "UNKNOWN"}
)
NAME_CHARS = 27  # MT940 keeps 27 characters of a name per subfield
TEXT_CHARS = 140  # an unstructured remittance line (Ustrd)

NEW, SAME, POSSIBLE_DUPLICATE, CONFLICT = "new", "same", "possible_duplicate", "conflict"
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


def _reference(value: str | None) -> str | None:
    """A bank's or payer's reference, or None for a placeholder."""
    if value is None:
        return None
    text = value.strip()
    return None if text.upper() in PLACEHOLDERS else text


def _letters(value: str | None, most: int | None = None) -> str:
    """Letters and digits only, uppercased (``None`` is empty)."""
    text = _NOT_ALNUM.sub("", (value or "").upper())
    return text if most is None else text[:most]


def _account(value: str | None) -> str:
    return _letters(value)


def _join(kind: str, *parts: object) -> str:
    return kind + ":" + "|".join("" if p is None else str(p) for p in parts)


def _content(*parts: object) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update("\x1f".join("" if p is None else str(p) for p in parts).encode("utf-8"))
    return "content:" + digest.hexdigest()


def _column(table: pa.Table, name: str) -> list:
    return table[name].to_pylist() if name in table.column_names else [None] * table.num_rows


def payment_keys(payments: pa.Table) -> pa.Table:
    """The identity keys of each payment of a PAYMENTS table (columns it lacks count as absent).

    Returns:
        A table of :data:`KEYS_SCHEMA`, row for row: ``payment_id``,
        ``amount_minor``, ``currency`` and the keys 2-6 of the module docstring,
        each None where its facts are absent.
    """
    columns = {
        name: _column(payments, name)
        for name in (
            "payment_id", "amount_minor", "currency", "value_date", "payer_name",
            "payer_account", "reference_text", "check_number", "trace_id", "end_to_end_id",
            "statement_account", "bank_reference", "remittance", "source_format",
        )
    }  # fmt: skip
    out: dict[str, list] = {name: [] for name in KEYS}
    for k in range(payments.num_rows):
        row = {name: values[k] for name, values in columns.items()}
        for name, value in _row_keys(row).items():
            out[name].append(value)
    return pa.table(
        {
            "payment_id": pa.array(columns["payment_id"], pa.string()),
            "amount_minor": pa.array(columns["amount_minor"], pa.int64()),
            "currency": pa.array(columns["currency"], pa.string()),
            **{name: pa.array(out[name], pa.string()) for name in KEYS},
            "report_kind": pa.array(
                [report_kind(f) for f in columns["source_format"]], pa.string()
            ),
        },
        schema=KEYS_SCHEMA,
    )


def _row_keys(row: dict) -> dict[str, str | None]:
    amount, currency = row["amount_minor"], row["currency"]
    account = _account(row["statement_account"])
    value_date = row["value_date"]
    day = value_date.isoformat() if isinstance(value_date, dt.date) else value_date
    bank_ref = _reference(row["bank_reference"])
    e2e = _reference(row["end_to_end_id"])
    trace = _reference(row["trace_id"])
    if trace is not None and trace == bank_ref:
        trace = None  # a loader's copy of the bank's reference is no second fact
    check = _reference(row["check_number"])
    payer_account = _account(row["payer_account"])
    counterparty = payer_account or _letters(row["payer_name"], NAME_CHARS)
    refs = sorted(_letters(line.get("invoice_ref")) for line in row["remittance"] or [] if line)
    return {
        "bank_key": _join("bank", account, bank_ref, currency, amount) if bank_ref else None,
        "end_to_end_key": _join("e2e", e2e, account, currency, amount, day) if e2e else None,
        "trace_key": _join("trace", trace, currency, amount) if trace else None,
        "check_key": (
            _join("check", check.lstrip("0"), payer_account, account, currency, amount)
            if check
            else None
        ),
        "content_key": _content(
            account,
            currency,
            amount,
            day,
            counterparty,
            _letters(row["reference_text"], TEXT_CHARS),
            ",".join(refs),
        ),
    }


@dataclass(frozen=True)
class Verdict:
    """How one payment relates to the payments before it.

    Attributes:
        payment_id: the payment's id, as received.
        kind: ``new``, ``same`` (the earlier payment reported again),
            ``possible_duplicate`` (uncertain: flag it, never apply it
            automatically) or ``conflict`` (its id names an earlier payment of
            another amount or currency).
        earlier: the earlier payment's id (``same``, ``possible_duplicate``,
            ``conflict``), else None.
        by: the fact that decided: ``payment_id``, a key name, or None.
        id_taken: its id, not an identity fact, already names another payment.
    """

    payment_id: str
    kind: str
    earlier: str | None = None
    by: str | None = None
    id_taken: bool = False


def identify(
    keys: pa.Table, earlier: pa.Table | None = None, id_is_fact: list[bool] | None = None
) -> list[Verdict]:
    """Decide, payment by payment, which are bookings already seen.

    Args:
        keys: :func:`payment_keys` of the payments, in the order they arrived.
        earlier: keys of payments already held (the ledger's), same schema
            plus an optional ``possible_duplicate_of`` column (the earlier
            payment a held one was flagged against); only the payments sharing
            a key with ``keys`` matter.
        id_is_fact: per row of ``keys``, whether its ``payment_id`` was chosen by
            the sender (fact 1); all True when not given.

    Returns:
        One :class:`Verdict` per row of ``keys``. A payment is compared with the
        earlier ones and with those before it in ``keys``. A ``same`` one is not
        itself a reference for later rows (the first report stands for the
        booking), and a possible duplicate is not one for content (it probably
        is the payment it was flagged against).
    """
    seen = _Seen()
    if earlier is not None:
        for row in earlier.to_pylist():
            seen.add(row, by_content=not row.get("possible_duplicate_of"))
    verdicts = []
    for k, row in enumerate(keys.to_pylist()):
        verdict = seen.judge(row, True if id_is_fact is None else id_is_fact[k])
        if verdict.kind in (NEW, POSSIBLE_DUPLICATE):
            seen.add(row, by_content=verdict.kind == NEW)
        verdicts.append(verdict)
    return verdicts


class _Seen:
    """Payments seen so far, looked up by id and by every key."""

    def __init__(self) -> None:
        self.by_id: dict[str, dict] = {}
        self.by_key: dict[str, dict[str, list[dict]]] = {name: {} for name in KEYS}

    def add(self, row: dict, by_content: bool = True) -> None:
        self.by_id.setdefault(row["payment_id"], row)
        for name in KEYS if by_content else STRONG_KEYS:
            if row[name] is not None:
                self.by_key[name].setdefault(row[name], []).append(row)

    def judge(self, row: dict, id_is_fact: bool) -> Verdict:
        pid = row["payment_id"]
        known = self.by_id.get(pid)
        if known is not None and id_is_fact:
            if (known["amount_minor"], known["currency"]) != (row["amount_minor"], row["currency"]):
                return Verdict(pid, CONFLICT, known["payment_id"], "payment_id")
            return Verdict(pid, SAME, known["payment_id"], "payment_id")
        for name in STRONG_KEYS:
            value = row[name]
            if value is not None and value in self.by_key[name]:
                return Verdict(pid, SAME, self.by_key[name][value][0]["payment_id"], name)
        taken = known is not None
        for other in self.by_key["content_key"].get(row["content_key"], ()):
            if not _told_apart(row, other):
                return Verdict(pid, POSSIBLE_DUPLICATE, other["payment_id"], "content_key", taken)
        return Verdict(pid, NEW, id_taken=taken)


def _told_apart(one: dict, other: dict) -> bool:
    """Whether a key of kinds 2-5 that both payments have says they are two bookings.

    Between an intraday report and a statement, the bank's reference does not:
    some banks number a booking anew in the end-of-day statement.
    """
    kinds = STRONG_KEYS
    if one.get("report_kind") != other.get("report_kind"):
        kinds = tuple(k for k in STRONG_KEYS if k != "bank_key")
    return any(
        one[name] is not None and other[name] is not None and one[name] != other[name]
        for name in kinds
    )


__all__ = [
    "CONFLICT",
    "INTRADAY_FORMATS",
    "KEYS",
    "KEYS_SCHEMA",
    "NEW",
    "POSSIBLE_DUPLICATE",
    "SAME",
    "STRONG_KEYS",
    "Verdict",
    "identify",
    "payment_keys",
    "report_kind",
]

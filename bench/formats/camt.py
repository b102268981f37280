"""Render a PAYMENTS table as a camt.053.001.08 bank statement.

The benchmark and the round-trip tests use it to make bank files from generated
payments. The output looks like a real statement: group header, one ``Stmt``
per currency with balances and a ``TxsSummry``, one ``Ntry`` per payment (or
batches of payments), each with references, related parties and remittance
information (``Ustrd`` text cut into 140-character lines at spaces, one ``Strd``
block per remittance line).

Example:
    >>> import pyarrow as pa
    >>> from cashmatch.engine.schemas import PAYMENTS
    >>> import datetime as dt, io
    >>> table = pa.Table.from_pylist([{"payment_id": "P1", "amount_minor": 1050,
    ...     "currency": "EUR", "value_date": dt.date(2024, 5, 2)}], schema=PAYMENTS)
    >>> buffer = io.BytesIO()
    >>> write_camt053(table, buffer)
    >>> b'<Amt Ccy="EUR">10.50</Amt>' in buffer.getvalue()
    True
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import BinaryIO

import pyarrow as pa

from cashmatch.engine.money import format_amount

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{8,30}$")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_USTRD_MAX = 140


def _esc(text: str) -> str:
    return text.translate(_ESCAPES)


def _ustrd_lines(text: str) -> list[str]:
    """Cut text into lines of at most 140 characters at spaces (the loader joins with one)."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= _USTRD_MAX or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    # A single word longer than a line still has to fit the schema's 140.
    return [chunk[i : i + _USTRD_MAX] for chunk in lines for i in range(0, len(chunk) or 1, 140)]


def _amt(tag: str, minor: int, currency: str) -> str:
    return f'<{tag} Ccy="{currency}">{format_amount(minor, currency)}</{tag}>'


def _strd(line: dict, currency: str) -> str:
    parts = ["<Strd>"]
    if line.get("invoice_ref"):
        parts.append(
            "<RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp>"
            f"<Nb>{_esc(line['invoice_ref'])}</Nb></RfrdDocInf>"
        )
    amounts = []
    if line.get("invoice_amount_minor") is not None:
        amounts.append(_amt("DuePyblAmt", line["invoice_amount_minor"], currency))
    if line.get("discount_minor") is not None:
        discount = _amt("Amt", line["discount_minor"], currency)
        amounts.append(f"<DscntApldAmt>{discount}</DscntApldAmt>")
    paid = line.get("amount_paid_minor")
    if paid is not None and paid < 0:
        amounts.append(_amt("CdtNoteAmt", -paid, currency))
    if line.get("adjustment_minor") is not None:
        adjustment = line["adjustment_minor"]
        reason = line.get("adjustment_reason") or ""
        why = ""
        if reason:
            tag = "Rsn" if len(reason) <= 4 else "AddtlInf"  # Rsn is a 4-character code
            why = f"<{tag}>{_esc(reason)}</{tag}>"
        amounts.append(
            f"<AdjstmntAmtAndRsn>{_amt('Amt', abs(adjustment), currency)}"
            f"<CdtDbtInd>{'DBIT' if adjustment < 0 else 'CRDT'}</CdtDbtInd>{why}"
            "</AdjstmntAmtAndRsn>"
        )
    if paid is not None and paid >= 0:
        amounts.append(_amt("RmtdAmt", paid, currency))
    if amounts:
        parts.append("<RfrdDocAmt>" + "".join(amounts) + "</RfrdDocAmt>")
    parts.append("</Strd>")
    return "".join(parts)


def _tx(p: dict, batched: bool) -> str:
    currency = p["currency"]
    refs = [f"<AcctSvcrRef>{_esc(p['payment_id'])}</AcctSvcrRef>"]
    refs.append(f"<EndToEndId>{_esc(p.get('end_to_end_id') or 'NOTPROVIDED')}</EndToEndId>")
    if p.get("trace_id"):
        refs.append(f"<TxId>{_esc(p['trace_id'])}</TxId>")
    if p.get("check_number"):
        refs.append(f"<ChqNb>{_esc(p['check_number'])}</ChqNb>")
    out = ["<TxDtls>", "<Refs>", *refs, "</Refs>"]
    amount = _amt("Amt", p["amount_minor"], currency)
    out.append(f"{amount}<CdtDbtInd>CRDT</CdtDbtInd>")
    if batched:
        out.append(f"<AmtDtls><TxAmt>{amount}</TxAmt></AmtDtls>")
    if p.get("payer_name") or p.get("payer_account"):
        out.append("<RltdPties>")
        if p.get("payer_name"):
            out.append(f"<Dbtr><Pty><Nm>{_esc(p['payer_name'])}</Nm></Pty></Dbtr>")
        account = p.get("payer_account")
        if account:
            inner = (
                f"<IBAN>{account}</IBAN>"
                if _IBAN.match(account)
                else f"<Othr><Id>{_esc(account)}</Id></Othr>"
            )
            out.append(f"<DbtrAcct><Id>{inner}</Id></DbtrAcct>")
        out.append("</RltdPties>")
    text = p.get("reference_text")
    lines = p.get("remittance") or []
    if text or lines:
        out.append("<RmtInf>")
        if text:
            out.extend(f"<Ustrd>{_esc(chunk)}</Ustrd>" for chunk in _ustrd_lines(text))
        out.extend(_strd(line, currency) for line in lines)
        out.append("</RmtInf>")
    out.append("</TxDtls>")
    return "\n".join(out)


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _entry(group: list[dict], number: int) -> str:
    first = group[0]
    currency = first["currency"]
    total = sum(p["amount_minor"] for p in group)
    batched = len(group) > 1
    ref = f"NTRY{number:09d}" if batched else first["payment_id"]
    booking = first.get("booking_date") or first["value_date"]
    out = [
        "<Ntry>",
        _amt("Amt", total, currency),
        "<CdtDbtInd>CRDT</CdtDbtInd>",
        "<Sts><Cd>BOOK</Cd></Sts>",
        f"<BookgDt><Dt>{_date(booking)}</Dt></BookgDt>",
        f"<ValDt><Dt>{_date(first['value_date'])}</Dt></ValDt>",
        f"<AcctSvcrRef>{_esc(ref)}</AcctSvcrRef>",
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>"
        "</Domn></BkTxCd>",
        "<NtryDtls>",
    ]
    if batched:
        out.append(f"<Btch><NbOfTxs>{len(group)}</NbOfTxs>{_amt('TtlAmt', total, currency)}"
                   "<CdtDbtInd>CRDT</CdtDbtInd></Btch>")  # fmt: skip
    out.extend(_tx(p, batched) for p in group)
    out.append("</NtryDtls>\n</Ntry>\n")
    return "\n".join(out)


def _groups(rows: list[dict], batch_size: int) -> list[list[dict]]:
    """Consecutive payments sharing dates, at most ``batch_size`` per entry."""
    groups: list[list[dict]] = []
    for row in rows:
        last = groups[-1] if groups else None
        if (
            last is not None
            and len(last) < batch_size
            and last[0]["value_date"] == row["value_date"]
            and last[0].get("booking_date") == row.get("booking_date")
        ):
            last.append(row)
        else:
            groups.append([row])
    return groups


def write_camt053(
    payments: pa.Table,
    path_or_buffer: str | os.PathLike | BinaryIO,
    *,
    account: str = "CH9300762011623852957",
    message_id: str = "CASHMATCH-BENCH-0001",
    created: dt.datetime | None = None,
    batch_size: int = 1,
) -> None:
    """Write ``payments`` (PAYMENTS schema) as a camt.053.001.08 statement.

    Args:
        payments: the table; every row becomes a credit transaction.
        path_or_buffer: a file path, or a binary buffer to write into.
        account: the statement account's IBAN.
        message_id: GrpHdr/MsgId; statement ids are derived from it.
        created: creation timestamp (fixed default, so output is reproducible).
        batch_size: payments per entry; above 1, consecutive payments with the
            same dates share a batched ``Ntry`` with one ``TxDtls`` each.
    """
    created = created or dt.datetime(2024, 1, 1, 6, 0, 0)
    rows = payments.to_pylist()
    by_currency: dict[str, list[dict]] = {}
    for row in rows:
        by_currency.setdefault(row["currency"], []).append(row)
    chunks = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<Document xmlns="{NAMESPACE}">\n<BkToCstmrStmt>\n<GrpHdr>'
        f"<MsgId>{_esc(message_id)}</MsgId><CreDtTm>{created.isoformat()}</CreDtTm></GrpHdr>\n",
    ]
    number = 0
    for index, (currency, group_rows) in enumerate(by_currency.items(), 1):
        groups = _groups(group_rows, max(1, batch_size))
        total = sum(r["amount_minor"] for r in group_rows)
        dates = [r["value_date"] for r in group_rows]
        chunks.append(
            f"<Stmt>\n<Id>{_esc(message_id)}-{index}</Id><ElctrncSeqNb>{index}</ElctrncSeqNb>"
            f"<CreDtTm>{created.isoformat()}</CreDtTm>\n"
            f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>{currency}</Ccy></Acct>\n"
            f"<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>{_amt('Amt', 0, currency)}"
            f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{_date(min(dates))}</Dt></Dt></Bal>\n"
            f"<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>{_amt('Amt', total, currency)}"
            f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{_date(max(dates))}</Dt></Dt></Bal>\n"
            f"<TxsSummry><TtlNtries><NbOfNtries>{len(groups)}</NbOfNtries>"
            f"<Sum>{format_amount(total, currency)}</Sum></TtlNtries>"
            f"<TtlCdtNtries><NbOfNtries>{len(groups)}</NbOfNtries>"
            f"<Sum>{format_amount(total, currency)}</Sum></TtlCdtNtries></TxsSummry>\n"
        )
        for group in groups:
            number += 1
            chunks.append(_entry(group, number))
        chunks.append("</Stmt>\n")
    chunks.append("</BkToCstmrStmt>\n</Document>\n")
    data = "".join(chunks).encode("utf-8")
    if hasattr(path_or_buffer, "write"):
        path_or_buffer.write(data)
    else:
        with open(path_or_buffer, "wb") as handle:
            handle.write(data)

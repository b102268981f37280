"""From the scanner's events to payment rows: the camt reader's rules, in numba.

:func:`build_rows` walks the events of :mod:`cashmatch.loaders.camt_scan` and
applies what :class:`cashmatch.loaders.camt._Reader` does to the same elements:
statuses, reversals, debits and returns counted as skipped, entry and batch
amounts, dates, the id and text fallbacks, ``Strd`` blocks into remittance
lines, and the ``TxsSummry`` checks. It reads values lazily exactly where the
reader does (a debit's transactions are never parsed, so their oddities do not
matter), and wherever the reader would raise, or would need a rule this module
does not implement, it stops with a non-OK status: the caller then lets the
lxml reader load the file. Strings stay spans of the document's bytes here;
:func:`cashmatch.loaders.camt_values.gather_strings` turns them into Arrow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from cashmatch.loaders.camt_scan import (
    A_AMT,
    A_CDI,
    A_REASON,
    ADJ,
    CCY_INVALID,
    D_GRPHDR,
    DISC,
    DOC,
    E_ACCT_REF,
    E_AMT,
    E_BOOKG,
    E_BOOKG_HOLDER,
    E_CDI,
    E_INFO,
    E_NTRY_REF,
    E_RVSL,
    E_STS,
    E_STS_CODE,
    E_VAL,
    E_VAL_HOLDER,
    ENTRY,
    EV_END,
    EV_START,
    EV_TEXT,
    F_HIGH,
    F_REF,
    N_FIELDS,
    R_CNOTE,
    R_CREF,
    R_DUE,
    R_NB,
    R_PAID,
    S_TTL_NB,
    STMT,
    STRD,
    T_ACCOUNT,
    T_ACCT_REF,
    T_AMT,
    T_CDI,
    T_CHQ,
    T_DBTR,
    T_E2E,
    T_INFO,
    T_INSTR,
    T_RTR,
    T_TXAMT,
    T_TXID,
    T_UETR,
    T_ULTMT,
    T_USTRD,
    TX,
    X_AMT,
    X_OWN,
)
from cashmatch.loaders.camt_values import (
    NO_AMOUNT,
    NO_DATE,
    equals_text,
    is_blank,
    parse_date,
    parse_minor,
)

# Outcome of build_rows; anything but ROWS_OK hands the file to the lxml reader.
(
    ROWS_OK,
    NO_CONTENT,
    BAD_AMOUNT,
    BAD_CODE,
    BAD_DATE,
    BATCH_SUM,
    SUMMARY,
    OVERFLOW,
    MISSING_AMOUNT,
) = range(9)
ROW_REASONS = (
    "ok",
    "no GrpHdr, Stmt or Ntry",
    "amount the reader would reject or that is left to it",
    "code the reader would reject or that is left to it",
    "date the reader would reject",
    "batch does not add up",
    "TxsSummry does not match",
    "sums too large",
    "amount missing",
)
# Skipped kinds, in the order of LoadedFile.skipped keys.
SKIP_KINDS = ("debit", "reversal", "return", "not_booked")
_DEBIT, _REVERSAL, _RETURN, _NOT_BOOKED = range(4)
# Single-span string columns of a row.
PAYMENT_ID, PAYER, ACCOUNT, CHECK, TRACE, E2E = range(6)
N_SPANS = 6
# Remittance line amounts.
PAID, INVOICE, DISCOUNT, ADJUSTMENT = range(4)
_LIMIT = 2**62  # running sums stay below it (the reader's are Python ints)

_BOOK = np.frombuffer(b"BOOK", np.uint8)
_CRDT = np.frombuffer(b"CRDT", np.uint8)
_DBIT = np.frombuffer(b"DBIT", np.uint8)
_TRUE = np.frombuffer(b"true", np.uint8)
_ONE = np.frombuffer(b"1", np.uint8)
_NOT_PROVIDED = np.frombuffer(b"NOTPROVIDED", np.uint8)


@nb.njit(cache=True)
def _length(packed):
    return packed & 0xFFFFFFFF


@nb.njit(cache=True)
def _ccy(packed):
    return (packed >> 32) & 0xFFFF


@nb.njit(cache=True)
def _word(buf, start, packed, literal):
    """1 if the stripped text is ``literal``, 0 if not, -1 if it has references or non-ASCII
    (then stripping and decoding would matter: the reader decides)."""
    if (packed >> 48) & (F_REF | F_HIGH):
        return -1
    s = start
    e = start + _length(packed)
    while s < e and (buf[s] == 32 or buf[s] == 9 or buf[s] == 10 or buf[s] == 13):
        s += 1
    while e > s and (buf[e - 1] == 32 or buf[e - 1] == 9 or buf[e - 1] == 10 or buf[e - 1] == 13):
        e -= 1
    if e - s != literal.shape[0]:
        return 0
    for k in range(e - s):
        if buf[s + k] != literal[k]:
            return 0
    return 1


@nb.njit(cache=True)
def _blank(buf, start, packed):
    return start < 0 or is_blank(buf, start, start + _length(packed))


@nb.njit(cache=True)
def _amount(buf, start, packed, exponents):
    """(minor units, currency index) of an amount element, or (NO_AMOUNT, -1)."""
    ccy = _ccy(packed)
    if start < 0 or ccy == 0 or ccy == CCY_INVALID:
        return NO_AMOUNT, -1
    currency = ccy - 1
    value = parse_minor(buf, start, start + _length(packed), exponents[currency])
    if value == NO_AMOUNT:
        return NO_AMOUNT, -1
    return value, currency


@nb.njit(cache=True)
def _date(buf, holder, start, packed):
    """date32 of a BookgDt/ValDt holder: (days, ok); days NO_DATE when there is no holder."""
    if holder < 0:
        return NO_DATE, True
    if start < 0:
        return NO_DATE, False  # a holder without Dt or DtTm: the reader says "date missing"
    days = parse_date(buf, start, start + _length(packed))
    return days, days != NO_DATE


@nb.njit(cache=True)
def _collect(events, a, b, record, node_record, node_field, fs, fp):
    """The TEXT fields of ``record`` among events [a, b) into ``fs`` (start) and ``fp`` (packed)."""
    fs[:] = -1
    fp[:] = 0
    for k in range(a, b):
        code = events[k, 0]
        if code & 3 == EV_TEXT:
            node = code >> 2
            if node_record[node] == record:
                f = node_field[node]
                fs[f] = events[k, 1]
                fp[f] = events[k, 2]


@nb.njit(cache=True)
def build_rows(buf, events, node_record, node_field, exponents):
    """Apply the reader's rules to the events; see the module docstring.

    Returns:
        A tuple: status (ROWS_OK or why not), then per payment row: amount,
        currency index, value date, booking date (NO_DATE: null), statement,
        entry and transaction numbers, span starts/ends [n, N_SPANS],
        reference-text span pointers and spans, remittance-line pointers; per
        line: invoice_ref and adjustment_reason spans, amounts [m, 4] and their
        validity; per statement: Id, IBAN and Othr/Id spans; the MsgId span;
        skipped counts and the order each kind was first seen.
    """
    n_ev = events.shape[0]
    # Upper bounds, from the events: a row per transaction or entry, a line per Nb or Strd.
    n_tx = 0
    n_entries = 0
    n_strd = 0
    n_nb = 0
    n_ustrd = 0
    n_stmt = 0
    for k in range(n_ev):
        code = events[k, 0]
        node = code >> 2
        kind = code & 3
        rec = node_record[node]
        if kind == EV_START:
            if rec == TX:
                n_tx += 1
            elif rec == ENTRY:
                n_entries += 1
            elif rec == STRD:
                n_strd += 1
            elif rec == STMT:
                n_stmt += 1
        elif kind == EV_TEXT and rec == TX and node_field[node] == T_USTRD:
            n_ustrd += 1
        elif kind == EV_TEXT and rec == STRD and node_field[node] == R_NB:
            n_nb += 1
    max_rows = n_tx + n_entries
    max_lines = n_nb + n_strd
    amount = np.empty(max_rows, np.int64)
    currency = np.empty(max_rows, np.int64)
    value_date = np.empty(max_rows, np.int32)
    booking_date = np.empty(max_rows, np.int32)
    position = np.empty((max_rows, 3), np.int32)
    span_s = np.full((max_rows, N_SPANS), -1, np.int64)
    span_e = np.full((max_rows, N_SPANS), -1, np.int64)
    ref_ptr = np.zeros(max_rows + 1, np.int64)
    ref_s = np.empty(n_ustrd + max_rows, np.int64)
    ref_e = np.empty(n_ustrd + max_rows, np.int64)
    line_ptr = np.zeros(max_rows + 1, np.int64)
    inv_s = np.full(max_lines, -1, np.int64)
    inv_e = np.full(max_lines, -1, np.int64)
    why_s = np.full(max_lines, -1, np.int64)
    why_e = np.full(max_lines, -1, np.int64)
    line_amount = np.zeros((max_lines, 4), np.int64)
    line_valid = np.zeros((max_lines, 4), np.bool_)
    stmt_s = np.full((n_stmt, 3), -1, np.int64)
    stmt_e = np.full((n_stmt, 3), -1, np.int64)
    msgid = np.full(2, -1, np.int64)
    skipped = np.zeros(4, np.int64)
    first_seen = np.full(4, -1, np.int64)
    n_seen = 0
    rows = 0
    lines = 0
    refs = 0

    fs = np.empty(N_FIELDS, np.int64)  # field starts of the record at hand
    fp = np.empty(N_FIELDS, np.int64)  # and their packed length/currency/flags
    es = np.empty(N_FIELDS, np.int64)  # entry fields
    ep = np.empty(N_FIELDS, np.int64)
    ss = np.full(N_FIELDS, -1, np.int64)  # statement fields
    sp = np.zeros(N_FIELDS, np.int64)
    xs = np.empty(N_FIELDS, np.int64)  # Strd / DscntApldAmt / AdjstmntAmtAndRsn fields
    xp = np.empty(N_FIELDS, np.int64)
    numbers = np.empty(max(n_nb, 1), np.int64)  # non-blank Nb spans of the Strd at hand
    scratch = np.empty(64, np.uint8)

    stmt = 0
    entry_no = 0
    counts = np.zeros(3, np.int64)  # all, CRDT, DBIT
    sums = np.zeros(3, np.int64)
    stmt_ccy = -1
    stmt_ccys = 0
    grphdr = False
    entry_start = 0

    status = ROWS_OK
    k = 0
    while k < n_ev and status == ROWS_OK:
        code = events[k, 0]
        node = code >> 2
        kind = code & 3
        rec = node_record[node]
        k += 1
        if rec == DOC:
            if kind == EV_START and node_field[node] == D_GRPHDR:
                grphdr = True
            elif kind == EV_TEXT:  # MsgId
                msgid[0] = events[k - 1, 1]
                msgid[1] = events[k - 1, 1] + _length(events[k - 1, 2])
            continue
        if rec == STMT:
            if kind == EV_START:
                stmt += 1
                entry_no = 0
                counts[:] = 0
                sums[:] = 0
                stmt_ccy = -1
                stmt_ccys = 0
                ss[:] = -1
                sp[:] = 0
            elif kind == EV_TEXT:
                if entry_no == 0:  # the reader reads the statement at its first entry
                    f = node_field[node]
                    ss[f] = events[k - 1, 1]
                    sp[f] = events[k - 1, 2]
            else:
                for f in range(3):
                    if ss[f] >= 0:
                        stmt_s[stmt - 1, f] = ss[f]
                        stmt_e[stmt - 1, f] = ss[f] + _length(sp[f])
                # TxsSummry: TtlNtries, TtlCdtNtries, TtlDbtNtries against all, CRDT, DBIT.
                for block in range(3):
                    f = S_TTL_NB + 2 * block
                    if ss[f] >= 0:
                        flags = sp[f] >> 48
                        if flags & (F_REF | F_HIGH):
                            status = SUMMARY
                            break
                        s = ss[f]
                        e = s + _length(sp[f])
                        while s < e and (buf[s] == 32 or (9 <= buf[s] <= 13)):
                            s += 1
                        while e > s and (buf[e - 1] == 32 or (9 <= buf[e - 1] <= 13)):
                            e -= 1
                        digits = e > s
                        for q in range(s, e):
                            if buf[q] < 48 or buf[q] > 57:
                                digits = False
                        if digits:
                            if e - s > 18:
                                status = SUMMARY
                                break
                            number = 0
                            for q in range(s, e):
                                number = number * 10 + (buf[q] - 48)
                            if number != counts[block]:
                                status = SUMMARY
                                break
                    f += 1
                    if ss[f] >= 0 and stmt_ccys == 1:
                        if (sp[f] >> 48) & (F_REF | F_HIGH):
                            status = SUMMARY
                            break
                        if is_blank(buf, ss[f], ss[f] + _length(sp[f])):
                            continue
                        total = parse_minor(buf, ss[f], ss[f] + _length(sp[f]), exponents[stmt_ccy])
                        if total == NO_AMOUNT or total != sums[block]:
                            status = SUMMARY
                            break
            continue
        if rec != ENTRY:
            continue  # transaction-level events are read with their entry
        if kind == EV_START:
            entry_start = k - 1
            continue
        if kind != EV_END:
            continue
        # -- one entry: events [entry_start, k) ------------------------------------------
        entry_no += 1
        counts[0] += 1
        _collect(events, entry_start, k, ENTRY, node_record, node_field, es, ep)
        n_txs = 0
        for q in range(entry_start, k):
            if events[q, 0] & 3 == EV_START and node_record[events[q, 0] >> 2] == TX:
                n_txs += 1
        if es[E_AMT] < 0:
            status = MISSING_AMOUNT
            break
        entry_amount, entry_ccy = _amount(buf, es[E_AMT], ep[E_AMT], exponents)
        if entry_ccy < 0:
            status = BAD_AMOUNT
            break
        credit = _word(buf, es[E_CDI], ep[E_CDI], _CRDT) if es[E_CDI] >= 0 else 0
        debit = _word(buf, es[E_CDI], ep[E_CDI], _DBIT) if es[E_CDI] >= 0 else 0
        if credit + debit != 1:
            status = BAD_CODE  # neither CRDT nor DBIT, or left to the reader
            break
        direction = 1 if credit == 1 else 2
        counts[direction] += 1
        sums[0] += entry_amount
        sums[direction] += entry_amount
        if sums[0] > _LIMIT:
            status = OVERFLOW
            break
        if stmt_ccys == 0:
            stmt_ccy = entry_ccy
            stmt_ccys = 1
        elif entry_ccy != stmt_ccy:
            stmt_ccys = 2
        units = max(n_txs, 1)
        # Status: Sts text, else its first Cd/Prtry; no Sts at all reads as booked.
        booked = 1
        if es[E_STS] >= 0:
            if not _blank(buf, es[E_STS], ep[E_STS]):
                booked = _word(buf, es[E_STS], ep[E_STS], _BOOK)
            elif es[E_STS_CODE] >= 0:
                booked = _word(buf, es[E_STS_CODE], ep[E_STS_CODE], _BOOK)
            else:
                booked = 0
        skip = -1
        if booked < 0:
            status = BAD_CODE
            break
        if booked == 0:
            skip = _NOT_BOOKED
        elif es[E_RVSL] >= 0:
            true = _word(buf, es[E_RVSL], ep[E_RVSL], _TRUE)
            one = _word(buf, es[E_RVSL], ep[E_RVSL], _ONE)
            if true < 0:
                status = BAD_CODE
                break
            if true + one > 0:
                skip = _REVERSAL
        if skip < 0 and direction == 2:
            skip = _DEBIT
        if skip >= 0:
            if skipped[skip] == 0:
                first_seen[skip] = n_seen
                n_seen += 1
            skipped[skip] += units
            continue
        booking, ok = _date(buf, es[E_BOOKG_HOLDER], es[E_BOOKG], ep[E_BOOKG])
        if not ok:
            status = BAD_DATE
            break
        value, ok = _date(buf, es[E_VAL_HOLDER], es[E_VAL], ep[E_VAL])
        if not ok:
            status = BAD_DATE
            break
        if value == NO_DATE:
            value = booking
        if value == NO_DATE:
            status = BAD_DATE  # a credit needs a value or booking date
            break
        # The entry's reference: AcctSvcrRef, else NtryRef.
        entry_ref = -1
        if not _blank(buf, es[E_ACCT_REF], ep[E_ACCT_REF]):
            entry_ref = E_ACCT_REF
        elif not _blank(buf, es[E_NTRY_REF], ep[E_NTRY_REF]):
            entry_ref = E_NTRY_REF
        entry_info = -1 if _blank(buf, es[E_INFO], ep[E_INFO]) else E_INFO
        if n_txs == 0:
            amount[rows] = entry_amount
            currency[rows] = entry_ccy
            value_date[rows] = value
            booking_date[rows] = booking
            position[rows, 0] = stmt
            position[rows, 1] = entry_no
            position[rows, 2] = 1
            if entry_ref >= 0:
                span_s[rows, PAYMENT_ID] = es[entry_ref]
                span_e[rows, PAYMENT_ID] = es[entry_ref] + _length(ep[entry_ref])
            if entry_info >= 0:
                ref_s[refs] = es[E_INFO]
                ref_e[refs] = es[E_INFO] + _length(ep[E_INFO])
                refs += 1
            rows += 1
            ref_ptr[rows] = refs
            line_ptr[rows] = lines
            continue
        # -- the entry's transactions ----------------------------------------------------
        single = n_txs == 1
        credited = 0
        comparable = True
        number = 0
        tx_start = 0
        for q in range(entry_start, k):
            qcode = events[q, 0]
            if node_record[qcode >> 2] != TX or qcode & 3 == EV_TEXT:
                continue
            if qcode & 3 == EV_START:
                tx_start = q
                continue
            number += 1
            _collect(events, tx_start, q, TX, node_record, node_field, fs, fp)
            if fs[T_CDI] >= 0:
                is_debit = _word(buf, fs[T_CDI], fp[T_CDI], _DBIT)
                if is_debit < 0:
                    status = BAD_CODE
                    break
                if is_debit == 1:
                    if skipped[_DEBIT] == 0:
                        first_seen[_DEBIT] = n_seen
                        n_seen += 1
                    skipped[_DEBIT] += 1
                    comparable = False
                    continue
            if fs[T_RTR] >= 0:
                if skipped[_RETURN] == 0:
                    first_seen[_RETURN] = n_seen
                    n_seen += 1
                skipped[_RETURN] += 1
                comparable = False
                continue
            if single:
                tx_amount, tx_ccy = entry_amount, entry_ccy
            else:
                which = T_TXAMT if fs[T_TXAMT] >= 0 else T_AMT
                if fs[which] < 0:
                    status = MISSING_AMOUNT
                    break
                tx_amount, tx_ccy = _amount(buf, fs[which], fp[which], exponents)
                if tx_ccy < 0:
                    status = BAD_AMOUNT
                    break
                comparable = comparable and tx_ccy == entry_ccy
                credited += tx_amount
                if credited > _LIMIT:
                    status = OVERFLOW
                    break
            r = rows
            amount[r] = tx_amount
            currency[r] = tx_ccy
            value_date[r] = value
            booking_date[r] = booking
            position[r, 0] = stmt
            position[r, 1] = entry_no
            position[r, 2] = number
            # End-to-end id, unless NOTPROVIDED; then the id: tx ref, entry ref, e2e.
            e2e = fs[T_E2E] >= 0 and not _blank(buf, fs[T_E2E], fp[T_E2E])
            if e2e:
                end = fs[T_E2E] + _length(fp[T_E2E])
                e2e = not equals_text(buf, fs[T_E2E], end, _NOT_PROVIDED, scratch)
            if e2e:
                span_s[r, E2E] = fs[T_E2E]
                span_e[r, E2E] = fs[T_E2E] + _length(fp[T_E2E])
            if not _blank(buf, fs[T_ACCT_REF], fp[T_ACCT_REF]):
                span_s[r, PAYMENT_ID] = fs[T_ACCT_REF]
                span_e[r, PAYMENT_ID] = fs[T_ACCT_REF] + _length(fp[T_ACCT_REF])
            elif entry_ref >= 0:
                span_s[r, PAYMENT_ID] = es[entry_ref]
                span_e[r, PAYMENT_ID] = es[entry_ref] + _length(ep[entry_ref])
            elif e2e:
                span_s[r, PAYMENT_ID] = span_s[r, E2E]
                span_e[r, PAYMENT_ID] = span_e[r, E2E]
            for f in (T_TXID, T_INSTR, T_UETR):
                if not _blank(buf, fs[f], fp[f]):
                    span_s[r, TRACE] = fs[f]
                    span_e[r, TRACE] = fs[f] + _length(fp[f])
                    break
            for f in (T_DBTR, T_ULTMT):
                if not _blank(buf, fs[f], fp[f]):
                    span_s[r, PAYER] = fs[f]
                    span_e[r, PAYER] = fs[f] + _length(fp[f])
                    break
            if fs[T_ACCOUNT] >= 0:
                span_s[r, ACCOUNT] = fs[T_ACCOUNT]
                span_e[r, ACCOUNT] = fs[T_ACCOUNT] + _length(fp[T_ACCOUNT])
            if fs[T_CHQ] >= 0:
                span_s[r, CHECK] = fs[T_CHQ]
                span_e[r, CHECK] = fs[T_CHQ] + _length(fp[T_CHQ])
            # Reference text: the Ustrd lines, else AddtlTxInf, else the entry's AddtlNtryInf.
            first_ref = refs
            any_text = False
            for u in range(tx_start, q):
                ucode = events[u, 0]
                unode = ucode >> 2
                if (
                    ucode & 3 == EV_TEXT
                    and node_record[unode] == TX
                    and node_field[unode] == T_USTRD
                ):
                    ref_s[refs] = events[u, 1]
                    ref_e[refs] = events[u, 1] + _length(events[u, 2])
                    any_text = any_text or not _blank(buf, ref_s[refs], events[u, 2])
                    refs += 1
            if not any_text:
                refs = first_ref
                source_s, source_p = fs[T_INFO], fp[T_INFO]
                if _blank(buf, source_s, source_p):
                    source_s, source_p = es[E_INFO], ep[E_INFO]
                if source_s >= 0:
                    ref_s[refs] = source_s
                    ref_e[refs] = source_s + _length(source_p)
                    refs += 1
            # Remittance lines, one Strd block after the other.
            lines, status = _strd_lines(
                buf,
                events,
                tx_start,
                q,
                tx_ccy,
                node_record,
                node_field,
                exponents,
                xs,
                xp,
                numbers,
                inv_s,
                inv_e,
                why_s,
                why_e,
                line_amount,
                line_valid,
                lines,
            )
            if status != ROWS_OK:
                break
            rows += 1
            ref_ptr[rows] = refs
            line_ptr[rows] = lines
        if status != ROWS_OK:
            break
        if not single and comparable and credited != entry_amount:
            status = BATCH_SUM
            break
    if status == ROWS_OK and stmt == 0 and not grphdr:
        status = NO_CONTENT
    return (
        status,
        rows,
        amount[:rows],
        currency[:rows],
        value_date[:rows],
        booking_date[:rows],
        position[:rows],
        span_s[:rows],
        span_e[:rows],
        ref_ptr[: rows + 1],
        ref_s[:refs],
        ref_e[:refs],
        line_ptr[: rows + 1],
        inv_s[:lines],
        inv_e[:lines],
        why_s[:lines],
        why_e[:lines],
        line_amount[:lines],
        line_valid[:lines],
        stmt_s[:stmt],
        stmt_e[:stmt],
        msgid,
        skipped,
        first_seen,
    )


@nb.njit(cache=True)
def _strd_lines(
    buf,
    events,
    a,
    b,
    ccy,
    node_record,
    node_field,
    exponents,
    xs,
    xp,
    numbers,
    inv_s,
    inv_e,
    why_s,
    why_e,
    line_amount,
    line_valid,
    lines,
):
    """Append the remittance lines of the Strd blocks among events [a, b) (``_structured``)."""
    n_numbers = 0
    strd_start = a
    discount = 0
    has_discount = False
    adjustment = 0
    has_adjustment = False
    reason = -1
    reason_end = -1
    part_start = a
    for k in range(a, b):
        code = events[k, 0]
        node = code >> 2
        kind = code & 3
        rec = node_record[node]
        if rec == STRD:
            if kind == EV_START:
                strd_start = k
                n_numbers = 0
                discount = 0
                has_discount = False
                adjustment = 0
                has_adjustment = False
                reason = -1
                reason_end = -1
            elif kind == EV_TEXT and node_field[node] == R_NB:
                start = events[k, 1]
                if not _blank(buf, start, events[k, 2]):
                    numbers[n_numbers] = k
                    n_numbers += 1
            elif kind == EV_END:
                _collect(events, strd_start, k, STRD, node_record, node_field, xs, xp)
                amounts = np.zeros(4, np.int64)
                valid = np.zeros(4, np.bool_)
                credit_note = 0
                has_credit_note = False
                for slot, f in ((PAID, R_PAID), (INVOICE, R_DUE), (-1, R_CNOTE)):
                    if xs[f] < 0:
                        continue
                    value, doc_ccy = _amount(buf, xs[f], xp[f], exponents)
                    if doc_ccy < 0:
                        return lines, BAD_AMOUNT
                    if doc_ccy != ccy:
                        continue  # the reader leaves out amounts in another currency
                    if slot < 0:
                        credit_note, has_credit_note = value, True
                    else:
                        amounts[slot] = value
                        valid[slot] = True
                if not valid[PAID] and has_credit_note:
                    amounts[PAID] = -credit_note  # a credit note is paid as a negative amount
                    valid[PAID] = True
                if has_discount:
                    amounts[DISCOUNT] = discount
                    valid[DISCOUNT] = True
                if has_adjustment:
                    amounts[ADJUSTMENT] = adjustment
                    valid[ADJUSTMENT] = True
                has_cref = xs[R_CREF] >= 0 and not _blank(buf, xs[R_CREF], xp[R_CREF])
                if n_numbers == 0 and not has_cref and not valid.any():
                    continue  # neither reference nor amount: no line
                n_refs = max(n_numbers, 1) + (1 if n_numbers > 0 and has_cref else 0)
                for i in range(n_refs):
                    line = lines + i
                    if i < n_numbers:
                        start = events[numbers[i], 1]
                        inv_s[line] = start
                        inv_e[line] = start + _length(events[numbers[i], 2])
                    elif has_cref:
                        inv_s[line] = xs[R_CREF]
                        inv_e[line] = xs[R_CREF] + _length(xp[R_CREF])
                    if i == 0:
                        for j in range(4):
                            line_amount[line, j] = amounts[j]
                            line_valid[line, j] = valid[j]
                        why_s[line] = reason
                        why_e[line] = reason_end
                lines += n_refs
        elif rec == DISC:
            if kind == EV_START:
                part_start = k
            elif kind == EV_END:
                _collect(events, part_start, k, DISC, node_record, node_field, xs, xp)
                f = X_AMT if xs[X_AMT] >= 0 else X_OWN
                value, doc_ccy = _amount(buf, xs[f], xp[f], exponents)
                if doc_ccy < 0:
                    return lines, BAD_AMOUNT
                if doc_ccy == ccy:
                    discount += value
                    has_discount = True
                    if discount > _LIMIT:
                        return lines, OVERFLOW
        elif rec == ADJ:
            if kind == EV_START:
                part_start = k
            elif kind == EV_END:
                _collect(events, part_start, k, ADJ, node_record, node_field, xs, xp)
                if reason < 0 and not _blank(buf, xs[A_REASON], xp[A_REASON]):
                    reason = xs[A_REASON]
                    reason_end = reason + _length(xp[A_REASON])
                sign = 1
                if xs[A_CDI] >= 0:
                    is_debit = _word(buf, xs[A_CDI], xp[A_CDI], _DBIT)
                    if is_debit < 0:
                        return lines, BAD_CODE
                    if is_debit == 1:
                        sign = -1
                if xs[A_AMT] >= 0:
                    value, doc_ccy = _amount(buf, xs[A_AMT], xp[A_AMT], exponents)
                    if doc_ccy < 0:
                        return lines, BAD_AMOUNT
                    if doc_ccy == ccy:
                        adjustment += sign * value
                        has_adjustment = True
                        if adjustment > _LIMIT or adjustment < -_LIMIT:
                            return lines, OVERFLOW
    return lines, ROWS_OK


@dataclass
class Rows:
    """The payment rows :func:`build_rows` found, as numpy arrays (see its Returns)."""

    status: int
    amount: np.ndarray
    currency: np.ndarray
    value_date: np.ndarray
    booking_date: np.ndarray
    position: np.ndarray
    span_start: np.ndarray
    span_end: np.ndarray
    ref_ptr: np.ndarray
    ref_start: np.ndarray
    ref_end: np.ndarray
    line_ptr: np.ndarray
    invoice_start: np.ndarray
    invoice_end: np.ndarray
    reason_start: np.ndarray
    reason_end: np.ndarray
    line_amount: np.ndarray
    line_valid: np.ndarray
    statement_start: np.ndarray
    statement_end: np.ndarray
    msgid: np.ndarray
    skipped: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.status == ROWS_OK


def rows_from_events(
    buf: np.ndarray, events: np.ndarray, node_record: np.ndarray, node_field: np.ndarray,
    exponents: np.ndarray,
) -> Rows:  # fmt: skip
    """Run :func:`build_rows` and name its results."""
    out = build_rows(buf, events, node_record, node_field, exponents)
    status = int(out[0])
    counts, first = out[-2], out[-1]
    order = sorted((int(first[i]), SKIP_KINDS[i]) for i in range(4) if counts[i])
    skipped = {name: int(counts[SKIP_KINDS.index(name)]) for _, name in order}
    return Rows(status, *out[2:-2], skipped=skipped)

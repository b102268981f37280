"""The camt reader's rules for one entry or statement, in numba, on the scanner's events.

The scanner (:mod:`cashmatch.loaders.camt_scan`) calls :func:`entry_rows` at
each ``</Ntry>`` with the events of that entry, and :func:`statement_end` at
each ``</Stmt>``/``</Ntfctn>``. They do what
:class:`cashmatch.loaders.camt._Reader` does with the same elements: statuses,
reversals, debits and returns counted as skipped, entry and batch amounts,
dates, the id and text fallbacks, ``Strd`` blocks into remittance lines, the
``TxsSummry`` checks. Values are read lazily exactly where the reader reads
them (a debit's transactions are never parsed, so their oddities do not
matter). Wherever the reader would raise, or would need a rule this module
does not implement, they answer a status other than ROWS_OK and the file goes
to the lxml reader.

Rows are written into :class:`Out` arrays straight away, strings included
(stripped and decoded into one byte heap per column), while the entry's bytes
are still in the CPU cache: gathering them later from all over a large file
costs more than everything else together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from cashmatch.loaders.camt_paths import (
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
    F_CR,
    F_HIGH,
    F_REF,
    N_FIELDS,
    R_CNOTE,
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
    is_blank,
    parse_date,
    parse_minor,
    put_stripped,
)

# Outcome; anything but ROWS_OK hands the file to the lxml reader.
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
# Skipped kinds, as LoadedFile.skipped names them.
SKIP_KINDS = ("debit", "reversal", "return", "not_booked")
_DEBIT, _REVERSAL, _RETURN, _NOT_BOOKED = range(4)

# String columns, one byte heap each: six of the payment and two of its lines.
PAYMENT_ID, PAYER, ACCOUNT, REFERENCE, CHECK, TRACE, E2E, INVOICE, REASON = range(9)
N_PAYMENT_STRINGS = 7
N_STRINGS = 9
# Numbers of a payment row (Out.rows columns).
AMOUNT, CURRENCY, VALUE, BOOKING, STMT_NO, ENTRY_NO, TX_NO, LINES_END = range(8)
# Numbers of a line (Out.lines columns): four amounts, then whether each is there.
PAID, INVOICE_AMOUNT, DISCOUNT, ADJUSTMENT = range(4)
# The running state (Out.state).
(
    ROWS,
    LINES,
    STATUS,
    SEEN,  # how many skipped kinds have been met
    STATEMENTS,
    ENTRIES,  # entries in the statement at hand
    N_ALL,
    N_CRDT,
    N_DBIT,
    SUM_ALL,
    SUM_CRDT,
    SUM_DBIT,
    STMT_CCY,
    STMT_CCYS,  # 0, 1 or 2 (several) currencies in the statement at hand
    GRPHDR,  # 1 once a GrpHdr was seen
    MSGID,  # start of the MsgId text (-1: none)
    MSGID_PACKED,
    SKIPPED,  # four counts from here
) = range(18)
FIRST_SEEN = SKIPPED + 4  # and the order each kind was first met
N_STATE = FIRST_SEEN + 4
_LIMIT = 2**62  # running sums stay below it (the reader's are Python ints)

_BOOK = np.frombuffer(b"BOOK", np.uint8)
_CRDT = np.frombuffer(b"CRDT", np.uint8)
_DBIT = np.frombuffer(b"DBIT", np.uint8)
_TRUE = np.frombuffer(b"true", np.uint8)
_ONE = np.frombuffer(b"1", np.uint8)
_NOT_PROVIDED = np.frombuffer(b"NOTPROVIDED", np.uint8)


@nb.njit(cache=True, inline="always")
def _length(packed):
    return packed & 0xFFFFFFFF


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
    if start < 0:
        return True
    if (packed >> 48) == 0:  # ASCII: no need to decode
        for k in range(start, start + _length(packed)):
            c = buf[k]
            if c != 32 and c != 9 and c != 10:
                return False
        return True
    return is_blank(buf, start, start + _length(packed))


@nb.njit(cache=True)
def _amount(buf, start, packed, exponents):
    """(minor units, currency index) of an amount element, or (NO_AMOUNT, -1)."""
    ccy = (packed >> 32) & 0xFFFF
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
def put_text(buf, start, packed, heap, column, o):
    """Write the stripped, decoded text of a TEXT event at ``heap[column, o:]``; return its end.

    Plain ASCII (no reference, no CR) is copied as it is, less the whitespace
    around it; anything else goes through the full decoder.
    """
    if start < 0:
        return o
    s = start
    e = start + _length(packed)
    if (packed >> 48) & (F_REF | F_HIGH | F_CR):
        return put_stripped(buf, s, e, heap[column], o)
    while s < e and (buf[s] == 32 or buf[s] == 9 or buf[s] == 10):
        s += 1
    while e > s and (buf[e - 1] == 32 or buf[e - 1] == 9 or buf[e - 1] == 10):
        e -= 1
    for k in range(s, e):
        heap[column, o] = buf[k]
        o += 1
    return o


@nb.njit(cache=True)
def _skip(state, kind, units):
    if state[SKIPPED + kind] == 0:
        state[FIRST_SEEN + kind] = state[SEEN]
        state[SEEN] += 1
    state[SKIPPED + kind] += units


@nb.njit(cache=True)
def _collect(ev, a, b, record, node_record, node_field, fs, fp):
    """The TEXT fields of ``record`` among events [a, b) into ``fs`` (start) and ``fp`` (packed)."""
    fs[:] = -1
    fp[:] = 0
    for k in range(a, b):
        code = ev[k, 0]
        if code & 3 == EV_TEXT:
            node = code >> 2
            if node_record[node] == record:
                f = node_field[node]
                fs[f] = ev[k, 1]
                fp[f] = ev[k, 2]


@nb.njit(cache=True)
def _end_row(state, heap_fill, pay_offs, rows):
    """Close payment row ``state[ROWS]``: its string offsets and its line range."""
    r = state[ROWS]
    for c in range(N_PAYMENT_STRINGS):
        pay_offs[c, r + 1] = heap_fill[c]
    rows[r, LINES_END] = state[LINES]
    state[ROWS] = r + 1


@nb.njit(cache=True)
def entry_rows(
    buf,
    ev,
    a,
    b,
    n_txs,
    node_record,
    node_field,
    exponents,
    heap,
    heap_fill,
    pay_offs,
    line_offs,
    rows,
    lines,
    state,
    fields,
):
    """Apply the reader's ``_entry`` to the events [a, b) of one ``Ntry``; return a status.

    The caller has found the entry's ``n_txs`` transactions and its own fields
    (``fields[0]`` starts and ``fields[1]`` packed, by E_* field), and made
    room in the outputs for its rows, lines and strings. The other rows of
    ``fields`` (int64 [6, N_FIELDS]) are work space.
    """
    es, ep, fs, fp = fields[0], fields[1], fields[2], fields[3]
    state[ENTRIES] += 1
    state[N_ALL] += 1
    if es[E_AMT] < 0:
        return MISSING_AMOUNT
    entry_amount, entry_ccy = _amount(buf, es[E_AMT], ep[E_AMT], exponents)
    if entry_ccy < 0:
        return BAD_AMOUNT
    credit = _word(buf, es[E_CDI], ep[E_CDI], _CRDT) if es[E_CDI] >= 0 else 0
    debit = _word(buf, es[E_CDI], ep[E_CDI], _DBIT) if es[E_CDI] >= 0 else 0
    if credit + debit != 1:
        return BAD_CODE  # neither CRDT nor DBIT, or left to the reader
    direction = 1 if credit == 1 else 2
    state[N_ALL + direction] += 1
    state[SUM_ALL] += entry_amount
    state[SUM_ALL + direction] += entry_amount
    if state[SUM_ALL] > _LIMIT:
        return OVERFLOW
    if state[STMT_CCYS] == 0:
        state[STMT_CCY] = entry_ccy
        state[STMT_CCYS] = 1
    elif entry_ccy != state[STMT_CCY]:
        state[STMT_CCYS] = 2
    units = max(n_txs, 1)
    # Status: the Sts text, else its Cd/Prtry; no Sts at all reads as booked.
    booked = 1
    if es[E_STS] >= 0:
        if not _blank(buf, es[E_STS], ep[E_STS]):
            booked = _word(buf, es[E_STS], ep[E_STS], _BOOK)
        elif es[E_STS_CODE] >= 0:
            booked = _word(buf, es[E_STS_CODE], ep[E_STS_CODE], _BOOK)
        else:
            booked = 0
    if booked < 0:
        return BAD_CODE
    if booked == 0:
        _skip(state, _NOT_BOOKED, units)
        return ROWS_OK
    if es[E_RVSL] >= 0:
        true = _word(buf, es[E_RVSL], ep[E_RVSL], _TRUE)
        one = _word(buf, es[E_RVSL], ep[E_RVSL], _ONE)
        if true < 0:
            return BAD_CODE
        if true + one > 0:
            _skip(state, _REVERSAL, units)
            return ROWS_OK
    if direction == 2:
        _skip(state, _DEBIT, units)
        return ROWS_OK
    booking, ok = _date(buf, es[E_BOOKG_HOLDER], es[E_BOOKG], ep[E_BOOKG])
    if not ok:
        return BAD_DATE
    value, ok = _date(buf, es[E_VAL_HOLDER], es[E_VAL], ep[E_VAL])
    if not ok:
        return BAD_DATE
    if value == NO_DATE:
        value = booking
    if value == NO_DATE:
        return BAD_DATE  # a credit needs a value or booking date
    # The entry's reference: AcctSvcrRef, else NtryRef.
    entry_ref = -1
    if not _blank(buf, es[E_ACCT_REF], ep[E_ACCT_REF]):
        entry_ref = E_ACCT_REF
    elif not _blank(buf, es[E_NTRY_REF], ep[E_NTRY_REF]):
        entry_ref = E_NTRY_REF
    stmt_no = state[STATEMENTS]
    entry_no = state[ENTRIES]
    if n_txs == 0:
        r = state[ROWS]
        rows[r, AMOUNT] = entry_amount
        rows[r, CURRENCY] = entry_ccy
        rows[r, VALUE] = value
        rows[r, BOOKING] = booking
        rows[r, STMT_NO] = stmt_no
        rows[r, ENTRY_NO] = entry_no
        rows[r, TX_NO] = 1
        if entry_ref >= 0:
            heap_fill[PAYMENT_ID] = put_text(
                buf, es[entry_ref], ep[entry_ref], heap, PAYMENT_ID, heap_fill[PAYMENT_ID]
            )
        heap_fill[REFERENCE] = put_text(
            buf, es[E_INFO], ep[E_INFO], heap, REFERENCE, heap_fill[REFERENCE]
        )
        _end_row(state, heap_fill, pay_offs, rows)
        return ROWS_OK
    # -- the entry's transactions ---------------------------------------------------------
    single = n_txs == 1
    credited = 0
    comparable = True
    number = 0
    tx_start = 0
    for q in range(a, b):
        code = ev[q, 0]
        node = code >> 2
        if node_record[node] != TX:
            continue
        kind = code & 3
        if kind == EV_TEXT:
            f = node_field[node]
            fs[f] = ev[q, 1]
            fp[f] = ev[q, 2]
            continue
        if kind == EV_START:
            tx_start = q
            fs[:] = -1
            fp[:] = 0
            continue
        number += 1
        if fs[T_CDI] >= 0:
            is_debit = _word(buf, fs[T_CDI], fp[T_CDI], _DBIT)
            if is_debit < 0:
                return BAD_CODE
            if is_debit == 1:
                _skip(state, _DEBIT, 1)
                comparable = False  # a mixed batch cannot be summed against the entry
                continue
        if fs[T_RTR] >= 0:
            _skip(state, _RETURN, 1)
            comparable = False
            continue
        if single:
            tx_amount, tx_ccy = entry_amount, entry_ccy
        else:
            which = T_TXAMT if fs[T_TXAMT] >= 0 else T_AMT
            if fs[which] < 0:
                return MISSING_AMOUNT
            tx_amount, tx_ccy = _amount(buf, fs[which], fp[which], exponents)
            if tx_ccy < 0:
                return BAD_AMOUNT
            comparable = comparable and tx_ccy == entry_ccy
            credited += tx_amount
            if credited > _LIMIT:
                return OVERFLOW
        r = state[ROWS]
        rows[r, AMOUNT] = tx_amount
        rows[r, CURRENCY] = tx_ccy
        rows[r, VALUE] = value
        rows[r, BOOKING] = booking
        rows[r, STMT_NO] = stmt_no
        rows[r, ENTRY_NO] = entry_no
        rows[r, TX_NO] = number
        # End-to-end id unless NOTPROVIDED; the payment id is the tx ref, else the
        # entry ref, else that end-to-end id.
        o = heap_fill[E2E]
        e = put_text(buf, fs[T_E2E], fp[T_E2E], heap, E2E, o)
        e2e = e > o
        if e - o == _NOT_PROVIDED.shape[0]:
            same = True
            for k in range(e - o):
                same = same and heap[E2E, o + k] == _NOT_PROVIDED[k]
            e2e = not same
        if e2e:
            heap_fill[E2E] = e
        # First non-blank text wins: written, and kept if not empty.
        o = heap_fill[PAYMENT_ID]
        e = put_text(buf, fs[T_ACCT_REF], fp[T_ACCT_REF], heap, PAYMENT_ID, o)
        if e == o and entry_ref >= 0:
            e = put_text(buf, es[entry_ref], ep[entry_ref], heap, PAYMENT_ID, o)
        if e == o and e2e:
            for k in range(heap_fill[E2E] - pay_offs[E2E, r]):
                heap[PAYMENT_ID, o + k] = heap[E2E, pay_offs[E2E, r] + k]
            e = o + heap_fill[E2E] - pay_offs[E2E, r]
        heap_fill[PAYMENT_ID] = e
        o = heap_fill[TRACE]
        e = put_text(buf, fs[T_TXID], fp[T_TXID], heap, TRACE, o)
        if e == o:
            e = put_text(buf, fs[T_INSTR], fp[T_INSTR], heap, TRACE, o)
        if e == o:
            e = put_text(buf, fs[T_UETR], fp[T_UETR], heap, TRACE, o)
        heap_fill[TRACE] = e
        o = heap_fill[PAYER]
        e = put_text(buf, fs[T_DBTR], fp[T_DBTR], heap, PAYER, o)
        if e == o:
            e = put_text(buf, fs[T_ULTMT], fp[T_ULTMT], heap, PAYER, o)
        heap_fill[PAYER] = e
        heap_fill[ACCOUNT] = put_text(
            buf, fs[T_ACCOUNT], fp[T_ACCOUNT], heap, ACCOUNT, heap_fill[ACCOUNT]
        )
        heap_fill[CHECK] = put_text(buf, fs[T_CHQ], fp[T_CHQ], heap, CHECK, heap_fill[CHECK])
        status = _tx_details(
            buf,
            ev,
            tx_start,
            q,
            tx_ccy,
            node_record,
            node_field,
            exponents,
            heap,
            heap_fill,
            line_offs,
            lines,
            state,
            fields,
        )
        if status != ROWS_OK:
            return status
        # Reference text: the Ustrd lines (above), else AddtlTxInf, else AddtlNtryInf.
        if heap_fill[REFERENCE] == pay_offs[REFERENCE, r]:
            start, packed = fs[T_INFO], fp[T_INFO]
            if _blank(buf, start, packed):
                start, packed = es[E_INFO], ep[E_INFO]
            heap_fill[REFERENCE] = put_text(
                buf, start, packed, heap, REFERENCE, heap_fill[REFERENCE]
            )
        _end_row(state, heap_fill, pay_offs, rows)
    if not single and comparable and credited != entry_amount:
        return BATCH_SUM
    return ROWS_OK


@nb.njit(cache=True)
def _tx_details(
    buf,
    ev,
    a,
    b,
    ccy,
    node_record,
    node_field,
    exponents,
    heap,
    heap_fill,
    line_offs,
    lines,
    state,
    fields,
):
    """The Ustrd text and the Strd lines (``_structured``) of one transaction, events [a, b).

    One pass: Ustrd lines are joined by spaces as they come; each ``Nb`` closes
    a line at once, and the end of a ``Strd`` adds the creditor reference line
    (or a line without reference when there are amounts but no number) and
    puts the amounts and the adjustment reason on the block's first line.
    """
    xs, xp = fields[4], fields[5]
    part_start = a
    first = 0
    numbers = 0
    paid_s = due_s = note_s = cref_s = -1
    paid_p = due_p = note_p = cref_p = 0
    discount = 0
    has_discount = False
    adjustment = 0
    has_adjustment = False
    reason = -1
    reason_packed = 0
    separator = False
    for k in range(a, b):
        code = ev[k, 0]
        node = code >> 2
        kind = code & 3
        rec = node_record[node]
        if rec == TX:
            if kind == EV_TEXT and node_field[node] == T_USTRD:
                o = heap_fill[REFERENCE]
                if separator:  # a blank line is not kept, nor its separator
                    heap[REFERENCE, o] = 32
                    o += 1
                e = put_text(buf, ev[k, 1], ev[k, 2], heap, REFERENCE, o)
                if e > o:
                    heap_fill[REFERENCE] = e
                    separator = True
        elif rec == STRD:
            if kind == EV_TEXT:
                f = node_field[node]
                if f == R_NB:
                    o = heap_fill[INVOICE]
                    e = put_text(buf, ev[k, 1], ev[k, 2], heap, INVOICE, o)
                    if e > o:  # a blank number is no number
                        heap_fill[INVOICE] = e
                        _end_line(heap_fill, line_offs, lines, state)
                        numbers += 1
                elif f == R_PAID:
                    paid_s, paid_p = ev[k, 1], ev[k, 2]
                elif f == R_DUE:
                    due_s, due_p = ev[k, 1], ev[k, 2]
                elif f == R_CNOTE:
                    note_s, note_p = ev[k, 1], ev[k, 2]
                else:
                    cref_s, cref_p = ev[k, 1], ev[k, 2]
            elif kind == EV_START:
                first = state[LINES]
                numbers = 0
                paid_s = due_s = note_s = cref_s = -1
                discount = 0
                has_discount = False
                adjustment = 0
                has_adjustment = False
                reason = -1
            else:
                # RmtdAmt is paid, DuePyblAmt the invoice, a credit note is paid negative;
                # amounts in another currency are left out (errors count all the same).
                paid, ok = _doc_amount(buf, paid_s, paid_p, exponents, ccy)
                if not ok:
                    return BAD_AMOUNT
                invoice, ok = _doc_amount(buf, due_s, due_p, exponents, ccy)
                if not ok:
                    return BAD_AMOUNT
                note, ok = _doc_amount(buf, note_s, note_p, exponents, ccy)
                if not ok:
                    return BAD_AMOUNT
                if paid == NO_AMOUNT and note != NO_AMOUNT:
                    paid = -note
                has_paid = paid != NO_AMOUNT
                has_invoice = invoice != NO_AMOUNT
                o = heap_fill[INVOICE]
                e = put_text(buf, cref_s, cref_p, heap, INVOICE, o)
                if e > o:  # the creditor reference: a line after the numbers
                    heap_fill[INVOICE] = e
                    _end_line(heap_fill, line_offs, lines, state)
                elif numbers == 0 and (has_paid or has_invoice or has_discount or has_adjustment):
                    _end_line(heap_fill, line_offs, lines, state)  # amounts, no reference
                if state[LINES] == first:
                    continue  # neither reference nor amount: no line
                lines[first, PAID] = paid if has_paid else 0
                lines[first, INVOICE_AMOUNT] = invoice if has_invoice else 0
                lines[first, DISCOUNT] = discount
                lines[first, ADJUSTMENT] = adjustment
                lines[first, 4 + PAID] = has_paid
                lines[first, 4 + INVOICE_AMOUNT] = has_invoice
                lines[first, 4 + DISCOUNT] = has_discount
                lines[first, 4 + ADJUSTMENT] = has_adjustment
                # The reason belongs to the first line: the block's lines end after it.
                end = put_text(buf, reason, reason_packed, heap, REASON, heap_fill[REASON])
                heap_fill[REASON] = end
                for line in range(first, state[LINES]):
                    line_offs[1, line + 1] = end
        elif rec == DISC:
            if kind == EV_START:
                part_start = k
            elif kind == EV_END:
                _collect(ev, part_start, k, DISC, node_record, node_field, xs, xp)
                f = X_AMT if xs[X_AMT] >= 0 else X_OWN
                value, doc_ccy = _amount(buf, xs[f], xp[f], exponents)
                if doc_ccy < 0:
                    return BAD_AMOUNT
                if doc_ccy == ccy:
                    discount += value
                    has_discount = True
                    if discount > _LIMIT:
                        return OVERFLOW
        elif rec == ADJ:
            if kind == EV_START:
                part_start = k
            elif kind == EV_END:
                _collect(ev, part_start, k, ADJ, node_record, node_field, xs, xp)
                if reason < 0 and not _blank(buf, xs[A_REASON], xp[A_REASON]):
                    reason = xs[A_REASON]
                    reason_packed = xp[A_REASON]
                sign = 1
                if xs[A_CDI] >= 0:
                    is_debit = _word(buf, xs[A_CDI], xp[A_CDI], _DBIT)
                    if is_debit < 0:
                        return BAD_CODE
                    if is_debit == 1:
                        sign = -1
                if xs[A_AMT] >= 0:
                    value, doc_ccy = _amount(buf, xs[A_AMT], xp[A_AMT], exponents)
                    if doc_ccy < 0:
                        return BAD_AMOUNT
                    if doc_ccy == ccy:
                        adjustment += sign * value
                        has_adjustment = True
                        if adjustment > _LIMIT or adjustment < -_LIMIT:
                            return OVERFLOW
    return ROWS_OK


@nb.njit(cache=True)
def _doc_amount(buf, start, packed, exponents, ccy):
    """(value, ok) of a remittance amount: NO_AMOUNT when absent or in another currency;
    not ok when the reader would reject it (it parses them all)."""
    if start < 0:
        return NO_AMOUNT, True
    value, doc_ccy = _amount(buf, start, packed, exponents)
    if doc_ccy < 0:
        return NO_AMOUNT, False
    return (value if doc_ccy == ccy else NO_AMOUNT), True


@nb.njit(cache=True)
def _end_line(heap_fill, line_offs, lines, state):
    """Close line ``state[LINES]`` with no amounts (the block's end fills the first's)."""
    line = state[LINES]
    line_offs[0, line + 1] = heap_fill[INVOICE]
    line_offs[1, line + 1] = heap_fill[REASON]
    lines[line, :] = 0
    state[LINES] = line + 1


@nb.njit(cache=True)
def statement_end(buf, ss, sp, exponents, state):
    """Check the TxsSummry of the statement that ends (``_check_summary``); return a status.

    ``ss``/``sp`` hold the statement's TEXT fields read before its first entry.
    TtlNtries, TtlCdtNtries and TtlDbtNtries are checked against all, credit
    and debit entries: the count when it is digits, the sum when the statement
    has one currency.
    """
    for block in range(3):
        f = S_TTL_NB + 2 * block
        if ss[f] >= 0:
            if (sp[f] >> 48) & (F_REF | F_HIGH):
                return SUMMARY
            s = ss[f]
            e = s + _length(sp[f])
            while s < e and (buf[s] == 32 or buf[s] == 9 or buf[s] == 10 or buf[s] == 13):
                s += 1
            while e > s and (
                buf[e - 1] == 32 or buf[e - 1] == 9 or buf[e - 1] == 10 or buf[e - 1] == 13
            ):
                e -= 1
            digits = e > s
            for q in range(s, e):
                if buf[q] < 48 or buf[q] > 57:
                    digits = False
            if digits:
                if e - s > 18:
                    return SUMMARY
                number = 0
                for q in range(s, e):
                    number = number * 10 + (buf[q] - 48)
                if number != state[N_ALL + block]:
                    return SUMMARY
        f += 1
        if ss[f] >= 0 and state[STMT_CCYS] == 1:
            if (sp[f] >> 48) & (F_REF | F_HIGH):
                return SUMMARY
            if _blank(buf, ss[f], sp[f]):
                continue
            total = parse_minor(buf, ss[f], ss[f] + _length(sp[f]), exponents[state[STMT_CCY]])
            if total == NO_AMOUNT or total != state[SUM_ALL + block]:
                return SUMMARY
    return ROWS_OK


def skipped_counts(state: np.ndarray) -> dict[str, int]:
    """The skipped counts of a final state, keyed in the order the reader met them."""
    met = sorted(
        (int(state[FIRST_SEEN + i]), kind)
        for i, kind in enumerate(SKIP_KINDS)
        if state[SKIPPED + i]
    )
    return {kind: int(state[SKIPPED + SKIP_KINDS.index(kind)]) for _, kind in met}


@nb.njit(cache=True)
def _grow_rows(a, need):
    """``a`` with at least ``need`` rows (first axis), doubling."""
    if need <= a.shape[0]:
        return a
    bigger = np.empty((max(need, 2 * a.shape[0]), a.shape[1]), a.dtype)
    bigger[: a.shape[0]] = a
    return bigger


@nb.njit(cache=True)
def _grow_cols(a, need, used):
    """``a`` with at least ``need`` columns (second axis), keeping the first ``used``."""
    if need <= a.shape[1]:
        return a
    bigger = np.empty((a.shape[0], max(need, 2 * a.shape[1])), a.dtype)
    bigger[:, :used] = a[:, :used]
    return bigger


@nb.njit(cache=True)
def _grow_heap(heap, fill, need):
    """``heap`` with room for ``need`` more bytes in every column."""
    top = 0
    for c in range(fill.shape[0]):
        top = max(top, fill[c])
    if top + need <= heap.shape[1]:
        return heap
    bigger = np.empty((heap.shape[0], max(top + need, 2 * heap.shape[1])), np.uint8)
    for c in range(fill.shape[0]):
        bigger[c, : fill[c]] = heap[c, : fill[c]]
    return bigger


@nb.njit(cache=True)
def walk(
    buf,
    ev,
    count,
    node_record,
    node_field,
    exponents,
    heap,
    heap_fill,
    pay_offs,
    line_offs,
    rows,
    lines,
    statements,
    state,
    ss,
    sp,
    fields,
):
    """Apply the reader's rules to the events ``ev[:count]`` of a chunk, in order.

    Entries go whole to :func:`entry_rows`; an entry whose end is not in this
    chunk is left (with everything after it) for the next. Statement and
    group header events are taken as they come. On a rule the reader would
    not pass, ``state[STATUS]`` says which and the walk stops.

    Returns:
        (events consumed, then the output arrays, grown where needed).
    """
    k = 0
    while k < count:
        code = ev[k, 0]
        node = code >> 2
        kind = code & 3
        rec = node_record[node]
        if rec == ENTRY and kind == EV_START:
            # Find its end, and what it can add at most: rows, lines, bytes.
            # Its own fields go to fields[0] (start) and fields[1] (packed) meanwhile.
            end = -1
            n_tx = 0
            n_lines = 0
            n_ustrd = 0
            text = 0
            entry_text = 0
            fields[0, :] = -1
            fields[1, :] = 0
            for q in range(k + 1, count):
                qcode = ev[q, 0]
                qnode = qcode >> 2
                qrec = node_record[qnode]
                qkind = qcode & 3
                if qkind == EV_TEXT:
                    length = ev[q, 2] & 0xFFFFFFFF
                    text += length + 1
                    if qrec == ENTRY:
                        entry_text += length
                        fields[0, node_field[qnode]] = ev[q, 1]
                        fields[1, node_field[qnode]] = ev[q, 2]
                    elif qrec == STRD:
                        n_lines += 1
                    elif qrec == TX and node_field[qnode] == T_USTRD:
                        n_ustrd += 1
                elif qkind == EV_END:
                    if qrec == ENTRY:
                        end = q
                        break
                    if qrec == TX:
                        n_tx += 1
                    elif qrec == STRD:
                        n_lines += 1
            if end < 0:
                break  # the entry goes on in the next chunk
            need = state[ROWS] + n_tx + 2
            if need > rows.shape[0]:
                rows = _grow_rows(rows, need)
                pay_offs = _grow_cols(pay_offs, rows.shape[0] + 1, state[ROWS] + 1)
            need = state[LINES] + n_lines + 2
            if need > lines.shape[0]:
                lines = _grow_rows(lines, need)
                line_offs = _grow_cols(line_offs, lines.shape[0] + 1, state[LINES] + 1)
            heap = _grow_heap(heap, heap_fill, text + (n_tx + 1) * (entry_text + 1) + n_ustrd)
            status = entry_rows(
                buf,
                ev,
                k,
                end + 1,
                n_tx,
                node_record,
                node_field,
                exponents,
                heap,
                heap_fill,
                pay_offs,
                line_offs,
                rows,
                lines,
                state,
                fields,
            )
            if status != ROWS_OK:
                state[STATUS] = status
                return k, heap, pay_offs, line_offs, rows, lines, statements
            k = end + 1
            continue
        if rec == STMT:
            if kind == EV_START:
                state[STATEMENTS] += 1
                state[ENTRIES] = 0
                state[N_ALL : N_ALL + 3] = 0
                state[SUM_ALL : SUM_ALL + 3] = 0
                state[STMT_CCYS] = 0
                ss[:] = -1
                sp[:] = 0
            elif kind == EV_TEXT:
                if state[ENTRIES] == 0:  # the reader reads a statement at its first entry
                    ss[node_field[node]] = ev[k, 1]
                    sp[node_field[node]] = ev[k, 2]
            else:
                status = statement_end(buf, ss, sp, exponents, state)
                if status != ROWS_OK:
                    state[STATUS] = status
                    return k, heap, pay_offs, line_offs, rows, lines, statements
                s = state[STATEMENTS] - 1
                statements = _grow_rows(statements, s + 1)
                for f in range(3):
                    statements[s, 2 * f] = ss[f]
                    statements[s, 2 * f + 1] = sp[f]
        elif rec == DOC:
            if kind == EV_START and node_field[node] == D_GRPHDR:
                state[GRPHDR] = 1
            elif kind == EV_TEXT:  # MsgId
                state[MSGID] = ev[k, 1]
                state[MSGID_PACKED] = ev[k, 2]
        k += 1
    return k, heap, pay_offs, line_offs, rows, lines, statements


@dataclass
class Out:
    """The rows read so far, and the running state; filled chunk by chunk by :func:`walk`.

    Attributes:
        heap: uint8 [N_STRINGS, *]: each string column's bytes, up to ``heap_fill``.
        pay_offs: int64 [N_PAYMENT_STRINGS, rows + 1]: string offsets by payment.
        line_offs: int64 [2, lines + 1]: invoice_ref and adjustment_reason offsets by line.
        row_numbers: int64 [rows, 8]: AMOUNT ... LINES_END.
        line_numbers: int64 [lines, 8]: four amounts, then whether each is there.
        statements: int64 [statements, 6]: start and packed of Id, IBAN and Othr/Id.
        state: int64 [N_STATE]: see the constants.
    """

    heap: np.ndarray
    heap_fill: np.ndarray
    pay_offs: np.ndarray
    line_offs: np.ndarray
    row_numbers: np.ndarray
    line_numbers: np.ndarray
    statements: np.ndarray
    state: np.ndarray
    ss: np.ndarray
    sp: np.ndarray
    fields: np.ndarray

    @classmethod
    def for_size(cls, size: int) -> Out:
        """Empty outputs, sized for a file of ``size`` bytes (they grow as needed)."""
        rows = max(64, size // 2048)
        state = np.zeros(N_STATE, np.int64)
        state[FIRST_SEEN : FIRST_SEEN + 4] = -1
        state[MSGID] = -1
        return cls(
            heap=np.empty((N_STRINGS, max(4096, size // 64)), np.uint8),
            heap_fill=np.zeros(N_STRINGS, np.int64),
            pay_offs=np.zeros((N_PAYMENT_STRINGS, rows + 1), np.int64),
            line_offs=np.zeros((2, rows + 1), np.int64),
            row_numbers=np.empty((rows, 8), np.int64),
            line_numbers=np.empty((rows, 8), np.int64),
            statements=np.full((16, 6), -1, np.int64),
            state=state,
            ss=np.full(N_FIELDS, -1, np.int64),
            sp=np.zeros(N_FIELDS, np.int64),
            fields=np.empty((6, N_FIELDS), np.int64),
        )

    def walk(self, buf, ev, count, kernel, node_record, node_field, exponents) -> int:
        """Run ``kernel`` (:func:`walk`) on a chunk's events; return how many it consumed."""
        done, *arrays = kernel(
            buf,
            ev,
            count,
            node_record,
            node_field,
            exponents,
            self.heap,
            self.heap_fill,
            self.pay_offs,
            self.line_offs,
            self.row_numbers,
            self.line_numbers,
            self.statements,
            self.state,
            self.ss,
            self.sp,
            self.fields,
        )
        (
            self.heap,
            self.pay_offs,
            self.line_offs,
            self.row_numbers,
            self.line_numbers,
            self.statements,
        ) = arrays
        return done

    @property
    def status(self) -> int:
        return int(self.state[STATUS])

    @property
    def rows(self) -> int:
        return int(self.state[ROWS])

    @property
    def lines(self) -> int:
        return int(self.state[LINES])

    @property
    def grphdr(self) -> bool:
        return bool(self.state[GRPHDR])

    @property
    def n_statements(self) -> int:
        return int(self.state[STATEMENTS])

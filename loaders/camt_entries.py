"""camt entries (``Ntry``) into payment columns: which transactions are credits, and their fields.

Which transactions of an entry are payments to apply follows the ISO 20022
rules. The entry is the booking and its transactions are its parts:

* the entry must be booked (``Sts`` ``BOOK``; ``PDNG``, ``INFO``, ``FUTR`` are
  counted ``not_booked``) and not a reversal (``RvslInd`` true: ``reversal``);
* a debited entry (``CdtDbtInd`` ``DBIT``) holds nothing to apply: each of its
  transactions counts ``debit``, whatever it says of itself;
* in a credited entry, a transaction whose own ``TxDtls/CdtDbtInd`` (version 04
  on) is ``DBIT`` counts ``debit``, and a credit that carries return
  information (``TxDtls/RtrInf``) is money coming back, not a payment:
  ``return``. The others are the payments.

So a batched entry that mixes credits, returned credits and debited returns
gives exactly its plain credits. Its transactions' amounts must account for
the entry: credits minus debits (what the bank booked net) or the credits
alone (a bank that books the returns separately); anything else rejects the
entry.

Field mapping, by priority:

* amount: the entry's ``Amt`` when it holds one transaction (what was booked);
  in a batch each transaction's ``AmtDtls/TxAmt/Amt``, else its ``Amt``.
* payment_id: ``TxDtls/Refs/AcctSvcrRef``, else the entry's ``AcctSvcrRef``,
  else ``NtryRef``, else ``EndToEndId``; without any, the loader gives one
  from the file and the position (see :func:`cashmatch.loaders.base.unique_ids`).
* bank_reference: the transaction's own ``AcctSvcrRef``; the entry's only when
  the entry holds one transaction (then the entry is the booking): in a batch
  it is shared by all transactions and changes when a bank re-batches.
* trace_id: ``TxId``, else ``InstrId``, else ``UETR``; check_number ``ChqNb``;
  end_to_end_id ``EndToEndId`` unless ``NOTPROVIDED``.
* payer: ``RltdPties/Dbtr`` (``Nm``, or ``Pty/Nm`` from version 08), else the
  ultimate debtor's name; account ``DbtrAcct/Id/IBAN`` or ``Othr/Id``.
* reference_text: the ``Ustrd`` lines joined by a space, else ``AddtlTxInf``,
  else ``AddtlNtryInf`` (PostFinance puts everything there).
* remittance: one line per ``Strd`` block
  (:meth:`cashmatch.loaders.iso20022.Values.structured`).

Speed: this walk is most of the reader's own time, so each element's
children are taken with one ``getchildren()`` call (an iterator per element
costs more), each tag is looked up once, texts are stripped and blanks
dropped by Arrow when a batch of rows is flushed (:mod:`cashmatch.loaders.camt`),
and each transaction becomes one tuple of raw values.
"""

from __future__ import annotations

from collections import Counter

from cashmatch.engine.money import format_money
from cashmatch.loaders.iso20022 import RecordError, Values, text
from cashmatch.loaders.xml_stream import tag_codes

# Children of Ntry, TxDtls, Refs, RltdPties and RmtInf the walk reads, by code
# (0: anything else).
_ENTRY = (
    "Amt",
    "CdtDbtInd",
    "RvslInd",
    "Sts",
    "BookgDt",
    "ValDt",
    "AcctSvcrRef",
    "NtryRef",
    "NtryDtls",
    "AddtlNtryInf",
)
E_AMT, E_CDI, E_RVSL, E_STS, E_BOOKG, E_VAL, E_REF, E_NREF, E_DTLS, E_INFO = range(1, 11)
_TX = ("Refs", "Amt", "AmtDtls", "CdtDbtInd", "RltdPties", "RmtInf", "RtrInf", "AddtlTxInf")
T_REFS, T_AMT, T_AMTDTLS, T_CDI, T_PARTIES, T_RMT, T_RTR, T_INFO = range(1, 9)
_REFS = ("AcctSvcrRef", "EndToEndId", "TxId", "InstrId", "UETR", "ChqNb")
_PARTIES = ("Dbtr", "UltmtDbtr", "DbtrAcct")
P_DBTR, P_ULTIMATE, P_ACCOUNT = range(1, 4)
_RMT = ("Ustrd", "Strd")
R_USTRD, R_STRD = range(1, 3)
_OTHER = ("TxDtls", "TxAmt", "Amt", "Id", "IBAN", "Othr", "Cd", "Prtry")
O_TXDTLS, O_TXAMT, O_AMT, O_ID, O_IBAN, O_OTHR, O_CD, O_PRTRY = range(1, 9)

# One raw row per transaction, in this order (see camt._flush).
ROW_FIELDS = (
    "tx_ref", "end_to_end_id", "tx_id", "instr_id", "uetr", "check_number",
    "entry_ref", "ntry_ref", "amount_minor", "currency", "value_date", "booking_date",
    "payer_name", "ultimate_name", "payer_account", "ustrd", "tx_info", "entry_info",
    "statement", "entry", "transaction", "lines_end", "single",
)  # fmt: skip
_TRUE = ("true", "1")


class EntryReader:
    """Reads the ``Ntry`` elements of one document into raw rows and remittance lines.

    Args:
        namespace: the document's namespace.
        values: the document's value reader (amounts, dates, Strd blocks).
        rows: the list each credited transaction's row tuple is appended to.
        skipped: counts of what is not a payment, by kind.
    """

    def __init__(self, namespace: str, values: Values, rows: list, skipped: Counter):
        self.entry_codes = tag_codes(namespace, _ENTRY)
        self.tx_codes = tag_codes(namespace, _TX)
        self.ref_codes = tag_codes(namespace, _REFS)
        self.party_codes = tag_codes(namespace, _PARTIES)
        self.rmt_codes = tag_codes(namespace, _RMT)
        self.other_codes = tag_codes(namespace, _OTHER)
        self.values = values
        self.line_rows = values.line_rows
        self.rows = rows
        self.skipped = skipped

    def entry(self, ntry, report, path: tuple) -> None:
        """Read one entry: count it in ``report``, append its credited transactions.

        Raises:
            RecordError: a value that cannot be read (the entry must then be dropped whole).
        """
        slots = [None] * 11
        details = None
        codes = self.entry_codes
        for child in ntry.getchildren():
            code = codes.get(child.tag, 0)
            if code == E_DTLS:
                if details is None:
                    details = [child]
                else:
                    details.append(child)
            else:
                slots[code] = child
        amount, currency = self.values.amount(slots[E_AMT], (path, "/Amt"), ntry)
        cdi = slots[E_CDI]
        direction = None if cdi is None else cdi.text
        if direction != "CRDT" and direction != "DBIT":
            direction = _direction(cdi, (path, "/CdtDbtInd"), ntry)
        transactions = self._transactions(details) if details is not None else ()
        units = len(transactions) or 1
        status = slots[E_STS]
        if status is not None and status.text != "BOOK" and self._status(status) != "BOOK":
            report.count(direction, amount, currency, None, False)
            self.skipped["not_booked"] += units
            return
        date = self.values.date
        booking = date(slots[E_BOOKG], "BookgDt", path)
        value = date(slots[E_VAL], "ValDt", path) or booking
        report.count(direction, amount, currency, value, True)
        reversal = slots[E_RVSL]
        if reversal is not None and text(reversal.text) in _TRUE:
            self.skipped["reversal"] += units
            return
        if direction == "DBIT":
            self.skipped["debit"] += units
            return
        if value is None:
            raise RecordError(
                (path, "/ValDt"), "ValDt", "a credit needs a value or booking date", ntry.sourceline
            )
        ref, nref, info = slots[E_REF], slots[E_NREF], slots[E_INFO]
        entry = (
            None if ref is None else ref.text,
            None if nref is None else nref.text,
            value,
            booking,
            None if info is None else info.text,
            report.index,
            report.entries,
        )
        if not transactions:
            self._append(entry, None, amount, currency, 1, path)
        elif len(transactions) == 1:
            d, t, tx = transactions[0]
            self._single(entry, tx, amount, currency, (path, "/NtryDtls[", d, "]/TxDtls[", t, "]"))
        else:
            self._batch(entry, transactions, amount, currency, path, ntry)

    def _transactions(self, details: list) -> list:
        found = []
        codes = self.other_codes
        for d, detail in enumerate(details, 1):
            t = 0
            for tx in detail.getchildren():
                if codes.get(tx.tag) == O_TXDTLS:
                    t += 1
                    found.append((d, t, tx))
        return found

    def _parts(self, tx) -> list:
        parts = [None] * 9
        codes = self.tx_codes
        for child in tx.getchildren():
            parts[codes.get(child.tag, 0)] = child
        return parts

    def _single(self, entry, tx, amount, currency, tpath) -> None:
        """The one transaction of a credited entry: the entry's amount is its amount."""
        parts = self._parts(tx)
        own = parts[T_CDI]
        if own is not None and _direction(own, (tpath, "/CdtDbtInd"), tx) == "DBIT":
            self.skipped["debit"] += 1
        elif parts[T_RTR] is not None:
            self.skipped["return"] += 1
        else:
            self._append(entry, parts, amount, currency, 1, tpath)

    def _batch(self, entry, transactions, amount, currency, path, ntry) -> None:
        """A credited entry of several transactions: each its own amount, together the entry's."""
        credits = debits = 0
        summable = True
        for number, (d, t, tx) in enumerate(transactions, 1):
            tpath = (path, "/NtryDtls[", d, "]/TxDtls[", t, "]")
            parts = self._parts(tx)
            own = parts[T_CDI]
            debit = own is not None and _direction(own, (tpath, "/CdtDbtInd"), tx) == "DBIT"
            tx_amount, tx_currency = self._tx_amount(parts, tpath, tx, needed=not debit)
            if tx_amount is None or tx_currency != currency:
                summable = False
            elif debit:
                debits += tx_amount
            else:
                credits += tx_amount
            if debit:
                self.skipped["debit"] += 1
            elif parts[T_RTR] is not None:
                self.skipped["return"] += 1
            else:
                self._append(entry, parts, tx_amount, tx_currency, number, tpath, False)
        if summable and amount not in (credits - debits, credits):
            raise RecordError(
                (path, "/Amt"),
                "Amt",
                f"entry amount {format_money(amount, currency)} does not match its"
                f" {len(transactions)} transactions: credits {format_money(credits, currency)},"
                f" debits {format_money(debits, currency)}",
                ntry.sourceline,
            )

    def _tx_amount(self, parts, tpath, tx, needed: bool) -> tuple[int | None, str | None]:
        """A batched transaction's own amount: ``AmtDtls/TxAmt/Amt``, else its ``Amt``."""
        codes = self.other_codes
        element, where = None, (tpath, "/AmtDtls/TxAmt/Amt")
        details = parts[T_AMTDTLS]
        if details is not None:
            for sub in details.getchildren():
                if codes.get(sub.tag) == O_TXAMT:
                    for inner in sub.getchildren():
                        if codes.get(inner.tag) == O_AMT:
                            element = inner
        if element is None:
            element, where = parts[T_AMT], (tpath, "/Amt")
        if element is None:
            if not needed:
                return None, None  # a debit or return without amount: only the sum is unknown
            raise RecordError(
                where, "Amt", "a transaction of a batched entry needs its own amount", tx.sourceline
            )
        return self.values.amount(element, where, tx)

    def _append(self, entry, parts, amount, currency, number, tpath, single=True) -> None:
        entry_ref, ntry_ref, value, booking, entry_info, statement, position = entry
        tx_ref = e2e = tx_id = instr_id = uetr = check = None
        payer = ultimate = account = ustrd = info = None
        if parts is not None:
            refs = parts[T_REFS]
            if refs is not None:
                found = [None] * 7
                codes = self.ref_codes
                for child in refs.getchildren():
                    found[codes.get(child.tag, 0)] = child.text
                _, tx_ref, e2e, tx_id, instr_id, uetr, check = found
            if parts[T_PARTIES] is not None:
                payer, ultimate, account = self._parties(parts[T_PARTIES])
            if parts[T_RMT] is not None:
                ustrd = self._remittance(parts[T_RMT], currency, tpath)
            if parts[T_INFO] is not None:
                info = parts[T_INFO].text
        self.rows.append(
            (
                tx_ref, e2e, tx_id, instr_id, uetr, check, entry_ref, ntry_ref,
                amount, currency, value, booking, payer, ultimate, account, ustrd, info,
                entry_info, statement, position, number, len(self.line_rows), single,
            )
        )  # fmt: skip

    def _parties(self, parties) -> tuple[str | None, str | None, str | None]:
        """Debtor name, ultimate debtor name and debtor account of ``RltdPties``."""
        codes = self.party_codes
        name = ultimate = account = None
        for child in parties.getchildren():
            code = codes.get(child.tag)
            if code == P_DBTR:
                name = self.values.name(child)
            elif code == P_ACCOUNT:
                account = self._account(child)
            elif code == P_ULTIMATE:
                ultimate = self.values.name(child)
        return name, ultimate, account

    def _account(self, holder) -> str | None:
        """``Id/IBAN`` or ``Id/Othr/Id`` of an account."""
        codes = self.other_codes
        for ident in holder.getchildren():
            if codes.get(ident.tag) != O_ID:
                continue
            for scheme in ident.getchildren():
                code = codes.get(scheme.tag)
                if code == O_IBAN:
                    return scheme.text
                if code == O_OTHR:
                    for other in scheme.getchildren():
                        if codes.get(other.tag) == O_ID:
                            return other.text
        return None

    def _remittance(self, rmt, currency: str, tpath: tuple) -> str | None:
        """Append the ``Strd`` lines; return the ``Ustrd`` lines joined by a space."""
        codes = self.rmt_codes
        lines = None
        s = 0
        for child in rmt.getchildren():
            code = codes.get(child.tag)
            if code == R_USTRD:
                if lines is None:
                    lines = child.text
                else:
                    lines = " ".join(x for x in (text(lines), text(child.text)) if x)
            elif code == R_STRD:
                s += 1
                self.values.structured(child, currency, (tpath, "/RmtInf/Strd[", s, "]"))
        return lines

    def _status(self, element) -> str | None:
        """``Sts`` (``BOOK``, ``PDNG``...); a bank that omits the mandatory element has booked."""
        status = text(element.text)
        if status is None:  # version 08: <Sts><Cd>BOOK</Cd></Sts>
            codes = self.other_codes
            for child in element.getchildren():
                if codes.get(child.tag) in (O_CD, O_PRTRY):
                    return text(child.text)
        return status


def _direction(element, where: tuple, owner) -> str:
    value = None if element is None else element.text
    if value != "CRDT" and value != "DBIT":
        value = text(value)
        if value not in ("CRDT", "DBIT"):
            line = (element if element is not None else owner).sourceline
            raise RecordError(where, "CdtDbtInd", f"expected CRDT or DBIT, found {value!r}", line)
    return value

"""What the ISO 20022 readers (camt, remt) share: values, structured remittance, located errors.

Elements are recognised by numbers looked up once per tag
(:func:`~cashmatch.loaders.xml_stream.tag_codes`), children are taken with
one ``getchildren()`` call per element, and an element path is only put
together when an error needs it (paths travel as nested tuples of parts).
"""

from __future__ import annotations

import datetime as dt

from cashmatch.engine.money import MoneyError, parse_amount
from cashmatch.engine.schemas import REMITTANCE_LINE
from cashmatch.loaders.xml_stream import local_name, tag_codes

NOT_PROVIDED = "NOTPROVIDED"
REMITTANCE_FIELDS = tuple(f.name for f in REMITTANCE_LINE)

# Children of a Strd block and of its RfrdDocAmt, by code.
_STRD = ("RfrdDocInf", "RfrdDocAmt", "CdtrRefInf")
S_DOCINF, S_DOCAMT, S_CDTRREF = range(1, 4)
_DOC_AMOUNTS = ("RmtdAmt", "DuePyblAmt", "DscntApldAmt", "CdtNoteAmt", "AdjstmntAmtAndRsn")
D_PAID, D_DUE, D_DISCOUNT, D_CREDIT_NOTE, D_ADJUSTMENT = range(1, 6)
_LEAVES = ("Nb", "Ref", "Amt", "CdtDbtInd", "Rsn", "AddtlInf", "Nm", "Pty", "Dt", "DtTm")
L_NB, L_REF, L_AMT, L_CDI, L_RSN, L_ADDTL, L_NM, L_PTY, L_DT, L_DTTM = range(1, 11)


class RecordError(Exception):
    """A bad value inside one record (entry, advice); becomes a LoadError or, leniently, a problem.

    Attributes:
        element: the element's path, as nested tuples of parts (see :func:`join_path`).
        field: the element or attribute at fault.
        message: what is wrong.
        line: the line of the element at fault.
    """

    def __init__(self, element: object, field: str, message: str, line: int | None):
        super().__init__(message)
        self.element, self.field, self.message, self.line = element, field, message, line


def text(value: str | None) -> str | None:
    """Stripped text, None when absent or blank.

    Example:
        >>> text("  INV-1 "), text("   "), text(None)
        ('INV-1', None, None)
    """
    if value is None:
        return None
    value = value.strip()
    return value or None


def join_path(parts: object) -> str:
    """An element path kept as nested tuples of parts, joined when an error needs it.

    Example:
        >>> join_path(("/Document/Stmt[", 1, "]", ("/Ntry[", 3, "]"), "/Amt"))
        '/Document/Stmt[1]/Ntry[3]/Amt'
    """
    if isinstance(parts, tuple):
        return "".join(join_path(p) for p in parts)
    return str(parts)


def element_path(element) -> str:
    """XPath-like location with 1-based positions among same-named siblings."""
    steps = []
    while element is not None:
        parent = element.getparent()
        name = local_name(element.tag)
        if parent is None:
            steps.append(name)
        else:
            same = [c for c in parent if c.tag == element.tag]
            steps.append(f"{name}[{same.index(element) + 1}]" if len(same) > 1 else name)
        element = parent
    return "/" + "/".join(reversed(steps))


class Values:
    """Reads amounts, dates, names and ``Strd`` blocks of one document.

    Args:
        namespace: the document's namespace (tags are looked up in both spellings).

    Attributes:
        line_rows: the remittance lines :meth:`structured` appends, each a tuple
            in :data:`REMITTANCE_FIELDS` order.
    """

    def __init__(self, namespace: str):
        self.strd_codes = tag_codes(namespace, _STRD)
        self.amount_codes = tag_codes(namespace, _DOC_AMOUNTS)
        self.leaf_codes = tag_codes(namespace, _LEAVES)
        self.line_rows: list[tuple] = []
        self.date_cache: dict[str, dt.date] = {}

    def amount(self, element, where: object, owner) -> tuple[int, str]:
        """``(minor units, currency)`` of an amount element with its ``Ccy`` attribute.

        Raises:
            RecordError: missing, without currency, or not an amount of it.
        """
        if element is None:
            raise RecordError(where, "Amt", "amount missing", owner.sourceline)
        currency = element.get("Ccy")
        if not currency:
            raise RecordError(
                where, "Ccy", "amount without a Ccy currency attribute", element.sourceline
            )
        try:
            return parse_amount(element.text or "", currency, signed=False), currency
        except MoneyError as error:
            raise RecordError(where, "Amt", str(error), element.sourceline) from None

    def date(self, holder, name: str, where: object) -> dt.date | None:
        """The date of a ``Dt`` or ``DtTm`` child of ``holder`` (its day), None without holder."""
        if holder is None:
            return None
        children = holder.getchildren()
        value = children[0].text if children else None
        if value is None:
            raise RecordError((where, "/", name), name, "date missing", holder.sourceline)
        cached = self.date_cache.get(value)
        if cached is not None:
            return cached
        day = value.strip()[:10]
        try:
            if len(day) != 10 or day[4] + day[7] != "--" or not day.replace("-", "").isdigit():
                raise ValueError
            parsed = dt.date(int(day[:4]), int(day[5:7]), int(day[8:]))
        except ValueError:
            child = children[0]
            raise RecordError(
                (where, "/", name, "/", local_name(child.tag)),
                name,
                f"not an ISO date: {value!r}",
                child.sourceline,
            ) from None
        self.date_cache[value] = parsed
        return parsed

    def name(self, party) -> str | None:
        """``Nm`` of a party, or of its ``Pty`` (version 08 on)."""
        codes = self.leaf_codes
        for child in party.getchildren():
            code = codes.get(child.tag)
            if code == L_NM:
                return text(child.text)
            if code == L_PTY:
                return self.name(child)
        return None

    def structured(self, strd, currency: str, where: object) -> None:
        """Append the remittance lines of one ``Strd`` block to :attr:`line_rows`.

        ``RfrdDocInf/Nb`` (the invoice number) is the line's invoice_ref; without
        one, ``CdtrRefInf/Ref`` (RF creditor reference, SCOR, ESR/QRR) is. When a
        block has both, the creditor reference gets a line of its own without
        amounts. Amounts come from ``RfrdDocAmt``: RmtdAmt is what is paid,
        DuePyblAmt the invoice amount, DscntApldAmt the discount,
        AdjstmntAmtAndRsn the adjustment (negative when DBIT), and a credit note
        (CdtNoteAmt, no RmtdAmt) is paid as a negative amount, so that the lines
        of a transaction add up to it. Amounts in a currency other than the
        payment's are left out (a line has no currency of its own). A block with
        neither reference nor amount (only AddtlRmtInf) gives no line.
        """
        codes, leaf = self.strd_codes, self.leaf_codes
        numbers = []
        creditor_ref = None
        paid = invoice = discount = adjustment = reason = None
        for child in strd.getchildren():
            code = codes.get(child.tag)
            if code == S_DOCINF:
                for sub in child.getchildren():
                    if leaf.get(sub.tag) == L_NB:
                        number = text(sub.text)
                        if number:
                            numbers.append(number)
            elif code == S_DOCAMT:
                paid, invoice, discount, adjustment, reason = self._doc_amounts(
                    child, currency, where
                )
            elif code == S_CDTRREF:
                for sub in child.getchildren():
                    if leaf.get(sub.tag) == L_REF:
                        creditor_ref = text(sub.text) or creditor_ref
        if not numbers:
            if creditor_ref is None:
                if paid is None and invoice is None and discount is None and adjustment is None:
                    return
                numbers = [None]
            else:
                numbers = [creditor_ref]
                creditor_ref = None
        rows = self.line_rows
        rows.append((numbers[0], paid, invoice, discount, adjustment, reason))
        for ref in numbers[1:]:
            rows.append((ref, None, None, None, None, None))
        if creditor_ref is not None:
            rows.append((creditor_ref, None, None, None, None, None))

    def _doc_amounts(self, block, currency: str, where: object) -> tuple:
        """``RfrdDocAmt``: (paid, invoice amount, discount, adjustment, its reason)."""
        codes, leaf = self.amount_codes, self.leaf_codes
        paid = invoice = discount = adjustment = reason = credit_note = None
        for sub in block.getchildren():
            code = codes.get(sub.tag)
            if code is None:
                continue
            at = (where, "/RfrdDocAmt/", _DOC_AMOUNTS[code - 1])
            if code <= D_DUE:  # RmtdAmt, DuePyblAmt: the amount itself
                value, of = self.amount(sub, at, sub)
                if of == currency:
                    if code == D_PAID:
                        paid = value
                    else:
                        invoice = value
            elif code == D_CREDIT_NOTE:
                value, of = self.amount(sub, at, sub)
                if of == currency:
                    credit_note = value
            elif code == D_DISCOUNT:
                # From version 05 on the amount is wrapped (Tp + Amt).
                inner = next((a for a in sub.getchildren() if leaf.get(a.tag) == L_AMT), sub)
                value, of = self.amount(inner, at, sub)
                if of == currency:
                    discount = (discount or 0) + value
            else:
                value = sign = None
                for part in sub.getchildren():
                    what = leaf.get(part.tag)
                    if what == L_AMT:
                        value, of = self.amount(part, (at, "/Amt"), sub)
                        if of != currency:
                            value = None
                    elif what == L_CDI:
                        sign = text(part.text)
                    elif what in (L_RSN, L_ADDTL) and reason is None:
                        reason = text(part.text)
                if value is not None:
                    adjustment = (adjustment or 0) + (-value if sign == "DBIT" else value)
        if paid is None and credit_note is not None:
            paid = -credit_note
        return paid, invoice, discount, adjustment, reason

"""ISO 20022 remt.001 remittance advice: what a payer says a payment pays, sent apart from it.

Each ``RmtAdvc/RmtInf`` becomes one :class:`~cashmatch.loaders.base.RemittanceAdvice`:
its ``Strd`` blocks become lines (same rules as camt, see
:meth:`cashmatch.loaders.iso20022.Values.structured`), and
``OrgnlPmtInf`` names the payment it belongs to (``Refs/EndToEndId``,
``Refs/TxId`` or ``InstrId``, ``Amt/InstdAmt``, ``ReqdExctnDt``, ``Dbtr/Nm``).
A file with a group header only is valid and yields no advice. The file
carries no money movement, so the payments table is always empty.

Example:
    >>> loaded = load_remt001("advice.xml")  # doctest: +SKIP
    >>> loaded.advices.num_rows  # doctest: +SKIP
    3
"""

from __future__ import annotations

import re
from collections import Counter

from cashmatch.engine.money import format_amount
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.base import LoadedFile, RemittanceAdvice, RemittanceLine, advices_table
from cashmatch.loaders.errors import LoadError, raise_or_report
from cashmatch.loaders.iso20022 import (
    NOT_PROVIDED,
    RecordError,
    Values,
    join_path,
    text,
)
from cashmatch.loaders.xml_stream import (
    XmlStream,
    is_encoding_error,
    local_name,
    split_complete,
    tag_codes,
    utf8_head,
)

REMT001 = "remt.001"
_NS = "urn:iso:std:iso:20022:tech:xsd:remt.001.001."
_TOP = ("GrpHdr", "RmtInf", "MsgId")
T_GRPHDR, T_RMTINF, T_MSGID = range(1, 4)
_ADVICE = ("RmtId", "Ustrd", "Strd", "OrgnlPmtInf")
A_ID, A_USTRD, A_STRD, A_ORIGINAL = range(1, 5)
_ORIGINAL = ("Refs", "Amt", "ReqdExctnDt", "Dbtr", "EndToEndId", "TxId", "InstrId", "UETR")
O_REFS, O_AMT, O_DATE, O_DBTR, O_E2E, O_TXID, O_INSTRID, O_UETR = range(1, 9)
_INSTRUCTED = {"InstdAmt"}


def sniff_remt001(head: bytes) -> bool:
    """Whether ``head`` (the first ~4 KiB) is a remt.001 remittance advice.

    Example:
        >>> sniff_remt001(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:remt.001.001.04">')
        True
    """
    text_ = utf8_head(head).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text_.startswith(b"<"):
        return False
    return _NS.encode() in text_ or re.search(rb"<(?:\w+:)?RmtAdvc[\s>]", text_) is not None


def load_remt001(path: str, *, data: bytes | None = None, lenient: bool = False) -> LoadedFile:
    """Load a remt.001 remittance advice (any ``remt.001.001.NN`` version).

    Args:
        path: the file; only named in messages when ``data`` is given.
        data: the file's bytes, or None to read ``path``.
        lenient: skip advices that cannot be read, listing them in ``problems``.

    Raises:
        LoadError: naming the element, line and field at fault.
    """
    path = str(path)
    try:
        return _RemtReader(path, data, lenient, None).run()
    except LoadError as error:
        if not is_encoding_error(error):
            raise
    return _RemtReader(path, data, lenient, "ISO-8859-1").run()


class _RemtReader:
    def __init__(self, path: str, data: bytes | None, lenient: bool, encoding: str | None):
        self.path, self.lenient = path, lenient
        self.stream = XmlStream(path, data, encoding=encoding)
        self.advices: list[RemittanceAdvice] = []
        self.problems: list[str] = []
        self.message_id: str | None = None
        self.index = 0
        self.container = None

    def run(self) -> LoadedFile:
        for root, final in self.stream.rounds():
            if self.container is None and not self._identify(root, final):
                continue
            done, _ = split_complete(self.container, not final)
            for child in done:
                code = self.top.get(child.tag)
                if code == T_GRPHDR:
                    for sub in child.getchildren():
                        if self.top.get(sub.tag) == T_MSGID:
                            self.message_id = text(sub.text)
                elif code == T_RMTINF:
                    self._advice_element(child)
            if done:
                del self.container[: len(done)]
        return self._result()

    def _identify(self, root, final: bool) -> bool:
        container = next((c for c in root.getchildren() if isinstance(c.tag, str)), None)
        if container is None and not final:
            return False
        ns = self.stream.namespace
        name = local_name(container.tag) if container is not None else ""
        if (
            local_name(root.tag) != "Document"
            or name != "RmtAdvc"
            or (ns and not ns.startswith(_NS))
        ):
            raise LoadError(
                self.path,
                f"not a remt.001 message: <{local_name(root.tag)}> containing"
                f" <{name or '?'}> in namespace {ns or 'none'!r}",
                element="/" + local_name(root.tag),
                line=root.sourceline,
            )
        self.container = container
        self.top = tag_codes(ns, _TOP)
        self.advice_codes = tag_codes(ns, _ADVICE)
        self.original_codes = tag_codes(ns, _ORIGINAL)
        self.instructed = {*_INSTRUCTED, f"{{{ns}}}InstdAmt"}
        self.values = Values(ns)
        return True

    def _advice_element(self, element) -> None:
        self.index += 1
        self.stream.tidy(element)
        start = len(self.values.line_rows)
        try:
            self._advice(element, f"/Document/RmtAdvc/RmtInf[{self.index}]", start)
        except RecordError as error:
            del self.values.line_rows[start:]
            located = LoadError(
                self.path,
                error.message,
                element=join_path(error.element),
                field=error.field,
                line=error.line,
            )
            raise_or_report(located, self.lenient, self.problems, "advice")

    def _advice(self, rmt, apath: str, start: int) -> None:
        codes = self.advice_codes
        advice_id = None
        texts: list[str] = []
        strds = []
        original = None
        for child in rmt.getchildren():
            code = codes.get(child.tag)
            if code == A_ID:
                advice_id = text(child.text)
            elif code == A_USTRD:
                line = text(child.text)
                if line:
                    texts.append(line)
            elif code == A_STRD:
                strds.append(child)
            elif code == A_ORIGINAL:
                original = child
        e2e = trace = payer = amount = currency = payment_date = None
        if original is not None:
            e2e, trace, payer, amount, currency, payment_date = self._original(original, apath)
        for s, strd in enumerate(strds, 1):
            # Amounts of a line must be in the payment's currency; without a
            # payment amount, the first amount's currency stands for it.
            self.values.structured(strd, currency or _first_currency(strd), f"{apath}/Strd[{s}]")
        lines = [RemittanceLine(*row) for row in self.values.line_rows[start:]]
        if not lines and texts:
            # Free text only: keep it as a line without amount, so it is not lost.
            lines = [RemittanceLine(invoice_ref=" ".join(texts))]
        self.advices.append(
            RemittanceAdvice(
                advice_id=advice_id or f"{self.message_id or 'remt'}#{self.index}",
                lines=lines,
                trace_id=trace,
                end_to_end_id=e2e,
                payer_name=payer,
                amount_minor=amount,
                currency=currency,
                payment_date=payment_date,
                source_format=REMT001,
                source_file=self.path,
            )
        )

    def _original(self, original, apath: str) -> tuple:
        """``OrgnlPmtInf``: the payment the advice is about."""
        codes = self.original_codes
        e2e = trace = payer = amount = currency = payment_date = None
        for child in original.getchildren():
            code = codes.get(child.tag)
            if code == O_REFS:
                found = {codes.get(r.tag): text(r.text) for r in child.getchildren()}
                e2e = found.get(O_E2E)
                e2e = None if e2e == NOT_PROVIDED else e2e
                trace = found.get(O_TXID) or found.get(O_INSTRID) or found.get(O_UETR)
            elif code == O_AMT:
                instructed = next(
                    (a for a in child.getchildren() if a.tag in self.instructed), None
                )
                if instructed is not None:
                    amount, currency = self.values.amount(
                        instructed, f"{apath}/OrgnlPmtInf/Amt/InstdAmt", child
                    )
            elif code == O_DATE:
                payment_date = self.values.date(child, "ReqdExctnDt", f"{apath}/OrgnlPmtInf")
            elif code == O_DBTR:
                payer = self.values.name(child)
        return e2e, trace, payer, amount, currency, payment_date

    def _result(self) -> LoadedFile:
        if self.container is None:
            raise LoadError(self.path, "no remt.001 content: no RmtAdvc message")
        ids = Counter(a.advice_id for a in self.advices)
        for position, advice in enumerate(self.advices, 1):
            if ids[advice.advice_id] > 1:
                advice.advice_id = f"{advice.advice_id}#{position}"
        totals: Counter = Counter()
        for advice in self.advices:
            if advice.amount_minor is not None and advice.currency:
                totals[advice.currency] += advice.amount_minor
        return LoadedFile(
            format=REMT001,
            payments=PAYMENTS.empty_table(),
            advices=advices_table(self.advices),
            problems=self.problems,
            summary={
                "format": REMT001,
                "message_id": self.message_id,
                "advices": len(self.advices),
                "lines": sum(len(a.lines) for a in self.advices),
                "problems": len(self.problems),
                "total_advised": {c: format_amount(v, c) for c, v in sorted(totals.items())},
            },
        )


def _first_currency(strd) -> str:
    for element in strd.iter():
        currency = element.get("Ccy")
        if currency:
            return currency
    return ""

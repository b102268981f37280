"""ISO 20022 remt.001 remittance advice: what a payer says a payment pays, sent apart from it.

Each ``RmtAdvc/RmtInf`` becomes one :class:`~cashmatch.loaders.base.RemittanceAdvice`:
its ``Strd`` blocks become lines (same rules as camt, see
:meth:`cashmatch.loaders.camt._Iso20022Reader._structured`), and
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
from cashmatch.loaders.camt import (
    _NAMES,
    _REMITTANCE_FIELDS,
    _Iso20022Reader,
    _join,
    _RecordError,
    _text,
)
from cashmatch.loaders.errors import LoadError, raise_or_report
from cashmatch.loaders.xml_safety import is_encoding_error, local_name, namespace, secure_iterparse

REMT001 = "remt.001"
_NS = "urn:iso:std:iso:20022:tech:xsd:remt.001.001."
_REMT_NAMES = (
    "RmtId",
    "OrgnlPmtInf",
    "InstdAmt",
    "EqvtAmt",
    "ReqdExctnDt",
    "ReqdColltnDt",
    "MsgId",
)


def sniff_remt001(head: bytes) -> bool:
    """Whether ``head`` (the first ~4 KiB) is a remt.001 remittance advice.

    Example:
        >>> sniff_remt001(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:remt.001.001.04">')
        True
    """
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<"):
        return False
    return _NS.encode() in text or re.search(rb"<(?:\w+:)?RmtAdvc[\s>]", text) is not None


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


class _RemtReader(_Iso20022Reader):
    def __init__(self, path: str, data: bytes | None, lenient: bool, encoding: str | None):
        self.path, self.data, self.lenient, self.encoding = path, data, lenient, encoding
        self.L: dict[str, str] = {}
        self.lines = {name: [] for name in _REMITTANCE_FIELDS}
        self.date_cache = {}
        self.advices: list[RemittanceAdvice] = []
        self.problems: list[str] = []
        self.message_id: str | None = None
        self.index = 0
        self.identified = False

    def run(self) -> LoadedFile:
        for _event, element in secure_iterparse(
            self.path, self.data, tags=("{*}GrpHdr", "{*}RmtInf"), encoding=self.encoding
        ):
            if not self.identified:
                self._identify(element)
            if local_name(element.tag) == "GrpHdr":
                self.message_id = _text(element.findtext(namespace(element.tag) + "MsgId"))
                continue
            parent = element.getparent()
            if parent is None or local_name(parent.tag) != "RmtAdvc":
                continue  # not an advice block (none is nested, but stay strict about what counts)
            self.index += 1
            try:
                self._advice(element, f"/Document/RmtAdvc/RmtInf[{self.index}]")
            except _RecordError as error:
                located = LoadError(
                    self.path,
                    error.message,
                    element=_join(error.element),
                    field=error.field,
                    line=error.line,
                )
                raise_or_report(located, self.lenient, self.problems, "advice")
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del parent[0]
        if not self.identified:
            raise LoadError(self.path, "no remt.001 content: no GrpHdr or RmtInf")
        return self._result()

    def _identify(self, element) -> None:
        root = element.getroottree().getroot()
        ns = namespace(root.tag)
        container = next((c for c in root if isinstance(c.tag, str)), None)
        container_name = local_name(container.tag) if container is not None else ""
        if (
            local_name(root.tag) != "Document"
            or container_name != "RmtAdvc"
            or (ns and not ns[1:].startswith(_NS))
        ):
            raise LoadError(
                self.path,
                f"not a remt.001 message: <{local_name(root.tag)}> containing"
                f" <{container_name or '?'}> in namespace {ns[1:-1] or 'none'!r}",
                element="/" + local_name(root.tag),
                line=root.sourceline,
            )
        self.L = {ns + name: name for name in (*_NAMES, *_REMT_NAMES)}
        self.identified = True

    def _advice(self, rmt, apath: str) -> None:
        L = self.L
        advice_id = None
        texts: list[str] = []
        strds = []
        original = None
        for child in rmt:
            name = L.get(child.tag)
            if name == "RmtId":
                advice_id = _text(child.text)
            elif name == "Ustrd":
                text = _text(child.text)
                if text:
                    texts.append(text)
            elif name == "Strd":
                strds.append(child)
            elif name == "OrgnlPmtInf":
                original = child
        e2e = trace = payer = None
        amount = currency = payment_date = None
        if original is not None:
            for child in original:
                name = L.get(child.tag)
                if name == "Refs":
                    found = {L.get(r.tag): _text(r.text) for r in child}
                    e2e = found.get("EndToEndId")
                    e2e = None if e2e == "NOTPROVIDED" else e2e
                    trace = found.get("TxId") or found.get("InstrId") or found.get("UETR")
                elif name == "Amt":
                    instructed = next((a for a in child if L.get(a.tag) == "InstdAmt"), None)
                    if instructed is not None:
                        amount, currency = self._amount(
                            instructed, f"{apath}/OrgnlPmtInf/Amt/InstdAmt", child
                        )
                elif name == "ReqdExctnDt":
                    payment_date = self._date(child, "ReqdExctnDt", f"{apath}/OrgnlPmtInf")
                elif name == "Dbtr":
                    payer = self._name(child)
        start = len(self.lines["invoice_ref"])
        for s, strd in enumerate(strds, 1):
            # Amounts of a line must be in the payment's currency; without a
            # payment amount, the first amount's currency stands for it.
            self._structured(strd, currency or _first_currency(strd), f"{apath}/Strd[{s}]")
        lines = [
            RemittanceLine(**{name: self.lines[name][i] for name in _REMITTANCE_FIELDS})
            for i in range(start, len(self.lines["invoice_ref"]))
        ]
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

    def _result(self) -> LoadedFile:
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

"""Reading the ``:86:`` "information to account owner" field of MT940/MT942.

Banks fill this 6x65 free-text field with one of a few conventions:

* German "GVC" layout (DFÜ agreement, also used by Polish banks):
  ``166?00GUTSCHRIFT?20EREF+...?21SVWZ+...?30BIC?31IBAN?32NAME?33NAME``.
  ``?20``-``?29`` and ``?60``-``?63`` hold the purpose in 27-character pieces
  that are concatenated as they are; inside it the SEPA keys ``EREF+``,
  ``KREF+``, ``MREF+``, ``SVWZ+`` ... start the sub-fields.
* Slash keys (Dutch banks, SWIFT guidelines, Polish banks):
  ``/TRTP/SEPA OVERBOEKING/IBAN/NL..../NAME/ACME/REMI/USTD//Invoice 12/EREF/...``.
* Plain free text (legacy Rabobank, ABN AMRO, ASN Bank...).

:func:`parse_details` turns any of them into the payment fields it can give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_GVC = re.compile(r"\s?(\d{3})(?=\?\d\d|$)")
_SUBFIELD = re.compile(r"\?(\d\d)")
_SEPA_KEY = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|COAM|OAMT|IBAN|BIC)\+")
_SLASH_KEYS = (
    "TRTP|IBAN|BIC|NAME|REMI|EREF|MARF|CSID|ORDP|BENM|RTRN|INV|RFB|ADDR|CNTP|PURP|ISDT"
    "|OCMT|SVCL|ULTC|ULTD|CDTRREF|CDTRREFTP|PREF|BUSP|IREF|KREF|MREF|ACCW|CHGS|EXCH"
)
_SLASH = re.compile(rf"/({_SLASH_KEYS})/")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
_SPACES = re.compile(r"\s+")
_NOT_PROVIDED = {"NOTPROVIDED", "NONREF", ""}
# GVC codes of credits that give back money the account owner sent (SEPA
# credit transfer returns): not customer payments.
_RETURN_GVC = {"159"}
_LINE_WIDTH = 65


@dataclass
class Details:
    """What one transaction's ``:86:`` says, each None when it does not say it."""

    reference_text: str | None = None
    payer_name: str | None = None
    payer_account: str | None = None
    end_to_end_id: str | None = None
    transaction_code: str | None = None
    is_return: bool = False
    invoice_refs: list[str] = field(default_factory=list)


def clean_name(text: str | None) -> str | None:
    """Collapse inner whitespace runs (names padded to sub-field widths)."""
    if text is None:
        return None
    text = _SPACES.sub(" ", text).strip()
    return text or None


def join_free_text(segments: list[list[str]]) -> str:
    """Join the lines of free-text ``:86:`` fields into one line of text.

    A line filled to the 65-character width was cut by the bank mid-text and
    continues on the next line without a space; shorter lines, blank lines and
    separate ``:86:`` tags (Rabobank repeats the tag) are joined by one space.
    Runs of padding spaces become one space.

    Example:
        >>> join_free_text([["A" * 64 + "B", "C"], ["NEXT"]]) == "A" * 64 + "BC NEXT"
        True
    """
    pieces: list[str] = []
    for segment in segments:
        glue = " "
        for raw in segment:
            line = raw.rstrip()
            if not line:
                glue = " "
                continue
            if pieces:
                pieces.append(glue)
            pieces.append(line)
            glue = "" if len(raw) >= _LINE_WIDTH and raw == line else " "
    return _SPACES.sub(" ", "".join(pieces)).strip()


def parse_details(segments: list[list[str]]) -> Details:
    """Interpret the lines of a transaction's ``:86:`` tag(s).

    Args:
        segments: one list of physical lines per ``:86:`` tag (the first line
            without the tag itself).

    Example:
        >>> d = parse_details([["166?00GUTSCHRIFT?20EREF+E2E-1?21SVWZ+INV 42?32ACME GMBH"]])
        >>> d.reference_text, d.end_to_end_id, d.payer_name
        ('INV 42', 'E2E-1', 'ACME GMBH')
    """
    gvc_text = "".join(line.rstrip() for segment in segments for line in segment)
    match = _GVC.match(gvc_text)
    if match:
        return _parse_gvc(match.group(1), gvc_text[match.end() :])
    text = join_free_text(segments)
    if _SLASH.search(text) and text.lstrip().startswith("/"):
        return _parse_slash(text)
    return Details(reference_text=text or None)


def _parse_gvc(code: str, body: str) -> Details:
    fields: dict[str, str] = {}
    purpose: list[str] = []
    parts = _SUBFIELD.split(body)
    # parts: [text before the first ?nn, nn, value, nn, value, ...]
    for i in range(1, len(parts) - 1, 2):
        number, value = parts[i], parts[i + 1]
        if "20" <= number <= "29" or "60" <= number <= "63":
            purpose.append(value)
        else:
            fields[number] = fields.get(number, "") + value
    purpose_text = "".join(purpose)
    keys = _sepa_keys(purpose_text)
    details = Details(transaction_code=code)
    text = keys.get("SVWZ") or purpose_text
    details.reference_text = clean_spaces(text)
    eref = (keys.get("EREF") or "").strip()
    details.end_to_end_id = None if eref.upper() in _NOT_PROVIDED else eref
    details.payer_name = clean_name(fields.get("32", "") + fields.get("33", "")) or clean_name(
        keys.get("ABWA")
    )
    account = (fields.get("31") or "").strip()
    iban38 = (fields.get("38") or "").strip()
    if iban38 and not _IBAN.fullmatch(account):
        account = iban38
    details.payer_account = account or None
    reason = (fields.get("34") or "").strip()
    details.is_return = code in _RETURN_GVC or (len(reason) == 3 and reason.startswith("9"))
    return details


def _sepa_keys(purpose: str) -> dict[str, str]:
    found = list(_SEPA_KEY.finditer(purpose))
    keys: dict[str, str] = {}
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(purpose)
        keys.setdefault(match.group(1), purpose[match.end() : end].strip())
    return keys


def _parse_slash(text: str) -> Details:
    found = list(_SLASH.finditer(text))
    values: dict[str, str] = {}
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        values.setdefault(match.group(1), text[match.end() : end].strip().strip("/").strip())
    details = Details()
    remi = values.get("REMI", "")
    if remi.startswith("USTD"):
        remi = remi[4:].lstrip("/").strip()
    elif remi.startswith("STRD"):
        # STRD/CUR/<creditor reference>: a structured reference, an invoice ref.
        ref = remi.split("/")[-1].strip()
        if ref:
            details.invoice_refs.append(ref)
        remi = ref
    invoice = values.get("INV", "")
    if invoice:
        details.invoice_refs.append(invoice.split("/")[0].strip())
    pieces = [p for p in (remi, values.get("RFB", ""), invoice) if p]
    details.reference_text = clean_spaces(" ".join(pieces)) if pieces else text
    eref = values.get("EREF", "")
    details.end_to_end_id = None if eref.upper() in _NOT_PROVIDED else eref
    counterparty = values.get("CNTP", "").split("/")
    name = (
        values.get("NAME")
        or values.get("ORDP")
        or (counterparty[2] if len(counterparty) > 2 else "")
    )
    details.payer_name = clean_name(name.lstrip("/").replace("/", " "))
    details.payer_account = (values.get("IBAN") or counterparty[0]).strip() or None
    details.is_return = bool(values.get("RTRN"))
    return details


def clean_spaces(text: str) -> str | None:
    """Strip, None when empty."""
    text = text.strip()
    return text or None


def looks_like_iban(text: str) -> bool:
    """Whether ``text`` has the shape of an IBAN (no checksum verification)."""
    return bool(_IBAN.fullmatch(text))

"""BAI2 cash-management (balance reporting) files: one payment per credit detail.

A BAI2 file nests groups (02/98) of accounts (03/49) of transaction details
(16), any record continued by 88 records, inside a file header and trailer
(01/99). Every trailer carries a control total and a record count, checked here.

Banks bend the format in three ways this reader accepts:

* records end with ``/``, or at the end of the line when the ``/`` is missing;
* several ``/``-terminated records share one physical line;
* a record is broken by a newline in the middle of a field (the next line does
  not start with a record code), in which case the pieces are joined.

Amounts carry no decimal point: the digits are minor units of the account's
currency (02/03 currency field, USD when both are blank).

Example:
    >>> loaded = load_bai2("statement.bai2")  # doctest: +SKIP
    >>> loaded.payments.num_rows, loaded.skipped  # doctest: +SKIP
    (1, {'debit': 4})
"""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.money import MoneyError, currency_exponent, format_amount
from cashmatch.engine.schemas import PAYMENTS, REMITTANCE_LINE
from cashmatch.loaders.base import LoadedFile
from cashmatch.loaders.errors import LoadError

FORMAT = "bai2"
DEFAULT_CURRENCY = "USD"

# A record ends at "/" when what follows is the end of the line, the end of the
# file or the next record; it also ends at a newline when the next line starts
# with a record code (files that omit the "/"). Any other newline breaks a
# record in the middle and is removed when the pieces are joined. Only the
# record codes of BAI2 count, so that a text like "INV/15, PART" stays whole.
_CODE = r"(?:0[123]|16|49|88|9[89]),"
_SEPARATOR = re.compile(rf"/[ \t]*(?:[\r\n]\s*|\Z|(?={_CODE}))|[\r\n]\s*(?={_CODE})")
# A "/" followed by the next record on the same line.
_RECORD_AFTER_SLASH = re.compile(rf"/[ \t]*{_CODE}")
# Joins each 88 to the record it continues when records are merged (a control
# character no bank puts in a text; a file that has one is read unmerged).
_JOIN = "\x1e"
_SIGNED = re.compile(r"[+-]?\d+\Z")
_KEYED = re.compile(r"([A-Z][A-Z0-9]{1,4}):\s*(.*)\Z", re.S)
# Keys whose value carries Citi-style numbered sub-fields of the same key
# ("OB:111111 BRANCH OB3:BANK NAME", "BO:11111111 BO1:NAME").
_SUBKEYED = frozenset({"OB", "BO", "BI"})

# Type codes whose customer reference is a check (or lockbox item) number.
CHECK_TYPE_CODES = frozenset({"115", "116", "118", "175"})
# Keys of 88 data that are structured, not remittance text.
_STRUCTURED_KEYS = frozenset(
    [
        "DBNM",
        "CRNM",
        "DACT",
        "DABA",
        "CACT",
        "CABA",
        "DBIC",
        "CBIC",
        "CREF",
        "IDNM",
        "CHKN",
        "EREF",
        "OB",
        "BO",
        "BI",
        "TRID",
        "ENDT",
        "FR",
    ]
)
# A continuation of at least this many characters filled a fixed-width line, so
# the next 88 continues the same word rather than starting a new one.
_FULL_LINE = 80
_FULL_TEXT = _FULL_LINE - len("88,")
_EPOCH = dt.date(1970, 1, 1)
_FUNDS_TYPES = frozenset({"", "0", "1", "2", "Z", "S", "V", "D"})
_PLAIN_FUNDS = frozenset({"", "0", "1", "2", "Z"})
# Keys whose value is remittance text for the payment.
_TEXT_KEYS = frozenset({"REMI", "PY"})
_PLAIN, _SUB, _TEXT = 0, 1, 2
_KEY_ROLES = {key: _SUB if key in _SUBKEYED else _PLAIN for key in _STRUCTURED_KEYS}
_KEY_ROLES.update(dict.fromkeys(_TEXT_KEYS, _TEXT))
_KINDS: dict[str, str] = {}


def type_code_kind(code: str) -> str:
    """Classify a BAI2 type code: credit, debit, status, loan or non_monetary.

    Ranges follow the BAI2 specification: 001-099 status, 100-399 credits,
    400-699 debits, 700-799 loan detail, 800-899 non-monetary, and the custom
    ranges 900-919 status, 920-959 credits, 960-999 debits.

    Example:
        >>> type_code_kind("195"), type_code_kind("699"), type_code_kind("890")
        ('credit', 'debit', 'non_monetary')
    """
    if len(code) != 3 or not (code.isascii() and code.isdigit()):
        raise ValueError(f"type code {code!r} is not 3 digits")
    value = int(code)
    if value < 100 or 900 <= value < 920:
        return "status"
    if value < 400 or 920 <= value < 960:
        return "credit"
    if value < 700 or value >= 960:
        return "debit"
    if value < 800:
        return "loan"
    return "non_monetary"


def sniff_bai2(head: bytes) -> bool:
    """Tell whether ``head`` (the first bytes of a file) is a BAI2 file.

    Example:
        >>> sniff_bai2(b"\\xef\\xbb\\xbf 01,SENDER,RECV,230101,1200,1,,,2/"), sniff_bai2(b"1,2")
        (True, False)
    """
    body = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return re.match(rb"01,[^,\r\n/]*,[^,\r\n/]*,\d{6},", body) is not None


def decode_text(path: str, data: bytes) -> str:
    """Decode UTF-8 (BOM stripped), falling back to Latin-1 when UTF-8 fails."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class _RecordError(Exception):
    """A problem in one record; turned into a LoadError naming its line."""

    def __init__(self, index: int, message: str, field: str | None = None):
        super().__init__(message)
        self.index, self.message, self.field = index, message, field


def _amount(text: str, index: int, field: str, signed: bool) -> int:
    if (signed and _SIGNED.match(text)) or (text.isascii() and text.isdigit()):
        value = int(text)
        if -(2**63) < value < 2**63:
            return value
    raise _RecordError(index, f"not a BAI2 amount: {text!r}", field)


class _Dates:
    """YYMMDD strings to date32 day numbers, cached: a file repeats few dates."""

    def __init__(self) -> None:
        self.cache: dict[str, int] = {}

    def __call__(self, text: str, index: int, field: str) -> int:
        days = self.cache.get(text)
        if days is None:
            if len(text) != 6 or not (text.isascii() and text.isdigit()):
                raise _RecordError(index, f"not a YYMMDD date: {text!r}", field)
            year = int(text[:2])
            try:
                day = dt.date(year + (2000 if year < 80 else 1900), int(text[2:4]), int(text[4:]))
            except ValueError:
                raise _RecordError(index, f"not a YYMMDD date: {text!r}", field) from None
            days = self.cache[text] = (day - _EPOCH).days
        return days


def _funds_extra(fields: list[str], at: int, index: int) -> int:
    """Number of availability fields after the funds type at ``fields[at]``."""
    funds = fields[at] if at < len(fields) else ""
    if funds not in _FUNDS_TYPES:
        raise _RecordError(index, f"unknown funds type {funds!r}", "funds_type")
    if funds == "S":
        return 3
    if funds == "V":
        return 2
    if funds == "D":
        count = fields[at + 1] if at + 1 < len(fields) else ""
        if not (count.isascii() and count.isdigit()):
            raise _RecordError(index, f"distribution count {count!r} is not a number", "funds_type")
        return 1 + 2 * int(count)
    return 0


def _summary_total(fields: list[str], piece_ends: set[int], index: int) -> int:
    """Sum of the amounts of the 03 summaries in ``fields`` (after the currency).

    ``piece_ends`` holds the index of the last field of the 03 and of each 88
    continuing it: some banks end a record with a comma after the last
    summary, and that lone empty field starts no new summary.
    """
    total, at = 0, 3
    while at < len(fields):
        code = fields[at]
        if not code and at in piece_ends:
            at += 1
            continue
        amount = fields[at + 1] if at + 1 < len(fields) else ""
        if code:
            try:
                type_code_kind(code)
            except ValueError as error:
                raise _RecordError(index, str(error), "type_code") from None
        if amount:
            total += _amount(amount, index, "amount", signed=True)
        at += 4 + _funds_extra(fields, at + 3, index)
    return total


def _keyed(texts: list[str], glued: bool = True) -> tuple[dict[str, str], list[str]] | None:
    """Split 88 texts into keyed data (first value per key) and remittance text.

    None when ``glued`` is False and a text filled a line: the caller glues
    them first (see _join_continuations). Checked here, in the one pass over
    the texts, as it costs a second pass elsewhere.
    """
    keys: dict[str, str] = {}
    free: list[str] = []
    for raw in texts:
        if len(raw) >= _FULL_TEXT and not glued:
            return None
        # Nearly every 88 a bank sends starts with one of the usual keys: one
        # lookup on the unstripped text settles it (a key found there had no
        # leading blanks, so stripping first would change nothing).
        key, _, value = raw.partition(":")
        role = _KEY_ROLES.get(key)
        if role == _PLAIN:
            if key not in keys:
                keys[key] = value.strip()
            continue
        if role == _TEXT:
            value = value.strip()
            if key not in keys:
                keys[key] = value
            if value:
                free.append(value)
            continue
        text = raw.strip()
        key, colon, value = text.partition(":")
        role = _KEY_ROLES.get(key)
        if role is None and not (
            colon
            and 2 <= len(key) <= 5
            and key.isascii()
            and key.isalnum()
            and key.isupper()
            and key[0].isalpha()
        ):
            if text:
                free.append(text)
            continue
        value = value.strip()
        if role == _SUB:
            parts = re.split(rf"\s+({key}\d):", value)
            keys.setdefault(key, parts[0].strip())
            for at in range(1, len(parts) - 1, 2):
                keys.setdefault(parts[at], parts[at + 1].strip())
        else:
            keys.setdefault(key, value)
        if role == _TEXT:
            if value:
                free.append(value)
        elif role is None:
            free.append(text)
    return keys, free


def _join_continuations(texts: list[str]) -> list[str]:
    """Glue 88 pieces that only continue a fixed-width line cut mid-word.

    A piece that filled a whole 80-column line was cut by the line length, not
    by the bank, unless the next piece starts with a key of its own.
    """
    out: list[str] = []
    glue = False
    for text in texts:
        if glue and out and _KEYED.match(text.strip()) is None:
            out[-1] += text
        else:
            out.append(text)
        glue = len(text) + 3 >= _FULL_LINE
    return out


class _Columns:
    """Column lists of the PAYMENTS table, appended per credit."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.amounts: list[int] = []
        self.currencies: list[str] = []
        self.value_days: list[int] = []
        self.booking_days: list[int] = []
        self.payer_names: list[str | None] = []
        self.payer_accounts: list[str | None] = []
        self.references: list[str | None] = []
        self.checks: list[str | None] = []
        self.traces: list[str | None] = []
        self.e2e: list[str | None] = []
        # The 03 record's account (the company's) and the 16 record's bank reference.
        self.statement_accounts: list[str | None] = []
        self.bank_refs: list[str | None] = []
        self.locations: list[str] = []

    def table(self, source_file: str) -> pa.Table:
        n = len(self.ids)
        ids = self.ids
        # Bank references are nearly always unique: renaming is only needed when not.
        if len(set(ids)) != n:
            ids, seen = [], set()
            for pid in self.ids:
                unique, k = pid, 1
                while unique in seen:
                    k += 1
                    unique = f"{pid}#{k}"
                seen.add(unique)
                ids.append(unique)
        empty = pa.ListArray.from_arrays(
            pa.array([0] * (n + 1), pa.int32()), pa.array([], REMITTANCE_LINE)
        )
        arrays = [
            pa.array(ids, pa.string()),
            pa.array(self.amounts, pa.int64()),
            pa.array(self.currencies, pa.string()),
            pa.array(self.value_days, pa.int32()).cast(pa.date32()),
            pa.array(self.payer_names, pa.string()),
            pa.array(self.payer_accounts, pa.string()),
            pa.array(self.references, pa.string()),
            pa.array(self.booking_days, pa.int32()).cast(pa.date32()),
            pa.repeat(pa.scalar(FORMAT, pa.string()), n),
            pa.repeat(pa.scalar(source_file, pa.string()), n),
            pa.array(self.locations, pa.string()),
            pa.array(self.checks, pa.string()),
            pa.array(self.traces, pa.string()),
            pa.array(self.e2e, pa.string()),
            pa.array(self.statement_accounts, pa.string()),
            pa.array(self.bank_refs, pa.string()),
            empty,
        ]
        return pa.Table.from_arrays(arrays, schema=PAYMENTS)


class _Bai2Reader:
    """One pass over the logical records, keeping the 01/02/03 context."""

    def __init__(self, path: str, lenient: bool) -> None:
        self.path, self.lenient = path, lenient
        self.cols = _Columns()
        self.dates = _Dates()
        self.skipped: dict[str, int] = {}
        self.problems: list[str] = []
        self.trailer_problems: list[tuple[int, str, str]] = []
        self.accounts: list[str] = []
        self.credited: dict[str, int] = {}
        self.file_info: dict[str, object] = {}
        self.groups = 0

    # Trailer mismatches are collected, then raised or reported with their line.
    def _mismatch(self, index: int, message: str, field: str) -> None:
        self.trailer_problems.append((index, message, field))

    def read(self, records: list[str], merged: bool = False) -> None:
        """Read the records; ``merged``: each 16 or 03 carries its 88s (see _records)."""
        state = "start"  # start, file, group, account, done
        group_currency = DEFAULT_CURRENCY
        as_of = 0
        account = ""
        account_currency = DEFAULT_CURRENCY
        account_total = account_records = 0
        group_total = group_records = group_accounts = 0
        file_total = file_records = 0
        detail_seq = 0
        pending03: list[str] | None = None
        piece_ends: set[int] = set()
        account_ordinal = 0
        pending03_index = 0
        pending16: list[str] | None = None
        pending16_index = 0
        texts: list[str] = []
        file_key = ""
        dates = self.dates
        simple = self.simple

        def flush03() -> None:
            nonlocal pending03, account_total, piece_ends
            if pending03 is not None:
                fields, pending03 = pending03, None
                account_total += _summary_total(fields, piece_ends, pending03_index)

        # Bound once: flush16 runs for every detail of the file.
        cols, credited = self.cols, self.credited
        add_id, add_amount, add_currency = (
            cols.ids.append,
            cols.amounts.append,
            cols.currencies.append,
        )
        add_value_day, add_booking_day = cols.value_days.append, cols.booking_days.append
        add_reference, add_payer_name = cols.references.append, cols.payer_names.append
        add_payer_account, add_check = cols.payer_accounts.append, cols.checks.append
        add_trace, add_e2e = cols.traces.append, cols.e2e.append
        add_statement_account, add_bank_ref = cols.statement_accounts.append, cols.bank_refs.append
        add_location = cols.locations.append

        def flush16() -> None:
            nonlocal pending16
            if pending16 is not None:
                fields, pending16 = pending16, None
                detail(fields, texts, pending16_index)

        def detail(fields: list[str], texts: list[str], index: int) -> None:
            nonlocal detail_seq, account_total
            if len(fields) < 4:
                fields += [""] * (4 - len(fields))
            code = fields[1]
            kind = _KINDS.get(code)
            if kind is None:
                try:
                    kind = _KINDS[code] = type_code_kind(code)
                except ValueError as error:
                    raise _RecordError(index, str(error), "type_code") from None
            text_amount = fields[2]
            if not (text_amount.isdigit() and text_amount.isascii()):
                raise _RecordError(index, f"not a BAI2 amount: {text_amount!r}", "amount")
            amount = int(text_amount)
            funds = fields[3]
            value_day = as_of
            if funds in _PLAIN_FUNDS:
                at = 4
            else:
                at = 4 + _funds_extra(fields, 3, index)
                if funds == "V" and len(fields) > 4 and fields[4]:
                    value_day = dates(fields[4], index, "value_date")
            account_total += amount
            detail_seq += 1
            if kind != "credit":
                self.skipped[kind] = self.skipped.get(kind, 0) + 1
                return
            if len(fields) == at + 3:  # the usual shape: no comma in the text
                bank_ref, customer_ref, text = fields[at:]
                bank_ref, customer_ref, text = bank_ref.strip(), customer_ref.strip(), text.strip()
            else:
                bank_ref = fields[at].strip() if at < len(fields) else ""
                customer_ref = fields[at + 1].strip() if at + 1 < len(fields) else ""
                text = ",".join(fields[at + 2 :]).strip()
            keys: dict[str, str] = {}
            pieces = [text] if text else []
            if texts:
                keys, free = _keyed(texts, glued=False) or _keyed(_join_continuations(texts))
                pieces.extend(free)
            add_id(bank_ref or f"{file_key}:{account}:{account_ordinal}:{detail_seq}")
            add_statement_account(account.replace(" ", "") or None)
            add_bank_ref(bank_ref or None)
            # The 16 record by its place under its 03 record, the Nth of the
            # file: exact even where records share a line or span several.
            add_location(f"03 record {account_ordinal} (account {account}), 16 record {detail_seq}")
            add_amount(amount)
            add_currency(account_currency)
            add_value_day(value_day)
            add_booking_day(as_of)
            add_reference(" ".join(pieces) or None)
            if keys:
                add_payer_name(keys.get("DBNM") or keys.get("BO1") or None)
                add_payer_account(_payer_account(keys))
                add_trace(keys.get("TRID") or None)
                add_e2e(keys.get("EREF") or None)
                check = customer_ref or keys.get("CHKN", "")
            else:
                add_payer_name(None)
                add_payer_account(None)
                add_trace(None)
                add_e2e(None)
                check = customer_ref
            add_check(check or None if code in CHECK_TYPE_CODES else None)
            credited[account_currency] = credited.get(account_currency, 0) + amount

        for index, record in enumerate(records):
            if not record:
                continue
            if not simple and ("\n" in record or "\r" in record):
                record = record.replace("\r", "").replace("\n", "")
            code = record[:3]
            if code == "88,":
                if state == "account":
                    account_records += 1
                if pending16 is not None:
                    texts.append(record[3:])
                    continue
                if pending03 is not None:
                    pending03.extend(record[3:].split(","))
                    piece_ends.add(len(pending03) - 1)
                    continue
                raise _RecordError(index, "88 continuation record continues nothing", "record_code")
            try:
                if pending03 is not None:
                    flush03()
                if pending16 is not None:
                    flush16()
            except _RecordError as error:
                if not self.lenient:
                    raise
                self._problem(error)
            if code == "16,":
                if state != "account":
                    raise _RecordError(index, "16 detail outside an account (no 03)", "record_code")
                account_records += 1
                if merged:
                    # The detail is whole already: read it now, not at the next record.
                    record, joined, tail = record.partition(_JOIN)
                    texts = tail.split(_JOIN) if joined else []
                    account_records += len(texts)
                    try:
                        detail(record.split(","), texts, index)
                    except _RecordError as error:
                        if not self.lenient:
                            raise
                        self._problem(error)
                    continue
                pending16, pending16_index, texts = record.split(","), index, []
                continue
            continued: list[str] = []
            if merged and _JOIN in record:
                if code != "03,":
                    message = "88 continuation record continues nothing"
                    raise _RecordError(index, message, "record_code")
                record, *continued = record.split(_JOIN)
            fields = record.split(",")
            if code == "01,":
                if state != "start":
                    raise _RecordError(index, "second 01 file header", "record_code")
                if len(fields) < 6:
                    raise _RecordError(index, "01 file header has too few fields", "record_code")
                version = fields[8].strip() if len(fields) > 8 else ""
                if version not in ("", "2"):
                    raise _RecordError(index, f"BAI version {version!r} is not 2", "version")
                dates(fields[3], index, "creation_date")
                self.file_info = {
                    "sender": fields[1],
                    "receiver": fields[2],
                    "creation_date": fields[3],
                    "file_id": fields[5],
                }
                file_key = f"{fields[1]}:{fields[3]}{fields[4]}:{fields[5]}"
                file_records = 1
                state = "file"
            elif code == "02,":
                if state != "file":
                    raise _RecordError(
                        index, f"02 group header not expected here ({state})", "record_code"
                    )
                if len(fields) < 5:
                    raise _RecordError(index, "02 group header has too few fields", "as_of_date")
                as_of = dates(fields[4], index, "as_of_date")
                group_currency = (fields[6].strip() if len(fields) > 6 else "") or DEFAULT_CURRENCY
                self._currency(group_currency, index)
                self.groups += 1
                group_total = group_accounts = 0
                group_records = 1
                state = "group"
            elif code == "03,":
                if state != "group":
                    raise _RecordError(
                        index, f"03 account not expected here ({state})", "record_code"
                    )
                if len(fields) < 3:
                    raise _RecordError(index, "03 account has too few fields", "currency")
                account = fields[1].strip()
                account_currency = fields[2].strip() or group_currency
                self._currency(account_currency, index)
                if account not in self.accounts:
                    self.accounts.append(account)
                account_total, account_records, detail_seq = 0, 1, 0
                pending03, pending03_index = fields, index
                piece_ends = {len(fields) - 1}
                for piece in continued:
                    account_records += 1
                    fields.extend(piece.split(","))
                    piece_ends.add(len(fields) - 1)
                account_ordinal += 1
                state = "account"
            elif code == "49,":
                if state != "account":
                    raise _RecordError(
                        index, "49 account trailer without an account", "record_code"
                    )
                account_records += 1
                stated = self._trailer_amount(fields, 1, index)
                count = self._trailer_count(fields, 2, index)
                if stated != account_total:
                    self._mismatch(
                        index,
                        f"account {account} control total {stated} != amounts sum {account_total}",
                        "control_total",
                    )
                if count != account_records:
                    self._mismatch(
                        index,
                        f"account {account} record count {count} != {account_records} records",
                        "record_count",
                    )
                group_total += stated
                group_records += account_records
                group_accounts += 1
                state = "group"
            elif code == "98,":
                if state != "group":
                    raise _RecordError(
                        index, f"98 group trailer not expected here ({state})", "record_code"
                    )
                group_records += 1
                stated = self._trailer_amount(fields, 1, index)
                accounts = self._trailer_count(fields, 2, index)
                count = self._trailer_count(fields, 3, index)
                if stated != group_total:
                    self._mismatch(
                        index, f"group control total {stated} != {group_total}", "control_total"
                    )
                if accounts != group_accounts:
                    self._mismatch(
                        index,
                        f"number of accounts {accounts} != {group_accounts}",
                        "number_of_accounts",
                    )
                if count != group_records:
                    self._mismatch(
                        index,
                        f"group record count {count} != {group_records} records",
                        "record_count",
                    )
                file_total += stated
                file_records += group_records
                state = "file"
            elif code == "99,":
                if state != "file":
                    raise _RecordError(
                        index, f"99 file trailer not expected here ({state})", "record_code"
                    )
                file_records += 1
                stated = self._trailer_amount(fields, 1, index)
                groups = self._trailer_count(fields, 2, index)
                count = self._trailer_count(fields, 3, index)
                if stated != file_total:
                    self._mismatch(
                        index, f"file control total {stated} != {file_total}", "control_total"
                    )
                if groups != self.groups:
                    self._mismatch(
                        index, f"number of groups {groups} != {self.groups}", "number_of_groups"
                    )
                if count != file_records:
                    self._mismatch(
                        index,
                        f"file record count {count} != {file_records} records",
                        "record_count",
                    )
                state = "done"
            else:
                # Counted where it stands: the bank's trailers count every record.
                if state == "account":
                    account_records += 1
                elif state == "group":
                    group_records += 1
                else:
                    file_records += 1
                error = _RecordError(index, f"unknown record type {record[:2]!r}", "record_code")
                if not self.lenient or state in ("start", "done"):
                    raise error
                self._problem(error)
        if state != "done":
            raise _RecordError(
                len(records) - 1, "file ends before its 99 file trailer (truncated?)", "record_code"
            )

    def _problem(self, error: _RecordError) -> None:
        self.problems.append(str(self.error(error)))
        self.skipped["invalid"] = self.skipped.get("invalid", 0) + 1

    def _currency(self, currency: str, index: int) -> None:
        try:
            currency_exponent(currency)
        except MoneyError:
            raise _RecordError(index, f"unknown currency {currency!r}", "currency") from None

    def _trailer_amount(self, fields: list[str], at: int, index: int) -> int:
        text = fields[at].strip() if at < len(fields) else ""
        return _amount(text, index, "control_total", signed=True)

    def _trailer_count(self, fields: list[str], at: int, index: int) -> int:
        text = fields[at].strip() if at < len(fields) else ""
        if not (text.isascii() and text.isdigit()):
            name = "number_of_records" if at == len(fields) - 1 else "count"
            raise _RecordError(index, f"not a count: {text!r}", name)
        return int(text)

    # Set by load_bai2 so that errors can name their line.
    text: str = ""
    body_start: int = 0
    simple: bool = False

    def error(self, error: _RecordError) -> LoadError:
        line = _line_of(self.text, self.body_start, error.index, self.simple)
        return LoadError(self.path, error.message, line=line, field=error.field)


def _payer_account(keys: dict[str, str]) -> str | None:
    account = keys.get("DACT") or keys.get("BO") or ""
    if not account:
        return None
    bank = keys.get("DABA") or keys.get("OB", "").split(" ")[0]
    return f"{bank}/{account}" if bank else account


def _records(body: str, merge: bool = False) -> tuple[list[str], bool, bool]:
    """Cut the file into logical records.

    Returns the records, True when each line held exactly one, and True when
    (only asked for with ``merge``) each 88 was joined to the record before it
    with ``_JOIN``.

    Most files put one "/"-terminated record per line: then a plain split is
    exact and several times faster than the general separator, and joining the
    88s in the same text pass saves the reader a loop turn for each of them.
    """
    norm = body.replace("\r\n", "\n") if "\r" in body else body
    if "\r" not in norm and norm.endswith(("/", "\n")):
        merged = merge and _JOIN not in norm
        records = (norm.replace("/\n88,", _JOIN) if merged else norm).split("/\n")
        # A newline left inside a record is one not preceded by "/". A "/"
        # before a record code never spans a line end, so it is looked for in
        # the records only, without the "/" that ends every line.
        inside = _JOIN.join(records)
        if "\n" not in inside and _RECORD_AFTER_SLASH.search(inside) is None:
            if records[-1]:
                records[-1] = records[-1][:-1]
            return records, True, merged
    if "\r" not in norm and _RECORD_AFTER_SLASH.search(norm) is None:
        lines = norm.split("\n")
        terminated = norm.count("/\n") + lines[-1].endswith("/")
        if terminated == len(lines) - lines.count(""):
            return [line[:-1] for line in lines], True, False
    records = _SEPARATOR.split(body)
    while records and not records[-1].strip():
        records.pop()
    return records, False, False


def _line_of(text: str, start: int, index: int, simple: bool) -> int:
    """1-based line where logical record ``index`` starts (only computed on error)."""
    if simple:
        return text.count("\n", 0, start) + index + 1
    pos = start
    body = text[start:]
    for i, match in enumerate(_SEPARATOR.finditer(body)):
        if i == index:
            break
        pos = start + match.end()
    return text.count("\n", 0, pos) + 1


def _merged_read(path: str, text: str, body: str, lenient: bool) -> _Bai2Reader | None:
    """Read with the 88s joined to their records; None unless the file is clean.

    Joined records no longer map one to one onto lines, so anything to report
    (error, problem, trailer mismatch) is left to the exact reader, which
    names the line.
    """
    reader = _Bai2Reader(path, lenient)
    records, reader.simple, merged = _records(body, merge=True)
    if not merged:
        return None
    try:
        reader.read(records, merged=True)
    except Exception:
        return None
    if reader.problems or reader.trailer_problems:
        return None
    return reader


def _read(path: str, text: str, body: str, lenient: bool) -> _Bai2Reader:
    reader = _Bai2Reader(path, lenient)
    reader.text, reader.body_start = text, len(text) - len(body)
    records, reader.simple, _ = _records(body)
    try:
        reader.read(records)
        for index, message, field in reader.trailer_problems:
            error = _RecordError(index, message, field)
            if not lenient:
                raise error
            reader.problems.append(str(reader.error(error)))
    except _RecordError as error:
        raise reader.error(error) from None
    return reader


def load_bai2(path: str, *, data: bytes | None = None, lenient: bool = False) -> LoadedFile:
    """Load a BAI2 file: one payment per credit 16 detail.

    Args:
        path: the file; only named in messages when ``data`` is given.
        data: the file's bytes, to parse instead of reading ``path``.
        lenient: skip bad detail records and report trailer mismatches in
            ``problems`` instead of rejecting the file.

    Returns:
        A :class:`LoadedFile` with format ``"bai2"``; debits, loan and status
        details are counted in ``skipped``.

    Raises:
        LoadError: naming the line and field of the first problem.
    """
    path = str(path)
    if data is None:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise LoadError(path, f"cannot read: {error.strerror or error}") from None
    text = decode_text(path, data)
    body = text.lstrip()
    if not body.startswith("01,"):
        raise LoadError(
            path, "not a BAI2 file: it must start with an 01 record", line=1, field="record_code"
        )
    reader = _merged_read(path, text, body, lenient) or _read(path, text, body, lenient)
    payments = reader.cols.table(path)
    return LoadedFile(
        format=FORMAT,
        payments=payments,
        skipped=reader.skipped,
        problems=reader.problems,
        summary=_summary(reader, payments),
    )


def _summary(reader: _Bai2Reader, payments: pa.Table) -> dict[str, object]:
    days = payments.column("value_date")
    return {
        "format": FORMAT,
        **reader.file_info,
        "groups": reader.groups,
        "accounts": reader.accounts,
        "currencies": sorted(set(payments.column("currency").to_pylist())),
        "payments": payments.num_rows,
        "skipped": dict(reader.skipped),
        "total_credited": {c: format_amount(v, c) for c, v in sorted(reader.credited.items())},
        "date_range": (
            [pc.min(days).as_py().isoformat(), pc.max(days).as_py().isoformat()]
            if payments.num_rows
            else None
        ),
    }

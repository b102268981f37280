"""Helpers shared by the text bank-statement loaders (MT940/MT942 and CFONB 120).

Both formats are line-oriented text from banks: they arrive in UTF-8, UTF-8 with
a byte-order mark or Latin-1, carry two-digit years, and may still name
currencies withdrawn by the euro (old German statements in DEM).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter

import pyarrow as pa

from cashmatch.engine.money import CURRENCY_EXPONENTS
from cashmatch.engine.schemas import PAYMENTS
from cashmatch.loaders.base import LoadedFile
from cashmatch.loaders.errors import LoadError

_POW10 = [10**i for i in range(20)]
MAX_MINOR = 2**63 - 1


def read_bytes(path: str, data: bytes | None) -> bytes:
    """The file's bytes: ``data`` when given, else the file at ``path``."""
    if data is not None:
        return data
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise LoadError(path, "no such file") from None
    except IsADirectoryError:
        raise LoadError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise LoadError(path, f"cannot read: {os.strerror(exc.errno or 0)}") from None


def decode_text(raw: bytes) -> str:
    """Decode bank text: UTF-8 (BOM stripped), Latin-1 only when UTF-8 fails.

    Example:
        >>> decode_text(b"\\xef\\xbb\\xbfCAF\\xc3\\x89"), decode_text(b"CAF\\xc9")
        ('CAFÉ', 'CAFÉ')
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def exponent_of(currency: str) -> int | None:
    """Minor-unit decimals of an active or legacy currency code, None when unknown.

    Example:
        >>> exponent_of("EUR"), exponent_of("DEM"), exponent_of("XYZ")
        (2, 2, None)
    """
    return CURRENCY_EXPONENTS.get(currency)


def format_minor(minor: int, exponent: int) -> str:
    """Integer minor units as a decimal string with ``exponent`` decimals.

    Example:
        >>> format_minor(-123405, 2), format_minor(7, 0), format_minor(5, 3)
        ('-1234.05', '7', '0.005')
    """
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor))
    if exponent == 0:
        return sign + digits
    digits = digits.rjust(exponent + 1, "0")
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"


def scale_minor(value: int, decimals: int, exponent: int) -> int | None:
    """Rescale ``value`` given with ``decimals`` to ``exponent`` decimals.

    Returns None when precision would be lost (e.g. 3 decimals with a nonzero
    last digit into a 2-decimal currency): the caller reports it.

    Example:
        >>> scale_minor(1050, 2, 2), scale_minor(105, 1, 2), scale_minor(10500, 3, 2)
        (1050, 1050, 1050)
    """
    if decimals == exponent:
        return value
    if decimals < exponent:
        return value * _POW10[exponent - decimals]
    factor = _POW10[decimals - exponent]
    if value % factor:
        return None
    return value // factor


def two_digit_year(yy: int) -> int:
    """Century for a two-digit year: 80-99 are 19xx, 00-79 are 20xx (SWIFT, CFONB usage)."""
    return 1900 + yy if yy >= 80 else 2000 + yy


def yymmdd(text: str) -> dt.date | None:
    """A ``YYMMDD`` date, None when it is not one.

    Example:
        >>> yymmdd("240229"), yymmdd("230229")
        (datetime.date(2024, 2, 29), None)
    """
    if len(text) != 6 or not text.isdigit():
        return None
    try:
        return dt.date(two_digit_year(int(text[:2])), int(text[2:4]), int(text[4:]))
    except ValueError:
        return None


def summary_totals(
    amounts: list[int], currencies: list[str], dates: list[dt.date]
) -> dict[str, object]:
    """The totals part of a statement summary: per-currency credited sums, date range."""
    totals: Counter = Counter()
    for amount, currency in zip(amounts, currencies, strict=True):
        totals[currency] += amount
    return {
        "currencies": sorted(totals),
        "payments": len(amounts),
        "total_credited": {
            c: format_minor(v, exponent_of(c) or 0) for c, v in sorted(totals.items())
        },
        "value_date_range": (min(dates).isoformat(), max(dates).isoformat()) if dates else None,
    }


def statement_result(
    fmt: str,
    cols: dict[str, list],
    *,
    accounts: set[str],
    skipped: dict[str, int],
    problems: list[str],
    balances_checked: int,
    **facts: object,
) -> LoadedFile:
    """What a text statement loader returns: its payments, counts and summary.

    ``facts`` are the format's own summary entries (e.g. statement ids), shown
    after the format.
    """
    summary = {
        "format": fmt,
        **facts,
        "accounts": sorted(accounts),
        **summary_totals(cols["amount_minor"], cols["currency"], cols["value_date"]),
        "skipped": dict(skipped),
        "problems": len(problems),
        "balances_checked": balances_checked,
    }
    return LoadedFile(
        format=fmt,
        payments=pa.Table.from_pydict(
            {f.name: cols.get(f.name) or [None] * len(cols["amount_minor"]) for f in PAYMENTS},
            schema=PAYMENTS,
        ),
        skipped=dict(skipped),
        problems=problems,
        summary=summary,
    )

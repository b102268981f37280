"""Exact money: decimal strings outside, int64 minor units inside.

A currency's exponent (ISO 4217 minor unit) says how many decimals its amounts
carry: JPY 0, EUR 2, KWD 3. Amounts never pass through a float.
"""

from __future__ import annotations

# ISO 4217 minor units for the active codes; everything not listed is unknown
# and rejected, because guessing an exponent would misstate amounts by 100x.
CURRENCY_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        [
            "AED",
            "AFN",
            "ALL",
            "AMD",
            "ANG",
            "AOA",
            "ARS",
            "AUD",
            "AWG",
            "AZN",
            "BAM",
            "BBD",
            "BDT",
            "BGN",
            "BMD",
            "BND",
            "BOB",
            "BRL",
            "BSD",
            "BTN",
            "BWP",
            "BYN",
            "BZD",
            "CAD",
            "CDF",
            "CHF",
            "CNY",
            "COP",
            "CRC",
            "CUP",
            "CVE",
            "CZK",
            "DKK",
            "DOP",
            "DZD",
            "EGP",
            "ERN",
            "ETB",
            "EUR",
            "FJD",
            "FKP",
            "GBP",
            "GEL",
            "GHS",
            "GIP",
            "GMD",
            "GTQ",
            "GYD",
            "HKD",
            "HNL",
            "HTG",
            "HUF",
            "IDR",
            "ILS",
            "INR",
            "IRR",
            "JMD",
            "KES",
            "KGS",
            "KHR",
            "KYD",
            "KZT",
            "LAK",
            "LBP",
            "LKR",
            "LRD",
            "LSL",
            "MAD",
            "MDL",
            "MGA",
            "MKD",
            "MMK",
            "MNT",
            "MOP",
            "MRU",
            "MUR",
            "MVR",
            "MWK",
            "MXN",
            "MYR",
            "MZN",
            "NAD",
            "NGN",
            "NIO",
            "NOK",
            "NPR",
            "NZD",
            "PAB",
            "PEN",
            "PGK",
            "PHP",
            "PKR",
            "PLN",
            "QAR",
            "RON",
            "RSD",
            "RUB",
            "SAR",
            "SBD",
            "SCR",
            "SDG",
            "SEK",
            "SGD",
            "SHP",
            "SLE",
            "SOS",
            "SRD",
            "SSP",
            "STN",
            "SYP",
            "SZL",
            "THB",
            "TJS",
            "TMT",
            "TOP",
            "TRY",
            "TTD",
            "TWD",
            "TZS",
            "UAH",
            "USD",
            "UYU",
            "UZS",
            "VES",
            "WST",
            "XCD",
            "YER",
            "ZAR",
            "ZMW",
            "ZWL",
        ],
        2,
    ),
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    # Withdrawn by the euro, still found in old statements and archives.
    **dict.fromkeys(["ATS", "DEM", "FIM", "FRF", "IEP", "NLG"], 2),
    **dict.fromkeys(["BEF", "ESP", "ITL", "LUF", "PTE"], 0),
}

_POW10 = tuple(10**i for i in range(19))
MAX_MINOR = 2**63 - 1
_MAX_DIGITS = 18  # int64 holds any 18-digit number of minor units


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def currency_exponent(currency: str) -> int:
    """Return the number of minor-unit decimals of an ISO 4217 code.

    Example:
        >>> currency_exponent("JPY"), currency_exponent("EUR"), currency_exponent("KWD")
        (0, 2, 3)
    """
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise MoneyError(f"unknown currency {currency!r}") from None


def parse_amount(text: str, currency: str, *, decimal: str = ".", signed: bool = True) -> int:
    """Parse a decimal string into integer minor units of ``currency``.

    The one parser of written amounts: every loader's amounts go through it.
    Trailing zeros beyond the currency's exponent are accepted ("10.500" EUR);
    any other extra precision is an error rather than a silent rounding. Only
    ASCII digits count, surrounding whitespace is ignored, and there are no
    thousands separators (strip them first, see :func:`parse_grouped_amount`).

    Args:
        text: the amount as written.
        currency: ISO 4217 code; its exponent scales the amount.
        decimal: the decimal mark: ``"."`` (ISO 20022, X12, CSV) or ``","``
            (SWIFT MT940, European spreadsheets).
        signed: whether a leading ``+`` or ``-`` is allowed (ISO 20022 and
            SWIFT amounts carry none: the direction is a separate field).

    Raises:
        MoneyError: the text is not such an amount, has too many decimals, is
            beyond int64, or the currency is unknown.

    Example:
        >>> parse_amount("1234.5", "EUR"), parse_amount("-7", "JPY"), parse_amount("0.125", "KWD")
        (123450, -7, 125)
        >>> parse_amount("1234,56", "EUR", decimal=","), parse_amount("10.500", "EUR")
        (123456, 1050)
    """
    exponent = CURRENCY_EXPONENTS.get(currency)
    if exponent is None:
        raise MoneyError(f"unknown currency {currency!r}")
    whole, _, fraction = text.partition(decimal)
    # The usual "1234.56", as many decimals as the currency has: one int() call
    # (loaders parse millions of these; int() of a string is the cost).
    if len(fraction) == exponent and whole:
        digits = whole + fraction
        if len(digits) <= _MAX_DIGITS and digits.isdigit() and digits.isascii():
            return int(digits)
    if not (whole.isdigit() and whole.isascii() and (fraction.isdigit() or not fraction)):
        return _parse_slowly(text, currency, exponent, decimal, signed)
    if not fraction.isascii() or len(whole) > _MAX_DIGITS:
        return _parse_slowly(text, currency, exponent, decimal, signed)
    value = int(whole) * _POW10[exponent]
    if fraction:
        if len(fraction) > exponent:
            if fraction[exponent:].strip("0"):
                raise MoneyError(
                    f"{text.strip()!r} has more than {exponent} decimals for {currency}"
                )
            fraction = fraction[:exponent]
        if fraction:
            value += int(fraction) * _POW10[exponent - len(fraction)]
    if value > MAX_MINOR:
        raise MoneyError(f"{text.strip()!r} is too large")
    return value


def _parse_slowly(text: str, currency: str, exponent: int, decimal: str, signed: bool) -> int:
    body = text.strip()
    negative = False
    if signed and body[:1] in ("+", "-"):
        negative, body = body[0] == "-", body[1:]
    whole, mark, fraction = body.partition(decimal)
    if not (
        whole.isdigit()
        and whole.isascii()
        and (not fraction or (fraction.isdigit() and fraction.isascii()))
    ):
        raise MoneyError(f"not a decimal amount: {text.strip()!r}")
    whole = whole.lstrip("0") or "0"
    if len(whole) > _MAX_DIGITS:
        raise MoneyError(f"{text.strip()!r} is too large")
    value = parse_amount(whole + mark + fraction, currency, decimal=decimal, signed=False)
    return -value if negative else value


def parse_grouped_amount(text: str, currency: str, *, decimal: str, group: str) -> int:
    """Parse an amount written with thousands separators, e.g. ``"1.234,56"``.

    Spreadsheets in much of Europe write this; the separators must sit every
    three digits left of the decimal mark, or the text is not such an amount.

    Example:
        >>> parse_grouped_amount("1.234.567,8", "EUR", decimal=",", group=".")
        123456780
        >>> parse_grouped_amount("-1 234,00", "EUR", decimal=",", group=" ")
        -123400
    """
    body = text.strip()
    if group and group in body:
        sign = body[0] if body[:1] in ("+", "-") else ""
        whole, mark, fraction = body[len(sign) :].partition(decimal)
        groups = whole.split(group)
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            raise MoneyError(f"not a decimal amount: {body!r}")
        body = sign + "".join(groups) + mark + fraction
    return parse_amount(body, currency, decimal=decimal)


def format_amount(minor: int, currency: str) -> str:
    """Format integer minor units as a decimal string with the currency's exponent.

    Example:
        >>> format_amount(123450, "EUR"), format_amount(-7, "JPY"), format_amount(5, "KWD")
        ('1234.50', '-7', '0.005')
    """
    exponent = currency_exponent(currency)
    minor = int(minor)
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor))
    if exponent == 0:
        return sign + digits
    digits = digits.rjust(exponent + 1, "0")
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"


def format_money(minor: int, currency: str) -> str:
    """An amount for a person: decimal string and currency, as errors and summaries show it.

    Example:
        >>> format_money(-123405, "EUR"), format_money(5, "KWD")
        ('-1234.05 EUR', '0.005 KWD')
    """
    return f"{format_amount(minor, currency)} {currency}"


def major_to_minor(major: str, currency: str) -> int:
    """Convert a configured amount in major units ("25") to the currency's minor units."""
    return parse_amount(major, currency)

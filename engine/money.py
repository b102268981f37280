"""Exact money: decimal strings outside, int64 minor units inside.

A currency's exponent (ISO 4217 minor unit) says how many decimals its amounts
carry: JPY 0, EUR 2, KWD 3. Amounts never pass through a float.
"""

from __future__ import annotations

import re

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

_DECIMAL = re.compile(r"^\s*([+-]?)(\d+)(?:[.,](\d*))?\s*$")


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


def parse_amount(text: str, currency: str) -> int:
    """Parse a decimal string into integer minor units of ``currency``.

    Trailing zeros beyond the currency's exponent are accepted ("10.500" EUR);
    any other extra precision is an error rather than a silent rounding.

    Example:
        >>> parse_amount("1234.5", "EUR"), parse_amount("-7", "JPY"), parse_amount("0.125", "KWD")
        (123450, -7, 125)
    """
    exponent = currency_exponent(currency)
    match = _DECIMAL.match(text)
    if match is None:
        raise MoneyError(f"{text!r} is not a decimal amount")
    sign, whole, fraction = match.groups()
    fraction = (fraction or "").rstrip("0") if len(fraction or "") > exponent else (fraction or "")
    if len(fraction) > exponent:
        raise MoneyError(f"{text!r} has more than {exponent} decimals for {currency}")
    minor = int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or 0)
    if minor >= 2**63:
        raise MoneyError(f"{text!r} is too large")
    return -minor if sign == "-" else minor


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


def major_to_minor(major: str, currency: str) -> int:
    """Convert a configured amount in major units ("25") to the currency's minor units."""
    return parse_amount(major, currency)

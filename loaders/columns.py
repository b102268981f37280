"""Vectorised conversions between file columns (decimal strings, ISO dates) and engine columns.

Each parser names the first bad row, so that a file of a million rows with one
typo says where the typo is.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.money import CURRENCY_EXPONENTS
from cashmatch.loaders.errors import LoadError

_CODES = pa.array(sorted(CURRENCY_EXPONENTS))
_EXPONENTS = np.array([CURRENCY_EXPONENTS[c] for c in _CODES.to_pylist()], dtype=np.int64)
_AMOUNT = r"^(?P<sign>[+-]?)(?P<whole>\d{1,15})(?:\.(?P<frac>\d*))?$"


def _first(mask: pa.Array | np.ndarray) -> int:
    mask = np.asarray(mask.to_numpy(zero_copy_only=False) if isinstance(mask, pa.Array) else mask)
    return int(np.flatnonzero(mask)[0])


def _require_present(values: pa.Array, path: str, field: str) -> None:
    missing = pc.or_kleene(pc.is_null(values), pc.equal(pc.utf8_length(values), 0))
    if pc.any(missing).as_py():
        raise LoadError(path, "a value is required", row=_first(missing) + 1, field=field)


def parse_currency_column(values: pa.Array, *, path: str, field: str = "currency") -> np.ndarray:
    """Check ISO 4217 codes; return each row's exponent."""
    values = pc.utf8_upper(pc.utf8_trim_whitespace(values))
    _require_present(values, path, field)
    index = pc.index_in(values, value_set=_CODES)
    unknown = pc.is_null(index)
    if pc.any(unknown).as_py():
        row = _first(unknown)
        raise LoadError(path, f"unknown currency {values[row].as_py()!r}", row=row + 1, field=field)
    return _EXPONENTS[index.to_numpy(zero_copy_only=False)]


def parse_amount_column(
    values: pa.Array, exponents: np.ndarray, *, path: str, field: str
) -> np.ndarray:
    """Parse decimal strings into int64 minor units, row by row exponent.

    Trailing zeros past the exponent are accepted; other extra digits are an error.
    """
    exponents = np.asarray(exponents, dtype=np.int64)
    values = pc.utf8_trim_whitespace(values.cast(pa.string()))
    _require_present(values, path, field)
    parts = pc.extract_regex(values, _AMOUNT)
    bad = pc.is_null(parts)
    if pc.any(bad).as_py():
        row = _first(bad)
        raise LoadError(
            path, f"not a decimal amount: {values[row].as_py()!r}", row=row + 1, field=field
        )
    sign = pc.struct_field(parts, "sign")
    whole = pc.struct_field(parts, "whole").cast(pa.int64()).to_numpy()
    frac = pc.utf8_rtrim(pc.struct_field(parts, "frac"), characters="0")
    frac_len = pc.utf8_length(frac).to_numpy()
    too_precise = frac_len > exponents
    if too_precise.any():
        row = _first(too_precise)
        raise LoadError(
            path,
            f"{values[row].as_py()!r} has more decimals than its currency allows",
            row=row + 1,
            field=field,
        )
    frac_text = np.asarray(frac.to_numpy(zero_copy_only=False), dtype=object)
    frac_value = np.zeros(len(values), dtype=np.int64)
    for exponent in np.unique(exponents):
        if exponent == 0:
            continue
        rows = np.flatnonzero(exponents == exponent)
        padded = pc.utf8_rpad(pa.array(frac_text[rows], pa.string()), int(exponent), "0")
        frac_value[rows] = padded.cast(pa.int64()).to_numpy()
    minor = whole * 10**exponents + frac_value
    negative = pc.equal(sign, "-").to_numpy(zero_copy_only=False)
    return np.where(negative, -minor, minor)


def parse_date_column(
    values: pa.Array, *, path: str, field: str, required: bool = True
) -> pa.Array:
    """Parse ISO dates (YYYY-MM-DD) into date32."""
    if pa.types.is_date(values.type):
        dates = values.cast(pa.date32())
    else:
        values = pc.utf8_trim_whitespace(values.cast(pa.string()))
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        ts = pc.strptime(values, format="%Y-%m-%d", unit="s", error_is_null=True)
        bad = pc.and_(pc.is_null(ts), pc.is_valid(values))
        if pc.any(bad).as_py():
            row = _first(bad)
            raise LoadError(
                path,
                f"not an ISO date (YYYY-MM-DD): {values[row].as_py()!r}",
                row=row + 1,
                field=field,
            )
        dates = ts.cast(pa.date32())
    if required and dates.null_count:
        raise LoadError(path, "a date is required", row=_first(pc.is_null(dates)) + 1, field=field)
    return dates


def format_amount_column(minor: np.ndarray, currencies: pa.Array) -> pa.Array:
    """Format int64 minor units as decimal strings with each row's currency exponent."""
    minor = np.asarray(minor, dtype=np.int64)
    exponents = _EXPONENTS[pc.index_in(currencies, value_set=_CODES).to_numpy(zero_copy_only=False)]
    out = np.empty(len(minor), dtype=object)
    for exponent in np.unique(exponents):
        rows = np.flatnonzero(exponents == exponent)
        digits = pa.array(np.abs(minor[rows])).cast(pa.string())
        if exponent:
            digits = pc.utf8_lpad(digits, int(exponent) + 1, "0")
            digits = pc.binary_join_element_wise(
                pc.utf8_slice_codeunits(digits, 0, -int(exponent)),
                pc.utf8_slice_codeunits(digits, -int(exponent)),
                ".",
            )
        sign = np.where(minor[rows] < 0, "-", "")
        out[rows] = np.char.add(sign.astype(str), np.asarray(digits.to_pylist(), dtype=str))
    return pa.array(out, pa.string())

"""The one error type every loader raises for a file it cannot read."""

from __future__ import annotations


class LoadError(ValueError):
    """A file that cannot be loaded, located as precisely as its format allows.

    Args:
        path: the file, as the user named it.
        message: what is wrong, for a person.
        line: 1-based physical line (text formats), or None.
        row: 1-based data row (tabular formats, header excluded), or None.
        element: XPath-like location of an XML element, or None.
        field: the column, field or tag at fault, or None.

    Example:
        >>> str(LoadError("pay.csv", "not a decimal amount: 'abc'", row=3, field="amount"))
        "pay.csv: row 3, field 'amount': not a decimal amount: 'abc'"
    """

    def __init__(
        self,
        path: str,
        message: str,
        *,
        line: int | None = None,
        row: int | None = None,
        element: str | None = None,
        field: str | None = None,
    ):
        self.path, self.message = str(path), message
        self.line, self.row, self.element, self.field = line, row, element, field
        parts = []
        if line is not None:
            parts.append(f"line {line}")
        if row is not None:
            parts.append(f"row {row}")
        if element is not None:
            parts.append(f"element {element}")
        if field is not None:
            parts.append(f"field {field!r}")
        where = f"{self.path}: " + (", ".join(parts) + ": " if parts else "")
        super().__init__(where + message)


def raise_or_report(error: LoadError, lenient: bool, problems: list[str], skipped: str) -> None:
    """Reject the file, or in lenient mode report what was skipped and go on.

    Example:
        >>> problems = []
        >>> raise_or_report(LoadError("f.xml", "bad amount", line=3), True, problems, "entry")
        >>> problems
        ['f.xml: line 3: bad amount (entry skipped)']
    """
    if not lenient:
        raise error
    problems.append(f"{error} ({skipped} skipped)")

"""Errors the engine raises for input it cannot match."""

from __future__ import annotations


class InputError(ValueError):
    """Input that breaks the engine's contract, located to a table, row and column.

    Args:
        table: which input ("open_items", "payments", "customers").
        row: 0-based row index in that table, or None when the whole table is at fault.
        column: the offending column, or None.
        message: what is wrong, for a person.
    """

    def __init__(self, table: str, row: int | None, column: str | None, message: str):
        self.table, self.row, self.column, self.message = table, row, column, message
        where = table
        if row is not None:
            where += f" row {row}"
        if column is not None:
            where += f" column {column!r}"
        super().__init__(f"{where}: {message}")

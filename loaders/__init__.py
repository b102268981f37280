"""Loaders: files in, the engine's Arrow schemas out.

Every loader raises :class:`LoadError` naming the file and the place in it;
none returns part of a file it rejected.
"""

from cashmatch.loaders.errors import LoadError
from cashmatch.loaders.tabular import (
    read_customers,
    read_open_items,
    read_payments,
    write_matches,
)

__all__ = ["LoadError", "read_customers", "read_open_items", "read_payments", "write_matches"]

"""Accounts-receivable analytics from the ledger cashmatch holds: pure computation.

The public API::

    from cashmatch.engine.ar import build_book, aging, metrics

    book = build_book(open_items, paid_history)   # OPEN_ITEMS and PAID_INVOICES tables
    aging(book, as_of)                            # AGING table
    metrics(book, as_of, period_days=90)          # METRICS table
"""

from cashmatch.engine.ar.aging import aging
from cashmatch.engine.ar.ledger import Book, build_book
from cashmatch.engine.ar.metrics import metrics

__all__ = ["Book", "aging", "build_book", "metrics"]

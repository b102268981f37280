"""Accounts-receivable analytics from the ledger cashmatch holds: pure computation.

The public API::

    from cashmatch.engine.ar import build_book, aging, metrics

    book = build_book(open_items, paid_history)   # OPEN_ITEMS and PAID_INVOICES tables
    aging(book, as_of)                            # AGING table
    metrics(book, as_of, period_days=90)          # METRICS table
    prediction = predict_payments(book, as_of)    # .table: PREDICTIONS
    forecast_cash(book, prediction, weeks=13)     # FORECAST table
"""

from cashmatch.engine.ar.aging import aging
from cashmatch.engine.ar.config import ArConfig
from cashmatch.engine.ar.forecast import forecast_cash
from cashmatch.engine.ar.ledger import Book, build_book
from cashmatch.engine.ar.metrics import metrics
from cashmatch.engine.ar.predict import Prediction, predict_payments

__all__ = [
    "ArConfig",
    "Book",
    "Prediction",
    "aging",
    "build_book",
    "forecast_cash",
    "metrics",
    "predict_payments",
]

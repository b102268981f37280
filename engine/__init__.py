"""cashmatch engine: pure computation over Arrow tables, no file or network I/O.

The public API is small::

    from cashmatch.engine import MatchConfig, build_index, match_payments, match

    index = build_index(open_items, customers)      # once per ledger state
    result = match_payments(index, payments)         # per batch
    result.matches                                   # MATCHES table, one row per application
"""

from cashmatch.engine.api import MatchResult, build_index, match, match_payments
from cashmatch.engine.config import MatchConfig
from cashmatch.engine.errors import InputError
from cashmatch.engine.index import OpenItemIndex

__all__ = [
    "InputError",
    "MatchConfig",
    "MatchResult",
    "OpenItemIndex",
    "build_index",
    "match",
    "match_payments",
]

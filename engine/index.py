"""The open items, indexed once for many batches of payments.

Invoices are sorted by customer (a parent's subsidiaries next to it), then
currency and due date, so a customer's or a family's invoices are one
contiguous range; numbers are indexed for noisy reference lookup and amounts
for exact lookup within a family and currency, and across all customers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.config import MatchConfig
from cashmatch.engine.customers import CustomerIndex
from cashmatch.engine.global_facts import LedgerCounts
from cashmatch.engine.hashing import StringLookup
from cashmatch.engine.moved_rows import move_rows
from cashmatch.engine.references import ReferenceIndex

# conform, check_unique and check_currencies lived here; kept importable from here.
from cashmatch.engine.validate import (  # noqa: F401
    check_currencies,
    check_unique,
    conform,
    validate_customers,
    validate_open_items,
)


def _days(dates: pa.Array) -> np.ndarray:
    return dates.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)


@dataclass
class OpenItemIndex:
    """Open invoices and customers, indexed for matching. Build with :func:`build_index`."""

    config: MatchConfig
    invoice_id: pa.Array
    invoice_number: pa.Array
    currencies: list[str]
    currency: np.ndarray  # code into ``currencies``
    amount: np.ndarray  # open amount, minor units
    issue: np.ndarray  # days since epoch
    due: np.ndarray
    customer: np.ndarray  # customer code
    family: np.ndarray  # family (root customer) code
    customers: CustomerIndex
    references: ReferenceIndex
    # Exact-amount lookup within (family, currency), and across all customers.
    block_keys: np.ndarray
    block_amounts: np.ndarray
    block_rows: np.ndarray
    global_keys: np.ndarray
    global_amounts: np.ndarray
    global_rows: np.ndarray
    # Where each (family, currency) block starts in block_rows and pool_rows
    # (both hold a block's invoices contiguously), and each currency in global_rows.
    block_start: np.ndarray
    global_start: np.ndarray
    # A family's invoices in one currency in due-date order (combination searches).
    pool_rows: np.ndarray
    # Invoice id lookup, built on first use.
    _ids: StringLookup | None = field(default=None, repr=False)
    # When the index holds a part of a ledger (a Spark bucket): the ledger's
    # counts (engine/global_facts.py). None: the index is the whole ledger.
    ledger: LedgerCounts | None = None

    def __len__(self) -> int:
        return len(self.amount)

    @property
    def nbytes(self) -> int:
        """Approximate memory held by the index's arrays."""
        arrays = (
            self.currency,
            self.amount,
            self.issue,
            self.due,
            self.customer,
            self.family,
            self.block_keys,
            self.block_amounts,
            self.block_rows,
            self.global_keys,
            self.global_amounts,
            self.global_rows,
            self.block_start,
            self.global_start,
            self.pool_rows,
        )
        return (
            sum(a.nbytes for a in arrays)
            + self.references.nbytes
            + self.invoice_id.nbytes
            + self.invoice_number.nbytes
        )

    def positions_of(self, invoice_ids: list[str]) -> np.ndarray:
        """Positions of invoices by id (-1 for ids not in the index)."""
        if self._ids is None:
            self._ids = StringLookup(self.invoice_id)
        return self._ids.find(pa.array(invoice_ids, pa.string()))

    def with_open_amounts(self, invoice_ids: list[str], amounts: list[int]) -> OpenItemIndex:
        """A new index where these invoices have these open amounts (0: closed).

        The index is not changed, so matches running on it keep a consistent
        view; the new one shares everything but the amounts and the sorted
        amount lookups, whose moved entries are shifted into place
        (:func:`~cashmatch.engine.moved_rows.move_rows`) rather than
        rebuilt. Ids not in the index are ignored.

        Example:
            >>> import datetime as dt
            >>> items = pa.table({"invoice_id": ["I1", "I2"], "invoice_number": ["A-1", "A-2"],
            ...     "customer_id": ["C1", "C1"], "customer_name": ["Acme"] * 2,
            ...     "currency": ["EUR"] * 2, "amount_open_minor": [1000, 2000],
            ...     "issue_date": [dt.date(2024, 1, 1)] * 2,
            ...     "due_date": [dt.date(2024, 1, 31)] * 2})
            >>> index = build_index(items).with_open_amounts(["I2"], [500])
            >>> index.amount_rows(0, 0, 500, 500).tolist(), index.amount_rows(0, 0, 2000, 2000)
            ([1], array([], dtype=int64))
        """
        amount = self.amount.copy()
        block_amounts, block_rows, global_amounts, global_rows = self._moved(
            invoice_ids, amounts, amount, in_place=False
        )
        return dataclasses.replace(
            self,
            amount=amount,
            block_amounts=block_amounts,
            block_rows=block_rows,
            global_amounts=global_amounts,
            global_rows=global_rows,
        )

    def update_open_amounts(self, invoice_ids: list[str], amounts: list[int]) -> None:
        """:meth:`with_open_amounts` in place, without copying the index's arrays.

        Only for a caller that holds the index alone while it changes (the
        service, under its ledger lock): a match running on it meanwhile would
        read a half-moved lookup. At 1M open items it spares copying five
        arrays of 8 MB each per update.
        """
        self._moved(invoice_ids, amounts, self.amount, in_place=True)

    def _moved(self, invoice_ids, amounts, amount, in_place: bool) -> tuple:
        """Set ``amount`` of the invoices and move them in the sorted amount lookups."""
        positions = self.positions_of(list(invoice_ids))
        keep = positions >= 0
        rows, new = positions[keep], np.asarray(amounts, np.int64)[keep]
        # An invoice named twice takes its last amount.
        last = len(rows) - 1 - np.unique(rows[::-1], return_index=True)[1]
        rows, new = rows[last], new[last]
        old = self.amount[rows]
        amount[rows] = new
        block = self.family[rows] * (len(self.currencies) + 1) + self.currency[rows]
        _, block_amounts, block_rows = move_rows(
            self.block_keys,
            self.block_amounts,
            self.block_rows,
            rows,
            block,
            old,
            new,
            in_place=in_place,
            move_each_max=self.config.move_each_max,
        )
        _, global_amounts, global_rows = move_rows(
            self.global_keys,
            self.global_amounts,
            self.global_rows,
            rows,
            self.currency[rows],
            old,
            new,
            in_place=in_place,
            move_each_max=self.config.move_each_max,
        )
        return block_amounts, block_rows, global_amounts, global_rows

    def currency_code(self, currency: str) -> int:
        try:
            return self.currencies.index(currency)
        except ValueError:
            return -1

    def block_key(self, family: int, currency: int) -> int:
        return family * (len(self.currencies) + 1) + currency

    def family_rows(self, family: int, currency: int) -> np.ndarray:
        """Invoice positions of a family in a currency, oldest due date first.

        They depend on who owes what and when, not on open amounts, so indexes
        made by :meth:`with_open_amounts` share them.
        """
        key = self.block_key(family, currency)
        return self.pool_rows[self.block_start[key] : self.block_start[key + 1]]

    def amount_rows(self, family: int, currency: int, low: int, high: int) -> np.ndarray:
        """Positions of a family's invoices in ``currency`` with low <= open amount <= high."""
        key = self.block_key(family, currency)
        lo, hi = self.block_start[key], self.block_start[key + 1]
        amounts = self.block_amounts[lo:hi]
        a = np.searchsorted(amounts, low, "left")
        b = np.searchsorted(amounts, high, "right")
        return self.block_rows[lo + a : lo + b]

    def global_amount_rows(self, currency: int, amount: int, limit: int) -> np.ndarray:
        """Invoices in ``currency`` open for exactly ``amount``; none if the ledger has
        more than ``limit`` (see :meth:`amount_counts`)."""
        lo, hi = self.global_start[currency], self.global_start[currency + 1]
        amounts = self.global_amounts[lo:hi]
        a = np.searchsorted(amounts, amount, "left")
        b = np.searchsorted(amounts, amount, "right")
        count = b - a
        if self.ledger is not None:
            count = self.ledger.count(self.currencies[currency], amount)
        return self.global_rows[lo + a : lo + b] if count <= limit else self.global_rows[:0]

    def amount_counts(self, currency: np.ndarray, amount: np.ndarray) -> np.ndarray:
        """How many open items of the ledger in ``currency`` are open for exactly ``amount``.

        The index's own when it is the whole ledger; else the ledger's
        (``ledger``). Per element; a currency code of -1 counts 0.
        """
        currency = np.asarray(currency, np.int64)
        amount = np.asarray(amount, np.int64)
        counts = np.zeros(len(amount), np.int64)
        for code in np.unique(currency[currency >= 0]).tolist():
            at = np.flatnonzero(currency == code)
            if self.ledger is not None:
                name = self.currencies[code]
                counts[at] = [self.ledger.count(name, a) for a in amount[at].tolist()]
                continue
            amounts = self.global_amounts[self.global_start[code] : self.global_start[code + 1]]
            counts[at] = np.searchsorted(amounts, amount[at], "right") - np.searchsorted(
                amounts, amount[at], "left"
            )
        return counts


def build_index(
    open_items: pa.Table,
    customers: pa.Table | None = None,
    config: MatchConfig | None = None,
    ledger: LedgerCounts | None = None,
) -> OpenItemIndex:
    """Index open items (and the optional customer master) for matching.

    Args:
        open_items: a table of :data:`~cashmatch.engine.schemas.OPEN_ITEMS`.
        customers: a table of :data:`~cashmatch.engine.schemas.CUSTOMERS`, or None
            (customers are then known by the names on their invoices only).
        config: tunables; defaults favour precision.
        ledger: when ``open_items`` are a part of a ledger (whole customer
            families, with their master rows), the ledger's counts, which the
            index then answers (:mod:`~cashmatch.engine.global_facts`): it
            knows every currency of the ledger.

    Raises:
        InputError: a missing column, a duplicate invoice_id, an unknown currency.

    Example:
        >>> import datetime as dt
        >>> items = pa.table({"invoice_id": ["I1"], "invoice_number": ["INV-1"],
        ...     "customer_id": ["C1"], "customer_name": ["Acme"], "currency": ["EUR"],
        ...     "amount_open_minor": [1000], "issue_date": [dt.date(2024, 1, 1)],
        ...     "due_date": [dt.date(2024, 1, 31)]})
        >>> len(build_index(items))
        1
    """
    config = config or MatchConfig()
    items = validate_open_items(open_items)
    if customers is not None:
        customers = validate_customers(customers)
    # Closed items (nothing open) cannot take cash.
    items = items.filter(pc.not_equal(items["amount_open_minor"], 0))
    customer_index = CustomerIndex(customers, items, config)
    customer = customer_index.codes(items["customer_id"])
    currencies = set(items["currency"].to_pylist())
    currencies = sorted(currencies | set(ledger.currencies) if ledger else currencies)
    currency = np.searchsorted(
        np.array(currencies, dtype=str), np.asarray(items["currency"].to_pylist(), dtype=str)
    )
    due = _days(items["due_date"])
    order = np.lexsort((due, currency, customer))
    take = pa.array(order)
    customer, currency, due = customer[order], currency[order], due[order]
    family = customer_index.family[customer] if len(customer) else customer
    amount = items["amount_open_minor"].to_numpy()[order]

    block = family * (len(currencies) + 1) + currency
    block_order = np.lexsort((amount, block))
    global_order = np.lexsort((amount, currency))
    pool_order = np.lexsort((due, block))
    # Every possible block key (any customer may head a family), so that a
    # family without invoices in a currency is an empty range, not a missing key.
    n_blocks = len(customer_index) * (len(currencies) + 1)
    block_keys = block[block_order]
    numbers = pc.take(items["invoice_number"].combine_chunks(), take)
    return OpenItemIndex(
        config=config,
        invoice_id=pc.take(items["invoice_id"].combine_chunks(), take),
        invoice_number=numbers,
        currencies=currencies,
        currency=currency,
        amount=amount,
        issue=_days(items["issue_date"])[order],
        due=due,
        customer=customer,
        family=family,
        customers=customer_index,
        references=ReferenceIndex.build(
            numbers, config, pc.take(items["po_number"].combine_chunks(), take)
        ),
        block_keys=block_keys,
        block_amounts=amount[block_order],
        block_rows=block_order,
        global_keys=currency[global_order],
        global_amounts=amount[global_order],
        global_rows=global_order,
        block_start=np.searchsorted(block_keys, np.arange(n_blocks + 1)),
        global_start=np.searchsorted(currency[global_order], np.arange(len(currencies) + 1)),
        pool_rows=pool_order,
        ledger=ledger,
    )

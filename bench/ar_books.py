"""Synthetic AR books with known futures: 24 months of paid history, the open items, and
when each open item will really be paid.

The behaviour follows what AR teams and payment studies describe, one habit per
customer, persistent over time:

- **typical delay**: most customers pay around the due date, a share a week or
  two late, some a month or more; each invoice scatters around the customer's
  habit with a right tail (a late payer is never much early), and a few
  invoices are disputed and paid months later;
- **anchor**: most payers work from the due date, some pay a fixed number of
  days after the invoice date whatever the terms say;
- **payment runs**: many companies pay in runs, weekly (mostly on Fridays) or
  on fixed days of the month (the 10th and 25th, the 15th and month end, the
  25th), so the paid date is the next run; a bank day or more of transit
  follows (cheques in the US take longest), and money never arrives on a
  weekend;
- **larger invoices later**: approval workflows hold invoices above a
  customer's usual amount, and a hard approval limit adds more;
- **drift**: some customers get slower month after month (cash trouble), a few
  improve; a few become insolvent and never pay again;
- **slow months**: in Europe August payments slip (holidays); everywhere the
  last days of December slip into January;
- **terms**: 30, 45 and 60 days mostly, some 14 and 90, some end-of-month;
- **partial payments**: a short-paid invoice keeps a disputed remainder open
  that is paid much later.

Example:
    >>> book = generate_ar_book(seed=1, n_customers=60)
    >>> book.paid.num_rows > 1000, book.open_items.num_rows > 50
    (True, True)
    >>> bool((book.truth_days() > book.as_of_day).all())
    True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cashmatch.engine.schemas import OPEN_ITEMS, PAID_INVOICES

EPOCH = dt.date(1970, 1, 1)
HISTORY_DAYS = 730
FUTURE_DAYS = 500
NEVER = np.iinfo(np.int32).max

CURRENCIES = {"EUR": (0.52, 1.0), "USD": (0.26, 1.1), "GBP": (0.12, 0.85), "JPY": (0.06, 160.0),
              "CHF": (0.04, 0.95)}  # fmt: skip
EUROPE = ("EUR", "GBP", "CHF")


@dataclass
class ArBook:
    """A generated book: what the ledger shows at ``as_of`` and what happens next.

    Attributes:
        as_of: the reporting date.
        open_items: OPEN_ITEMS (with amount_original) of invoices unpaid at as_of.
        paid: PAID_INVOICES paid on or before as_of.
        truth: invoice_id and true_paid_date (null: never paid) of each open item,
            and whether it is disputed.
        behaviour: per customer_id, the habits it was generated with (for
            reports by behaviour; never shown to the model).
    """

    as_of: dt.date
    open_items: pa.Table
    paid: pa.Table
    truth: pa.Table
    behaviour: pa.Table

    @property
    def as_of_day(self) -> int:
        return (self.as_of - EPOCH).days

    def truth_days(self) -> np.ndarray:
        """True paid day numbers of the open items, NEVER where never paid."""
        days = self.truth["true_paid_date"].cast(pa.int32()).fill_null(NEVER)
        return days.to_numpy(zero_copy_only=False).astype(np.int64)


def weekday(day: np.ndarray) -> np.ndarray:
    """Monday = 0 for day numbers (1970-01-01 was a Thursday)."""
    return (day + 3) % 7


def next_business_day(day: np.ndarray) -> np.ndarray:
    w = weekday(day)
    return day + np.where(w == 5, 2, np.where(w == 6, 1, 0))


def _month_start(day: np.ndarray) -> np.ndarray:
    months = day.astype("datetime64[D]").astype("datetime64[M]")
    return months.astype("datetime64[D]").astype(np.int64)


def _month_length(day: np.ndarray) -> np.ndarray:
    months = day.astype("datetime64[D]").astype("datetime64[M]")
    return ((months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")).astype(np.int64)


def month_of(day: np.ndarray) -> np.ndarray:
    """1..12."""
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1


def next_month_day(day: np.ndarray, month_days: np.ndarray) -> np.ndarray:
    """The first date on or after ``day`` whose day of month is ``month_days`` (31 = month end)."""
    start = _month_start(day)
    this = start + np.minimum(month_days, _month_length(day)) - 1
    nxt_start = start + _month_length(day)
    nxt = nxt_start + np.minimum(month_days, _month_length(nxt_start)) - 1
    return np.where(this >= day, this, nxt)


def _schedule(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer: run kind (0 ad hoc, 1 weekly, 2 month days), weekday, two month days."""
    kind = rng.choice(3, n, p=[0.40, 0.33, 0.27])
    run_weekday = rng.choice([4, 3, 1, 2], n, p=[0.55, 0.2, 0.15, 0.1])
    pairs = np.array([[10, 25], [15, 31], [25, 25], [31, 31], [5, 20]])
    days = pairs[rng.choice(len(pairs), n, p=[0.45, 0.2, 0.15, 0.1, 0.1])]
    return kind, run_weekday, days


def _snap_to_run(intended, kind, run_weekday, days):
    weekly = intended + (run_weekday - weekday(intended)) % 7
    monthly = np.minimum(next_month_day(intended, days[:, 0]), next_month_day(intended, days[:, 1]))
    # A run on a weekend day is made on the next bank day.
    return np.where(kind == 1, weekly, np.where(kind == 2, next_business_day(monthly), intended))


def generate_ar_book(
    seed: int,
    n_customers: int = 2000,
    as_of: dt.date | None = None,
    volume: float = 1.0,
    part: str = "",
) -> ArBook:
    """Generate a book of ``n_customers`` customers (``volume`` scales invoices per customer).

    The as-of date is drawn from the seed (any day of 2025) unless given, so
    that seeds meet the slow months at different points of the forecast.
    ``part`` prefixes every id, so that books generated in parts can be joined.
    """
    rng = np.random.default_rng(seed)
    if as_of is None:
        as_of = dt.date(2025, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
    today = (as_of - EPOCH).days
    start = today - HISTORY_DAYS - 120
    n = n_customers

    # --- customers ---
    codes = list(CURRENCIES)
    currency = rng.choice(len(codes), n, p=[CURRENCIES[c][0] for c in codes])
    rate = np.array([CURRENCIES[c][1] for c in codes])[currency]
    per_month = np.clip(rng.lognormal(1.0, 1.0, n), 0.15, 80.0) * volume
    first_day = np.where(rng.random(n) < 0.75, start, rng.integers(start, today, n))
    last_day = np.where(rng.random(n) < 0.08, rng.integers(start + 200, today + 400, n), NEVER)
    median_amount = np.exp(rng.normal(np.log(1500), 1.1, n)) * rate
    terms_main = rng.choice([30, 45, 60, 14, 90], n, p=[0.5, 0.2, 0.2, 0.05, 0.05])
    terms_other = rng.choice([30, 45, 60], n)
    mixed_terms = rng.random(n) < 0.15
    end_of_month = rng.random(n) < 0.12
    issue_anchored = rng.random(n) < 0.22
    cycle_days = rng.uniform(25, 75, n)
    habit = rng.choice(4, n, p=[0.35, 0.35, 0.2, 0.1])
    low, high = np.array([-6, 3, 15, 40]), np.array([2, 15, 40, 80])
    base_delay = rng.uniform(low[habit], high[habit])
    noise_scale = (2.0 + 0.22 * np.abs(base_delay)) * rng.lognormal(0, 0.35, n)
    dispute_rate = rng.beta(1.2, 35, n)
    amount_slope = rng.uniform(0, 6, n)
    approval_limit = median_amount * rng.uniform(2.5, 6, n)
    drifting = rng.random(n)
    drift_per_month = np.where(
        drifting < 0.2, rng.uniform(1, 4, n), np.where(drifting < 0.28, -rng.uniform(0.5, 2, n), 0)
    )
    drift_start = rng.integers(today - 460, today - 30, n)
    insolvent_day = np.where(
        rng.random(n) < 0.015, rng.integers(today - 400, today + 200, n), NEVER
    )
    kind, run_weekday, run_days = _schedule(rng, n)
    check_payer = (codes.index("USD") == currency) & (rng.random(n) < 0.45)
    summer_sensitive = np.isin(currency, [codes.index(c) for c in EUROPE]) & (rng.random(n) < 0.7)

    # --- invoices: a Poisson stream per customer over its active life ---
    active_days = np.maximum(np.minimum(last_day, today) - first_day, 0)
    counts = rng.poisson(per_month * active_days / 30.4)
    cust = np.repeat(np.arange(n), counts)
    m = len(cust)
    issue = (first_day[cust] + rng.random(m) * active_days[cust]).astype(np.int64)
    issue = next_business_day(issue)
    issue = np.minimum(issue, today)
    amount_major = median_amount[cust] * rng.lognormal(0, 0.8, m)
    credit = rng.random(m) < 0.02
    amount_major = np.where(credit, -amount_major * rng.uniform(0.05, 0.3, m), amount_major)
    exponent = np.where(currency[cust] == codes.index("JPY"), 0, 2)
    amount = np.maximum(np.round(np.abs(amount_major) * 10.0**exponent), 1).astype(np.int64)
    amount = np.where(credit, -amount, amount)
    terms = np.where(
        mixed_terms[cust] & (rng.random(m) < 0.35), terms_other[cust], terms_main[cust]
    )
    base = np.where(end_of_month[cust], _month_start(issue) + _month_length(issue) - 1, issue)
    due = np.where(credit, issue, base + terms)

    # --- when each would be paid ---
    c = cust
    noise = rng.gumbel(0, 1, m) - 0.5772
    delay = base_delay[c] + noise_scale[c] * noise
    ratio = np.log(np.maximum(amount_major / median_amount[c], 1e-3))
    delay += amount_slope[c] * np.maximum(ratio, 0)
    delay += np.where(amount_major > approval_limit[c], rng.uniform(5, 15, m), 0)
    months_drifting = np.maximum(issue - drift_start[c], 0) / 30.4
    delay += np.clip(drift_per_month[c] * months_drifting, -15, 45)
    disputed = rng.random(m) < dispute_rate[c]
    delay += np.where(disputed, 15 + rng.exponential(45, m), 0)
    by_due = due + delay
    by_issue = issue + cycle_days[c] + np.where(disputed, 15 + rng.exponential(45, m), 0)
    intended = np.round(np.where(issue_anchored[c], by_issue, by_due)).astype(np.int64)
    intended = np.where(credit, issue + rng.integers(0, 20, m), intended)
    intended = np.maximum(intended, issue)
    month = month_of(intended)
    slip_summer = summer_sensitive[c] & (month == 8) & (rng.random(m) < 0.6)
    intended += np.where(slip_summer, rng.integers(7, 22, m), 0)
    day_of_month = intended - _month_start(intended) + 1
    slip_december = (month_of(intended) == 12) & (day_of_month >= 20) & (rng.random(m) < 0.5)
    intended += np.where(slip_december, 32 - day_of_month + rng.integers(3, 10, m), 0)
    run = _snap_to_run(intended, kind[c], run_weekday[c], run_days[c])
    transit = np.where(check_payer[c], rng.integers(2, 8, m), rng.choice([0, 1, 1, 2], m))
    paid = next_business_day(run + transit)
    paid = np.maximum(paid, issue)
    # Insolvency: what is unpaid when the customer fails is never paid.
    paid = np.where(paid > insolvent_day[c], NEVER, paid)
    paid = np.where(paid > today + FUTURE_DAYS, NEVER, paid)

    # A short payment leaves a disputed remainder, paid much later.
    short = (rng.random(m) < 0.04) & ~credit & (paid != NEVER)
    first_part = paid
    remainder_paid = np.where(short, paid + 10 + rng.exponential(40, m).astype(np.int64), paid)
    remainder_paid = next_business_day(remainder_paid)
    remainder_paid = np.where((remainder_paid > insolvent_day[c]) | (paid == NEVER), NEVER,
                              remainder_paid)  # fmt: skip
    remainder = np.where(
        short, np.maximum((amount * rng.uniform(0.05, 0.4, m)).astype(np.int64), 1), amount
    )

    final_paid = np.where(short, remainder_paid, paid)
    in_history = (final_paid <= today) & (final_paid > today - HISTORY_DAYS)
    # Ledgers write off what has been unpaid for a year and a half.
    is_open = (issue <= today) & (final_paid > today) & (issue > today - 540)
    partly = short & (first_part <= today) & is_open
    amount_open = np.where(partly, remainder, amount)

    ids = pc.binary_join_element_wise(f"I{part}", pa.array(np.arange(m)).cast(pa.string()), "")
    serial = pa.array(np.arange(m) + 100000).cast(pa.string())
    numbers = pc.binary_join_element_wise(f"INV-{part}", serial, "")
    cust_ids = pc.binary_join_element_wise(f"C{part}", pa.array(np.arange(n)).cast(pa.string()), "")
    cust_names = pc.binary_join_element_wise(
        f"Customer {part}", pa.array(np.arange(n)).cast(pa.string()), " Ltd", ""
    )  # fmt: skip
    currency_names = pa.array(codes).take(pa.array(currency))

    def columns(mask: np.ndarray) -> dict:
        rows = pa.array(np.flatnonzero(mask))
        owner = pa.array(cust[mask])
        return {
            "invoice_id": ids.take(rows),
            "invoice_number": numbers.take(rows),
            "customer_id": cust_ids.take(owner),
            "customer_name": cust_names.take(owner),
            "currency": currency_names.take(owner),
            "issue_date": pa.array(issue[mask].astype(np.int32)).cast(pa.date32()),
            "due_date": pa.array(due[mask].astype(np.int32)).cast(pa.date32()),
        }

    history = columns(in_history)
    history["amount_minor"] = pa.array(amount[in_history])
    history["paid_date"] = pa.array(final_paid[in_history].astype(np.int32)).cast(pa.date32())
    paid_table = pa.table({f.name: history[f.name] for f in PAID_INVOICES}, schema=PAID_INVOICES)
    items = columns(is_open)
    items["amount_open_minor"] = pa.array(amount_open[is_open])
    items["amount_original_minor"] = pa.array(amount[is_open])
    items["po_number"] = pa.nulls(int(is_open.sum()), pa.string())
    open_table = pa.table({f.name: items[f.name] for f in OPEN_ITEMS}, schema=OPEN_ITEMS)
    truth_days = final_paid[is_open]
    truth = pa.table(
        {
            "invoice_id": items["invoice_id"],
            "true_paid_date": pa.array(truth_days.astype(np.int32), mask=truth_days == NEVER).cast(
                pa.date32()
            ),
            "disputed": pa.array((disputed | short)[is_open]),
        }
    )
    behaviour = pa.table(
        {
            "customer_id": cust_ids,
            "habit": pa.array(np.array(["prompt", "late", "slow", "very_slow"])[habit]),
            "runs": pa.array(np.array(["any_day", "weekly", "month_days"])[kind]),
            "anchor": pa.array(np.where(issue_anchored, "issue_date", "due_date")),
            "drift": pa.array(np.where(drift_per_month > 0, "worse",
                                       np.where(drift_per_month < 0, "better", "none"))),
            "insolvent": pa.array(insolvent_day <= today + FUTURE_DAYS),
        }
    )  # fmt: skip
    return ArBook(as_of, open_table, paid_table, truth, behaviour)

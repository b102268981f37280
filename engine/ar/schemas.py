"""The Arrow schemas of what AR analytics return, declared once.

Money columns end in ``_minor`` (int64 minor units of the row's ``currency``);
files carry them as decimal strings under the name without the suffix (see
:func:`cashmatch.server.cli_ar.ar_file_columns`). Ratios (DSO, CEI) are
decimal strings already: exact values rounded half away from zero to two
decimals, so that no float reaches a file.
"""

from __future__ import annotations

import pyarrow as pa

AGING_BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "d91_120", "d121_plus")

AGING = pa.schema(
    [
        # Empty on the total row of a currency.
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        *[pa.field(f"{bucket}_minor", pa.int64(), nullable=False) for bucket in AGING_BUCKETS],
        pa.field("total_minor", pa.int64(), nullable=False),
    ]
)

METRICS = pa.schema(
    [
        # Empty for all customers of a currency.
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        # Days, two decimals; null where Sales is 0.
        pa.field("dso", pa.string()),
        pa.field("best_possible_dso", pa.string()),
        pa.field("add", pa.string()),
        # Percent, two decimals; null where its denominator is 0.
        pa.field("cei", pa.string()),
        # The sums the ratios are made of, so that a reader can check them.
        pa.field("sales_minor", pa.int64(), nullable=False),
        pa.field("ar_begin_minor", pa.int64(), nullable=False),
        pa.field("ar_end_minor", pa.int64(), nullable=False),
        pa.field("current_ar_end_minor", pa.int64(), nullable=False),
    ]
)

PREDICTIONS = pa.schema(
    [
        pa.field("invoice_id", pa.string(), nullable=False),
        pa.field("predicted_paid_date", pa.date32(), nullable=False),
        # An 80% interval: paid on or before p10 with probability 0.1, by p90 with 0.9.
        pa.field("paid_by_p10", pa.date32(), nullable=False),
        pa.field("paid_by_p90", pa.date32(), nullable=False),
        # The probability it is paid after its due date (1 once it is overdue).
        pa.field("p_late", pa.float64(), nullable=False),
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("amount_open_minor", pa.int64(), nullable=False),
        pa.field("due_date", pa.date32(), nullable=False),
    ]
)

FORECAST = pa.schema(
    [
        pa.field("currency", pa.string(), nullable=False),
        # A Monday; the first is the Monday of the week holding the as-of date.
        pa.field("week_start", pa.date32(), nullable=False),
        pa.field("expected_amount_minor", pa.int64(), nullable=False),
        # 10% and 90% quantiles of the week's total, from joint simulation.
        pa.field("p10_amount_minor", pa.int64(), nullable=False),
        pa.field("p90_amount_minor", pa.int64(), nullable=False),
    ]
)

WORKLIST = pa.schema(
    [
        pa.field("rank", pa.int64(), nullable=False),
        pa.field("action", pa.string(), nullable=False),
        pa.field("invoice_id", pa.string(), nullable=False),
        pa.field("invoice_number", pa.string(), nullable=False),
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("customer_name", pa.string()),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("amount_open_minor", pa.int64(), nullable=False),
        pa.field("due_date", pa.date32(), nullable=False),
        pa.field("days_past_due", pa.int64(), nullable=False),
        pa.field("predicted_paid_date", pa.date32(), nullable=False),
        pa.field("p_late", pa.float64(), nullable=False),
        # amount_open x p_late: what is expected to come in late.
        pa.field("expected_late_minor", pa.int64(), nullable=False),
        # The customer's open amount past due, share of its open amount, in percent.
        pa.field("customer_overdue_pct", pa.float64(), nullable=False),
        pa.field("priority", pa.float64(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
    ]
)

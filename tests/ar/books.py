"""A small AR book computed by hand: open items and paid history as files.

As-of 2024-06-30, period 30 days (begin 2024-05-31). The comment on each row
gives its days past due and what it counts in; the expected figures in
tests/ar/test_aging_metrics.py are worked out from these by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

AS_OF = dt.date(2024, 6, 30)
PERIOD_DAYS = 30

OPEN_HEADER = (
    "invoice_id,invoice_number,customer_id,customer_name,currency,amount_open,"
    "amount_original,issue_date,due_date"
)
OPEN_ROWS = [
    "A1,INV-A1,C1,Acme,EUR,100.00,,2024-06-10,2024-07-10",  # current; sales
    "A2,INV-A2,C1,Acme,EUR,40.00,250.00,2024-05-01,2024-05-31",  # 30 days; AR_begin 250
    "A3,INV-A3,C1,Acme,EUR,75.50,75.5,2024-04-01,2024-05-01",  # 60 days; AR_begin
    "A4,CN-A4,C1,Acme,EUR,-20.00,,2024-06-20,2024-06-30",  # credit note, 0 days: current; sales
    "A5,INV-A5,C2,Blue River,EUR,10.00,,2024-01-01,2024-01-31",  # 151 days
    "A6,INV-A6,C2,Blue River,EUR,5.00,,2024-03-01,2024-03-31",  # 91 days
    "A7,INV-A7,C2,Blue River,EUR,1.00,,2024-03-01,2024-04-01",  # 90 days
    "A8,INV-A8,C2,Blue River,JPY,1000,1500,2024-06-30,2024-07-30",  # current; sales 1500
    "A9,INV-A9,C2,Blue River,JPY,300,,2024-07-01,2024-07-31",  # issued after as-of: ignored
    "A10,INV-A10,C3,Gulf Trading,KWD,1.234,,2024-05-31,2024-06-29",  # 1 day; issued at begin
    "A11,INV-A11,C2,Blue River,EUR,2.00,,2024-02-01,2024-03-02",  # 120 days
    "A12,INV-A12,C2,Blue River,EUR,3.00,,2024-02-01,2024-03-01",  # 121 days
    "A13,INV-A13,C3,Gulf Trading,KWD,2.000,,2024-04-15,2024-05-30",  # 31 days
    "A14,INV-A14,C3,Gulf Trading,KWD,0.500,,2024-04-01,2024-04-30",  # 61 days
]

PAID_HEADER = (
    "invoice_id,invoice_number,customer_id,customer_name,currency,amount,"
    "issue_date,due_date,paid_date"
)
PAID_ROWS = [
    "P1,INV-P1,C1,Acme,EUR,200.00,2024-06-05,2024-07-05,2024-06-25",  # sales
    "P2,INV-P2,C1,Acme,EUR,300.00,2024-05-10,2024-06-09,2024-06-15",  # AR_begin
    "P3,INV-P3,C1,Acme,EUR,50.00,2024-05-10,2024-06-09,2024-05-31",  # paid at begin: nothing
    "P4,INV-P4,C3,Gulf Trading,KWD,10.000,2024-06-01,2024-07-01,2024-06-20",  # sales
    "P5,INV-P5,C4,Delta,EUR,99.00,2024-01-01,2024-01-31,2024-02-01",  # nothing: no row
]


def write_book(directory: Path) -> tuple[Path, Path]:
    """Write OPEN.csv and PAID.csv of the hand-computed book into ``directory``."""
    open_path, paid_path = directory / "OPEN.csv", directory / "PAID.csv"
    open_path.write_text("\n".join([OPEN_HEADER, *OPEN_ROWS]) + "\n")
    paid_path.write_text("\n".join([PAID_HEADER, *PAID_ROWS]) + "\n")
    return open_path, paid_path

"""The Arrow schemas every stage reads and writes, declared once.

Money columns end in ``_minor`` and hold int64 minor units of the row's
``currency`` (see :mod:`cashmatch.engine.money`). Dates are ``date32``.
Files use the same names without the ``_minor`` suffix, as decimal strings.
"""

from __future__ import annotations

import pyarrow as pa

OPEN_ITEMS = pa.schema(
    [
        pa.field("invoice_id", pa.string(), nullable=False),
        pa.field("invoice_number", pa.string(), nullable=False),
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("customer_name", pa.string()),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("amount_open_minor", pa.int64(), nullable=False),
        pa.field("issue_date", pa.date32(), nullable=False),
        pa.field("due_date", pa.date32(), nullable=False),
        pa.field("po_number", pa.string()),
        # The invoice's amount at issue; empty means amount_open (nothing paid yet).
        # Read by AR analytics (sales, collection effectiveness), not by matching.
        pa.field("amount_original_minor", pa.int64()),
    ]
)

# A history of paid invoices (PAID.csv): what AR analytics learn payment
# behaviour from. ``amount_minor`` is the invoice's amount; ``paid_date`` the
# day it was paid in full.
PAID_INVOICES = pa.schema(
    [
        pa.field("invoice_id", pa.string(), nullable=False),
        pa.field("invoice_number", pa.string()),
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("customer_name", pa.string()),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("amount_minor", pa.int64(), nullable=False),
        pa.field("issue_date", pa.date32(), nullable=False),
        pa.field("due_date", pa.date32(), nullable=False),
        pa.field("paid_date", pa.date32(), nullable=False),
    ]
)

CUSTOMERS = pa.schema(
    [
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("aliases", pa.list_(pa.string())),
        pa.field("bank_accounts", pa.list_(pa.string())),
        pa.field("parent_customer_id", pa.string()),
    ]
)

# One line of structured remittance: what the payer says a part of the payment
# is for. Loaders fill it from lockbox overflow records, camt Strd blocks, EDI
# 820 RMR loops and remittance CSVs; the engine trusts it above free text.
REMITTANCE_LINE = pa.struct(
    [
        pa.field("invoice_ref", pa.string()),
        pa.field("amount_paid_minor", pa.int64()),
        pa.field("invoice_amount_minor", pa.int64()),
        pa.field("discount_minor", pa.int64()),
        pa.field("adjustment_minor", pa.int64()),
        pa.field("adjustment_reason", pa.string()),
    ]
)

PAYMENTS = pa.schema(
    [
        pa.field("payment_id", pa.string(), nullable=False),
        pa.field("amount_minor", pa.int64(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("value_date", pa.date32(), nullable=False),
        pa.field("payer_name", pa.string()),
        pa.field("payer_account", pa.string()),
        pa.field("reference_text", pa.string()),
        pa.field("booking_date", pa.date32()),
        pa.field("source_format", pa.string()),
        pa.field("source_file", pa.string()),
        # Where in its file the payment was read, as a person looks it up:
        # "row 12" (CSV, Parquet), "line 40" (MT940, CFONB, lockbox),
        # "03 record 2 (account 123), 16 record 5" (BAI2),
        # "Stmt[1]/Ntry[3]/TxDtls[2]" (camt).
        pa.field("source_location", pa.string()),
        pa.field("check_number", pa.string()),
        pa.field("trace_id", pa.string()),
        pa.field("end_to_end_id", pa.string()),
        pa.field("statement_account", pa.string()),
        pa.field("bank_reference", pa.string()),
        pa.field("remittance", pa.list_(REMITTANCE_LINE)),
    ]
)

# A remittance advice sent apart from the money (EDI 820, remittance CSV,
# camt.054 detail). Linked to its payment, its lines become the payment's
# ``remittance``.
REMITTANCE_ADVICES = pa.schema(
    [
        pa.field("advice_id", pa.string(), nullable=False),
        pa.field("trace_id", pa.string()),
        pa.field("end_to_end_id", pa.string()),
        pa.field("payer_name", pa.string()),
        pa.field("amount_minor", pa.int64()),
        pa.field("currency", pa.string()),
        pa.field("payment_date", pa.date32()),
        pa.field("source_format", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("lines", pa.list_(REMITTANCE_LINE), nullable=False),
    ]
)

# Statuses of a match row.
AUTO, SUGGESTED, UNMATCHED = "auto", "suggested", "unmatched"
STATUSES = (AUTO, SUGGESTED, UNMATCHED)

# What happens to the difference between an invoice's open amount and what was
# applied to it.
RESIDUAL_NONE = "none"
RESIDUAL_LEAVE_OPEN = "leave_open"  # short / partial payment: the rest stays open
RESIDUAL_BANK_FEE = "write_off_bank_fee"
RESIDUAL_DISCOUNT = "write_off_discount"
RESIDUAL_ACTIONS = (RESIDUAL_NONE, RESIDUAL_LEAVE_OPEN, RESIDUAL_BANK_FEE, RESIDUAL_DISCOUNT)

MATCHES = pa.schema(
    [
        pa.field("payment_id", pa.string(), nullable=False),
        # Empty for an unmatched payment.
        pa.field("invoice_id", pa.string(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("amount_applied_minor", pa.int64(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("confidence", pa.float64(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        # Left on the invoice after this application, and what to do with it.
        pa.field("invoice_residual_minor", pa.int64(), nullable=False),
        pa.field("residual_action", pa.string(), nullable=False),
        # Cash of the payment applied to no invoice: kept on the customer's
        # account. The same on every row of one payment.
        pa.field("payment_unapplied_minor", pa.int64(), nullable=False),
        # The customer the engine identified, when it did.
        pa.field("customer_id", pa.string()),
    ]
)

# The matches as a person reviews them (engine/review.py): the MATCHES columns
# first, in their order, then what identifies the invoice, the payment and where
# it was read.
MATCHES_FOR_REVIEW = pa.schema(
    list(MATCHES)
    + [
        pa.field("invoice_number", pa.string(), nullable=False),
        pa.field("customer_name", pa.string()),
        pa.field("payment_amount_minor", pa.int64(), nullable=False),
        pa.field("value_date", pa.date32(), nullable=False),
        pa.field("payer_name", pa.string()),
        pa.field("payer_account", pa.string()),
        pa.field("reference_text", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("source_location", pa.string()),
        # The other payments that claimed this payment's invoice, "|"-joined.
        pa.field("contested_with", pa.string(), nullable=False),
        # How many candidates the alternatives table holds for this payment.
        pa.field("alternatives", pa.int32(), nullable=False),
    ]
)

# The next best candidates of a suggested or unmatched payment (see
# engine/alternatives.py): one row per (payment, candidate, invoice), ``rank``
# from 1, the amounts as the candidate would apply them.
ALTERNATIVES = pa.schema(
    [
        pa.field("payment_id", pa.string(), nullable=False),
        pa.field("rank", pa.int32(), nullable=False),
        # hypothesis, same_amount, other_combination or nearest_amount.
        pa.field("kind", pa.string(), nullable=False),
        pa.field("invoice_id", pa.string(), nullable=False),
        pa.field("invoice_number", pa.string(), nullable=False),
        pa.field("customer_id", pa.string()),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("invoice_open_minor", pa.int64(), nullable=False),
        pa.field("amount_applied_minor", pa.int64(), nullable=False),
        pa.field("invoice_residual_minor", pa.int64(), nullable=False),
        pa.field("residual_action", pa.string(), nullable=False),
        pa.field("payment_unapplied_minor", pa.int64(), nullable=False),
        # Null for a candidate no rule weighed (nearest_amount).
        pa.field("confidence", pa.float64()),
        pa.field("reason", pa.string(), nullable=False),
    ]
)

# The alternatives as a person reviews them: with the candidate customer's name.
ALTERNATIVES_FOR_REVIEW = pa.schema(list(ALTERNATIVES) + [pa.field("customer_name", pa.string())])

# Payments that claimed the same invoice beyond its open amount: one row per
# (payment, invoice, rival payment), ``kept`` when this payment kept its claim.
CONTESTS = pa.schema(
    [
        pa.field("payment_id", pa.string(), nullable=False),
        pa.field("invoice_id", pa.string(), nullable=False),
        pa.field("rival_payment_id", pa.string(), nullable=False),
        pa.field("kept", pa.bool_(), nullable=False),
    ]
)

# Money columns and the field names files use for them.
MONEY_COLUMNS = {
    "amount_open_minor": "amount_open",
    "amount_original_minor": "amount_original",
    "amount_minor": "amount",
    "amount_applied_minor": "amount_applied",
    "invoice_residual_minor": "invoice_residual",
    "payment_unapplied_minor": "payment_unapplied",
    "invoice_open_minor": "invoice_open",
    "payment_amount_minor": "payment_amount",
}


def empty(schema: pa.Schema) -> pa.Table:
    """An empty table of ``schema``."""
    return schema.empty_table()

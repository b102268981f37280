"""Reasons and notes of the matches, in words a reviewer reads.

A reason is ``+``-joined: the evidence first (``ref_exact+amount_exact``), then
any notes that lowered its confidence (``contested``, ``paid_before_issue``).
"""

from __future__ import annotations

# Whole reasons first, then single parts: the longest known prefix explains most.
EXPLAINED = {
    "ref_exact+amount_exact": "quotes the invoice number; the amount is the open amount",
    "refs_all+amount_exact": "quotes every invoice paid; the amounts add up exactly",
    "ref_fuzzy+amount_exact": "quotes a number one edit from the invoice's; the amount fits",
    "ref_fuzzy+amount_mismatch": "quotes a number one edit from the invoice's; the amount differs",
    "ref_exact+fee_shortpay": "quotes the invoice; paid short by a bank fee",
    "refs_all+fee_shortpay": "quotes every invoice; paid short by a bank fee",
    "ref_exact+discount": "quotes the invoice; paid short by an early-payment discount",
    "refs_all+discount": "quotes every invoice; paid short by an early-payment discount",
    "ref_exact+partial": "quotes the invoice; pays part of it",
    "ref_exact+overpay": "quotes the invoice; pays more than is open",
    "ref+subset_sum": "quotes some invoices; with others of the customer they add up",
    "ref+amount_mismatch": "quotes invoices whose amounts do not fit the payment",
    "remittance_advice": "the payer's remittance advice says which invoices",
    "customer+amount_unique": "no reference; the customer's one invoice of this amount",
    "customer+amount_ambiguous": "no reference; several of the customer's invoices fit the amount",
    "customer+subset_sum": "no reference; one combination of the customer's invoices adds up",
    "customer+subset_ambiguous": "no reference; several combinations of invoices add up",
    "customer+fee_shortpay": "no reference; an invoice of the customer less a bank fee",
    "customer+discount": "no reference; an invoice of the customer less a discount",
    "customer+nearest_amount": "an open invoice of the customer near the amount (not weighed)",
    "amount_only": "payer unknown; an invoice of exactly this amount",
    "no_candidate": "no open invoice fits: none quoted, none of the payer's of this amount",
    "no_candidate+payer_unknown": "the payer is not in the customer master and nothing quoted fits",
    "payer_ambiguous": "the payer's name fits several customers",
    "no_open_items_in_currency": "no open invoice in this currency",
    "not_a_credit": "not an incoming payment (zero or negative)",
    # Notes.
    "contested": "another payment claims the same invoice",
    "rival_hypothesis": "another explanation is almost as likely",
    "search_not_exhaustive": "the combination search did not see every invoice",
    "paid_before_issue": "paid before the invoice was issued",
    "payer_is_other_customer": "the payer is another customer than the invoice's",
    "payer_not_confirmed": "the payer is not known to be the invoice's customer",
    "payer_identified_by_fuzzy_name": "the payer was found by a similar name only",
}


def explain(reason: str) -> list[str]:
    """The phrases that explain a reason, evidence first.

    Example:
        >>> explain("ref_exact+fee_shortpay+contested")
        ['quotes the invoice; paid short by a bank fee', 'another payment claims the same invoice']
        >>> explain("something_new")
        ['something_new']
    """
    parts = [p for p in reason.split("+") if p]
    phrases = []
    while parts:
        for size in range(len(parts), 0, -1):
            key = "+".join(parts[:size])
            if key in EXPLAINED:
                phrases.append(EXPLAINED[key])
                parts = parts[size:]
                break
        else:
            phrases.append(parts.pop(0))
    return phrases


def evidence(reason: str) -> str:
    """The evidence part of a reason, without its notes: what a chart groups by.

    Example:
        >>> evidence("customer+subset_sum+search_not_exhaustive")
        'customer+subset_sum'
        >>> evidence("ref_exact+amount_exact+contested+paid_before_issue")
        'ref_exact+amount_exact'
    """
    parts = reason.split("+")
    for size in range(len(parts), 0, -1):
        key = "+".join(parts[:size])
        if key in EXPLAINED and key not in NOTES:
            return key
    return parts[0]


NOTES = frozenset(
    {
        "contested",
        "rival_hypothesis",
        "search_not_exhaustive",
        "paid_before_issue",
        "payer_is_other_customer",
        "payer_not_confirmed",
        "payer_identified_by_fuzzy_name",
    }
)

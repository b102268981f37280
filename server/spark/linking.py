"""Which families each payment must be matched with, and which invoices it only reads.

A payment's decision *reads* every invoice it or its remittance lines quote
(their amounts, currencies, families: which quote fits, which rivals it) and
the few invoices of the ledger open for its amount. It may *apply cash* only
to invoices of:

* the family of its payer, when known;
* the families of the invoices it quotes strongly, in its currency and open
  for a credit, when none of the quotes the engine weighs is of the payer's
  family (the engine then weighs the others, noting
  ``payer_is_other_customer``); a payment with more quotes than
  ``max_refs_weighed`` is taken to be such a one, as the engine weighs only
  its best-scored few;
* the families of the invoices its remittance lines quote strongly;
* with ``amount_only`` among the automatic reasons, the families of the
  invoices open for its amount.

Those families are **owned** with the payment: linked into one component,
matched in one bucket, so that every payment that may apply cash to an
invoice is decided beside it (the engine's global assignment then never
over-applies it). The invoices it only reads go into its bucket as
**guests**: read-only copies, with their customer's master rows, which no
payment of that bucket may apply cash to; the bucket checks that none did
(:mod:`.matching`), and a payment that did is linked to the guest's family
and its component matched again (:func:`cashmatch.server.spark.pipeline.match_on_spark`).
A number one edit away is never posted for a payer who is not the invoice's
customer, and the amount-only fallback only suggests: so a payment of one
customer that also quotes another's numbers links nothing, and components
stay about one family large.
"""

from __future__ import annotations

from cashmatch.engine.config import MatchConfig


def owned_links(hits, items, payers, pays, config: MatchConfig, rare_rows):
    """(payment_id, family) rows: the families each payment may apply cash to.

    Args:
        hits: routed hits (routing.HITS).
        items: the open items with ``_row``, ``family``, ``currency``.
        payers: routing.PAYERS.
        pays: the payments with ``currency``.
        rare_rows: (payment_id, row) of the invoices open for the payment's
            amount where at most ``amount_only_max_invoices`` of the ledger are.
    """
    from pyspark.sql import functions as F

    item = items.select(
        F.col("_row").alias("row"),
        F.col("family").alias("item_family"),
        F.col("currency").alias("item_currency"),
    )
    payer = payers.select("payment_id", F.col("family").alias("payer_family"))
    currency = pays.select("payment_id", "currency")
    quotes = hits.join(item, "row").join(payer, "payment_id").join(currency, "payment_id")
    own_text = F.col("line") == -1
    usable = (F.col("item_currency") == F.col("currency")) & (F.col("amount") > 0)
    strong = F.col("quality") >= config.strong_reference_quality
    # Per payment: does a quote the engine weighs name an invoice of the payer's family?
    weighs = (
        quotes.filter(own_text)
        .groupBy("payment_id")
        .agg(
            F.count("*").alias("quotes"),
            F.max((usable & (F.col("item_family") == F.col("payer_family"))).cast("int")).alias(
                "own"
            ),
        )
    )
    elsewhere = weighs.filter(
        (F.col("own") == 0) | (F.col("quotes") > config.max_refs_weighed)
    ).select("payment_id")
    quoted = (
        quotes.filter(own_text & usable & strong)
        .join(elsewhere, "payment_id")
        .select("payment_id", F.col("item_family").alias("family"))
    )
    on_lines = quotes.filter(~own_text & strong).select(
        "payment_id", F.col("item_family").alias("family")
    )
    links = (
        payer.filter(F.col("payer_family") >= 0)
        .select("payment_id", F.col("payer_family").alias("family"))
        .unionByName(quoted)
        .unionByName(on_lines)
    )
    if "amount_only" in config.auto_reasons:
        links = links.unionByName(
            rare_rows.join(item, "row").select("payment_id", F.col("item_family").alias("family"))
        )
    return links.distinct()


def read_rows(hits, rare_rows):
    """(payment_id, row) of every invoice a payment's decision reads (quotes, amount rows)."""
    return hits.select("payment_id", "row").unionByName(rare_rows).distinct()

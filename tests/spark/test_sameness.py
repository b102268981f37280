"""Spark gives the matches one process gives, row for row, on a ledger of many buckets.

The guard against drift between the engine and its Spark runner: any change
of a rule that reads the ledger beyond a family (identification, key
limits, remittance uniqueness, amount counts, currencies) without going
through engine/global_facts.py shows here as a difference.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from bench.generator import generate
from cashmatch.engine import InputError, build_index, match_payments
from cashmatch.engine.review import review_alternatives, review_matches
from cashmatch.server.spark import SparkPlan, match_on_spark
from cashmatch.server.spark.pipeline import _dataframe

pytestmark = pytest.mark.slow


def _differences(want: pa.Table, got: pa.Table, limit: int = 5) -> list[str]:
    a, b = want.to_pylist(), got.cast(want.schema).to_pylist()
    out = [f"rows: {len(a)} in process, {len(b)} on Spark"] if len(a) != len(b) else []
    for k, (x, y) in enumerate(zip(a, b)):
        if x != y and len(out) < limit:
            changed = {key: (x[key], y[key]) for key in x if x[key] != y[key]}
            out.append(f"row {k} ({x['payment_id']}): {changed}")
    return out


# Two seeds, one of each profile: the realistic one has third-party payers,
# parents paying for subsidiaries, typos that spell other customers' numbers
# and remittance lines.
CASES = [
    pytest.param(5, "classic", 20_000, 2_000, id="classic-seed5"),
    pytest.param(6, "realistic", 20_000, 2_000, id="realistic-seed6"),
]


@pytest.mark.parametrize(("seed", "profile", "invoices", "payments"), CASES)
def test_spark_matches_equal_one_process(spark, seed, profile, invoices, payments):
    data = generate(seed, invoices, payments, profile=profile)
    index = build_index(data.open_items, data.customers)
    result = match_payments(index, data.payments, alternatives=True)
    want = review_matches(index, data.payments, result)
    want_alternatives = review_alternatives(index, result)

    run = match_on_spark(
        spark,
        _dataframe(spark, data.open_items),
        _dataframe(spark, data.payments),
        _dataframe(spark, data.customers),
        plan=SparkPlan(bucket_weight=3_000),
    )
    got = run.matches.toArrow()
    got_alternatives = run.alternatives.toArrow()
    assert run.grouping["buckets"] >= 6, run.grouping
    assert run.grouping["rounds"] == 1, run.grouping
    assert not _differences(want, got), "\n".join(_differences(want, got))
    assert not _differences(want_alternatives, got_alternatives)
    assert want.num_rows > payments and want_alternatives.num_rows
    figures = run.buckets.toArrow()
    assert figures.num_rows == run.grouping["buckets"]


def test_bad_input_is_refused_with_its_column(spark):
    data = generate(7, 300, 30)
    items = _dataframe(spark, data.open_items)
    pays = _dataframe(spark, data.payments)
    with pytest.raises(InputError, match="amount_minor"):
        match_on_spark(spark, items, pays.withColumn("amount_minor", pays["amount_minor"] * 1.0))
    with pytest.raises(InputError, match=r"invoice_number.*missing required"):
        match_on_spark(spark, items.drop("invoice_number"), pays)
    twice = items.unionByName(items.limit(1))
    with pytest.raises(InputError, match="duplicate value"):
        match_on_spark(spark, twice, pays)
    euro = spark.createDataFrame(
        [("P1", 100, "EURO", dt.date(2024, 1, 1))],
        "payment_id string, amount_minor long, currency string, value_date date",
    )
    with pytest.raises(InputError, match="unknown currency 'EURO'"):
        match_on_spark(spark, items, euro)

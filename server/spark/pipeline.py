"""The whole run on Spark: validate, route, group, match; Spark DataFrames in and out.

See :mod:`cashmatch.server.spark` for the design; this module strings the
stages together as Spark operations. The driver holds only what is small:
the customer master and the names on the open items (broadcast), the links
between families (one row per payment that owns two families or more), the
families' sizes, and the family -> bucket map (broadcast back).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from cashmatch.engine.config import MatchConfig
from cashmatch.engine.customers import CustomerIndex
from cashmatch.engine.errors import InputError
from cashmatch.engine.index import check_currencies, check_unique, conform
from cashmatch.engine.schemas import (
    ALTERNATIVES_FOR_REVIEW,
    CUSTOMERS,
    MATCHES_FOR_REVIEW,
    OPEN_ITEMS,
    PAYMENTS,
)
from cashmatch.server.spark import routing
from cashmatch.server.spark.grouping import components, pack
from cashmatch.server.spark.linking import owned_links, read_rows
from cashmatch.server.spark.matching import (
    ALTERNATIVE,
    BUCKET,
    MATCH,
    OUTPUT,
    VIOLATION,
    match_bucket,
)

# Rounds of matching when a bucket applied cash to a read-only guest (see
# linking.py): its payment is then linked to the guest's family.
MAX_ROUNDS = 3


@dataclass(frozen=True)
class SparkPlan:
    """How the work is split on Spark: never what is found.

    Attributes:
        bucket_weight: about how many open items plus payments a bucket holds
            (a component of families heavier than that is a bucket alone). A
            bucket is one Python task's index and batch: at the engine's
            1.4 GB per million open items, 200k keeps one well under 1 GB.
        key_partitions: how many partitions the reference-key join is split
            into by hash; None: one per 100k open items (about 1.5M index
            entries each), at least 8.
    """

    bucket_weight: int = 200_000
    key_partitions: int | None = None


@dataclass
class SparkMatchResult:
    """What a Spark run produced (lazy DataFrames over one persisted result).

    Attributes:
        matches: MATCHES_FOR_REVIEW rows, in payment order (as in process).
        alternatives: ALTERNATIVES_FOR_REVIEW rows, in payment order.
        buckets: per bucket (``_bucket``) its figures as JSON (``_figures``):
            open items, guests, payments, seconds to index and to match,
            memory, the engine's stats.
        grouping: what grouping found: families, components, buckets, key
            partitions, the heaviest component's weight, links, rounds; the
            rows routing found, and the seconds of each stage (prepare,
            route, group, match: each materialised before the next).
    """

    matches: object
    alternatives: object
    buckets: object
    grouping: dict = field(default_factory=dict)


def _spark_schema(schema: pa.Schema):
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def _dataframe(spark, table: pa.Table):
    return spark.createDataFrame(table, schema=_spark_schema(table.schema))


def _conformed(df, schema: pa.Schema, name: str):
    """``df`` with exactly ``schema``'s columns and types; missing nullable ones as nulls.

    A column of another type is refused (a float amount is not reinterpreted),
    except integers that widen to the expected ones.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    present = {f.name: f.dataType for f in df.schema.fields}
    widen = (T.ByteType(), T.ShortType(), T.IntegerType())
    columns = []
    for spec in _spark_schema(schema).fields:
        if spec.name not in present:
            if not schema.field(spec.name).nullable:
                raise InputError(name, None, spec.name, "missing required column")
            columns.append(F.lit(None).cast(spec.dataType).alias(spec.name))
            continue
        kind = present[spec.name]
        if kind != spec.dataType and not (isinstance(spec.dataType, T.LongType) and kind in widen):
            raise InputError(
                name, None, spec.name, f"cannot be read as {spec.dataType.simpleString()}: {kind}"
            )
        columns.append(F.col(spec.name).cast(spec.dataType).alias(spec.name))
    return df.select(*columns)


def _checked(df, schema: pa.Schema, name: str, id_column: str) -> tuple[int, tuple[str, ...]]:
    """Required values present, ids unique, currencies known, else InputError.

    Returns:
        (rows, currencies) of ``df``.
    """
    from pyspark.sql import functions as F

    required = [f.name for f in schema if not f.nullable]
    figures = df.agg(
        F.count("*").alias("_rows"),
        F.collect_set("currency").alias("_currencies"),
        *[F.count_if(F.col(c).isNull()).alias(c) for c in required],
    ).first()
    for column in required:
        if figures[column]:
            raise InputError(name, None, column, f"a value is required ({figures[column]} missing)")
    currencies = tuple(sorted(figures["_currencies"]))
    check_currencies(pa.array(currencies, pa.string()), name)
    twice = df.groupBy(id_column).count().filter("count > 1").limit(1).collect()
    if twice:
        raise InputError(name, None, id_column, f"duplicate value {twice[0][id_column]!r}")
    return figures["_rows"], currencies


@dataclass
class _Ledger:
    """The prepared inputs: DataFrames in ledger order and the driver's small tables."""

    items: object  # OPEN_ITEMS + _row, family; closed items dropped
    pays: object  # PAYMENTS + _pos
    master_rows: object  # CUSTOMERS + _crow, family (None without a master)
    master: pa.Table | None
    names: pa.Table
    masters: CustomerIndex
    currencies: tuple[str, ...]
    n_items: int


def _ledger(spark, open_items, payments, customers, config: MatchConfig) -> _Ledger:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    keep = StorageLevel.MEMORY_AND_DISK
    items = _conformed(open_items, OPEN_ITEMS, "open_items")
    pays = _conformed(payments, PAYMENTS, "payments")
    _checked(pays, PAYMENTS, "payments", "payment_id")
    _checked(items, OPEN_ITEMS, "open_items", "invoice_id")
    # The ledger's and the batch's order, fixed once; closed items take no cash.
    items = items.withColumn("_row", F.monotonically_increasing_id())
    items = items.filter(F.col("amount_open_minor") != 0).persist(keep)
    pays = pays.withColumn("_pos", F.monotonically_increasing_id()).persist(keep)
    master = master_rows = None
    if customers is not None:
        master_rows = _conformed(customers, CUSTOMERS, "customers").withColumn(
            "_crow", F.monotonically_increasing_id()
        )
        master_rows = master_rows.persist(keep)
        master = conform(master_rows.orderBy("_crow").toArrow(), CUSTOMERS, "customers")
        check_unique(master["customer_id"], "customers", "customer_id")
    # What CustomerIndex reads of the open items: each (customer, name) once,
    # in the order of its first open item.
    names = (
        items.groupBy("customer_id", "customer_name")
        .agg(F.min("_row").alias("_first"))
        .orderBy("_first")
        .select("customer_id", "customer_name")
        .toArrow()
    )
    masters = CustomerIndex(master, names, config)
    family_of = F.broadcast(
        _dataframe(
            spark,
            pa.table(
                {"customer_id": masters.id_array, "family": pa.array(masters.family, pa.int64())}
            ),
        )
    )
    items = items.join(family_of, "customer_id").persist(keep)
    if master_rows is not None:
        master_rows = master_rows.join(family_of, "customer_id")
    n_items = items.count()
    currencies = tuple(sorted(r[0] for r in items.select("currency").distinct().collect()))
    return _Ledger(items, pays, master_rows, master, names, masters, currencies, n_items)


def _group(spark, ledger: _Ledger, owned, plan: SparkPlan) -> tuple[object, object, dict]:
    """Components of families linked by the payments that own them, packed into buckets.

    Returns:
        (family -> _bucket DataFrame, payment -> _bucket DataFrame, figures).
    """
    from pyspark.sql import functions as F

    anchored = owned.groupBy("payment_id").agg(
        F.min("family").alias("anchor"), F.collect_set("family").alias("families")
    )
    edges = (
        anchored.select("anchor", F.explode("families").alias("other"))
        .filter(F.col("other") != F.col("anchor"))
        .distinct()
        .toArrow()
    )
    masters, master = ledger.masters, ledger.master
    left, right = [edges["anchor"].to_numpy()], [edges["other"].to_numpy()]
    if master is not None:
        # A customer's family with its parent's: a bucket rebuilds families from its rows.
        child = master.filter(master["parent_customer_id"].is_valid())
        if child.num_rows:
            left.append(masters.family[masters.codes(child["customer_id"])])
            right.append(masters.family[masters.codes(child["parent_customer_id"])])
    n_families = len(masters)
    label = components(n_families, np.concatenate(left), np.concatenate(right))
    sizes = (
        ledger.items.groupBy("family")
        .count()
        .unionByName(anchored.groupBy(F.col("anchor").alias("family")).count())
        .toArrow()
    )
    weight = np.zeros(n_families, np.int64)
    np.add.at(weight, sizes["family"].to_numpy(), sizes["count"].to_numpy())
    _, component = np.unique(label, return_inverse=True)
    component_weight = np.bincount(component, weights=weight).astype(np.int64)
    component_bucket, n_buckets = pack(component_weight, plan.bucket_weight)
    n_buckets = max(n_buckets, 1)
    family_bucket = F.broadcast(
        _dataframe(
            spark,
            pa.table(
                {
                    "family": pa.array(np.arange(n_families), pa.int64()),
                    "_bucket": pa.array(component_bucket[component], pa.int32()),
                }
            ),
        )
    )
    payment_bucket = (
        ledger.pays.select("payment_id", "_pos")
        .join(anchored.select("payment_id", F.col("anchor").alias("family")), "payment_id", "left")
        .join(family_bucket, "family", "left")
        .select(
            "payment_id",
            # A payment that owns no family (an unknown payer quoting nothing
            # usable) reads only guests: any bucket decides it alike.
            F.coalesce(F.col("_bucket"), F.pmod(F.col("_pos"), F.lit(n_buckets)).cast("int")).alias(
                "_bucket"
            ),
        )
    )
    figures = {
        "families": n_families,
        "components": int((component_weight > 0).sum()),
        "buckets": n_buckets,
        "heaviest_component": int(component_weight.max()) if n_families else 0,
        "links": len(edges),
    }
    return family_bucket, payment_bucket, figures


def _bucket_sides(ledger: _Ledger, routed: routing.Routed, reads, family_bucket, payment_bucket):
    """The cogroup's two sides: each bucket's open items, guests and master rows; its payments."""
    from pyspark.sql import functions as F

    items = ledger.items
    owned_items = items.join(family_bucket, "family").withColumn("_guest", F.lit(False))
    item_home = items.select(F.col("_row").alias("row"), "family").join(family_bucket, "family")
    guests = (
        reads.join(payment_bucket, "payment_id")
        .join(item_home.withColumnRenamed("_bucket", "_home"), "row")
        .filter(F.col("_bucket") != F.col("_home"))
        .select("_bucket", F.col("row").alias("_row"), "family")
        .distinct()
    )
    guest_items = items.join(guests.drop("family"), "_row").withColumn("_guest", F.lit(True))
    left = owned_items.unionByName(guest_items).withColumn("_kind", F.lit("item"))
    if ledger.master_rows is not None:
        master = ledger.master_rows
        homes = master.join(family_bucket, "family")
        visits = master.join(guests.select("_bucket", "family").distinct(), "family")
        left = left.unionByName(
            homes.unionByName(visits).distinct().withColumn("_kind", F.lit("customer")),
            allowMissingColumns=True,
        )
    nested = routed.hits.groupBy("payment_id").agg(
        F.collect_list(
            F.struct("line", "row", "quality", "structured", "lookup", "candidate")
        ).alias("_hits")
    )
    payer = routed.payers.select(
        "payment_id", F.col("customer_id").alias("_payer_id"), F.col("method").alias("_method")
    )
    right = (
        ledger.pays.join(payer, "payment_id")
        .join(routed.amount_count, "payment_id")
        .join(payment_bucket, "payment_id")
        .join(nested, "payment_id", "left")
    )
    return left, right


def match_on_spark(
    spark,
    open_items,
    payments,
    customers=None,
    config: MatchConfig | None = None,
    plan: SparkPlan | None = None,
) -> SparkMatchResult:
    """Match ``payments`` against ``open_items`` on Spark, as one process would.

    Args:
        spark: the SparkSession (:func:`cashmatch.server.spark.session`).
        open_items: a DataFrame of the OPEN_ITEMS columns (minor units).
        payments: a DataFrame of the PAYMENTS columns.
        customers: a DataFrame of the CUSTOMERS columns, or None.
        config: the engine's tunables.
        plan: how the work is split.

    The DataFrames' order is the ledger's and the batch's order (ties between
    equal invoices, the earlier payment's priority in a contest), as a file
    reads.

    Raises:
        InputError: a missing column or value, a duplicate id, an unknown currency.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    config = config or MatchConfig()
    plan = plan or SparkPlan()
    keep = StorageLevel.MEMORY_AND_DISK
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = round(seconds.get(stage, 0.0) + now - clock, 3)
        clock = now

    ledger = _ledger(spark, open_items, payments, customers, config)
    lap("prepare")
    parts = plan.key_partitions or max(8, -(-ledger.n_items // 100_000))
    routed = routing.route(
        spark, ledger.items, ledger.pays, ledger.master, ledger.names, config, parts
    )
    owned = owned_links(
        routed.hits, ledger.items, routed.payers, ledger.pays, config, routed.rare_rows
    ).persist(keep)
    reads = read_rows(routed.hits, routed.rare_rows).persist(keep)
    # Materialised here (each is persisted) so that a stage's time is its own.
    rows = {"hits": routed.hits.count(), "owned_links": owned.count(), "reads": reads.count()}
    lap("route")
    schema = _spark_schema(OUTPUT)
    bucket_fn = functools.partial(match_bucket, config=config, ledger_currencies=ledger.currencies)
    for round_ in range(1, MAX_ROUNDS + 1):
        family_bucket, payment_bucket, grouping = _group(spark, ledger, owned, plan)
        payment_bucket = payment_bucket.persist(keep)
        lap("group")
        left, right = _bucket_sides(ledger, routed, reads, family_bucket, payment_bucket)
        out = (
            left.groupBy("_bucket")
            .cogroup(right.groupBy("_bucket"))
            .applyInArrow(bucket_fn, schema)
            .persist(keep)
        )
        violations = out.filter(F.col("_kind") == VIOLATION).select(
            "payment_id", F.col("_family").alias("family")
        )
        if not violations.limit(1).count():
            lap("match")
            break
        lap("match")
        if round_ == MAX_ROUNDS:
            raise RuntimeError(
                f"after {MAX_ROUNDS} rounds a bucket still applies cash to an invoice of "
                "another bucket: routing and the engine disagree on who may be paid"
            )
        owned = owned.unionByName(violations).distinct().persist(keep)
    grouping.update(key_partitions=parts, rounds=round_, rows=rows, seconds=seconds)
    ordered = ["_pos", "_seq"]
    matches = (
        out.filter(F.col("_kind") == MATCH).orderBy(*ordered).select(*MATCHES_FOR_REVIEW.names)
    )
    alternatives = (
        out.filter(F.col("_kind") == ALTERNATIVE)
        .orderBy(*ordered)
        .select(*ALTERNATIVES_FOR_REVIEW.names)
    )
    buckets = out.filter(F.col("_kind") == BUCKET).select("_bucket", "_figures")
    return SparkMatchResult(matches, alternatives, buckets, grouping)

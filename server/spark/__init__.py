"""The same engine on Apache Spark, partitioned by customer family, with identical results.

``pip install 'cashmatch[spark]'`` (PySpark 4, Java 17). Shared service
centres hold tens of millions of open invoices; one process holds about 1.4 GB
per million. Matching splits by customer family, except for the facts that
are the whole ledger's (:mod:`cashmatch.engine.global_facts`), so a run is:

1. **Routing** (:mod:`.routing`): for every payment, over the whole ledger
   and with the engine's own functions, who paid, what its text and
   remittance lines quote (a join of the payments' reference keys with the
   open items' index entries, partitioned by key hash), and how many open
   items of the ledger are open for its amount.
2. **Grouping** (:mod:`.grouping`): each payment is linked to every family it
   points at; linked families form a component, and components are packed
   into buckets, so every invoice sits in exactly one bucket with every
   payment that may apply cash to it.
3. **Matching** (:mod:`.matching`): ``cogroup(open items, payments)
   .applyInArrow(...)`` runs today's engine on each bucket, given the routed
   facts: a bucket decides as one process on the whole ledger would.

Why here, under ``server/``: the engine stays pure computation over Arrow
(it only declares the facts it can be given); Spark sessions, jobs and
files are a way of running it, like the command line and the gRPC service,
so the Spark driver lives beside them. Nothing here imports PySpark at import
time of the engine or the CLI: the extra is optional.

Example (a Python API over Spark DataFrames in the engine's schemas)::

    from cashmatch.server.spark import match_on_spark, session

    spark = session("local[2]")
    result = match_on_spark(spark, open_items_df, payments_df, customers_df)
    result.matches.write.parquet("s3a://bucket/matches/")
"""

from __future__ import annotations

import os
import sys
import warnings

from cashmatch.server.spark.pipeline import SparkMatchResult, SparkPlan, match_on_spark

# PySpark 4 warns that it "does not yet fully support pandas >= 3": cashmatch
# hands it Arrow only, never pandas.
_PANDAS_WARNING = "PySpark does not yet fully support pandas"


def session(master: str, conf: dict[str, str] | None = None, app_name: str = "cashmatch"):
    """A SparkSession for cashmatch: the Spark UI off, the workers on this Python.

    Args:
        master: ``local[2]``, ``spark://host:7077``, ``yarn``, ``k8s://...``.
        conf: ``spark.*`` settings passed through as given; they win over the
            defaults here (``spark.ui.enabled=false``; executors' Python is
            this interpreter unless ``spark.pyspark.python`` says otherwise;
            one numba thread per task, as Spark runs a task per core).
    """
    warnings.filterwarnings("ignore", message=_PANDAS_WARNING, category=FutureWarning)
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.pyspark.python": os.environ["PYSPARK_PYTHON"],
        "spark.executorEnv.NUMBA_NUM_THREADS": "1",
        "spark.sql.shuffle.partitions": "16",
    }
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


__all__ = ["SparkMatchResult", "SparkPlan", "match_on_spark", "session"]

"""One Spark session per test module: local[2], the workers on this interpreter."""

from __future__ import annotations

import os
import shutil
import sys

import pytest


def spark_or_skip():
    """PySpark and Java, or a skip saying what is missing (CI installs both; it must not skip)."""
    missing = None
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing = "PySpark is not installed (pip install -e '.[spark]')"
    if missing is None and not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        missing = "no Java (apt-get install -y openjdk-17-jre-headless)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)


@pytest.fixture(scope="module")
def spark():
    spark_or_skip()
    from cashmatch.server.spark import session

    # The executors' Python must be this one: it has cashmatch and its numba cache.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = session(
        "local[2]",
        {
            "spark.sql.shuffle.partitions": "4",
            "spark.default.parallelism": "2",
            "spark.driver.memory": "2g",
        },
    )
    yield spark
    spark.stop()

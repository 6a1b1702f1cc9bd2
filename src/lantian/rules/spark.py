"""PySpark engine: the same Ibis rule expressions, executed by Spark.

The bundle is parsed exactly once, by the DuckDB reader of :mod:`lantian.rules.inputs`
(so both engines see identical typed inputs and report bad input identically), staged as
Parquet files and read by Spark into DataFrames that are exposed as Ibis tables of the
``pyspark`` backend. Rules never know which engine runs them.

Master: ``local[N]`` by default; a cluster via ``LANTIAN_SPARK_MASTER`` or the
``--spark-master`` option of ``lantian detect``. On a cluster the staging directory must be
visible to every executor (``LANTIAN_SPARK_STAGING`` or ``staging_dir=``, e.g. a shared
mount).

References
----------
.. [1] Apache Spark 4.0 SQL guide (``spark.sql.shuffle.partitions``, ``spark.sql.session
   .timeZone``); Ibis 12 ``pyspark`` backend.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from lantian.rules.inputs import TABLE_COLUMNS, Inputs, load_bundle

if TYPE_CHECKING:
    from lantian.rules.engine import LeadRecord

DEFAULT_MASTER = "local[2]"
MASTER_ENV = "LANTIAN_SPARK_MASTER"
STAGING_ENV = "LANTIAN_SPARK_STAGING"

_lock = threading.Lock()
_staging_dirs: list[Path] = []


def _cleanup() -> None:
    for path in _staging_dirs:
        shutil.rmtree(path, ignore_errors=True)


atexit.register(_cleanup)


def spark_master(master: str | None = None) -> str:
    """The Spark master URL: ``master``, else ``$LANTIAN_SPARK_MASTER``, else ``local[2]``."""
    return master or os.environ.get(MASTER_ENV) or DEFAULT_MASTER


def spark_session(
    master: str | None = None,
    *,
    app_name: str = "lantian-detect",
    shuffle_partitions: int | None = None,
    driver_memory: str = "2g",
) -> Any:
    """Get or create a Spark session configured for lead detection.

    Parameters
    ----------
    master
        Master URL (see :func:`spark_master`).
    app_name
        Application name shown in the Spark UI.
    shuffle_partitions
        ``spark.sql.shuffle.partitions``; default 4 in local mode (the inputs of a city
        fit in a few partitions, and Spark's default of 200 costs seconds per shuffle).
        On a cluster the cluster's own setting applies (``spark-defaults.conf`` or
        ``--conf`` in ``PYSPARK_SUBMIT_ARGS``; Spark's default is 200) unless given here.
    driver_memory
        ``spark.driver.memory`` (local mode runs everything in the driver).

    Returns
    -------
    pyspark.sql.SparkSession
        Session time zone UTC: rules work on integer CST wall-clock seconds, never on
        Spark timestamps, so the zone only matters for display.
    """
    from pyspark.sql import SparkSession

    url = spark_master(master)
    local = url.startswith("local")
    parts = shuffle_partitions if shuffle_partitions is not None else (4 if local else None)
    builder = SparkSession.builder.master(url).appName(app_name)
    if parts is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(parts)).config(
            "spark.default.parallelism", str(parts)
        )
    builder = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.ansi.enabled", "false")
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def ibis_spark(session: Any) -> Any:
    """An Ibis ``pyspark`` backend on ``session``.

    Works around an Ibis 12 gap: ``Table.cache()`` on the pyspark backend compiles and runs
    the expression without registering the in-memory tables (``ibis.memtable``) it uses,
    so a cached intermediate that joins a memtable failed with TABLE_OR_VIEW_NOT_FOUND.
    The backend's cache hook now registers them first, as ``execute`` does.
    """
    import ibis

    con = ibis.pyspark.connect(session)
    create_cached = con._create_cached_table

    def _create_cached_table(name: str, expr: Any) -> Any:
        con._run_pre_execute_hooks(expr)
        return create_cached(name, expr)

    con._create_cached_table = _create_cached_table
    return con


def _staging(staging_dir: str | Path | None) -> Path:
    base = staging_dir or os.environ.get(STAGING_ENV)
    if base:
        Path(base).mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="lantian-spark-", dir=str(base) if base else None))
    with _lock:
        _staging_dirs.append(path)
    return path


def _spark_type(ibis_type: str) -> str:
    return {"string": "string", "float64": "double", "int64": "bigint"}[ibis_type]


def inputs_to_spark(
    inputs: Inputs, session: Any, *, staging_dir: str | Path | None = None
) -> Inputs:
    """Copy :class:`~lantian.rules.inputs.Inputs` of any Ibis backend into Spark.

    Each table is executed once on its backend, written as Parquet to the staging
    directory and read back by Spark with the canonical schema.

    Parameters
    ----------
    inputs
        Tables on a (DuckDB) backend with the canonical columns.
    session
        A ``pyspark.sql.SparkSession``.
    staging_dir
        Parent of the staging directory (see :func:`load_bundle_spark`).

    Returns
    -------
    Inputs
        Tables of the Ibis ``pyspark`` backend (temporary views ``lantian_<name>_<id>``).
    """
    stage = _staging(staging_dir)
    con = ibis_spark(session)
    tables: dict[str, Any] = {}
    suffix = stage.name.rsplit("-", 1)[-1]
    for name in inputs.names():
        columns = TABLE_COLUMNS[name]
        expr = getattr(inputs, name).select(*columns)
        file = stage / f"{name}.parquet"
        pq.write_table(expr.to_pyarrow(), file)
        ddl = ", ".join(f"`{c}` {_spark_type(t)}" for c, t in columns.items())
        frame = session.read.schema(ddl).parquet(str(file))
        view = f"lantian_{name}_{suffix}"
        frame.createOrReplaceTempView(view)
        tables[name] = con.table(view)
    return Inputs(**tables)


def load_bundle_spark(
    path: str | Path, session: Any, *, staging_dir: str | Path | None = None
) -> Inputs:
    """Read a bundle into :class:`~lantian.rules.inputs.Inputs` backed by Spark DataFrames.

    Parameters
    ----------
    path
        Bundle directory (exchange formats v1).
    session
        A ``pyspark.sql.SparkSession`` (see :func:`spark_session`).
    staging_dir
        Where the normalised Parquet files are written (default: a temporary directory,
        removed at exit). Must be shared with the executors on a cluster.

    Returns
    -------
    Inputs
        Every table with the canonical schema of :data:`~lantian.rules.inputs.TABLE_COLUMNS`,
        registered as Spark temporary views ``lantian_<name>_<n>``.

    Raises
    ------
    lantian.rules.inputs.BundleError
        As :func:`~lantian.rules.inputs.load_bundle` (the same reader parses the files).
    """
    import ibis

    duck = ibis.duckdb.connect()
    try:
        return inputs_to_spark(load_bundle(path, duck), session, staging_dir=staging_dir)
    finally:
        duck.disconnect()


def detect_spark(
    bundle: str | Path,
    *,
    master: str | None = None,
    rules: Sequence[str] | None = None,
    params: Any | None = None,
    window: tuple[datetime, datetime] | None = None,
    progress: Any | None = None,
    session: Any | None = None,
) -> list[LeadRecord]:
    """``lantian detect --engine spark``: load ``bundle`` into Spark and run the rules.

    Parameters
    ----------
    bundle
        Bundle directory.
    master
        Spark master URL (see :func:`spark_master`); ignored when ``session`` is given.
    rules, params, window, progress
        As :func:`lantian.rules.engine.run_rules`.
    session
        An existing Spark session (tests share one).

    Returns
    -------
    list[LeadRecord]
        The same leads as the DuckDB engine on the same input.
    """
    from lantian.rules.engine import run_rules

    spark = session if session is not None else spark_session(master)
    inputs = load_bundle_spark(bundle, spark)
    return run_rules(inputs, rules=rules, params=params, window=window, progress=progress)

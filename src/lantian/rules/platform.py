"""Platform mode: incremental lead detection over the measurement lake, stored in the DB.

One run (:func:`detect_lake_once`):

1. finds the *data horizon* (end of the newest hour in the lake) and the *watermark* (the
   horizon of the last successful run, table ``detection_runs``); without new data the
   run is skipped;
2. builds :class:`~lantian.rules.inputs.Inputs` from the lake's deduplicated Parquet data
   for ``[watermark − lookback, horizon)`` (first run: the last ``initial_days``) and the
   registry in the operational database;
3. runs the rule catalog (DuckDB, or Spark);
4. merges the episodes into table ``leads`` (:func:`merge_leads`): an episode that
   continues a stored lead of the same rule, subject and pollutant (overlapping it, or
   starting within the merge gap after its end) *extends* that lead and keeps its
   ``lead_id``; other episodes are new leads. A lead stays ``open`` while its end is within
   the merge gap of the horizon, and is closed otherwise. Re-running on the same data
   changes nothing (idempotent).

:func:`run_schedule` repeats runs every N seconds (``lantian detect-lake --schedule 300``);
:func:`start_background_detection` does it in a daemon thread for the web/demo process.
A file lock in ``LANTIAN_HOME`` keeps two processes from detecting at the same time.

References
----------
.. [1] Exchange formats v1, "Leads": one lead per episode (an incident of 24 bad hours is
   one lead, not 24).
.. [2] HJ 212-2017 §6.3 (``DataTime`` = start of the interval, local time).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lantian.leads.models import Lead
from lantian.registry.models import Alert, Enterprise, Measure, Meter, Outlet, Station
from lantian.rules.inputs import CST_OFFSET_S, TABLE_COLUMNS, Inputs
from lantian.rules.platform_models import DetectionRun
from lantian.settings import Settings, get_settings
from lantian.timeutil import CST, now_cst, to_cst

log = logging.getLogger(__name__)

DATA_SOURCES: dict[str, str] = {
    "cems": "cems_hourly",
    "power": "power",
    "ambient": "ambient_hourly",
}
"""Rule-input table → lake source."""

_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "float64": pa.float64(),
    "int64": pa.int64(),
}


@dataclass(frozen=True)
class PlatformParams:
    """Parameters of incremental detection (units in names)."""

    lookback_days: float = 7.0
    """Data read before the watermark, so that episodes and baselines continue across runs."""
    initial_days: float = 31.0
    """First run (no watermark): data read before the horizon."""
    merge_gap_h: float = 2.0
    """An episode starting within this gap after a stored lead's end extends that lead."""


@dataclass
class RunReport:
    """What one platform run did."""

    status: str
    run_id: int | None = None
    data_from: datetime | None = None
    data_to: datetime | None = None
    leads_found: int = 0
    leads_new: int = 0
    leads_extended: int = 0
    leads_closed: int = 0
    seconds: float = 0.0
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (times as ISO 8601 with +08:00)."""
        out: dict[str, Any] = dict(self.__dict__)
        for key in ("data_from", "data_to"):
            value = out[key]
            out[key] = value.isoformat() if value is not None else None
        out["seconds"] = round(self.seconds, 3)
        return out


@dataclass
class MergeStats:
    """Outcome of :func:`merge_leads`."""

    new: int = 0
    extended: int = 0
    unchanged: int = 0
    closed: int = 0
    lead_ids: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------- lake


def _lake(settings: Settings) -> Any:
    from lantian.lake import Lake

    return Lake(settings.lake_dir)


def data_horizon(lake: Any) -> datetime | None:
    """End of the newest hour of data in the lake (CST), or None when it is empty.

    Only the newest day partition of each data source is opened (Parquet statistics).
    """
    import duckdb

    newest: datetime | None = None
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        for source in DATA_SOURCES.values():
            parts = lake.partitions(source)
            if not parts:
                continue
            glob = str(parts[-1] / "*.parquet").replace("'", "''")
            row = con.execute(
                f"SELECT max(time) FROM read_parquet('{glob}', union_by_name = true)"
            ).fetchone()
            if row and row[0] is not None:
                value = to_cst(row[0])
                newest = value if newest is None or value > newest else newest
    finally:
        con.close()
    if newest is None:
        return None
    hour = newest.replace(minute=0, second=0, microsecond=0)
    return hour + timedelta(hours=1)


def _wall_seconds(value: datetime) -> int:
    local = to_cst(value).replace(tzinfo=None)
    return int((local - datetime(1970, 1, 1)).total_seconds())


def _frame(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    columns = TABLE_COLUMNS[name]
    schema = pa.schema([(c, _ARROW[t]) for c, t in columns.items()])
    data = {c: [r.get(c) for r in rows] for c in columns}
    return pa.table(data, schema=schema)


def registry_tables(session: Session) -> dict[str, pa.Table]:
    """The registry in the operational database as Arrow tables with rule-input columns."""
    ents = [
        {
            "enterprise_id": e.enterprise_id,
            "name": e.name,
            "industry": e.industry,
            "city": e.city,
            "district": e.district,
            "township": e.township,
            "grade": e.grade,
            "positive_list": "true" if e.positive_list else "false",
        }
        for e in session.scalars(select(Enterprise).order_by(Enterprise.enterprise_id))
    ]
    outlets = [
        {c: getattr(o, c) for c in TABLE_COLUMNS["outlets"]}
        for o in session.scalars(select(Outlet).order_by(Outlet.outlet_id))
    ]
    meters = [
        {c: getattr(m, c) for c in TABLE_COLUMNS["meters"]}
        for m in session.scalars(select(Meter).order_by(Meter.meter_id))
    ]
    stations = [
        {c: getattr(s, c) for c in TABLE_COLUMNS["stations"]}
        for s in session.scalars(select(Station).order_by(Station.station_id))
    ]
    measures = [
        {c: getattr(m, c) for c in TABLE_COLUMNS["measures"]}
        for m in session.scalars(select(Measure).order_by(Measure.id))
    ]
    alerts = [
        {
            "alert_id": a.alert_id,
            "city": a.city,
            "level": a.level,
            "start_t": _wall_seconds(a.start),
            "end_t": _wall_seconds(a.end) if a.end is not None else None,
        }
        for a in session.scalars(select(Alert).order_by(Alert.alert_id))
    ]
    return {
        "enterprises": _frame("enterprises", ents),
        "outlets": _frame("outlets", outlets),
        "meters": _frame("meters", meters),
        "stations": _frame("stations", stations),
        "measures": _frame("measures", measures),
        "alerts": _frame("alerts", alerts),
    }


_DATA_SQL: dict[str, str] = {
    "cems": (
        "SELECT outlet_id, CAST(epoch(time) AS BIGINT) + {off} AS t, pollutant, "
        "CAST(value AS DOUBLE) AS value, CAST(zs_value AS DOUBLE) AS zs_value, flag, "
        "CAST(NULL AS DOUBLE) AS valid_min FROM {src}"
    ),
    "power": (
        "SELECT meter_id, CAST(epoch(time) AS BIGINT) + {off} AS t, CAST(kw AS DOUBLE) AS kw "
        "FROM {src}"
    ),
    "ambient": (
        "SELECT station_id, CAST(epoch(time) AS BIGINT) + {off} AS t, pollutant, "
        "CAST(value AS DOUBLE) AS value FROM {src}"
    ),
}


def lake_inputs(
    lake: Any,
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    backend: Any | None = None,
) -> Inputs:
    """Rule inputs from the lake (deduplicated data in ``[start, end)``) and the DB registry.

    Parameters
    ----------
    lake
        A :class:`lantian.lake.Lake`.
    session
        SQLAlchemy session on the operational database (registry tables).
    start, end
        Data window (aware datetimes; naive = CST); None = unbounded.
    backend
        An ``ibis.duckdb`` backend (default: a new in-memory one). The data are
        materialised as temporary tables, so each rule does not re-read Parquet.

    Returns
    -------
    Inputs
        Tables with the canonical columns of :data:`lantian.rules.inputs.TABLE_COLUMNS`.
    """
    con = backend if backend is not None else ibis.duckdb.connect()
    raw = con.con
    tables: dict[str, ir.Table] = {}
    for name, arrow in registry_tables(session).items():
        tables[name] = con.create_table(f"lake_{name}", obj=arrow, temp=True, overwrite=True)
    for name, source in DATA_SOURCES.items():
        src = lake.scan_sql(source, start, end)
        sql = _DATA_SQL[name].format(off=CST_OFFSET_S, src=src)
        raw.execute(f"CREATE OR REPLACE TEMP TABLE lake_{name} AS {sql}")
        tables[name] = con.table(f"lake_{name}")
    return Inputs(**tables)


# ---------------------------------------------------------------------------- merge


def _key(rule: str, subject_type: str, subject_id: str, pollutant: str | None) -> tuple[str, ...]:
    return (rule, subject_type, subject_id, pollutant or "")


def merge_leads(
    session: Session,
    leads: Sequence[Any],
    horizon: datetime,
    *,
    gap: timedelta = timedelta(hours=2),
    since: datetime | None = None,
    now: datetime | None = None,
) -> MergeStats:
    """Store detected episodes in ``leads``, extending ongoing leads instead of duplicating.

    Parameters
    ----------
    session
        Session on the operational database (the caller commits).
    leads
        :class:`lantian.rules.engine.LeadRecord` objects of one run.
    horizon
        End of the data the run saw; leads ending within ``gap`` of it stay open.
    gap
        Merge gap: an episode of the same rule, subject and pollutant that overlaps a
        stored lead or starts at most ``gap`` after its end extends it (same ``lead_id``;
        ``end``, severity, score, summary and evidence are updated).
    since
        Start of the run's data window: stored open leads ending before
        ``horizon − gap`` are closed; only leads ending after ``since − gap`` are matched.
    now
        Time stamp of the change (default: now).

    Returns
    -------
    MergeStats
        Counts of new, extended, unchanged and closed leads.
    """
    now = now or now_cst()
    stats = MergeStats()
    close_before = horizon - gap
    query = select(Lead)
    if since is not None:
        query = query.where(or_(Lead.open.is_(True), Lead.end >= since - gap))
    stored: dict[tuple[str, ...], list[Lead]] = defaultdict(list)
    by_id: dict[str, Lead] = {}
    for row in session.scalars(query):
        stored[_key(row.rule, row.subject_type, row.subject_id, row.pollutant)].append(row)
        by_id[row.lead_id] = row
    touched: set[str] = set()
    for rec in sorted(leads, key=lambda r: (r.start, r.rule, r.subject_id, r.lead_id)):
        start = datetime.fromisoformat(rec.start)
        end = datetime.fromisoformat(rec.end)
        key = _key(rec.rule, rec.subject_type, rec.subject_id, rec.pollutant)
        target = by_id.get(rec.lead_id)
        if target is None:
            near = [s for s in stored[key] if start <= s.end + gap and end + gap >= s.start]
            if near:
                target = max(near, key=lambda s: (s.end, s.lead_id))
        if target is None:
            if rec.lead_id in by_id:  # pragma: no cover - guarded above
                continue
            lead = Lead(
                lead_id=rec.lead_id,
                rule=rec.rule,
                family=rec.family,
                enterprise_id=rec.enterprise_id,
                subject_type=rec.subject_type,
                subject_id=rec.subject_id,
                pollutant=rec.pollutant,
                start=start,
                end=end,
                severity=int(rec.severity),
                score=float(rec.score),
                summary=rec.summary,
                evidence=dict(rec.evidence),
                open=end > close_before,
                detected_at=now,
                updated_at=now,
            )
            session.add(lead)
            stored[key].append(lead)
            by_id[lead.lead_id] = lead
            touched.add(lead.lead_id)
            stats.new += 1
            stats.lead_ids.append(lead.lead_id)
            continue
        touched.add(target.lead_id)
        stats.lead_ids.append(target.lead_id)
        new_start = min(target.start, start)
        new_end = max(target.end, end)
        changed = new_end != target.end or new_start != target.start
        if changed:
            # the episode grew: its newest view describes it best. A view that adds
            # nothing (same or a clipped part of the stored episode, e.g. from a shorter
            # data window) leaves the stored lead as it is, so leads stay stable.
            evidence = dict(rec.evidence)
            evidence["window"] = {"start": new_start.isoformat(), "end": new_end.isoformat()}
            if target.lead_id != rec.lead_id:
                evidence["extended_from"] = target.start.isoformat()
            target.summary = rec.summary
            target.evidence = evidence
            target.severity = max(int(target.severity), int(rec.severity))
            target.score = max(float(target.score), float(rec.score))
        target.start = new_start
        target.end = new_end
        is_open = new_end > close_before
        if target.open != is_open:
            target.open = is_open
            changed = True
        if changed:
            target.updated_at = now
            stats.extended += 1
        else:
            stats.unchanged += 1
    for rows in stored.values():
        for row in rows:
            if row.lead_id in touched or not row.open:
                continue
            if row.end <= close_before:
                row.open = False
                row.updated_at = now
                stats.closed += 1
    return stats


# ---------------------------------------------------------------------------- runs


@contextmanager
def _run_lock(settings: Settings) -> Iterator[bool]:
    home = settings.ensure_home()
    fd = os.open(Path(home) / "detect-lake.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def watermark(session: Session) -> datetime | None:
    """The data horizon of the last successful platform run (None before the first)."""
    row = session.scalars(
        select(DetectionRun.data_to)
        .where(DetectionRun.status == "ok", DetectionRun.data_to.is_not(None))
        .order_by(DetectionRun.data_to.desc())
        .limit(1)
    ).first()
    return row


def detect_lake_once(
    settings: Settings | None = None,
    *,
    engine: str = "duckdb",
    params: PlatformParams | None = None,
    rules: Sequence[str] | None = None,
    rules_params: Any | None = None,
    force: bool = False,
    spark_master: str | None = None,
    now: datetime | None = None,
) -> RunReport:
    """Run detection once over the lake and store the leads (see the module docstring).

    Parameters
    ----------
    settings
        Settings (LANTIAN_HOME, database).
    engine
        ``duckdb`` or ``spark``.
    params
        Window and merge parameters.
    rules, rules_params
        Rule codes and parameters (as :func:`lantian.rules.engine.run_rules`); default:
        the catalog with ``settings.rules_config``.
    force
        Run even when the lake has no data newer than the watermark.
    spark_master
        Spark master URL (engine ``spark``).
    now
        Time stamp written to leads and the run (tests).

    Returns
    -------
    RunReport
        ``status``: ``ok``, ``skipped`` (no new data or another run holds the lock) or
        ``failed`` (the error is recorded in ``detection_runs`` and re-raised).
    """
    from lantian.db.session import session_scope

    settings = settings or get_settings()
    params = params or PlatformParams()
    if engine not in ("duckdb", "spark"):
        raise ValueError(f"unknown engine {engine!r} (duckdb or spark)")
    began = time.perf_counter()
    with _run_lock(settings) as locked:
        if not locked:
            return RunReport(status="skipped", message="another detection run is in progress")
        lake = _lake(settings)
        horizon = data_horizon(lake)
        if horizon is None:
            return RunReport(status="skipped", message="the lake has no data")
        with session_scope(settings) as s:
            mark = watermark(s)
        if mark is not None and mark >= horizon and not force:
            return RunReport(
                status="skipped", data_to=mark, message="no data newer than the watermark"
            )
        if mark is None:
            start = horizon - timedelta(days=params.initial_days)
        else:
            start = min(mark, horizon) - timedelta(days=params.lookback_days)
        stamp = now or now_cst()
        with session_scope(settings) as s:
            run = DetectionRun(
                started_at=stamp,
                engine=engine,
                status="running",
                data_from=start,
                data_to=horizon,
                leads_found=0,
                leads_new=0,
                leads_extended=0,
                leads_closed=0,
            )
            s.add(run)
            s.flush()
            run_id = run.id
        try:
            leads = _detect(
                settings, lake, start, horizon, engine, rules, rules_params, spark_master
            )
            gap = timedelta(hours=params.merge_gap_h)
            with session_scope(settings) as s:
                stats = merge_leads(s, leads, horizon, gap=gap, since=start, now=stamp)
                done = s.get(DetectionRun, run_id)
                assert done is not None
                done.status = "ok"
                done.finished_at = now_cst()
                done.leads_found = len(leads)
                done.leads_new = stats.new
                done.leads_extended = stats.extended
                done.leads_closed = stats.closed
        except Exception as exc:
            with session_scope(settings) as s:
                failed = s.get(DetectionRun, run_id)
                if failed is not None:
                    failed.status = "failed"
                    failed.finished_at = now_cst()
                    failed.error = f"{type(exc).__name__}: {exc}"[:4000]
            raise
    return RunReport(
        status="ok",
        run_id=run_id,
        data_from=start,
        data_to=horizon,
        leads_found=len(leads),
        leads_new=stats.new,
        leads_extended=stats.extended,
        leads_closed=stats.closed,
        seconds=time.perf_counter() - began,
    )


def duckdb_backend(settings: Settings, memory_limit: str = "2GB") -> Any:
    """An in-memory Ibis DuckDB backend with bounded memory that spills to LANTIAN_HOME.

    Without a temporary directory an in-memory DuckDB cannot spill and fails ("Cannot
    perform IO in in-memory database") when a city-month does not fit the limit.
    """
    tmp = settings.ensure_home() / "duckdb-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    con = ibis.duckdb.connect(temp_directory=str(tmp), memory_limit=memory_limit)
    con.raw_sql("SET preserve_insertion_order = false")
    return con


def _detect(
    settings: Settings,
    lake: Any,
    start: datetime,
    end: datetime,
    engine: str,
    rules: Sequence[str] | None,
    rules_params: Any | None,
    spark_master: str | None,
) -> list[Any]:
    from lantian.db.session import session_scope
    from lantian.rules.engine import run_rules

    if rules_params is None and settings.rules_config is not None:
        from lantian.rules.config import RulesConfig

        rules_params = RulesConfig.from_toml(settings.rules_config)
    backend = duckdb_backend(settings)
    try:
        with session_scope(settings) as s:
            inputs = lake_inputs(lake, s, start, end, backend)
        if engine == "spark":
            from lantian.rules.spark import inputs_to_spark, spark_session

            inputs = inputs_to_spark(inputs, spark_session(spark_master))
        return run_rules(inputs, rules=rules, params=rules_params)
    finally:
        backend.disconnect()


def run_schedule(
    interval_s: float,
    settings: Settings | None = None,
    *,
    stop: threading.Event | None = None,
    on_report: Callable[[RunReport], None] | None = None,
    max_runs: int | None = None,
    **kwargs: Any,
) -> None:
    """Run :func:`detect_lake_once` every ``interval_s`` seconds until ``stop`` is set.

    A failing run is logged (and recorded as ``failed``) and the schedule continues.

    Parameters
    ----------
    interval_s
        Seconds between the starts of two runs.
    settings
        Settings (default: the process settings).
    stop
        Event that ends the loop (checked between runs and while waiting).
    on_report
        Called with every run's :class:`RunReport` (failed runs: status ``failed``).
    max_runs
        Stop after this many runs (tests).
    **kwargs
        Passed to :func:`detect_lake_once`.
    """
    stop = stop or threading.Event()
    runs = 0
    while not stop.is_set():
        began = time.monotonic()
        try:
            report = detect_lake_once(settings, **kwargs)
        except Exception as exc:
            log.exception("lead detection over the lake failed")
            report = RunReport(status="failed", message=f"{type(exc).__name__}: {exc}")
        if on_report is not None:
            on_report(report)
        runs += 1
        if max_runs is not None and runs >= max_runs:
            return
        stop.wait(max(0.0, interval_s - (time.monotonic() - began)))


def start_background_detection(
    interval_s: float = 300.0, settings: Settings | None = None, **kwargs: Any
) -> tuple[threading.Thread, threading.Event]:
    """Start :func:`run_schedule` in a daemon thread (for the web/demo process).

    Returns
    -------
    (thread, stop)
        Set ``stop`` to end the schedule after the current run; ``thread.join()`` waits.
    """
    stop = threading.Event()
    thread = threading.Thread(
        target=run_schedule,
        args=(interval_s, settings),
        kwargs={"stop": stop, **kwargs},
        name="lantian-detect-lake",
        daemon=True,
    )
    thread.start()
    return thread, stop


# ---------------------------------------------------------------------------- ambient


def lake_ambient(
    lake: Any,
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    backend: Any | None = None,
) -> tuple[ir.Table, ir.Table]:
    """Ambient hourly data from the lake and the station registry (with district, township).

    Returns
    -------
    (ambient, stations)
        ``ambient``: station_id, t (CST wall-clock seconds), pollutant, value;
        ``stations``: station_id, name, kind, city, district, township, lon, lat.
    """
    con = backend if backend is not None else ibis.duckdb.connect()
    sql = _DATA_SQL["ambient"].format(
        off=CST_OFFSET_S, src=lake.scan_sql("ambient_hourly", start, end)
    )
    con.con.execute(f"CREATE OR REPLACE TEMP TABLE lake_ambient_index AS {sql}")
    cols = ["station_id", "name", "kind", "city", "district", "township", "lon", "lat"]
    rows = [
        {c: getattr(st, c) for c in cols}
        for st in session.scalars(select(Station).order_by(Station.station_id))
    ]
    schema = pa.schema([(c, pa.float64() if c in ("lon", "lat") else pa.string()) for c in cols])
    arrow = pa.table({c: [r[c] for r in rows] for c in cols}, schema=schema)
    stations = con.create_table("lake_stations_index", obj=arrow, temp=True, overwrite=True)
    return con.table("lake_ambient_index"), stations


__all__ = [
    "CST",
    "MergeStats",
    "PlatformParams",
    "RunReport",
    "data_horizon",
    "detect_lake_once",
    "duckdb_backend",
    "lake_ambient",
    "lake_inputs",
    "merge_leads",
    "registry_tables",
    "run_schedule",
    "start_background_detection",
    "watermark",
]

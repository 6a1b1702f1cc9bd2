"""Platform mode: lead detection that follows data arrival in the lake, stored in the DB.

Every write to the lake leaves a change record (:meth:`lantian.lake.Lake.append`: source,
series, hours). One run (:func:`detect_lake_once`):

1. lists the change records present (the set, not "everything after the highest seq
   seen": a write that allocated a lower seq may finish after a higher one);
2. plans what to read (:func:`_plan`): for every changed series its changed hours widened
   by ``lookback_days`` on both sides (baselines and episodes around the change), plus the
   series the rules need together: an outlet or a meter brings its whole enterprise (line
   meters, a line's outlets), a station its city's stations (AMB-HOTSPOT compares
   neighbours), and CEMS-CLONED's possible partners (outlets of other enterprises that
   reported the same values). The v2 clue layers (:data:`CLUE_SOURCES`, grids from the
   database) are read for the run's whole window; their changes widen the judged scope
   (a gate record or a camera alarm its enterprise, grid PM, 走航 and weather the grid
   cells, weather also its city's stations). Nothing else is read: cost grows with the
   change, not the lake. Data time later than now + ``LANTIAN_FUTURE_MARGIN_H`` is never
   read nor judged; it is reported (``future_excluded``) and its records are kept for
   when that time comes, so no data point can push detection ahead or stop it;
3. runs the rule catalog (DuckDB, or Spark) on those rows, on one process-wide DuckDB
   backend whose compiled SQL is kept between runs (:mod:`lantian.rules.sqlcache`: the
   compilation of the catalog, seconds whatever the data, is paid by the first run of
   a process only);
4. hands the episodes to :func:`lantian.leads.store.merge_episodes`, which decides within
   the judged scope: new, extended, bridged, unchanged, withdrawn leads; frozen (judged)
   leads get evidence versions;
5. deletes exactly the change records it listed, once the leads are committed. A failing
   run leaves them for the next run.

The first run (no successful run yet) and ``force`` judge the last ``initial_days`` of the
whole lake. :func:`run_schedule` repeats runs every N seconds (``lantian detect-lake
--schedule 300``); :func:`start_background_detection` does it in a daemon thread for the
web/demo process. A file lock in ``LANTIAN_HOME`` keeps two processes from detecting at
the same time.

References
----------
.. [1] Exchange formats v1, "Leads": one lead per episode (an incident of 24 bad hours is
   one lead, not 24).
.. [2] HJ 212-2017 §6.3 (``DataTime`` = start of the interval, local time; 补发: a logger
   re-sends its backlog after a communication fault).
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
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.registry.models import Alert, Enterprise, Grid, Measure, Meter, Outlet, Station
from lantian.rules import baselines as bl
from lantian.rules.config import RulesConfig
from lantian.rules.inputs import CST_OFFSET_S, TABLE_COLUMNS, Inputs
from lantian.rules.platform_models import DetectionRun
from lantian.rules.sqlcache import arrow_table, shared_backend
from lantian.settings import Settings, get_settings
from lantian.timeutil import CST, now_cst, to_cst

log = logging.getLogger(__name__)

DATA_SOURCES: dict[str, str] = {
    "cems": "cems_hourly",
    "power": "power",
    "ambient": "ambient_hourly",
}
"""Rule-input table → lake source."""

CLUE_SOURCES: dict[str, str] = {
    "grid_hourly": "grid_hourly",
    "met": "met_hourly",
    "mobile": "mobile_track",
    "camera_alarms": "camera_alarms",
    "gate_records": "gate_records",
}
"""Rule-input table → lake source of the v2 clue layers (contract "v2 additions"): read
for the whole window of a run (they are few rows beside CEMS and power)."""

CLONED = "CEMS-CLONED"

_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "float64": pa.float64(),
    "int64": pa.int64(),
}


@dataclass(frozen=True)
class PlatformParams:
    """Parameters of arrival-driven detection (units in names)."""

    lookback_days: float = 7.0
    """Hours re-read on each side of a series' changed hours: the baselines (meter levels,
    an outlet's own variation) and episodes around the change."""
    initial_days: float = 31.0
    """First run and ``force``: data read before the newest data."""
    merge_gap_h: float = 2.0
    """A lead stays open while its end is within this gap of the newest data; at a clipped
    edge of the re-read hours an episode within this gap continues a stored lead."""
    edge_h: float = 24.0
    """Within this distance of a clipped edge of the re-read hours (data exist beyond it)
    a lead only grows and is never withdrawn (at most half the hours re-read on a side)."""
    episode_h: float = 24.0
    """Hours re-read on each side of a change judged with stored baselines
    (:mod:`lantian.rules.baselines`): the episodes around it (a lead still open near the
    change is re-read from its start, up to ``lookback_days``)."""
    baseline_refresh_h: float = 24.0
    """An enterprise's stored baselines judge changes within this many hours of the data
    they were computed from; beyond (a day later, a resend reaching further back), the
    run reads its ``lookback_days`` again and stores new ones. 0: every run reads the
    lookback and computes them (the one-shot semantics of ``lantian detect``)."""

    def __post_init__(self) -> None:
        for name in ("lookback_days", "initial_days", "episode_h"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        for name in ("merge_gap_h", "edge_h", "baseline_refresh_h"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be zero or positive, got {getattr(self, name)!r}")


@dataclass
class RunReport:
    """What one platform run did."""

    status: str
    run_id: int | None = None
    mode: str = ""
    """``full`` (first run, ``force``) or ``incremental``."""
    data_from: datetime | None = None
    data_to: datetime | None = None
    changes_consumed: int = 0
    series_changed: int = 0
    enterprises_judged: int = 0
    enterprises_reused: int = 0
    """Enterprises judged around the change only, with their stored baselines."""
    baselines_stored: int = 0
    """Enterprises whose baselines this run computed over their long window and stored."""
    stations_judged: int = 0
    partners_read: int = 0
    leads_found: int = 0
    leads_new: int = 0
    leads_extended: int = 0
    leads_unchanged: int = 0
    leads_withdrawn: int = 0
    leads_versioned: int = 0
    leads_closed: int = 0
    future_excluded: list[dict[str, Any]] = field(default_factory=list)
    """Series hours beyond now + the future margin, not judged (source, series, from, to,
    reason)."""
    seconds: float = 0.0
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (times as ISO 8601 with +08:00)."""
        out: dict[str, Any] = dict(self.__dict__)
        for key in ("data_from", "data_to"):
            value = out[key]
            out[key] = value.isoformat() if value is not None else None
        out["future_excluded"] = list(self.future_excluded[:100])
        out["seconds"] = round(self.seconds, 3)
        return out


# ---------------------------------------------------------------------------- lake


def _lake(settings: Settings) -> Any:
    from lantian.lake import Lake

    return Lake(settings.lake_dir)


def data_horizon(lake: Any, limit: datetime | None = None) -> datetime | None:
    """End of the newest hour of data in the lake not later than ``limit`` (CST), or None.

    Only the newest day partition (not after ``limit``'s day) of each data source is
    opened; a future-stamped row (a wrong clock, a forged packet) cannot move it.
    """
    import duckdb

    newest: datetime | None = None
    cap = "" if limit is None else f" WHERE time < TIMESTAMPTZ '{limit.isoformat()}'"
    last_day = None if limit is None else to_cst(limit).date().isoformat()
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        for source in (*DATA_SOURCES.values(), *CLUE_SOURCES.values()):
            parts = [
                p
                for p in lake.partitions(source)
                if last_day is None or p.name.removeprefix("date=") <= last_day
            ]
            for part in reversed(parts[-2:]):
                files = lake.live_files(part)
                if not files:
                    continue
                listing = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
                row = con.execute(
                    f"SELECT max(time) FROM read_parquet([{listing}], union_by_name = true)" + cap
                ).fetchone()
                if row and row[0] is not None:
                    value = to_cst(row[0])
                    newest = value if newest is None or value > newest else newest
                    break
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
            "lon": e.lon,
            "lat": e.lat,
        }
        for e in session.scalars(select(Enterprise).order_by(Enterprise.enterprise_id))
    ]
    # columns, not ORM objects: a city's thousands of meters load in a tenth of the time
    outlets = [
        dict(r)
        for r in session.execute(
            select(*(getattr(Outlet, c) for c in TABLE_COLUMNS["outlets"])).order_by(
                Outlet.outlet_id
            )
        ).mappings()
    ]
    meters = [
        dict(r)
        for r in session.execute(
            select(*(getattr(Meter, c) for c in TABLE_COLUMNS["meters"])).order_by(Meter.meter_id)
        ).mappings()
    ]
    stations = [
        {c: getattr(s, c, None) for c in TABLE_COLUMNS["stations"]}
        for s in session.scalars(select(Station).order_by(Station.station_id))
    ]
    measures = [
        dict(r)
        for r in session.execute(
            select(*(getattr(Measure, c) for c in TABLE_COLUMNS["measures"])).order_by(Measure.id)
        ).mappings()
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
    grids = [
        {c: getattr(g, c) for c in TABLE_COLUMNS["grids"]}
        for g in session.scalars(select(Grid).order_by(Grid.grid_id))
    ]
    return {
        "grids": _frame("grids", grids),
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
    # v2 clue layers: camera_alarms.source is stored as alarm_source (lake.schema)
    "grid_hourly": (
        "SELECT grid_id, CAST(epoch(time) AS BIGINT) + {off} AS t, "
        "CAST(pm25 AS DOUBLE) AS pm25, CAST(pm10 AS DOUBLE) AS pm10 FROM {src}"
    ),
    "met": (
        "SELECT station_id, CAST(epoch(time) AS BIGINT) + {off} AS t, "
        "CAST(wind_dir AS DOUBLE) AS wind_dir, CAST(wind_speed AS DOUBLE) AS wind_speed, "
        "CAST(temp AS DOUBLE) AS temp, CAST(rh AS DOUBLE) AS rh FROM {src}"
    ),
    "mobile": (
        "SELECT vehicle_id, CAST(epoch(time) AS BIGINT) + {off} AS t, "
        "CAST(lon AS DOUBLE) AS lon, CAST(lat AS DOUBLE) AS lat, pollutant, "
        "CAST(value AS DOUBLE) AS value FROM {src}"
    ),
    "camera_alarms": (
        "SELECT alarm_id, alarm_source AS source, camera_id, "
        "CAST(epoch(time) AS BIGINT) + {off} AS t, CAST(lon AS DOUBLE) AS lon, "
        "CAST(lat AS DOUBLE) AS lat, kind, CAST(confidence AS DOUBLE) AS confidence, "
        "enterprise_id, image FROM {src}"
    ),
    "gate_records": (
        "SELECT record_id, enterprise_id, gate_id, CAST(epoch(time) AS BIGINT) + {off} AS t, "
        "plate, vehicle_type, fuel, CAST(emission_standard AS DOUBLE) AS emission_standard, "
        "direction FROM {src}"
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
    for name, source in {**DATA_SOURCES, **CLUE_SOURCES}.items():
        src = lake.scan_sql(source, start, end)
        sql = _DATA_SQL[name].format(off=CST_OFFSET_S, src=src)
        raw.execute(f"CREATE OR REPLACE TEMP TABLE lake_{name} AS {sql}")
        tables[name] = con.table(f"lake_{name}")
    return Inputs(**tables)


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
    """Judge what arrived in the lake since the last run and store the leads.

    See the module docstring. The change records the run read are deleted only after its
    leads are committed: a failing run leaves them for the next run.

    Parameters
    ----------
    settings
        Settings (LANTIAN_HOME, database, ``future_margin_h``).
    engine
        ``duckdb`` or ``spark``.
    params
        Lookback, first-run window and merge parameters.
    rules, rules_params
        Rule codes and parameters (as :func:`lantian.rules.engine.run_rules`); default:
        the catalog with ``settings.rules_config``.
    force
        Re-judge the whole lake (the last ``initial_days`` before the newest data), as a
        first run does, whatever the change log holds.
    spark_master
        Spark master URL (engine ``spark``).
    now
        The present (default: the clock): data time beyond ``now + future_margin_h`` is
        not judged; also the time stamp of the run and its leads.

    Returns
    -------
    RunReport
        ``status``: ``ok``, ``skipped`` (nothing arrived, or another run holds the lock)
        or ``failed`` (the error is recorded in ``detection_runs`` and re-raised).
    """
    from lantian.db.session import session_scope
    from lantian.leads.store import merge_episodes
    from lantian.rules.catalog import all_rules

    settings = settings or get_settings()
    params = params or PlatformParams()
    if engine not in ("duckdb", "spark"):
        raise ValueError(f"unknown engine {engine!r} (duckdb or spark)")
    began = time.perf_counter()
    stamp = now or now_cst()
    limit = stamp + timedelta(hours=settings.future_margin_h)
    with _run_lock(settings) as locked:
        if not locked:
            return RunReport(status="skipped", message="another detection run is in progress")
        lake = _lake(settings)
        pending = lake.pending_changes()
        with session_scope(settings) as s:
            first_run = watermark(s) is None
        full = force or first_run
        horizon = data_horizon(lake, limit)
        if not full and not pending:
            return RunReport(status="skipped", message="no data arrived since the last run")
        if horizon is None and not pending:
            return RunReport(status="skipped", message="the lake has no data")
        rules_cfg = _rules_config(settings, rules_params)
        plan = _plan(settings, lake, pending, params, full, horizon, limit, rules, rules_cfg)
        with session_scope(settings) as s:
            run = DetectionRun(
                started_at=stamp,
                engine=engine,
                status="running",
                data_from=plan.data_from,
                data_to=plan.data_to,
                leads_found=0,
                leads_new=0,
                leads_extended=0,
                leads_closed=0,
            )
            s.add(run)
            s.flush()
            run_id = run.id
        report = RunReport(
            status="ok",
            run_id=run_id,
            mode="full" if full else "incremental",
            data_from=plan.data_from,
            data_to=plan.data_to,
            changes_consumed=len(pending),
            series_changed=plan.series_changed,
            enterprises_judged=len(plan.scope.enterprises),
            enterprises_reused=len(plan.reused),
            baselines_stored=len(plan.store_for),
            stations_judged=len(plan.scope.stations),
            partners_read=len(plan.partners),
            future_excluded=plan.excluded,
        )
        try:
            leads: list[Any] = []
            if plan.data_from is not None and plan.data_to is not None:
                leads = _detect(settings, lake, plan, engine, rules, rules_cfg, spark_master)
            gap = timedelta(hours=params.merge_gap_h)
            plan.scope.rules = frozenset(rules) if rules else frozenset(all_rules())
            with session_scope(settings) as s:
                stats = merge_episodes(s, leads, plan.scope, gap=gap, run_id=run_id, now=stamp)
                done = s.get(DetectionRun, run_id)
                assert done is not None
                done.status = "ok"
                done.finished_at = now_cst()
                done.leads_found = len(leads)
                done.leads_new = stats.new
                done.leads_extended = stats.extended
                done.leads_closed = stats.closed
                done.leads_withdrawn = stats.withdrawn
                done.changes_consumed = len(pending)
            if plan.store_for and plan.computed is not None:
                plan.baselines.replace(plan.params_fp, plan.computed, plan.store_for)
                bl.save(settings.ensure_home(), plan.baselines)
            # only now: the records this run judged are done (later ones stay)
            for source, series in plan.deferred.items():
                lake.record_change(source, series)
            lake.consume_changes(pending)
        except Exception as exc:
            with session_scope(settings) as s:
                failed = s.get(DetectionRun, run_id)
                if failed is not None:
                    failed.status = "failed"
                    failed.finished_at = now_cst()
                    failed.error = f"{type(exc).__name__}: {exc}"[:4000]
            raise
    report.leads_found = len(leads)
    report.leads_new = stats.new
    report.leads_extended = stats.extended
    report.leads_unchanged = stats.unchanged
    report.leads_withdrawn = stats.withdrawn
    report.leads_versioned = stats.versioned
    report.leads_closed = stats.closed
    report.seconds = time.perf_counter() - began
    return report


@dataclass
class _Plan:
    """What one run reads and judges."""

    scope: Any
    """:class:`lantian.leads.store.JudgedScope` (what the run may decide about)."""
    outlets: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    meters: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    stations: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    full: bool = False
    data_from: datetime | None = None
    data_to: datetime | None = None
    series_changed: int = 0
    partners: set[str] = field(default_factory=set)
    excluded: list[dict[str, Any]] = field(default_factory=list)
    deferred: dict[str, dict[str, tuple[datetime, datetime]]] = field(default_factory=dict)
    registry: dict[str, pa.Table] = field(default_factory=dict)
    """The registry as rule-input tables (read once per run)."""
    reused: set[str] = field(default_factory=set)
    """Enterprises judged around the change with their stored baselines."""
    store_for: dict[str, Any] = field(default_factory=dict)
    """Enterprise → :class:`lantian.rules.baselines.Entry` of the baselines this run
    computes over the enterprise's long window (stored after the run)."""
    baselines: Any = None
    """The loaded :class:`lantian.rules.baselines.Store` and this run's parameter
    fingerprint (``params``)."""
    params_fp: str = ""
    computed: Any = None
    """The baselines the run computed (store rows), for :attr:`store_for`."""


def _hull(
    a: tuple[datetime, datetime] | None, b: tuple[datetime, datetime]
) -> tuple[datetime, datetime]:
    return b if a is None else (min(a[0], b[0]), max(a[1], b[1]))


def _plan(
    settings: Settings,
    lake: Any,
    pending: Sequence[Any],
    params: PlatformParams,
    full: bool,
    horizon: datetime | None,
    limit: datetime,
    rules: Sequence[str] | None,
    rules_cfg: RulesConfig,
) -> _Plan:
    """Turn the change records into the series and hours to read and the judged scope.

    A changed outlet or meter brings its whole enterprise (an outlet's line meters, a
    line's meters, the outlets of one enterprise are judged together); a changed station
    brings every station of its city (AMB-HOTSPOT compares a station with its
    neighbours); CEMS-CLONED compares outlets across enterprises, so the outlets of other
    enterprises that share values with a changed enterprise's outlets are read too
    (*partners*: read, not judged except for their pairs with a changed enterprise). The
    hours are each series' changed hours widened by ``lookback_days`` on both sides and
    cut at the newest judgeable data. Data time beyond ``limit`` (now + the future margin)
    is left out and reported; its records are deferred until that time has come.
    """
    from lantian.db.session import session_scope
    from lantian.leads.store import JudgedScope

    lookback = timedelta(days=params.lookback_days)
    edge = min(timedelta(hours=params.edge_h), lookback / 2)
    limit_hour = limit.replace(minute=0, second=0, microsecond=0)
    scope = JudgedScope(horizon=horizon, data_first=data_first(lake), edge=edge)
    plan = _Plan(scope=scope, full=full)
    changed: dict[str, dict[str, tuple[datetime, datetime]]] = defaultdict(dict)
    for rec in pending:
        for sid, (lo, hi) in rec.series.items():
            lo_c, hi_c = to_cst(lo), to_cst(hi)
            if hi_c > limit_hour:
                cut_lo = max(lo_c, limit_hour)
                plan.excluded.append(
                    {
                        "source": rec.source,
                        "series": sid,
                        "from": cut_lo.isoformat(),
                        "to": hi_c.isoformat(),
                        "reason": (
                            f"data time after now + {settings.future_margin_h:g} h "
                            f"({limit.isoformat(timespec='minutes')}): not judged until then"
                        ),
                    }
                )
                prev = plan.deferred.setdefault(rec.source, {}).get(sid)
                plan.deferred[rec.source][sid] = _hull(prev, (cut_lo, hi_c))
                hi_c = limit_hour
            if hi_c <= lo_c or rec.source not in SOURCE_KIND:
                continue
            kind = SOURCE_KIND[rec.source]
            changed[kind][sid] = _hull(changed[kind].get(sid), (lo_c, hi_c))
    plan.series_changed = sum(len(v) for v in changed.values())
    if horizon is None:
        return plan
    with session_scope(settings) as s:
        plan.registry = registry_tables(s)
    reg = plan.registry
    ent_of_outlet = _column_map(reg["outlets"], "outlet_id", "enterprise_id")
    ent_of_meter = _column_map(reg["meters"], "meter_id", "enterprise_id")
    city_of_station = _column_map(reg["stations"], "station_id", "city")
    all_ents = reg["enterprises"].column("enterprise_id").to_pylist()
    all_grids = reg["grids"].column("grid_id").to_pylist()
    registry_fp = bl.registry_fingerprints(plan.registry)
    plan.params_fp = _params_fingerprint(rules, rules_cfg)
    store = bl.load(settings.ensure_home())
    plan.baselines = store
    refresh = timedelta(hours=params.baseline_refresh_h)
    episode = timedelta(hours=params.episode_h)
    gap = timedelta(hours=params.merge_gap_h)
    outlets_of: dict[str, list[str]] = defaultdict(list)
    for o, e in ent_of_outlet.items():
        outlets_of[e].append(o)
    meters_of: dict[str, list[str]] = defaultdict(list)
    for m, e in ent_of_meter.items():
        meters_of[e].append(m)
    stations_of: dict[str | None, list[str]] = defaultdict(list)
    for st, c in city_of_station.items():
        stations_of[c].append(st)
    ent_win: dict[str, tuple[datetime, datetime]] = {}
    st_win: dict[str, tuple[datetime, datetime]] = {}
    grid_win: tuple[datetime, datetime] | None = None
    if full:
        window = (horizon - timedelta(days=params.initial_days), horizon)
        ent_win = {e: window for e in all_ents}
        st_win = {st: window for st in city_of_station}
        grid_win = window if all_grids else None
        plan.store_for = {
            e: bl.Entry(window[0], window[1], registry_fp.get(e, "")) for e in all_ents
        }
    else:
        # the changed hours themselves (widened below, per enterprise and per city)
        ent_changed: dict[str, tuple[datetime, datetime]] = {}
        st_changed: dict[str, tuple[datetime, datetime]] = {}
        alarms: dict[str, tuple[datetime, datetime]] = {}
        for kind, series in changed.items():
            for sid, (lo, hi) in series.items():
                if min(hi + lookback, horizon) <= lo - lookback:
                    continue
                # v2 clue layers: a gate record judges its enterprise; a camera alarm its
                # enterprise (or the grid cells when it names none); grid PM and 走航
                # readings the grid cells (compared with their neighbours); weather the
                # stations of its city and the grid cells (wind places the candidates)
                if kind == "enterprise":
                    ent_changed[sid] = _hull(ent_changed.get(sid), (lo, hi))
                    continue
                if kind == "alarm":
                    alarms[sid] = (lo, hi)
                    continue
                if kind in ("grid", "mobile", "met"):
                    win = (lo - lookback, min(hi + lookback, horizon))
                    grid_win = _hull(grid_win, win) if all_grids else None
                    if kind != "met":
                        continue
                if kind in ("station", "met"):
                    if sid not in city_of_station:
                        continue
                    city = city_of_station[sid]
                    peers = stations_of[city] if city is not None else [sid]
                    for peer in peers:
                        st_changed[peer] = _hull(st_changed.get(peer), (lo, hi))
                    continue
                ent = (ent_of_outlet if kind == "outlet" else ent_of_meter).get(sid)
                if ent is not None:
                    ent_changed[ent] = _hull(ent_changed.get(ent), (lo, hi))
        for alarm_ent, (lo, hi) in _alarm_enterprises(lake, alarms).items():
            if alarm_ent is None:
                win = (lo - lookback, min(hi + lookback, horizon))
                grid_win = _hull(grid_win, win) if all_grids else None
            else:
                ent_changed[alarm_ent] = _hull(ent_changed.get(alarm_ent), (lo, hi))
        # an enterprise whose stored baselines still hold is judged around the change
        # only; the others are read over the lookback and get new baselines
        stored_ok = store.params == plan.params_fp
        short_st = params.baseline_refresh_h > 0  # stations have no baselines
        for ent, (lo, hi) in ent_changed.items():
            entry = store.entries.get(ent) if stored_ok else None
            fp = registry_fp.get(ent, "")
            if entry is not None and entry.reusable(lo, hi, fp, refresh):
                plan.reused.add(ent)
                ent_win[ent] = (lo - episode, min(hi + episode, horizon))
            else:
                ent_win[ent] = (lo - lookback, min(hi + lookback, horizon))
                plan.store_for[ent] = bl.Entry(ent_win[ent][0], ent_win[ent][1], fp)
        for st, (lo, hi) in st_changed.items():
            reach = episode if short_st else lookback
            st_win[st] = (lo - reach, min(hi + reach, horizon))
        _reach_open_leads(settings, ent_win, plan.reused, st_win, short_st, lookback, episode, gap)
        ent_win = {e: w for e, w in ent_win.items() if w[1] > w[0]}
        st_win = {st: w for st, w in st_win.items() if w[1] > w[0]}
        plan.reused &= set(ent_win)
        plan.store_for = {e: v for e, v in plan.store_for.items() if e in ent_win}
        # one window per city: stations of a city are compared over the same hours
        by_city: dict[str | None, tuple[datetime, datetime]] = {}
        for st, win in st_win.items():
            city = city_of_station[st]
            by_city[city] = _hull(by_city.get(city), win)
        st_win = {st: by_city[city_of_station[st]] for st in st_win}
        if plan.reused or (short_st and st_win):
            scope.edge = min(scope.edge, episode / 2)
    scope.enterprises = dict(ent_win)
    scope.stations = dict(st_win)
    if grid_win is not None:
        scope.grids = {g: grid_win for g in all_grids}
    read_ent = dict(ent_win)
    codes = list(rules) if rules else None
    if (codes is None or CLONED in codes) and ent_win and len(ent_win) < len(all_ents):
        cloned, scoped = _cloned_params(rules_cfg)
        core_windows = {o: ent_win[e] for e in ent_win for o in outlets_of[e]}
        if scoped:
            # per-scope parameters of CEMS-CLONED: every other enterprise may pair
            whole = (min(w[0] for w in ent_win.values()), max(w[1] for w in ent_win.values()))
            candidates = {e: whole for e in all_ents}
        else:
            candidates = _clone_partners(lake, core_windows, ent_of_outlet, cloned)
        for partner, win in candidates.items():
            if partner in ent_win:
                continue
            plan.partners.add(partner)
            read_ent[partner] = _hull(read_ent.get(partner), win)
    for ent, win in read_ent.items():
        for o in outlets_of[ent]:
            plan.outlets[o] = win
        for m in meters_of[ent]:
            plan.meters[m] = win
    plan.stations = dict(st_win)
    spans = [
        *plan.outlets.values(),
        *plan.meters.values(),
        *plan.stations.values(),
        *ent_win.values(),
        *([grid_win] if grid_win is not None else []),
    ]
    if spans:
        plan.data_from = min(w[0] for w in spans)
        plan.data_to = max(w[1] for w in spans)
    return plan


def _reach_open_leads(
    settings: Settings,
    ent_win: dict[str, tuple[datetime, datetime]],
    reused: set[str],
    st_win: dict[str, tuple[datetime, datetime]],
    short_st: bool,
    lookback: timedelta,
    reach: timedelta,
    gap: timedelta,
) -> None:
    """Widen the short windows back before the start of the open leads they touch.

    A change judged around itself only (stored baselines) reads ``episode_h`` hours on
    each side; a lead still open there (the change may extend it) began earlier: its
    episode is re-read whole, from ``episode_h`` before its start (rolling windows and
    signatures need hours before an episode; at most ``lookback`` before the window), so
    that an extended lead keeps its start, evidence and summary of the whole episode.
    """
    from lantian.db.session import session_scope
    from lantian.leads.models import Lead

    short_ents = {e: w for e, w in ent_win.items() if e in reused}
    short_sts = st_win if short_st else {}
    if not short_ents and not short_sts:
        return
    floor = min(w[0] for w in [*short_ents.values(), *short_sts.values()]) - gap
    with session_scope(settings) as s:
        rows = s.execute(
            select(
                Lead.rule,
                Lead.enterprise_id,
                Lead.subject_type,
                Lead.subject_id,
                Lead.start,
                Lead.end,
                Lead.evidence,
            ).where(Lead.status == "active", Lead.open.is_(True), Lead.end >= floor)
        ).all()
    for rule, ent, subject_type, subject_id, start, end, evidence in rows:
        start, end = to_cst(start), to_cst(end)
        if subject_type == "station":
            targets = [(st_win, str(subject_id))] if subject_id in short_sts else []
        else:
            # a CEMS-CLONED pair is re-read on both sides (the other outlet's enterprise)
            other = (evidence or {}).get("other_enterprise_id") if rule == CLONED else None
            targets = [(ent_win, str(e)) for e in (ent, other) if e in short_ents]
        for target, key in targets:
            lo, hi = target[key]
            if end >= lo - gap and start - reach < lo:
                target[key] = (max(start - reach, lo - lookback), hi)


def _column_map(table: pa.Table, key: str, value: str) -> dict[Any, Any]:
    """``key`` → ``value`` over the rows of a registry table."""
    return dict(zip(table.column(key).to_pylist(), table.column(value).to_pylist(), strict=True))


def _rules_config(settings: Settings, rules_params: Any | None) -> RulesConfig:
    """The rule parameters of a run: ``rules_params`` (a :class:`RulesConfig` or a plain
    ``{code: {param: value}}``), else ``settings.rules_config``, else the defaults. Read
    once per run."""
    if isinstance(rules_params, RulesConfig):
        return rules_params
    if rules_params is None and settings.rules_config is not None:
        return RulesConfig.from_toml(settings.rules_config)
    return RulesConfig.from_dict(rules_params or {})


def _params_fingerprint(rules: Sequence[str] | None, cfg: RulesConfig) -> str:
    """Fingerprint of what the stored baselines depend on besides the data: the rules run,
    their parameters (state and per-scope overrides) and the code's version."""
    from lantian import __version__

    return bl.fingerprint(
        {
            "format": bl.FORMAT,
            "version": __version__,
            "rules": sorted(rules) if rules else None,
            "config": repr(cfg),
        }
    )


def _cloned_params(cfg: RulesConfig) -> tuple[Any, bool]:
    """CEMS-CLONED's parameters of this run and whether some scope overrides them."""
    from lantian.rules.catalog import all_rules

    rule = all_rules()[CLONED]
    return cfg.params_for(rule), cfg.has_scoped(rule.code)


SOURCE_KIND: dict[str, str] = {
    "cems_hourly": "outlet",
    "power": "meter",
    "ambient_hourly": "station",
    # v2 clue layers (series as recorded by lantian.lake.store.SERIES_COLUMN)
    "gate_records": "enterprise",
    "camera_alarms": "alarm",
    "met_hourly": "met",
    "grid_hourly": "grid",
    "mobile_track": "mobile",
}
"""Lake source judged by detection → kind of its series."""


def _alarm_enterprises(
    lake: Any, alarms: dict[str, tuple[datetime, datetime]]
) -> dict[str | None, tuple[datetime, datetime]]:
    """Enterprise (None: no enterprise named) → hull of the windows of changed camera
    alarms (the change log names alarms: ``camera_alarms`` series are alarm ids)."""
    if not alarms:
        return {}
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        src = lake.scan_sql("camera_alarms", ids=list(alarms))
        rows = con.execute(f"SELECT alarm_id, enterprise_id FROM {src}").fetchall()
    finally:
        con.close()
    out: dict[str | None, tuple[datetime, datetime]] = {}
    for alarm_id, ent in rows:
        win = alarms.get(str(alarm_id))
        if win is not None:
            out[ent] = _hull(out.get(ent), win)
    return out


def _clone_partners(
    lake: Any,
    windows: dict[str, tuple[datetime, datetime]],
    ent_of_outlet: dict[str, str],
    cloned: Any | None = None,
) -> dict[str, tuple[datetime, datetime]]:
    """Enterprises (not in ``windows``' enterprises) whose outlets CEMS-CLONED could pair
    with a changed outlet. Enterprise → hull of the windows it is read for.

    A necessary condition of a CEMS-CLONED episode, checked on the few columns needed
    (outlet, hour, pollutant, value) without reading the partners' other data or running
    the rule: for one of the rule's ``pollutants``, the two outlets report the same
    positive value in the same hour (a *same hour*) in a chain whose consecutive same
    hours are at most ``signature_h + max_gap_h`` hours apart (one episode's identical
    hours: its matches are at most ``max_gap_h`` apart, each match's signature spans at
    most ``signature_h - 1 + max_gap_h`` hours, its edges at most ``max_gap_h``), with at
    least ``ceil(min_reported_share × min_duration_h)`` same hours (an episode's identical
    hours ``n_same`` are at least that share of its ≥ ``min_duration_h`` hours) and
    ``min_distinct`` different values at hours that end a *signature* (``signature_h``
    same hours within ``signature_h - 1 + max_gap_h`` hours: every match of the rule is
    one, and its run needs ``min_distinct`` values among its matches). Equal
    readings scattered over a long resend (O2 at 0.1 % resolution) no longer make a
    partner. ``cloned`` is the rule's :class:`lantian.rules.cems_cloned.Params`
    (default: its defaults).
    """
    import math

    import duckdb

    from lantian.rules.cems_cloned import Params

    p = cloned if cloned is not None else Params()
    gap_h = int(p.signature_h) + int(p.max_gap_h)
    need_h = max(
        int(p.signature_h), math.ceil(float(p.min_reported_share) * int(p.min_duration_h) - 1e-9)
    )
    min_distinct = int(p.min_distinct)
    pollutants = ", ".join("'" + str(c).replace("'", "''") + "'" for c in p.pollutants)

    if not windows or not pollutants:
        return {}
    lo = min(w[0] for w in windows.values())
    hi = max(w[1] for w in windows.values())
    win = pa.table(
        {
            "outlet_id": list(windows),
            "lo": [w[0] for w in windows.values()],
            "hi": [w[1] for w in windows.values()],
        }
    )
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("win", win)
        src = lake.scan_sql("cems_hourly", lo, hi)
        rows = con.execute(
            f"""
            WITH c AS (
                SELECT outlet_id, date_trunc('hour', time) AS time, pollutant,
                       max(CAST(value AS DOUBLE)) AS value
                FROM {src} WHERE value > 0 AND pollutant IN ({pollutants})
                GROUP BY ALL),
            core AS (
                SELECT w.outlet_id AS core, c.time, c.pollutant, c.value
                FROM c JOIN win w ON c.outlet_id = w.outlet_id
                 AND c.time >= w.lo AND c.time < w.hi),
            m AS (
                SELECT core.core, c.outlet_id AS other, c.pollutant, c.time, c.value
                FROM c JOIN core
                  ON c.pollutant = core.pollutant AND c.time = core.time
                 AND c.value = core.value
                WHERE c.outlet_id NOT IN (SELECT outlet_id FROM win)),
            g AS (
                SELECT *, CASE WHEN time - lag(time) OVER (
                        PARTITION BY core, other, pollutant ORDER BY time)
                    <= INTERVAL '{gap_h} hours' THEN 0 ELSE 1 END AS new_chain,
                  time - lag(time, {int(p.signature_h) - 1}) OVER (
                        PARTITION BY core, other, pollutant ORDER BY time)
                    <= INTERVAL '{int(p.signature_h) - 1 + int(p.max_gap_h)} hours' AS signed
                FROM m),
            chains AS (
                SELECT *, sum(new_chain) OVER (
                    PARTITION BY core, other, pollutant ORDER BY time
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS chain
                FROM g)
            SELECT DISTINCT core, other FROM chains
            GROUP BY core, other, pollutant, chain
            HAVING count(DISTINCT time) >= {need_h}
               AND count(DISTINCT value) FILTER (WHERE signed) >= {min_distinct}
            """
        ).fetchall()
    finally:
        con.close()
    out: dict[str, tuple[datetime, datetime]] = {}
    for core, other in rows:
        ent = ent_of_outlet.get(str(other))
        if ent is None:
            continue
        out[ent] = _hull(out.get(ent), windows[str(core)])
    return out


def data_first(lake: Any) -> datetime | None:
    """Start of the oldest data in the lake (CST; Parquet statistics of the oldest day)."""
    import duckdb

    oldest: datetime | None = None
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        for source in (*DATA_SOURCES.values(), *CLUE_SOURCES.values()):
            parts = lake.partitions(source)
            files = lake.live_files(parts[0]) if parts else []
            if not files:
                continue
            listing = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
            row = con.execute(
                f"SELECT min(time) FROM read_parquet([{listing}], union_by_name = true)"
            ).fetchone()
            if row and row[0] is not None:
                value = to_cst(row[0])
                oldest = value if oldest is None or value < oldest else oldest
    finally:
        con.close()
    return oldest


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


def _window_sql(
    kind: str, source: str, lake: Any, windows: dict[str, tuple[datetime, datetime]], raw: Any
) -> str:
    """SQL of one source's rows of the given series, each within its own window."""
    id_col = {"outlet": "outlet_id", "meter": "meter_id", "station": "station_id"}[kind]
    lo = min(w[0] for w in windows.values())
    hi = max(w[1] for w in windows.values())
    table = pa.table(
        {
            "sid": list(windows),
            "lo": pa.array([w[0] for w in windows.values()], pa.timestamp("us", tz="UTC")),
            "hi": pa.array([w[1] for w in windows.values()], pa.timestamp("us", tz="UTC")),
        }
    )
    name = f"win_{kind}"
    raw.register(name, table)
    src = lake.scan_sql(source, lo, hi)
    return (
        f"(SELECT s.* FROM {src} AS s JOIN {name} AS w ON s.{id_col} = w.sid "
        "AND s.time >= w.lo AND s.time < w.hi)"
    )


def plan_inputs(lake: Any, session: Session, plan: _Plan, backend: Any) -> Inputs:
    """Rule inputs of a run's plan: the registry, per series its planned hours only, and
    the stored baselines of the enterprises judged around their change only."""
    raw = backend.con
    tables: dict[str, ir.Table] = {}
    for name, arrow in plan.registry.items():
        tables[name] = arrow_table(backend, f"lake_{name}", arrow)
    if plan.reused and plan.baselines is not None:
        stored = plan.baselines.rows_of(plan.reused)
        tables["baselines"] = arrow_table(backend, "lake_baselines", stored)
    assert plan.data_from is not None and plan.data_to is not None
    for name, source in DATA_SOURCES.items():
        kind = SOURCE_KIND[source]
        windows = {"outlet": plan.outlets, "meter": plan.meters, "station": plan.stations}[kind]
        if plan.full:
            src = lake.scan_sql(source, plan.data_from, plan.data_to)
        elif windows:
            src = _window_sql(kind, source, lake, windows, raw)
        else:
            src = lake.scan_sql(source, plan.data_to, plan.data_to)
        sql = _DATA_SQL[name].format(off=CST_OFFSET_S, src=src)
        raw.execute(f"CREATE OR REPLACE TEMP TABLE lake_{name} AS {sql}")
        tables[name] = backend.table(f"lake_{name}")
    for name, source in CLUE_SOURCES.items():
        # the run's whole window: the judged scope decides which leads count
        src = lake.scan_sql(source, plan.data_from, plan.data_to)
        sql = _DATA_SQL[name].format(off=CST_OFFSET_S, src=src)
        raw.execute(f"CREATE OR REPLACE TEMP TABLE lake_{name} AS {sql}")
        tables[name] = backend.table(f"lake_{name}")
    return Inputs(**tables)


def _detect(
    settings: Settings,
    lake: Any,
    plan: _Plan,
    engine: str,
    rules: Sequence[str] | None,
    rules_cfg: RulesConfig,
    spark_master: str | None,
) -> list[Any]:
    from lantian.db.session import session_scope
    from lantian.rules.engine import run_rules

    with shared_backend(settings.ensure_home() / "duckdb-tmp") as backend:
        with session_scope(settings) as s:
            inputs = plan_inputs(lake, s, plan, backend)
        if engine == "spark":
            from lantian.rules.spark import inputs_to_spark, spark_session

            inputs = inputs_to_spark(inputs, spark_session(spark_master))
        collected: list[Any] = []
        leads = run_rules(
            inputs,
            rules=rules,
            params=rules_cfg,
            baselines_out=collected if plan.store_for else None,
        )
        if plan.store_for:
            plan.computed = bl.long_rows(collected, bl.series_owners(plan.registry))
        return leads


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
    "PlatformParams",
    "RunReport",
    "data_first",
    "data_horizon",
    "detect_lake_once",
    "duckdb_backend",
    "lake_ambient",
    "lake_inputs",
    "plan_inputs",
    "registry_tables",
    "run_schedule",
    "start_background_detection",
    "watermark",
]

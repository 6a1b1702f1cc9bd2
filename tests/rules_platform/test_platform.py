"""Platform mode: incremental detection over the lake, stored and extended in the DB."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import func, select

from lantian.db.session import session_scope
from lantian.lake import Lake
from lantian.leads.models import Lead
from lantian.registry.models import Alert, Enterprise, Line, Measure, Meter, Outlet, Station
from lantian.rules.engine import run_rules
from lantian.rules.inputs import load_bundle
from lantian.rules.platform import (
    PlatformParams,
    detect_lake_once,
    lake_inputs,
    run_schedule,
    watermark,
)
from lantian.rules.platform_models import DetectionRun
from lantian.settings import Settings
from lantian.timeutil import CST

ALL_DATA = PlatformParams(initial_days=3650, lookback_days=3650, merge_gap_h=2)


def _none(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) or v == "" else v


def _registry(settings: Settings, bundle: Path) -> None:
    reg = bundle / "registry"
    read = lambda name: pd.read_csv(reg / f"{name}.csv", dtype=str, keep_default_na=False)  # noqa: E731
    ents, outlets, meters = read("enterprises"), read("outlets"), read("meters")
    with session_scope(settings) as s:
        for r in ents.to_dict("records"):
            s.add(
                Enterprise(
                    enterprise_id=r["enterprise_id"],
                    name=r["name"],
                    credit_code=r["credit_code"],
                    industry=r["industry"],
                    city=_none(r["city"]),
                    district=_none(r["district"]),
                    township=_none(r["township"]),
                    grade=_none(r["grade"]),
                    positive_list=r["positive_list"].lower() == "true",
                )
            )
        s.flush()
        lines = {(r["line_id"], r["enterprise_id"]) for r in meters.to_dict("records")}
        lines |= {
            (r["line_id"], r["enterprise_id"]) for r in outlets.to_dict("records") if r["line_id"]
        }
        for line_id, ent in sorted(lines):
            s.add(Line(line_id=line_id, enterprise_id=ent))
        s.flush()
        f = lambda v: float(v) if _none(v) is not None else None  # noqa: E731
        for r in outlets.to_dict("records"):
            s.add(
                Outlet(
                    outlet_id=r["outlet_id"],
                    enterprise_id=r["enterprise_id"],
                    name=r["name"],
                    mn=r["mn"],
                    o2_ref_pct=f(r["o2_ref_pct"]),
                    limit_pm=f(r["limit_pm"]),
                    limit_so2=f(r["limit_so2"]),
                    limit_nox=f(r["limit_nox"]),
                    line_id=_none(r["line_id"]),
                )
            )
        for r in meters.to_dict("records"):
            s.add(
                Meter(
                    meter_id=r["meter_id"],
                    enterprise_id=r["enterprise_id"],
                    line_id=r["line_id"],
                    role=r["role"],
                    name=r["name"],
                    rated_kw=f(r["rated_kw"]),
                )
            )
        for r in read("stations").to_dict("records"):
            s.add(
                Station(
                    station_id=r["station_id"],
                    name=r["name"],
                    kind=r["kind"],
                    city=_none(r["city"]),
                    district=_none(r["district"]),
                    township=_none(r["township"]),
                    lon=f(r["lon"]),
                    lat=f(r["lat"]),
                )
            )
        if (reg / "measures.csv").exists():
            for r in read("measures").to_dict("records"):
                s.add(
                    Measure(
                        enterprise_id=r["enterprise_id"],
                        line_id=r["line_id"],
                        level=r["level"],
                        action=r["action"],
                        limit_pct=f(r["limit_pct"]),
                    )
                )
        alerts = bundle / "data" / "alerts.csv"
        if alerts.exists():
            for r in pd.read_csv(alerts, dtype=str, keep_default_na=False).to_dict("records"):
                s.add(
                    Alert(
                        alert_id=r["alert_id"],
                        city=r["city"],
                        level=r["level"],
                        start=datetime.fromisoformat(r["start"]),
                        end=datetime.fromisoformat(r["end"]) if r["end"] else None,
                    )
                )


def _data(bundle: Path) -> dict[str, pd.DataFrame]:
    d = bundle / "data"
    out: dict[str, pd.DataFrame] = {}
    for source, stem in (
        ("cems_hourly", "cems_hourly"),
        ("power", "power"),
        ("ambient_hourly", "ambient_hourly"),
    ):
        path = d / f"{stem}.parquet"
        frame = pd.read_parquet(path) if path.exists() else pd.read_csv(d / f"{stem}.csv")
        t = frame["time"]
        if not pd.api.types.is_datetime64_any_dtype(t):
            t = pd.to_datetime(t, format="ISO8601", utc=True)
        elif getattr(t.dt, "tz", None) is None:
            t = t.dt.tz_localize(CST)
        frame["time"] = t.dt.tz_convert("UTC")
        out[source] = frame
    return out


def _append(
    lake: Lake,
    data: dict[str, pd.DataFrame],
    lo: datetime | None,
    hi: datetime | None,
    origin: str = "import",
    **where: str,
) -> None:
    """Append the rows of ``data`` in [lo, hi) (and with the columns' values ``where``;
    a source without such a column contributes nothing)."""
    for source, frame in data.items():
        part = frame
        if lo is not None:
            part = part[part["time"] >= pd.Timestamp(lo)]
        if hi is not None:
            part = part[part["time"] < pd.Timestamp(hi)]
        for column, value in where.items():
            part = part[part[column] == value] if column in part.columns else part.iloc[0:0]
        table = pa.Table.from_pandas(part.reset_index(drop=True), preserve_index=False)
        lake.append(source, table, origin=origin)


def _stored(settings: Settings) -> dict[str, Lead]:
    with session_scope(settings) as s:
        return {ld.lead_id: ld for ld in s.scalars(select(Lead))}


@pytest.fixture
def dev_city_platform(
    dev_city: Path, db_settings: Settings
) -> tuple[Settings, Lake, dict[str, pd.DataFrame]]:
    _registry(db_settings, dev_city)
    return db_settings, Lake(db_settings.lake_dir), _data(dev_city)


def test_lake_run_finds_the_bundle_leads_and_is_idempotent(
    dev_city: Path, dev_city_platform: tuple[Settings, Lake, dict[str, pd.DataFrame]]
) -> None:
    settings, lake, data = dev_city_platform
    _append(lake, data, None, None)
    expected = run_rules(load_bundle(dev_city))
    report = detect_lake_once(settings, params=ALL_DATA)
    assert report.status == "ok", report
    stored = _stored(settings)
    assert set(stored) == {ld.lead_id for ld in expected}
    for ld in expected:
        row = stored[ld.lead_id]
        assert (row.rule, row.subject_id, row.pollutant) == (ld.rule, ld.subject_id, ld.pollutant)
        assert row.start == datetime.fromisoformat(ld.start)
        assert row.end == datetime.fromisoformat(ld.end)
        assert row.summary == ld.summary and row.severity == ld.severity
    assert report.leads_new == len(expected)
    # no new data: skipped; forced re-run: nothing changes
    assert detect_lake_once(settings, params=ALL_DATA).status == "skipped"
    again = detect_lake_once(settings, params=ALL_DATA, force=True)
    assert (again.status, again.leads_new, again.leads_extended) == ("ok", 0, 0)
    after = _stored(settings)
    assert set(after) == set(stored)
    assert all(after[k].updated_at == stored[k].updated_at for k in after)
    with session_scope(settings) as s:
        assert s.scalar(select(func.count()).select_from(DetectionRun)) == 2
        assert watermark(s) == report.data_to


def test_incremental_runs_extend_an_ongoing_episode(
    dev_city: Path, dev_city_platform: tuple[Settings, Lake, dict[str, pd.DataFrame]]
) -> None:
    settings, lake, data = dev_city_platform
    rules = ["CEMS-EXCEED"]
    full = run_rules(load_bundle(dev_city), rules=rules)
    long = max(
        full, key=lambda ld: datetime.fromisoformat(ld.end) - datetime.fromisoformat(ld.start)
    )
    start, end = datetime.fromisoformat(long.start), datetime.fromisoformat(long.end)
    assert end - start >= timedelta(hours=3), "dev-city needs a multi-hour exceedance"
    cut = start + timedelta(hours=2)
    _append(lake, data, None, cut)
    incremental = PlatformParams(initial_days=3650, lookback_days=1, merge_gap_h=2)
    first = detect_lake_once(settings, params=incremental, rules=rules)
    assert first.status == "ok" and first.data_to == cut
    part = _stored(settings)[long.lead_id]
    assert part.open and part.end == cut
    _append(lake, data, cut, None)
    second = detect_lake_once(settings, params=incremental, rules=rules)
    assert second.data_from == cut - timedelta(days=1)
    assert second.leads_extended >= 1
    stored = _stored(settings)
    row = stored[long.lead_id]  # same id, extended to the episode's real end
    assert row.start == start and row.end == end
    assert not row.open or row.end > second.data_to - timedelta(hours=2)
    # the incremental result is the one-shot result: same episodes, same ids
    assert {(ld.lead_id, ld.start, ld.end) for ld in full} == {
        (k, v.start.isoformat(), v.end.isoformat()) for k, v in stored.items()
    }


def test_lake_inputs_window_and_schedule(
    dev_city_platform: tuple[Settings, Lake, dict[str, pd.DataFrame]],
) -> None:
    settings, lake, data = dev_city_platform
    _append(lake, data, None, None)
    lo = datetime(2024, 1, 10, tzinfo=CST)
    hi = datetime(2024, 1, 11, tzinfo=CST)
    with session_scope(settings) as s:
        inputs = lake_inputs(lake, s, lo, hi)
        t = inputs.cems.t
        lo_t = int((lo.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds())
        assert inputs.cems.filter((t < lo_t) | (t >= lo_t + 86400)).count().execute() == 0
        assert inputs.cems.count().execute() > 0
        assert inputs.outlets.count().execute() > 0
    reports: list[Any] = []
    stop = threading.Event()
    run_schedule(
        0.01,
        settings,
        stop=stop,
        on_report=reports.append,
        max_runs=2,
        params=ALL_DATA,
        rules=["CEMS-EXCEED"],
    )
    assert [r.status for r in reports] == ["ok", "skipped"]


def test_future_data_time_is_reported_and_stops_nothing(
    dev_city: Path,
    dev_city_platform: tuple[Settings, Lake, dict[str, pd.DataFrame]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, lake, data = dev_city_platform
    rules = ["CEMS-EXCEED"]
    params = PlatformParams(lookback_days=15, initial_days=60)
    last_day = datetime(2024, 1, 21, tzinfo=CST)
    _append(lake, data, None, last_day)
    assert detect_lake_once(settings, params=params, rules=rules).mode == "full"
    # one packet stamped 2099, then the last day arrives
    stray = data["cems_hourly"].iloc[:1].copy()
    stray["time"] = pd.Timestamp("2099-01-01T00:00:00+08:00").tz_convert("UTC")
    lake.append("cems_hourly", pa.Table.from_pandas(stray, preserve_index=False), origin="gateway")
    _append(lake, data, last_day, None)
    # a run that fails leaves the change log for the next run
    import lantian.rules.platform as platform

    def boom(*args: Any, **kwargs: Any) -> list[Any]:
        raise RuntimeError("engine down")

    monkeypatch.setattr(platform, "_detect", boom)
    with pytest.raises(RuntimeError):
        detect_lake_once(settings, params=params, rules=rules)
    assert len(lake.pending_changes()) == 4
    monkeypatch.undo()
    report = detect_lake_once(settings, params=params, rules=rules)
    assert report.status == "ok" and report.mode == "incremental"
    assert report.data_to is not None and report.data_to.year == 2024
    [excluded] = report.future_excluded
    assert excluded["series"] == stray["outlet_id"].iloc[0] and "2099" in excluded["from"]
    assert "not judged" in excluded["reason"]
    expected = {
        (ld.subject_id, ld.pollutant, ld.start, ld.end)
        for ld in run_rules(load_bundle(dev_city), rules=rules)
    }
    with session_scope(settings) as s:
        got = {
            (ld.subject_id, ld.pollutant, ld.start.isoformat(), ld.end.isoformat())
            for ld in s.scalars(select(Lead).where(Lead.status == "active"))
        }
        failed = s.scalars(select(DetectionRun).where(DetectionRun.status == "failed")).all()
    assert got == expected and len(failed) == 1 and "engine down" in (failed[0].error or "")
    # the 2099 hours stay deferred (reported again), they never block later runs
    [deferred] = lake.pending_changes()
    assert deferred.series[excluded["series"]][0] == datetime(2099, 1, 1, tzinfo=CST)
    again = detect_lake_once(settings, params=params, rules=rules)
    assert again.status == "ok" and len(again.future_excluded) == 1 and again.leads_new == 0

"""Acceptance: the platform's stored leads after any order of arrival equal ``lantian detect``.

dev-city (14 days) arrives in the lake in six orders (all at once, then a resent slice and
a file imported twice; hour by hour over several runs; one source first; a late backlog of
some outlets; overlapping imports split across runs). After the last run, the
active stored leads equal the leads of one ``run_rules`` over the bundle (rule, subject,
pollutant, start, end). The lookback (15 days) covers the bundle, so every run's
baselines are those of the one-shot run; what each run re-reads is still limited to the
changed series' enterprises, cities and clone partners.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import select
from tests.rules_platform.test_platform import _data, _registry

from lantian.db.session import session_scope
from lantian.lake import Lake
from lantian.leads.models import Lead
from lantian.rules.engine import run_rules
from lantian.rules.inputs import load_bundle
from lantian.rules.platform import PlatformParams, RunReport, detect_lake_once
from lantian.settings import Settings, get_settings
from lantian.timeutil import CST

pytestmark = pytest.mark.slow

PARAMS = PlatformParams(lookback_days=15, initial_days=60, merge_gap_h=2)
T0 = datetime(2024, 1, 8, tzinfo=CST)
T1 = datetime(2024, 1, 22, tzinfo=CST)
Key = tuple[str, str, str, str, datetime, datetime]
Data = dict[str, pd.DataFrame]


_EXPECTED: dict[str, set[Key]] = {}


@pytest.fixture
def expected(dev_city: Path) -> set[Key]:
    if str(dev_city) in _EXPECTED:
        return _EXPECTED[str(dev_city)]
    _EXPECTED[str(dev_city)] = {
        (
            ld.rule,
            ld.subject_type,
            ld.subject_id,
            ld.pollutant or "",
            datetime.fromisoformat(ld.start),
            datetime.fromisoformat(ld.end),
        )
        for ld in run_rules(load_bundle(dev_city))
    }
    return _EXPECTED[str(dev_city)]


@pytest.fixture
def platform(
    dev_city: Path, lantian_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, Lake, Data]]:
    get_settings.cache_clear()
    settings = get_settings()
    _registry(settings, dev_city)
    yield settings, Lake(settings.lake_dir), _data(dev_city)
    get_settings.cache_clear()


def _put(
    lake: Lake,
    data: Data,
    lo: datetime | None = None,
    hi: datetime | None = None,
    *,
    sources: tuple[str, ...] = ("cems_hourly", "power", "ambient_hourly"),
    where: Callable[[pd.DataFrame], pd.Series] | None = None,
    exclude: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> None:
    for source in sources:
        part = data[source]
        if lo is not None:
            part = part[part["time"] >= pd.Timestamp(lo)]
        if hi is not None:
            part = part[part["time"] < pd.Timestamp(hi)]
        if where is not None:
            part = part[where(part)]
        if exclude is not None:
            part = part[~exclude(part)]
        if len(part):
            table = pa.Table.from_pandas(part.reset_index(drop=True), preserve_index=False)
            lake.append(source, table, origin="import")


def _run(settings: Settings) -> RunReport:
    report = detect_lake_once(settings, params=PARAMS)
    assert report.status in ("ok", "skipped"), report
    return report


def _stored(settings: Settings) -> set[Key]:
    with session_scope(settings) as s:
        return {
            (ld.rule, ld.subject_type, ld.subject_id, ld.pollutant or "", ld.start, ld.end)
            for ld in s.scalars(select(Lead).where(Lead.status == "active"))
        }


def _check(settings: Settings, expected: set[Key]) -> None:
    got = _stored(settings)
    assert got - expected == set() and expected - got == set(), (
        f"extra: {sorted(got - expected)[:5]}, missing: {sorted(expected - got)[:5]}"
    )


def _late_outlets(data: Data) -> set[str]:
    return set(sorted(data["cems_hourly"]["outlet_id"].unique())[:6])


def test_streamed_hour_by_hour_over_several_runs(
    platform: tuple[Settings, Lake, Data], expected: set[Key]
) -> None:
    settings, lake, data = platform
    # twelve days as one import, then the last two hour by hour with a run every 24 h
    _put(lake, data, T0, T1 - timedelta(days=2))
    _run(settings)
    t = T1 - timedelta(days=2)
    runs = 0
    while t < T1:
        _put(lake, data, t, t + timedelta(hours=1))
        t += timedelta(hours=1)
        if (T1 - t) % timedelta(hours=24) == timedelta(0):
            report = _run(settings)
            assert report.mode == "incremental" and report.changes_consumed == 24 * 3
            runs += 1
    assert runs == 2
    _check(settings, expected)


def test_one_source_first_then_the_others(
    platform: tuple[Settings, Lake, Data], expected: set[Key]
) -> None:
    settings, lake, data = platform
    _put(lake, data, sources=("power",))
    _run(settings)
    _put(lake, data, sources=("cems_hourly",))
    second = _run(settings)
    assert second.mode == "incremental"
    _put(lake, data, sources=("ambient_hourly",))
    third = _run(settings)
    assert third.enterprises_judged == 0 and third.stations_judged > 0
    _check(settings, expected)


def test_late_backlog_of_some_outlets_withdraws_missing_leads(
    platform: tuple[Settings, Lake, Data], expected: set[Key]
) -> None:
    settings, lake, data = platform
    late = _late_outlets(data)
    lo, hi = T0 + timedelta(days=4), T0 + timedelta(days=7)

    # P0004 (E0005) is copied by P0019 (E0027) on Jan 20-21 (CEMS-CLONED, label L0060):
    # its late hours must bring P0019 in as a partner
    clone_lo, clone_hi = datetime(2024, 1, 20, tzinfo=CST), datetime(2024, 1, 21, 12, tzinfo=CST)

    def backlog(frame: pd.DataFrame) -> pd.Series:
        t = frame["time"]
        return (
            frame["outlet_id"].isin(late) & (t >= pd.Timestamp(lo)) & (t < pd.Timestamp(hi))
        ) | (
            (frame["outlet_id"] == "P0004")
            & (t >= pd.Timestamp(clone_lo))
            & (t < pd.Timestamp(clone_hi))
        )

    _put(lake, data, exclude=backlog, sources=("cems_hourly",))
    _put(lake, data, sources=("power", "ambient_hourly"))
    _run(settings)
    # the outlets' silence while their lines produced looks like missing data
    with session_scope(settings) as s:
        missing = s.scalars(
            select(Lead.lead_id).where(
                Lead.rule == "CEMS-MISSING",
                Lead.subject_id.in_(late),
                Lead.start >= lo,
                Lead.end <= hi,
            )
        ).all()
    assert missing, "a 3-day backlog should look like missing data first"
    _put(lake, data, where=backlog, sources=("cems_hourly",))
    report = _run(settings)
    assert report.leads_withdrawn >= len(missing)
    assert report.enterprises_judged < 40  # only the late outlets' enterprises (+ none else)
    assert report.partners_read >= 1
    with session_scope(settings) as s:
        clone = s.scalars(
            select(Lead).where(Lead.rule == "CEMS-CLONED", Lead.subject_id == "P0004")
        ).all()
        assert [c.evidence.get("other_outlet_id") for c in clone] == ["P0019"]
    _check(settings, expected)
    with session_scope(settings) as s:
        gone = s.scalars(select(Lead).where(Lead.lead_id.in_(missing))).all()
        assert {g.status for g in gone} == {"withdrawn"}
        assert all(g.withdrawn_reason for g in gone)


def test_all_at_once_then_a_resent_slice_and_a_duplicate_import_change_nothing(
    platform: tuple[Settings, Lake, Data], expected: set[Key]
) -> None:
    settings, lake, data = platform
    _put(lake, data)
    assert _run(settings).mode == "full"
    _check(settings, expected)
    assert lake.pending_changes() == []
    before = _stored(settings)
    with session_scope(settings) as s:
        count = len(s.scalars(select(Lead.lead_id)).all())
    resent = _late_outlets(data)
    # loggers re-send two days (补发), and a bureau imports the same file twice
    _put(
        lake,
        data,
        T0 + timedelta(days=5),
        T0 + timedelta(days=7),
        sources=("cems_hourly",),
        where=lambda f: f["outlet_id"].isin(resent),
    )
    first = _run(settings)
    for _ in range(2):
        _put(lake, data, sources=("cems_hourly",), where=lambda f: f["outlet_id"].isin(resent))
    second = _run(settings)
    assert first.enterprises_judged <= len(resent) and first.changes_consumed == 1
    assert (first.leads_new, first.leads_withdrawn, first.leads_extended) == (0, 0, 0)
    assert (second.leads_new, second.leads_withdrawn, second.leads_extended) == (0, 0, 0)
    assert first.leads_unchanged > 0 and second.changes_consumed == 2
    assert _stored(settings) == before
    with session_scope(settings) as s:
        assert len(s.scalars(select(Lead.lead_id)).all()) == count
    _check(settings, expected)


def test_overlapping_imports_split_across_runs(
    platform: tuple[Settings, Lake, Data], expected: set[Key]
) -> None:
    settings, lake, data = platform
    mid_lo, mid_hi = T0 + timedelta(days=5), T0 + timedelta(days=9)
    # CEMS up to day 9, power and ambient up to day 5; then everything from day 5 on
    _put(lake, data, None, mid_hi, sources=("cems_hourly",))
    _put(lake, data, None, mid_lo, sources=("power", "ambient_hourly"))
    _run(settings)
    _put(lake, data, mid_lo, None)
    _run(settings)
    _check(settings, expected)

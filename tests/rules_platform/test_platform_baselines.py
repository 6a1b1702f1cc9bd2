"""Platform runs with stored baselines (:mod:`lantian.rules.baselines`): a new hour is judged
by reading only the hours around it, against the statistics of the last long read, and the
stored leads are those of a full re-judgement."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from tests.rules_platform.test_platform import _append, _data, _registry

from lantian.db.session import session_scope
from lantian.lake import Lake
from lantian.leads.models import Lead
from lantian.registry.models import Outlet
from lantian.rules import baselines as bl
from lantian.rules.platform import PlatformParams, detect_lake_once
from lantian.settings import Settings, get_settings
from lantian.timeutil import CST

pytestmark = pytest.mark.slow

T1 = datetime(2024, 1, 22, tzinfo=CST)
LAST = T1 - timedelta(hours=1)
Data = dict[str, pd.DataFrame]


@pytest.fixture
def platform(dev_city: Path, lantian_home: Path) -> tuple[Settings, Lake, Data]:
    get_settings.cache_clear()
    settings = get_settings()
    _registry(settings, dev_city)
    return settings, Lake(settings.lake_dir), _data(dev_city)


def _put(lake: Lake, data: Data, lo: datetime | None, hi: datetime | None, **where: str) -> None:
    """Rows as a data logger's feeder appends them (origin ``gateway``)."""
    _append(lake, data, lo, hi, origin="gateway", **where)


def _active(settings: Settings) -> set[tuple[str, str, str, datetime, datetime]]:
    with session_scope(settings) as s:
        return {
            (ld.rule, ld.subject_id, ld.pollutant or "", ld.start, ld.end)
            for ld in s.scalars(select(Lead).where(Lead.status == "active"))
        }


def test_a_new_hour_is_judged_around_itself_with_the_stored_baselines(
    platform: tuple[Settings, Lake, Data],
) -> None:
    settings, lake, data = platform
    _put(lake, data, None, LAST)
    first = detect_lake_once(settings)
    assert first.mode == "full" and first.baselines_stored == first.enterprises_judged > 0
    store = bl.load(settings.ensure_home())
    assert set(store.entries) and store.rows.num_rows > 0
    kinds = set(store.rows.column("kind").to_pylist())
    assert {"meter_levels", "typical_on", "typical_kw", "o2", "treatment_share"} <= kinds

    _put(lake, data, LAST, None)
    report = detect_lake_once(settings)
    assert report.mode == "incremental"
    assert report.enterprises_reused == report.enterprises_judged > 0
    assert report.baselines_stored == 0
    # it read about a day before the hour, not the 7-day lookback
    assert report.data_from is not None and report.data_from >= LAST - timedelta(days=4)
    after_hour = _active(settings)

    check = detect_lake_once(settings, force=True)
    assert (check.leads_new, check.leads_extended, check.leads_withdrawn) == (0, 0, 0)
    assert _active(settings) == after_hour


def test_a_resend_reaching_back_days_rereads_its_enterprise_and_stores_new_baselines(
    platform: tuple[Settings, Lake, Data],
) -> None:
    settings, lake, data = platform
    _put(lake, data, None, LAST)
    detect_lake_once(settings)
    outlet = sorted(data["cems_hourly"]["outlet_id"].unique())[0]
    before = bl.load(settings.ensure_home())
    _put(lake, data, LAST - timedelta(days=3), LAST - timedelta(days=2), outlet_id=outlet)
    report = detect_lake_once(settings, params=PlatformParams())
    assert report.enterprises_judged == 1
    assert report.enterprises_reused == 0 and report.baselines_stored == 1
    with session_scope(settings) as s:
        ent = s.scalar(select(Outlet.enterprise_id).where(Outlet.outlet_id == outlet))
    after = bl.load(settings.ensure_home())
    assert after.entries[ent].data_from == LAST - timedelta(days=10)  # 7-day lookback
    assert after.entries[ent].data_to == before.entries[ent].data_to == LAST  # the horizon
    others = set(after.entries) - {ent}
    assert all(after.entries[e] == before.entries[e] for e in others)


def test_a_registry_change_rereads_the_enterprise(
    platform: tuple[Settings, Lake, Data],
) -> None:
    settings, lake, data = platform
    _put(lake, data, None, LAST)
    detect_lake_once(settings)
    with session_scope(settings) as s:
        outlet = s.scalars(select(Outlet).order_by(Outlet.outlet_id)).first()
        assert outlet is not None
        outlet.limit_nox = (outlet.limit_nox or 100.0) * 2
        ent = outlet.enterprise_id
    _put(lake, data, LAST, None)
    report = detect_lake_once(settings)
    assert report.baselines_stored == 1
    assert report.enterprises_reused == report.enterprises_judged - 1
    assert bl.load(settings.ensure_home()).entries[ent].data_to > LAST


def test_refresh_zero_recomputes_every_run(platform: tuple[Settings, Lake, Data]) -> None:
    settings, lake, data = platform
    _put(lake, data, None, LAST)
    detect_lake_once(settings)
    _put(lake, data, LAST, None)
    report = detect_lake_once(settings, params=PlatformParams(baseline_refresh_h=0))
    assert report.enterprises_reused == 0
    assert report.baselines_stored == report.enterprises_judged > 0

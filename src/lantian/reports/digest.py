"""The daily digest (每日推送): per recipient and scope, in Chinese, the Handan types that
Lantian has data for, and an explicit 未接入 line for each type not yet fed.

Types (:data:`DIGEST_TYPES`, in order):

``emission_load``
    排放量变化: each enterprise's daily load of SO2, NOx and particulate matter, computed
    hour by hour as concentration × flow (kg = mg/m³ × m³/h × 1 h × 10⁻⁶) over hours
    whose HJ 212 flag is ``N`` for both, summed per CST day; the enterprises whose load
    changed by more than ``LANTIAN_DIGEST_LOAD_CHANGE_PCT`` % against the day before.
``emergency``
    应急减排措施落实: heavy-pollution alerts in force that day in the recipient's cities,
    the enterprises with measures at that level and the 未落实应急减排措施 leads.
``exceedances``
    超标与异常: new leads of the day of the online-monitoring families (exceedance, flat
    line, pinned, O2, missing, flag abuse, cloned data, logger clock, rewrites, treatment).
``new_leads``
    新增线索: new leads of the day counted by family.
``ambient_high``
    空气质量高值站点: stations whose daily mean PM2.5 or PM10 exceeds the GB 3095-2012
    24-h Grade II limit (75 / 150 µg/m³), worst first.
``township_index``
    乡镇综合指数及排名: the composite index of each township for the day and its rank
    within the city (HJ 663-2013; :mod:`lantian.rules.ambient_index`).
``overdue_cases``
    逾期案件: open cases past their deadline at the end of the day.
``video``, ``truck_gates``
    视频监控 and 车辆门禁: 未接入 until the lake has their sources.

The data of a day are computed once (:func:`compute_day`) and each recipient's digest
filters them by the recipient's scope (:mod:`lantian.auth.visibility`), so a province's
digests cost one pass over the lake plus a few indexed queries per distinct scope.

References
----------
.. [1] HJ 75-2017, 固定污染源烟气（SO2、NOx、颗粒物）排放连续监测技术规范, §11 and Annex
       (排放速率 = 浓度 × 标态干烟气流量 × 10⁻⁶, kg/h; 排放量 by summing hourly rates).
       The lake's flow ``a00000`` is taken as the standard dry flow (unverified per logger).
.. [2] HJ 76-2017, 固定污染源烟气排放连续监测系统技术要求及检测方法 (hourly data).
.. [3] HJ 212-2017, Table 5 (data flag ``N`` = 正常).
.. [4] GB 3095-2012, 环境空气质量标准, Table 1 (24-h Grade II: PM2.5 75, PM10 150 µg/m³).
.. [5] HJ 663-2013, 环境空气质量评价技术规范（试行）.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.auth.visibility import visible
from lantian.settings import Settings, get_settings
from lantian.timeutil import CST, now_cst, to_cst
from lantian.vocab import families, pollutants

log = logging.getLogger("lantian.reports")

LOAD_POLLUTANTS: tuple[str, ...] = ("a21026", "a21002", "a34013")
"""SO2, NOx, particulate matter: the pollutants of HJ 75-2017's load accounting."""
FLOW_CODE = "a00000"
NORMAL_FLAG = "N"
ANOMALY_FAMILIES: tuple[str, ...] = (
    "EXCEEDANCE",
    "FLATLINE",
    "PINNED",
    "O2_ABNORMAL",
    "MISSING",
    "FLAG_ABUSE",
    "CLONED",
    "CLOCK_ANOMALY",
    "DATA_REWRITE",
    "TREATMENT_OFF",
    "TREATMENT_LOW",
)
PM_DAILY_LIMITS: dict[str, float] = {"PM2.5": 75.0, "PM10": 150.0}
"""GB 3095-2012 Table 1, 24-h mean, Grade II (µg/m³)."""
MIN_HOURS_PER_DAY = 20
"""A station's daily mean needs 20 valid hours (GB 3095-2012 Table 4)."""
MAX_ITEMS = 50
"""Items listed per type (the count says how many there are)."""

DIGEST_TYPES: tuple[tuple[str, str], ...] = (
    ("emission_load", "排放量变化"),
    ("emergency", "应急减排措施落实"),
    ("exceedances", "超标与异常"),
    ("new_leads", "新增线索"),
    ("ambient_high", "空气质量高值站点"),
    ("township_index", "乡镇综合指数及排名"),
    ("overdue_cases", "逾期案件"),
    ("video", "视频监控"),
    ("truck_gates", "车辆门禁"),
)
"""(type code, Chinese title), in the digest's order."""
UNFED_SOURCES: dict[str, str] = {"video": "camera_events", "truck_gates": "gate_records"}
"""Types without data in Lantian yet → the lake source that will feed them."""


@dataclass
class Scope:
    """Who a digest is for (a :class:`User`, or the whole platform as ``admin``)."""

    role: str = "admin"
    enterprise_id: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    user_id: int | None = None
    username: str | None = None
    display_name: str = "全平台"

    @classmethod
    def of(cls, user: User) -> Scope:
        return cls(
            user.role,
            user.enterprise_id,
            user.province,
            user.city,
            user.district,
            user.user_id,
            user.username,
            user.display_name,
        )

    def key(self) -> tuple[str | None, ...]:
        """Users with the same key see the same digest."""
        return (self.role, self.enterprise_id, self.province, self.city, self.district)

    def label(self) -> str:
        if self.role == "admin":
            return "全部辖区"
        if self.role == "enterprise":
            return "本企业"
        parts = [
            p for p in (self.province and f"省份 {self.province}", self.city, self.district) if p
        ]
        return "·".join(parts) or "全部辖区"


@dataclass
class Section:
    """One type of the digest: title, whether it is fed, a one-line summary, items."""

    type: str
    title: str
    fed: bool
    summary: str
    count: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Digest:
    """A recipient's digest of one CST day."""

    date: str
    user: str | None
    scope: str
    generated_at: str
    sections: list[Section]

    def to_json(self) -> dict[str, Any]:
        """``{"date", "user", "scope", "generated_at", "types": [...]}``."""
        return {
            "date": self.date,
            "user": self.user,
            "scope": self.scope,
            "generated_at": self.generated_at,
            "types": [asdict(s) for s in self.sections],
        }

    def subject(self) -> str:
        return f"【每日推送】{self.date} {self.scope}"


# --------------------------------------------------------------------------- day data


@dataclass
class DayData:
    """What the digests of one day share (computed once, filtered per scope)."""

    day: date
    start: datetime
    end: datetime
    loads: dict[str, dict[str, tuple[float, int, float, int]]]
    """enterprise → pollutant → (kg that day, hours, kg the day before, hours)."""
    stations_pm: dict[str, dict[str, tuple[float, int]]]
    """station → pollutant (PM2.5, PM10) → (daily mean µg/m³, valid hours)."""
    townships: list[dict[str, Any]]
    """Township index rows (city, district, township, composite_index, rank, n_ranked …)."""
    fed_sources: frozenset[str]
    change_pct: float
    alerts: list[dict[str, Any]] = field(default_factory=list)
    """Heavy-pollution alerts in force that day: city, level, start, end and
    ``measure_enterprises`` (ids with a measure at that level)."""


def day_window(day: date) -> tuple[datetime, datetime]:
    """``[00:00, 24:00)`` CST of ``day``."""
    start = datetime(day.year, day.month, day.day, tzinfo=CST)
    return start, start + timedelta(days=1)


def _loads(
    lake: Any, day: date, outlet_ent: dict[str, str]
) -> dict[str, dict[str, tuple[float, int, float, int]]]:
    """Per outlet-joined enterprise load: see the module notes (HJ 75-2017 [1]_)."""
    import duckdb

    start, end = day_window(day)
    src = lake.scan_sql("cems_hourly", start - timedelta(days=1), end)
    pols = ", ".join(f"'{p}'" for p in (*LOAD_POLLUTANTS, FLOW_CODE))
    # one row per outlet-hour with the flow and each pollutant (a hash aggregate, no join),
    # then kg = Σ C × Q × 10⁻⁶ per outlet, pollutant and CST day
    per_pol = ", ".join(
        f"max(value) FILTER (WHERE pollutant = '{p}') AS \"{p}\"" for p in LOAD_POLLUTANTS
    )
    unions = " UNION ALL ".join(
        f"SELECT outlet_id, dayno, '{p}' AS pollutant, \"{p}\" * flow AS mgq FROM h "
        f'WHERE "{p}" >= 0'
        for p in LOAD_POLLUTANTS
    )
    sql = f"""
        WITH h AS (
            SELECT outlet_id,
                   CAST(floor((epoch(any_value("time")) + 28800) / 86400) AS BIGINT) AS dayno,
                   max(value) FILTER (WHERE pollutant = '{FLOW_CODE}') AS flow, {per_pol}
            FROM {src}
            WHERE pollutant IN ({pols}) AND coalesce(flag, '{NORMAL_FLAG}') = '{NORMAL_FLAG}'
            GROUP BY outlet_id, "time"
            HAVING flow >= 0
        )
        SELECT outlet_id, pollutant, dayno, sum(mgq) * 1e-6 AS kg, count(*) AS hours
        FROM ({unions}) GROUP BY 1, 2, 3
    """
    con = duckdb.connect(":memory:")
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    return _by_enterprise_rows(rows, (start.timestamp() + 28800) // 86400, outlet_ent)


def _by_enterprise_rows(
    rows: Iterable[tuple[str, str, int, float, int]], today_no: float, outlet_ent: dict[str, str]
) -> dict[str, dict[str, tuple[float, int, float, int]]]:
    acc: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    for outlet, pol, dayno, kg, hours in rows:
        ent = outlet_ent.get(outlet)
        if ent is None:
            continue
        slot = acc[ent][pol]
        if dayno == today_no:
            slot[0] += kg or 0.0
            slot[1] += hours
        else:
            slot[2] += kg or 0.0
            slot[3] += hours
    return {
        e: {p: (v[0], int(v[1]), v[2], int(v[3])) for p, v in pols.items()}
        for e, pols in acc.items()
    }


def _ambient(session: Session, lake: Any, day: date) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Station PM daily means and the township index of ``day`` (HJ 663-2013 [5]_)."""
    import ibis

    from lantian.rules.ambient_index import Period, ambient_index, rank_areas
    from lantian.rules.platform import lake_ambient

    start, end = day_window(day)
    con = ibis.duckdb.connect()
    ambient, stations = lake_ambient(lake, session, start, end, backend=con)
    pm: dict[str, dict[str, tuple[float, int]]] = defaultdict(dict)
    for sid, pol, mean, hours in con.con.execute(
        "SELECT station_id, pollutant, avg(value), count(*) FROM lake_ambient_index "
        "WHERE pollutant IN ('PM2.5', 'PM10') AND value >= 0 GROUP BY 1, 2"
    ).fetchall():
        pm[str(sid)][str(pol)] = (float(mean), int(hours))
    townships: list[dict[str, Any]] = []
    try:
        expr = rank_areas(
            ambient_index(ambient, stations, "township", Period(start, end)), "township"
        )
        frame = con.execute(expr)
        for rec in frame.to_dict("records"):
            townships.append({k: _plain(v) for k, v in rec.items()})
    except Exception:  # no ambient data or no townships: the section says so
        log.debug("township index of %s not computed", day, exc_info=True)
    return dict(pm), townships


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, datetime):
        return to_cst(value).isoformat()
    return value


DAY_CACHE_S = 300.0
"""How long the data of a day are reused by pages and senders of one process."""
_day_cache: dict[tuple[str, str, date], tuple[float, DayData]] = {}
_day_lock = threading.Lock()


def cached_day(session: Session, day: date, settings: Settings | None = None) -> DayData:
    """:func:`compute_day`, reused for :data:`DAY_CACHE_S` seconds per lake, database and
    day (a digest page must not read a province's lake on every view)."""
    settings = settings or get_settings()
    key = (str(settings.lake_dir), settings.effective_database_url, day)
    with _day_lock:
        hit = _day_cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < DAY_CACHE_S:
            return hit[1]
    data = compute_day(session, day, settings)
    with _day_lock:
        _day_cache[key] = (time.monotonic(), data)
        for k in [k for k, (t, _d) in _day_cache.items() if time.monotonic() - t >= DAY_CACHE_S]:
            del _day_cache[k]
    return data


def compute_day(session: Session, day: date, settings: Settings | None = None) -> DayData:
    """The shared data of ``day``'s digests (one pass over the lake)."""
    from lantian.lake import Lake
    from lantian.lake.schema import SOURCES
    from lantian.registry.models import Outlet

    settings = settings or get_settings()
    lake = Lake(settings.lake_dir)
    outlet_ent = {
        str(o): str(e) for o, e in session.execute(select(Outlet.outlet_id, Outlet.enterprise_id))
    }
    loads = _loads(lake, day, outlet_ent)
    pm, townships = _ambient(session, lake, day)
    fed = frozenset(s for s in SOURCES if lake.has_data(s))
    start, end = day_window(day)
    return DayData(
        day,
        start,
        end,
        loads,
        pm,
        townships,
        fed,
        settings.digest_load_change_pct,
        _alerts(session, start, end),
    )


def _alerts(session: Session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Alerts in force in ``[start, end)`` with the enterprises that have measures at their
    level in their city."""
    from lantian.registry.models import Alert, Enterprise, Measure

    out: list[dict[str, Any]] = []
    alerts = session.scalars(
        select(Alert)
        .where(Alert.start < end, (Alert.end.is_(None)) | (Alert.end > start))
        .order_by(Alert.city, Alert.start)
    ).all()
    for al in alerts:
        ents = frozenset(
            str(e)
            for (e,) in session.execute(
                select(Measure.enterprise_id)
                .join(Enterprise, Enterprise.enterprise_id == Measure.enterprise_id)
                .where(Measure.level == al.level, Enterprise.city == al.city)
                .distinct()
            )
        )
        out.append(
            {
                "city": al.city,
                "level": al.level,
                "start": al.start,
                "end": al.end,
                "measure_enterprises": ents,
            }
        )
    return out


# --------------------------------------------------------------------------- per scope


def _pct(today: float, before: float) -> float | None:
    if before <= 0:
        return None
    return (today - before) / before * 100.0


def _load_section(data: DayData, ents: dict[str, str]) -> Section:
    items: list[dict[str, Any]] = []
    measured = 0
    for eid, name in ents.items():
        per = data.loads.get(eid)
        if not per:
            continue
        measured += 1
        for pol in LOAD_POLLUTANTS:
            if pol not in per:
                continue
            kg, hours, kg_before, hours_before = per[pol]
            pct = _pct(kg, kg_before)
            if pct is None or abs(pct) <= data.change_pct:
                continue
            items.append(
                {
                    "enterprise_id": eid,
                    "enterprise": name,
                    "pollutant": pollutants.name(pol),
                    "load_kg": round(kg, 2),
                    "load_kg_day_before": round(kg_before, 2),
                    "change_pct": round(pct, 1),
                    "hours": hours,
                    "hours_day_before": hours_before,
                }
            )
    items.sort(key=lambda i: -abs(i["change_pct"]))
    summary = (
        f"{measured} 家企业有排放量数据，{len(items)} 项日排放量较前一日变化超过 "
        f"{data.change_pct:g}%"
    )
    return Section("emission_load", "排放量变化", True, summary, len(items), items[:MAX_ITEMS])


def _emergency_section(
    data: DayData, ents: dict[str, str], ent_city: dict[str, str], leads: list[Any]
) -> Section:
    from lantian.vocab import registry as registry_vocab

    cities = set(ent_city.values())
    alerts = [al for al in data.alerts if al["city"] in cities]
    violations = [ld for ld in leads if ld.family == "EMERGENCY_VIOLATION"]
    items: list[dict[str, Any]] = []
    for al in alerts:
        city_viol = [ld for ld in violations if ent_city.get(ld.enterprise_id or "") == al["city"]]
        items.append(
            {
                "city": al["city"],
                "level": registry_vocab.ALERT_LEVELS.name(al["level"]),
                "start": to_cst(al["start"]).strftime("%Y-%m-%d %H:%M"),
                "end": to_cst(al["end"]).strftime("%Y-%m-%d %H:%M") if al["end"] else "—",
                "enterprises_with_measures": sum(1 for e in al["measure_enterprises"] if e in ents),
                "violations": len(city_viol),
                "violating": sorted({ents.get(ld.enterprise_id or "", "—") for ld in city_viol}),
            }
        )
    if not alerts:
        summary = "当日辖区无重污染天气预警"
    else:
        summary = (
            f"{len(alerts)} 个预警生效，{sum(i['violations'] for i in items)} 条未落实应急减排"
            "措施线索"
        )
    return Section("emergency", "应急减排措施落实", True, summary, len(items), items)


def _lead_item(lead: Any, ents: dict[str, str]) -> dict[str, Any]:
    return {
        "lead_id": lead.lead_id,
        "family": families.name(lead.family),
        "enterprise": ents.get(lead.enterprise_id or "", lead.subject_id),
        "severity": lead.severity,
        "summary": lead.summary,
    }


def _township_section(
    data: DayData, areas: set[tuple[str, str | None]], everything: bool
) -> Section:
    rows = [
        r
        for r in data.townships
        if everything
        or (r.get("city"), r.get("district")) in areas
        or (r.get("city"), None) in areas
    ]
    rows.sort(key=lambda r: (str(r.get("city")), r.get("rank") or 0))
    items = [
        {
            "city": r.get("city"),
            "district": r.get("district"),
            "township": r.get("township"),
            "composite_index": None
            if r.get("composite_index") is None
            else round(float(r["composite_index"]), 2),
            "primary_pollutant": r.get("primary_pollutant"),
            "rank": r.get("rank"),
            "n_ranked": r.get("n_ranked"),
        }
        for r in rows
    ]
    if not items:
        return Section("township_index", "乡镇综合指数及排名", True, "当日无有效的乡镇空气质量数据")
    worst = max(items, key=lambda i: i["composite_index"] or 0)
    summary = (
        f"{len(items)} 个乡镇参与排名，综合指数最高：{worst['township']}"
        f"（{worst['composite_index']}）"
    )
    return Section(
        "township_index", "乡镇综合指数及排名", True, summary, len(items), items[:MAX_ITEMS]
    )


def build_digest(
    session: Session, data: DayData, scope: Scope, *, now: datetime | None = None
) -> Digest:
    """The digest of ``data``'s day for ``scope`` (read only)."""
    from lantian.leads.models import Lead
    from lantian.registry.models import Enterprise, Station
    from lantian.workflow.models import Case
    from lantian.workflow.states import OPEN_STATES

    ents: dict[str, str] = {}
    ent_city: dict[str, str] = {}
    for eid, name, city in session.execute(
        select(Enterprise.enterprise_id, Enterprise.name, Enterprise.city).where(
            visible(scope, "enterprise", session=session)
        )
    ):
        ents[str(eid)] = str(name)
        if city:
            ent_city[str(eid)] = str(city)
    stations = {
        str(s): (str(n or s), c, d)
        for s, n, c, d in session.execute(
            select(Station.station_id, Station.name, Station.city, Station.district).where(
                visible(scope, "station", session=session)
            )
        )
    }
    leads = list(
        session.scalars(
            select(Lead)
            .where(
                visible(scope, "lead", session=session),
                Lead.detected_at >= data.start,
                Lead.detected_at < data.end,
                Lead.status != "withdrawn",
            )
            .order_by(Lead.severity.desc(), Lead.detected_at)
        )
    )
    sections: list[Section] = [
        _load_section(data, ents),
        _emergency_section(data, ents, ent_city, leads),
    ]
    anomalies = [ld for ld in leads if ld.family in ANOMALY_FAMILIES]
    sections.append(
        Section(
            "exceedances",
            "超标与异常",
            True,
            f"新增超标与数据异常线索 {len(anomalies)} 条",
            len(anomalies),
            [_lead_item(ld, ents) for ld in anomalies[:MAX_ITEMS]],
        )
    )
    by_family: dict[str, int] = defaultdict(int)
    for ld in leads:
        by_family[ld.family] += 1
    sections.append(
        Section(
            "new_leads",
            "新增线索",
            True,
            f"新增线索 {len(leads)} 条",
            len(leads),
            [
                {"family": families.name(f), "count": n}
                for f, n in sorted(by_family.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        )
    )
    high: list[dict[str, Any]] = []
    for sid, (name, _c, _d) in stations.items():
        pm = data.stations_pm.get(sid, {})
        over = {
            p: round(m, 1)
            for p, (m, h) in pm.items()
            if h >= MIN_HOURS_PER_DAY and m > PM_DAILY_LIMITS[p]
        }
        if over:
            high.append(
                {
                    "station_id": sid,
                    "station": name,
                    "pm25_ug_m3": round(pm["PM2.5"][0], 1) if "PM2.5" in pm else None,
                    "pm10_ug_m3": round(pm["PM10"][0], 1) if "PM10" in pm else None,
                    "over": [pollutants.name(p) for p in over],
                }
            )
    high.sort(key=lambda i: -(i["pm25_ug_m3"] or 0))
    hot = sum(1 for ld in leads if ld.family == "AMBIENT_HOTSPOT")
    sections.append(
        Section(
            "ambient_high",
            "空气质量高值站点",
            True,
            f"{len(high)} 个站点日均浓度超过二级标准，空气质量高值线索 {hot} 条",
            len(high),
            high[:MAX_ITEMS],
        )
    )
    areas = {(c, d) for (_n, c, d) in stations.values() if c}
    sections.append(_township_section(data, areas, scope.role == "admin"))
    open_states = [s for s in OPEN_STATES if s != "new"]
    overdue = session.scalars(
        select(Case)
        .where(
            visible(scope, "case", session=session),
            Case.status.in_(open_states),
            Case.deadline.is_not(None),
            Case.deadline < data.end,
        )
        .order_by(Case.deadline)
    ).all()
    items = []
    for c in overdue:
        assert c.deadline is not None
        items.append(
            {
                "case_id": c.case_id,
                "title": c.title,
                "enterprise": ents.get(c.enterprise_id or "", "—"),
                "deadline": to_cst(c.deadline).strftime("%Y-%m-%d %H:%M"),
                "days_overdue": round((data.end - c.deadline).total_seconds() / 86400, 1),
                "escalation_level": c.escalation_level,
            }
        )
    sections.append(
        Section(
            "overdue_cases",
            "逾期案件",
            True,
            f"逾期未办结案件 {len(items)} 件",
            len(items),
            items[:MAX_ITEMS],
        )
    )
    for code, title in DIGEST_TYPES:
        if code in UNFED_SOURCES:
            fed = UNFED_SOURCES[code] in data.fed_sources
            sections.append(
                Section(code, title, fed, "未接入" if not fed else "已接入，暂无汇总规则")
            )
    return Digest(
        data.day.isoformat(),
        scope.username,
        scope.label(),
        (now or now_cst()).isoformat(timespec="seconds"),
        sections,
    )


# --------------------------------------------------------------------------- renderings


def _item_line(section: Section, item: dict[str, Any]) -> str:
    t = section.type
    if t == "emission_load":
        return (
            f"{item['enterprise']} {item['pollutant']}：{item['load_kg']} kg"
            f"（前一日 {item['load_kg_day_before']} kg，{item['change_pct']:+.1f}%，"
            f"有效小时 {item['hours']}/{item['hours_day_before']}）"
        )
    if t == "emergency":
        viol = "、".join(item["violating"]) or "无"
        return (
            f"{item['city']} {item['level']}预警（{item['start']}—{item['end']}）："
            f"有减排措施企业 {item['enterprises_with_measures']} 家，未落实 {item['violations']} 条"
            f"（{viol}）"
        )
    if t == "exceedances":
        return f"{item['family']}｜{item['enterprise']}｜{item['summary']}"
    if t == "new_leads":
        return f"{item['family']}：{item['count']} 条"
    if t == "ambient_high":
        pm25 = "—" if item["pm25_ug_m3"] is None else item["pm25_ug_m3"]
        pm10 = "—" if item["pm10_ug_m3"] is None else item["pm10_ug_m3"]
        return f"{item['station']}：PM2.5 {pm25} µg/m³，PM10 {pm10} µg/m³"
    if t == "township_index":
        return (
            f"第 {item['rank']}/{item['n_ranked']} 名 {item['district'] or ''}"
            f"{item['township']}：综合指数 {item['composite_index']}"
        )
    if t == "overdue_cases":
        return (
            f"#{item['case_id']} {item['enterprise']}：{item['title']}（期限 {item['deadline']}，"
            f"逾期 {item['days_overdue']} 天）"
        )
    return json.dumps(item, ensure_ascii=False)


def render_text(digest: Digest) -> str:
    """The digest as plain text (e-mail body; robots render it as Markdown)."""
    out = [f"{digest.date} 每日推送（{digest.scope}）", ""]
    for n, s in enumerate(digest.sections, start=1):
        out.append(f"{n}. {s.title}：{s.summary}")
        for item in s.items[:20]:
            out.append(f"   - {_item_line(s, item)}")
        if s.count > min(len(s.items), 20):
            out.append(f"   - ……共 {s.count} 项，详见平台“每日推送”页面或附件 PDF")
    out += ["", f"生成于 {digest.generated_at}（北京时间）· 蓝天大气监督帮扶平台"]
    return "\n".join(out)


def render_pdf(digest: Digest) -> bytes:
    """The digest as an A4 PDF (the notices' PDF machinery)."""
    import hashlib

    from lantian.documents.pdf import NoticePDF

    code = hashlib.sha256(json.dumps(digest.to_json(), ensure_ascii=False).encode()).hexdigest()[
        :12
    ]
    pdf = NoticePDF(code, "蓝天大气监督帮扶平台")
    pdf.add_page()
    pdf.title_block("每日推送", f"{digest.date} · {digest.scope}")
    for n, s in enumerate(digest.sections, start=1):
        pdf.para(f"{n}. {s.title}：{s.summary}", bold=True)
        for item in s.items:
            pdf.para(f"· {_item_line(s, item)}", size=10)
        pdf.ln(2)
    return pdf.output_bytes()


# --------------------------------------------------------------------------- entry points


def digest_for_user(
    session: Session, day: date, user: User | None, settings: Settings | None = None
) -> Digest:
    """``user``'s digest of ``day`` (the whole platform for ``None``)."""
    data = cached_day(session, day, settings)
    return build_digest(session, data, Scope.of(user) if user is not None else Scope())


_pdf_cache: dict[tuple[Any, ...], tuple[float, str, bytes]] = {}
PDF_CACHE_ENTRIES = 64


def digest_pdf_for(session: Session, attachment: dict[str, Any]) -> tuple[str, bytes]:
    """(file name, PDF) of the digest an outbox row names (``{"date", "user_id"}``).

    Recipients with the same scope share one rendering (kept :data:`DAY_CACHE_S` seconds,
    at most :data:`PDF_CACHE_ENTRIES`): a morning's e-mails need one PDF per scope, not
    one per user."""
    day = date.fromisoformat(str(attachment["date"]))
    uid = attachment.get("user_id")
    user = session.get(User, int(uid)) if uid is not None else None
    scope = Scope.of(user) if user is not None else Scope()
    settings = get_settings()
    key = (str(settings.lake_dir), settings.effective_database_url, day, scope.key())
    with _day_lock:
        hit = _pdf_cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < DAY_CACHE_S:
            return hit[1], hit[2]
    digest = build_digest(session, cached_day(session, day, settings), scope)
    name, pdf = f"每日推送-{digest.date}.pdf", render_pdf(digest)
    with _day_lock:
        if len(_pdf_cache) >= PDF_CACHE_ENTRIES:
            _pdf_cache.pop(min(_pdf_cache, key=lambda k: _pdf_cache[k][0]))
        _pdf_cache[key] = (time.monotonic(), name, pdf)
    return name, pdf


def enqueue_digest(
    session: Session,
    user: User,
    digest: Digest,
    extra_channels: tuple[str, ...] = (),
    *,
    prefs: Any = None,
    known_keys: set[str] | None = None,
) -> list[Any]:
    """Store ``digest`` in the outbox for ``user`` (once per user and day)."""
    from lantian.notify.outbox import enqueue

    return enqueue(
        session,
        user,
        "digest",
        digest.subject(),
        render_text(digest),
        object_type="digest",
        object_id=digest.date,
        key=f"digest:{digest.date}",
        attachment={"date": digest.date, "user_id": user.user_id},
        extra_channels=extra_channels,
        prefs=prefs,
        known_keys=known_keys,
    )


def send_digests(
    session: Session,
    day: date,
    users: Iterable[User],
    settings: Settings | None = None,
) -> dict[str, int]:
    """Build and enqueue ``day``'s digest for each of ``users`` (one computation per
    distinct scope); audited once (``digest_send``). Returns counts."""
    from lantian.auth.audit import audit
    from lantian.notify.models import Notification
    from lantian.notify.preferences import all_prefs, get_prefs

    data = compute_day(session, day, settings)
    prefs = all_prefs(session)
    known = {
        k
        for k in session.scalars(
            select(Notification.dedupe_key).where(
                Notification.event == "digest", Notification.object_id == day.isoformat()
            )
        )
        if k is not None
    }
    cache: dict[tuple[str | None, ...], Digest] = {}
    stored = recipients = 0
    for user in users:
        scope = Scope.of(user)
        digest = cache.get(scope.key())
        if digest is None:
            digest = build_digest(session, data, scope)
            cache[scope.key()] = digest
        with session.no_autoflush:
            rows = enqueue_digest(
                session,
                user,
                digest,
                prefs=prefs.get(user.user_id) or get_prefs(session, user.user_id),
                known_keys=known,
            )
        known.update(r.dedupe_key for r in rows if r.dedupe_key)
        stored += len(rows)
        recipients += 1 if rows else 0
    counts = {"recipients": recipients, "notifications": stored, "scopes": len(cache)}
    audit(session, None, "digest_send", "digest", day.isoformat(), after=counts)
    return counts

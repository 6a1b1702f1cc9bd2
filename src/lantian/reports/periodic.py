"""Periodic reports (周报 / 月报 / 专项行动报告): the figures of a period for a jurisdiction.

A report is computed for a **viewer** (a user, or a synthetic officer of one city standing
for the city's bureau) over a **period** of CST days ``[start, end)``: a week (ISO week,
Monday to Sunday), a month, or a campaign's dates. Every figure is limited to what the
viewer sees (:mod:`lantian.auth.visibility`). Sections, always present in this order (an
empty one says 本期无数据):

1. ``overview`` — leads, cases opened / closed / overdue at the end of the period,
   立行立改 share, share of remote (non-site) checks, on-time rate of close-outs,
   escalation tasks, 约谈 and 通报;
2. ``leads_family``, ``leads_district``, ``leads_industry`` — leads by family, district
   and industry (chart);
3. ``precision`` — per rule: leads of the period, judged, confirmed, false positives,
   precision;
4. ``cases`` — opened, closed, overdue, 立行立改 / 督办, remote share, on-time rate;
5. ``load`` — emission load per pollutant (kg, from concentration × flow, HJ 75-2017) and
   its change against the previous period of the same length; the ten largest emitters;
6. ``ambient`` — per city: composite index (HJ 663-2013), good days (daily AQI ≤ 100,
   HJ 633-2012) of the valid days; the township ranking (worst first);
7. ``assistance`` — self-checks reviewed, 帮扶 service visits, training hours delivered,
   questions answered on time, by the officers of the jurisdiction (the work-group
   scoring sources, :mod:`lantian.assist.scoring`).

References
----------
.. [1] HJ 75-2017 固定污染源烟气排放连续监测技术规范: emission rate = concentration ×
       standard dry flow; the load of an hour is C [mg/m³] × Q [m³/h] × 10⁻⁶ kg.
.. [2] HJ 633-2012 环境空气质量指数(AQI)技术规定, Table 1: IAQI = 100 at 24-h SO2 150,
       NO2 80, PM10 150, PM2.5 75 µg/m³, CO 4 mg/m³, O3 maximum 8-h mean 160 µg/m³; a day
       is 优良 when AQI ≤ 100, i.e. every pollutant at or below these.
.. [3] HJ 663-2013 环境空气质量评价技术规范 (composite index, validity of a period).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import visible
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise, Outlet
from lantian.timeutil import CST
from lantian.vocab import families as families_vocab
from lantian.vocab import pollutants as pollutants_vocab
from lantian.vocab.registry import INDUSTRIES
from lantian.workflow.dispatch_models import CaseMeeting, SupervisionTask
from lantian.workflow.models import Case, CaseEvent, CheckRecord

KINDS: tuple[str, ...] = ("weekly", "monthly", "campaign")
"""Report kinds."""
KIND_ZH: dict[str, str] = {"weekly": "周报", "monthly": "月报", "campaign": "专项行动报告"}
GOOD_DAY_LIMITS: dict[str, float] = {
    "SO2": 150.0,
    "NO2": 80.0,
    "PM10": 150.0,
    "PM2.5": 75.0,
    "CO": 4.0,
    "O3": 160.0,
}
"""HJ 633-2012 Table 1: the daily values at which IAQI = 100 (µg/m³; CO mg/m³; O3 the
maximum 8-h mean). A day is good (优良) when every valid daily value is at or below."""
CLOSE_ACTIONS: tuple[str, ...] = ("review_accept", "close_immediate_fix")
"""Timeline actions that close a case out (销号)."""
TOP_EMITTERS = 10
TOP_TOWNSHIPS = 15
EMPTY = "本期无数据"


class PeriodError(ValueError):
    """A period text that names no week, month or campaign."""


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in CST calendar days, with its label."""

    kind: str
    label: str
    start: date
    end: date
    campaign_id: int | None = None

    @property
    def t0(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=CST)

    @property
    def t1(self) -> datetime:
        return datetime(self.end.year, self.end.month, self.end.day, tzinfo=CST)

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def parse_period(kind: str, text: str, session: Session | None = None) -> Period:
    """The period of a ``weekly`` (``2026-W48`` or any date of the week), ``monthly``
    (``2026-11``) or ``campaign`` (the campaign id) report.

    Raises
    ------
    PeriodError
        Unknown kind, malformed text, or an unknown campaign.
    """
    text = (text or "").strip()
    if kind == "weekly":
        m = re.fullmatch(r"(\d{4})-W(\d{1,2})", text)
        try:
            if m:
                start = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            else:
                day = date.fromisoformat(text)
                start = day - timedelta(days=day.weekday())
        except ValueError:
            raise PeriodError(f"不是有效的周：{text}（例如 2026-W48）") from None
        iso = start.isocalendar()
        return Period(kind, f"{iso.year}年第{iso.week}周", start, start + timedelta(days=7))
    if kind == "monthly":
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise PeriodError(f"不是有效的月份：{text}（例如 2026-11）")
        y, mo = int(m.group(1)), int(m.group(2))
        start = date(y, mo, 1)
        end = date(y + (mo == 12), mo % 12 + 1, 1)
        return Period(kind, f"{y}年{mo}月", start, end)
    if kind == "campaign":
        from lantian.supervision.campaigns.models import Campaign

        if session is None or not text.isdigit():
            raise PeriodError(f"专项行动编号无效：{text}")
        camp = session.get(Campaign, int(text))
        if camp is None:
            raise PeriodError(f"没有编号为 {text} 的专项行动")
        label = camp.name + (f"（{camp.round_label}）" if camp.round_label else "")
        return Period(
            kind, label, camp.start_date, camp.end_date + timedelta(days=1), camp.campaign_id
        )
    raise PeriodError(f"未知的报告类型：{kind}（weekly、monthly 或 campaign）")


@dataclass
class Section:
    """One section: a title, a table and optionally a bar chart of (label, value)."""

    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    chart: list[tuple[str, float]] = field(default_factory=list)
    chart_title: str = ""
    note: str = ""

    @property
    def empty(self) -> bool:
        return not self.rows


@dataclass
class Report:
    """A computed report."""

    kind: str
    period: Period
    jurisdiction: str
    generated_at: datetime
    sections: list[Section]

    @property
    def title(self) -> str:
        return f"{self.jurisdiction}大气环境监督帮扶{KIND_ZH[self.kind]}（{self.period.label}）"

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def jurisdiction_name(viewer: Any) -> str:
    """The jurisdiction a viewer stands for (全域 for unlimited viewers)."""
    parts = [p for p in (getattr(viewer, "city", None), getattr(viewer, "district", None)) if p]
    if parts:
        return "".join(parts)
    province = getattr(viewer, "province", None)
    return f"{province}省（区划代码）" if province else "全域"


def city_viewer(city: str) -> User:
    """A transient city officer standing for the bureau of ``city`` (never stored)."""
    return User(username=f"report:{city}", display_name=city, role="city_officer", city=city)


def _pct(a: float, b: float) -> float | None:
    return round(100.0 * a / b, 1) if b else None


def _fmt_pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}%"


def _leads_sections(
    session: Session, viewer: Any, p: Period, campaign: Any | None
) -> tuple[list[Section], int]:
    ent = select(Enterprise.enterprise_id, Enterprise.district, Enterprise.industry).subquery()
    stmt = (
        select(Lead.family, Lead.rule, Lead.outcome, ent.c.district, ent.c.industry)
        .outerjoin(ent, ent.c.enterprise_id == Lead.enterprise_id)
        .where(Lead.start >= p.t0, Lead.start < p.t1, visible(viewer, "lead", session=session))
    )
    if campaign is not None:
        if campaign.families:
            stmt = stmt.where(Lead.family.in_(list(campaign.families)))
        if campaign.industries:
            stmt = stmt.where(ent.c.industry.in_(list(campaign.industries)))
    rows = session.execute(stmt).all()
    fam = Counter(r[0] for r in rows)
    dist = Counter(r[3] or "（无区县）" for r in rows)
    ind = Counter(r[4] for r in rows if r[4])
    per_rule: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        acc = per_rule[r[1]]
        acc[0] += 1
        acc[1] += r[2] == "confirmed"
        acc[2] += r[2] == "false_positive"

    def counted(
        key: str, title: str, head: str, c: Counter[str], name: Callable[[str], str]
    ) -> Section:
        items = c.most_common()
        return Section(
            key,
            title,
            [head, "线索数", "占比"],
            [[name(k), n, _fmt_pct(_pct(n, len(rows)))] for k, n in items],
            chart=[(name(k), float(n)) for k, n in items[:12]],
            chart_title=f"{title}（条）",
        )

    prec_rows = []
    for rule, (n, tp, fp) in sorted(per_rule.items()):
        judged = tp + fp
        prec_rows.append([rule, n, judged, tp, fp, _fmt_pct(_pct(tp, judged))])
    return [
        counted(
            "leads_family", "线索按问题类型", "问题类型", fam, lambda k: families_vocab.name(k)
        ),
        counted("leads_district", "线索按区县", "区县", dist, lambda k: k),
        counted("leads_industry", "线索按行业", "行业", ind, lambda k: INDUSTRIES.name(k)),
        Section(
            "precision",
            "规则准确率（本期线索的核查结论）",
            ["规则", "线索数", "已认定", "属实", "误报", "准确率"],
            prec_rows,
            note="准确率 = 属实 ÷（属实 + 误报）；未认定的线索不计入。",
        ),
    ], len(rows)


def _case_figures(
    session: Session, viewer: Any, p: Period, campaign_id: int | None
) -> dict[str, Any]:
    scope = visible(viewer, "case", session=session)
    extra = [Case.campaign_id == campaign_id] if campaign_id is not None else []

    def count(*conds: Any) -> int:
        return int(
            session.scalar(select(func.count()).select_from(Case).where(scope, *extra, *conds)) or 0
        )

    opened = count(Case.created_at >= p.t0, Case.created_at < p.t1)
    closes = session.execute(
        select(CaseEvent.at, Case.rectify_deadline, Case.deadline)
        .join(Case, Case.case_id == CaseEvent.case_id)
        .where(
            scope,
            *extra,
            CaseEvent.action.in_(CLOSE_ACTIONS),
            CaseEvent.at >= p.t0,
            CaseEvent.at < p.t1,
        )
    ).all()
    on_time = 0
    for at, rd, d in closes:
        due = rd or d
        on_time += 1 if due is None or at <= due else 0
    from lantian.workflow.states import DEADLINE_STATES

    overdue = count(
        or_(
            *[
                (Case.status == status) & (getattr(Case, col) < p.t1)
                for status, col in DEADLINE_STATES.items()
            ]
        ),
        Case.created_at < p.t1,
    )
    imm = count(Case.fix_path == "immediate_fix", Case.created_at < p.t1, Case.updated_at >= p.t0)
    sup = count(
        Case.fix_path == "supervision_order", Case.created_at < p.t1, Case.updated_at >= p.t0
    )
    checks = session.execute(
        select(CheckRecord.kind, func.count())
        .join(Case, Case.case_id == CheckRecord.case_id)
        .where(scope, *extra, CheckRecord.checked_at >= p.t0, CheckRecord.checked_at < p.t1)
        .group_by(CheckRecord.kind)
    ).all()
    by_kind = {str(k): int(n) for k, n in checks}
    n_checks = sum(by_kind.values())
    tscope = SupervisionTask.case_id.in_(select(Case.case_id).where(scope, *extra))
    tasks = int(
        session.scalar(
            select(func.count())
            .select_from(SupervisionTask)
            .where(tscope, SupervisionTask.created_at >= p.t0, SupervisionTask.created_at < p.t1)
        )
        or 0
    )
    mscope = CaseMeeting.case_id.in_(select(Case.case_id).where(scope, *extra))
    meetings = {
        str(k): int(n)
        for k, n in session.execute(
            select(CaseMeeting.kind, func.count())
            .where(mscope, CaseMeeting.held_at >= p.t0, CaseMeeting.held_at < p.t1)
            .group_by(CaseMeeting.kind)
        )
    }
    return {
        "opened": opened,
        "closed": len(closes),
        "overdue": overdue,
        "on_time": _pct(on_time, len(closes)),
        "immediate_fix": imm,
        "supervision_order": sup,
        "immediate_share": _pct(imm, imm + sup),
        "checks": n_checks,
        "remote_share": _pct(by_kind.get("remote", 0), n_checks),
        "tasks": tasks,
        "interviews": meetings.get("interview", 0),
        "circulars": meetings.get("circular", 0),
    }


def _load_section(session: Session, viewer: Any, p: Period, lake: Any) -> Section:
    from lantian.reports.digest import FLOW_CODE, LOAD_POLLUTANTS, NORMAL_FLAG

    ents = {
        e.enterprise_id: e.name
        for e in session.scalars(
            select(Enterprise).where(visible(viewer, "enterprise", session=session))
        )
    }
    outlet_ent = {
        o: e
        for o, e in session.execute(select(Outlet.outlet_id, Outlet.enterprise_id))
        if e in ents
    }
    head = ["污染物", "本期排放量（kg）", "上期排放量（kg）", "变化"]
    if lake is None or not outlet_ent or not lake.has_data("cems_hourly"):
        return Section("load", "污染物排放量", head, [], note=EMPTY)
    import duckdb

    prev0 = p.t0 - (p.t1 - p.t0)
    src = lake.scan_sql("cems_hourly", prev0, p.t1)
    pols = ", ".join(f"'{c}'" for c in (*LOAD_POLLUTANTS, FLOW_CODE))
    per_pol = ", ".join(
        f"max(value) FILTER (WHERE pollutant = '{c}') AS \"{c}\"" for c in LOAD_POLLUTANTS
    )
    unions = " UNION ALL ".join(
        f'SELECT outlet_id, cur, \'{c}\' AS pollutant, "{c}" * flow AS mgq FROM h WHERE "{c}" >= 0'
        for c in LOAD_POLLUTANTS
    )
    t0 = p.t0.timestamp()
    sql = f"""
        WITH h AS (
            SELECT outlet_id, epoch(any_value("time")) >= {t0} AS cur,
                   max(value) FILTER (WHERE pollutant = '{FLOW_CODE}') AS flow, {per_pol}
            FROM {src}
            WHERE pollutant IN ({pols}) AND coalesce(flag, '{NORMAL_FLAG}') = '{NORMAL_FLAG}'
              AND "time" >= to_timestamp({prev0.timestamp()})
              AND "time" < to_timestamp({p.t1.timestamp()})
            GROUP BY outlet_id, "time"
            HAVING flow >= 0
        )
        SELECT outlet_id, pollutant, cur, sum(mgq) * 1e-6 AS kg FROM ({unions}) GROUP BY 1, 2, 3
    """
    con = duckdb.connect(":memory:")
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    now_kg: dict[str, float] = defaultdict(float)
    before_kg: dict[str, float] = defaultdict(float)
    per_ent: dict[str, float] = defaultdict(float)
    for outlet, pol, cur, kg in rows:
        ent = outlet_ent.get(outlet)
        if ent is None:
            continue
        if cur:
            now_kg[pol] += kg
            per_ent[ent] += kg
        else:
            before_kg[pol] += kg
    table = []
    for pol in LOAD_POLLUTANTS:
        a, b = now_kg.get(pol, 0.0), before_kg.get(pol, 0.0)
        if not a and not b:
            continue
        change = _fmt_pct(round(100.0 * (a - b) / b, 1) if b else None)
        table.append([pollutants_vocab.name(pol), round(a, 1), round(b, 1), change])
    top = sorted(per_ent.items(), key=lambda kv: -kv[1])[:TOP_EMITTERS]
    return Section(
        "load",
        "污染物排放量（二氧化硫、氮氧化物、颗粒物）",
        head,
        table,
        chart=[(ents.get(e, e), round(kg, 1)) for e, kg in top],
        chart_title=f"排放量前 {TOP_EMITTERS} 的企业（kg，三项合计）",
        note=(
            "排放量 = 小时浓度 × 标干流量（HJ 75-2017），仅计标记为正常（N）的小时；"
            "上期为紧邻的同长度时段。"
            if table
            else EMPTY
        ),
    )


def _good_days(session: Session, viewer: Any, p: Period, lake: Any) -> dict[str, tuple[int, int]]:
    """City → (good days, valid days) over the period (HJ 633-2012)."""
    import ibis

    from lantian.registry.models import Station
    from lantian.rules.ambient_index import Period as IndexPeriod
    from lantian.rules.ambient_index import area_hourly, daily_values
    from lantian.rules.platform import lake_ambient

    ids = [
        s
        for (s,) in session.execute(
            select(Station.station_id).where(visible(viewer, "station", session=session))
        )
    ]
    if not ids:
        return {}
    con = ibis.duckdb.connect()
    ambient, stations = lake_ambient(lake, session, p.t0, p.t1, backend=con)
    stations = stations.filter(stations.station_id.isin(ids))
    hourly = area_hourly(ambient, stations, "city", IndexPeriod(p.t0, p.t1))
    daily = con.execute(daily_values(hourly, ["city"]))
    worst: dict[tuple[str, int], float] = {}
    for rec in daily.to_dict("records"):
        limit = GOOD_DAY_LIMITS.get(str(rec["pollutant"]))
        if limit is None or rec["value"] is None:
            continue
        key = (str(rec["city"]), int(rec["day"]))
        worst[key] = max(worst.get(key, 0.0), float(rec["value"]) / limit)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (city, _day), ratio in worst.items():
        out[city][1] += 1
        out[city][0] += ratio <= 1.0
    return {c: (v[0], v[1]) for c, v in out.items()}


def _ambient_sections(session: Session, viewer: Any, p: Period, lake: Any) -> list[Section]:
    city_head = ["城市", "综合指数", "首要污染物", "优良天数", "有效天数", "优良率"]
    town_head = ["排名（由差到好）", "乡镇（街道）", "区县", "综合指数", "首要污染物"]
    if lake is None or not lake.has_data("ambient_hourly"):
        return [
            Section("ambient", "环境空气质量", city_head, [], note=EMPTY),
            Section("townships", "乡镇（街道）空气质量排名", town_head, [], note=EMPTY),
        ]
    from lantian.ambient.ranking import area_ranking

    cities = area_ranking(session, lake, "city", p.start, p.end, user=viewer)
    good = _good_days(session, viewer, p, lake)
    rows = []
    for a in cities.areas:
        g, v = good.get(a.name, (0, 0))
        rows.append(
            [
                a.name,
                "—" if a.composite_index is None else round(a.composite_index, 2),
                pollutants_vocab.name(a.primary_pollutant) if a.primary_pollutant else "—",
                g,
                v,
                _fmt_pct(_pct(g, v)),
            ]
        )
    towns = area_ranking(session, lake, "township", p.start, p.end, user=viewer)
    ranked = [a for a in towns.areas if a.composite_index is not None]
    ranked.sort(key=lambda a: -(a.composite_index or 0.0))
    trows = [
        [
            i,
            a.township or a.name,
            a.district or "—",
            round(a.composite_index or 0.0, 2),
            pollutants_vocab.name(a.primary_pollutant) if a.primary_pollutant else "—",
        ]
        for i, a in enumerate(ranked[:TOP_TOWNSHIPS], start=1)
    ]
    note = (
        f"综合指数按 HJ 663-2013 计算；本期要求每项污染物至少 {cities.validity.days} 个有效日。"
        "优良天：日 AQI ≤ 100（HJ 633-2012）。"
    )
    return [
        Section(
            "ambient",
            "环境空气质量（综合指数、优良天数）",
            city_head,
            rows if any(r[4] or r[1] != "—" for r in rows) else [],
            chart=[(str(r[0]), float(r[1])) for r in rows if r[1] != "—"],
            chart_title="城市综合指数",
            note=note if rows else EMPTY,
        ),
        Section(
            "townships",
            f"乡镇（街道）空气质量排名（综合指数最高的 {TOP_TOWNSHIPS} 个）",
            town_head,
            trows,
            chart=[(str(r[1]), float(r[3])) for r in trows],  # type: ignore[arg-type]
            chart_title="乡镇（街道）综合指数",
            note="" if trows else EMPTY,
        ),
    ]


ASSIST_SOURCES: tuple[tuple[str, str, str], ...] = (
    (
        "self_checks_reviewed",
        "审核企业自查（份）",
        "lantian.assist.selfchecks.queries:reviewed_count",
    ),
    ("service_visits", "帮扶服务（次）", "lantian.supervision.visits:service_visit_count"),
    (
        "training_hours",
        "培训学时（学时·人）",
        "lantian.assist.training.queries:training_hours_delivered",
    ),
    (
        "questions_on_time",
        "按时答复企业咨询（件）",
        "lantian.assist.questions.queries:answered_on_time_count",
    ),
)
"""(name, zh label, scoring source) of the assistance figures."""


def officers_of(session: Session, viewer: Any) -> frozenset[int]:
    """Ids of the officers working in the viewer's jurisdiction."""
    stmt = select(User.user_id).where(User.role.in_(OFFICER_ROLES), User.role != "admin")
    if getattr(viewer, "city", None):
        stmt = stmt.where(User.city == viewer.city)
    if getattr(viewer, "district", None):
        stmt = stmt.where(User.district == viewer.district)
    if getattr(viewer, "province", None) and not getattr(viewer, "city", None):
        stmt = stmt.where(or_(User.province == viewer.province, User.province.is_(None)))
    return frozenset(int(u) for (u,) in session.execute(stmt))


def _assist_section(session: Session, viewer: Any, p: Period) -> Section:
    from lantian.assist.scoring.compute import resolve

    ids = officers_of(session, viewer)
    rows: list[list[Any]] = []
    for _name, label, source in ASSIST_SOURCES:
        fn = resolve(source)
        if fn is None:
            continue
        value = fn(session, ids, p.t0, p.t1) if ids else 0.0
        rows.append([label, round(float(value or 0.0), 1)])
    has = any(r[1] for r in rows)
    return Section(
        "assistance",
        "帮扶服务",
        ["项目", "本期"],
        rows if has else [],
        chart=[(str(r[0]), float(r[1])) for r in rows] if has else [],
        chart_title="帮扶服务",
        note="" if has else EMPTY,
    )


def compute_report(
    session: Session,
    viewer: Any,
    kind: str,
    period: Period,
    *,
    lake: Any | None = None,
    now: datetime | None = None,
) -> Report:
    """Every section of a ``kind`` report over ``period`` as ``viewer`` sees it."""
    from lantian.timeutil import now_cst

    campaign = None
    if period.campaign_id is not None:
        from lantian.supervision.campaigns.models import Campaign

        campaign = session.get(Campaign, period.campaign_id)
    lead_sections, n_leads = _leads_sections(session, viewer, period, campaign)
    c = _case_figures(session, viewer, period, period.campaign_id)
    overview = Section(
        "overview",
        "总体情况",
        ["指标", "本期"],
        [
            ["发现问题线索（条）", n_leads],
            ["新立案件（件）", c["opened"]],
            ["办结销号（件）", c["closed"]],
            ["期末逾期案件（件）", c["overdue"]],
            ["立行立改占比", _fmt_pct(c["immediate_share"])],
            ["非现场核查占比", _fmt_pct(c["remote_share"])],
            ["按期办结率", _fmt_pct(c["on_time"])],
            ["提级督办任务（件）", c["tasks"]],
            ["约谈（次）", c["interviews"]],
            ["通报（次）", c["circulars"]],
        ],
    )
    cases = Section(
        "cases",
        "案件办理",
        ["指标", "本期"],
        [
            ["新立案件", c["opened"]],
            ["办结销号", c["closed"]],
            ["期末逾期", c["overdue"]],
            ["立行立改", c["immediate_fix"]],
            ["督办（挂账）", c["supervision_order"]],
            ["核查记录", c["checks"]],
        ]
        if any(c[k] for k in ("opened", "closed", "overdue", "checks"))
        else [],
        chart=[
            ("新立", float(c["opened"])),
            ("办结", float(c["closed"])),
            ("逾期", float(c["overdue"])),
        ],
        chart_title="案件（件）",
        note=f"立行立改占比 {_fmt_pct(c['immediate_share'])}；非现场核查占比 "
        f"{_fmt_pct(c['remote_share'])}；按期办结率 {_fmt_pct(c['on_time'])}。",
    )
    sections = [
        overview,
        *lead_sections,
        cases,
        _load_section(session, viewer, period, lake),
        *_ambient_sections(session, viewer, period, lake),
        _assist_section(session, viewer, period),
    ]
    for s in sections:
        if s.empty and not s.note:
            s.note = EMPTY
    return Report(kind, period, jurisdiction_name(viewer), now or now_cst(), sections)


def report_json(report: Report) -> dict[str, Any]:
    """The report as JSON (for ``lantian report --json`` and the API)."""
    return {
        "kind": report.kind,
        "title": report.title,
        "period": {
            "label": report.period.label,
            "start": report.period.start.isoformat(),
            "end": report.period.end.isoformat(),
        },
        "jurisdiction": report.jurisdiction,
        "generated_at": report.generated_at.isoformat(),
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "headers": s.headers,
                "rows": s.rows,
                "chart": [{"label": a, "value": b} for a, b in s.chart],
                "note": s.note,
            }
            for s in report.sections
        ],
    }


SECTION_KEYS: Sequence[str] = (
    "overview",
    "leads_family",
    "leads_district",
    "leads_industry",
    "precision",
    "cases",
    "load",
    "ambient",
    "townships",
    "assistance",
)
"""Every section of a report, in order."""

__all__ = [
    "KINDS",
    "SECTION_KEYS",
    "Period",
    "PeriodError",
    "Report",
    "Section",
    "city_viewer",
    "compute_report",
    "parse_period",
    "report_json",
]

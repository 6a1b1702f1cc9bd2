"""Configuration of differentiated supervision, as data validated at load.

The shipped defaults (``default.toml`` in this package, read with
:mod:`importlib.resources`) cite their sources and mark local example figures; a file named
by the setting ``LANTIAN_SUPERVISION_CONFIG`` overrides values (a ``[categories]`` table
there replaces every category). Impossible configuration — a ratio above 1, a cap below
the minimum, an industry in no or two categories, an unknown key — is refused by
:class:`SupervisionConfigError` naming the setting and the entry.

References
----------
.. [1] 国办发〔2015〕58号 国务院办公厅关于推广随机抽查规范事中事后监管的通知.
.. [2] 环办〔2015〕88号 关于在污染源日常环境监管领域推广随机抽查制度的实施方案
       (ratios as echoed by provincial implementations; national text not verified here).
.. [3] 国办发〔2024〕54号 国务院办公厅关于严格规范涉企行政检查的意见 (annual caps).
.. [4] 重污染天气重点行业应急减排措施制定技术指南（2020年修订版）, 环办大气函〔2020〕340号
       (绩效分级 A/B/C/D, 引领性).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from lantian.registry.vocab import GRADES, INDUSTRIES, STORED_LEAD_FAMILIES
from lantian.vocab.notify import EVENTS as NOTIFY_EVENTS
from lantian.vocab.supervision import GRADE_STEPS

SETTING = "LANTIAN_SUPERVISION_CONFIG"
POSITIVE_LIST_MODES: tuple[str, ...] = ("remote", "exclude")
INSPECTOR_ROLE_CHOICES: tuple[str, ...] = (
    "admin",
    "work_group",
    "city_officer",
    "district_officer",
)
"""Roles ``[plan] inspector_roles`` may name (officer roles)."""
CREDIT_GRADES: tuple[str, ...] = ("green", "blue", "yellow", "red")
"""Environmental credit grades (环保诚信 / 良好 / 警示 / 不良; lantian.enforcement)."""


class SupervisionConfigError(ValueError):
    """Impossible or malformed supervision configuration; the message names the entry."""


@dataclass(frozen=True)
class Category:
    """A category of enterprises with its own draw ratio and visit cap."""

    name: str
    label: str
    industries: tuple[str, ...]
    ratio_per_quarter: float
    max_onsite_per_year: int


@dataclass(frozen=True)
class PlanConfig:
    """``[plan]``: lead time of the 预告知, 异地交叉, draw weights, positive-list handling."""

    pre_notice_lead_days: int
    cross_district: bool
    min_weight: float
    positive_list_mode: str
    trigger_lookback_days: int
    visit_start_hour: int = 9
    """Hour (CST) at which a pre-notified visit is announced to start."""
    inspector_roles: tuple[str, ...] = ("work_group", "city_officer", "district_officer")
    """Officer roles drawn as inspectors."""
    history_years: int = 3
    """Years of leads and visits read before the period (must cover the risk windows)."""
    complaint_window_days: int = 90
    """A received or verified complaint (信访投诉) this many days before the period (or in
    it) is a trigger."""


@dataclass(frozen=True)
class Minimums:
    """``[minimums]``: high-risk threshold and the yearly on-site minimum it brings."""

    high_risk_score: float
    high_risk_min_onsite_per_year: int


@dataclass(frozen=True)
class PositiveListCriteria:
    """``[positive_list]``: entry criteria of the 正面清单."""

    grades: tuple[str, ...]
    clean_months: int
    no_open_case: bool
    suspend_on_confirmed: bool = True
    """A case confirmed (问题属实) on a listed enterprise suspends it (暂停)."""
    listed_push_events: tuple[str, ...] = ("lead_high",)
    """Notification events still pushed about a listed enterprise (无事不扰)."""
    review_interval_days: int = 90
    """Days between two periodic reviews run by the scheduled jobs (0: never)."""


@dataclass(frozen=True)
class GradeConfig:
    """``[grades]``: the assessment steps of a 创A升B application, in order."""

    steps: tuple[str, ...] = ("accept", "materials", "site", "review", "publicity", "result")
    """Codes of :data:`lantian.vocab.supervision.GRADE_STEPS`; the last one decides."""
    applicable_grades: tuple[str, ...] = ("A", "B", "L")
    """Grades an enterprise may apply for (创A升B; 引领性)."""


@dataclass(frozen=True)
class RiskWeights:
    """``[risk]``: points of each term of the risk score."""

    base: float
    per_outlet: float
    size_cap_outlets: int
    per_confirmed_lead: float
    record_months: int
    confirmed_cap: float
    per_open_lead: float
    open_lead_cap: float
    per_open_case: float
    open_case_cap: float
    per_month_since_visit: float
    since_visit_cap_months: int
    self_check_fail: float
    positive_list: float
    industry: dict[str, float]
    grade: dict[str, float]
    family: dict[str, float]
    credit: dict[str, float] = field(default_factory=dict)
    """``[risk.credit]``: points per environmental credit grade (lantian.enforcement)."""


VISIT_CAP_KINDS: tuple[str, ...] = ("plan", "lead_check", "assistance", "supervision")
"""Visit kinds (:data:`lantian.vocab.visits.VISIT_KINDS`) that ``[visits.counts_toward_cap]``
decides about."""


@dataclass(frozen=True)
class VisitRules:
    """``[visits]``: which kinds count under the yearly cap, and the approver's warnings."""

    counts_toward_cap: dict[str, bool] = field(
        default_factory=lambda: dict.fromkeys(VISIT_CAP_KINDS, True)
    )
    repeat_window_days: int = 30
    near_cap_margin: int = 1


@dataclass(frozen=True)
class SupervisionConfig:
    """The whole validated configuration."""

    plan: PlanConfig
    minimums: Minimums
    categories: tuple[Category, ...]
    positive_list: PositiveListCriteria
    risk: RiskWeights
    source: str
    grades: GradeConfig = field(default_factory=GradeConfig)
    visits: VisitRules = field(default_factory=VisitRules)
    """``[visits]`` (a table added after the others: it has defaults)."""

    def category_of(self, industry: str) -> Category:
        """The category an industry belongs to (every industry has exactly one)."""
        for cat in self.categories:
            if industry in cat.industries:
                return cat
        raise SupervisionConfigError(f"{self.source}: industry {industry!r} is in no category")

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of the configuration (part of a plan's inputs)."""
        data = asdict(self)
        data.pop("source")
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_toml() -> str:
    """Text of the shipped ``default.toml``."""
    return resources.files("lantian.supervision").joinpath("default.toml").read_text("utf-8")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if key == "categories":
            out[key] = value
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class _Table:
    """Reads one TOML table, naming ``source`` and ``[table].key`` in every error."""

    def __init__(self, source: str, name: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise SupervisionConfigError(f"{source}: [{name}] must be a table")
        self.source, self.name, self.data = source, name, data
        self.used: set[str] = set()

    def fail(self, key: str, why: str) -> SupervisionConfigError:
        return SupervisionConfigError(f"{self.source}: [{self.name}] {key}: {why}")

    def get(self, key: str) -> Any:
        if key not in self.data:
            raise self.fail(key, "missing")
        self.used.add(key)
        return self.data[key]

    def number(self, key: str, *, lo: float | None = None, hi: float | None = None) -> float:
        v = self.get(key)
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.fail(key, f"must be a number, got {v!r}")
        if lo is not None and v < lo:
            raise self.fail(key, f"{v} is below {lo}")
        if hi is not None and v > hi:
            raise self.fail(key, f"{v} is above {hi}")
        return float(v)

    def integer(self, key: str, *, lo: int = 0) -> int:
        v = self.get(key)
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(key, f"must be an integer, got {v!r}")
        if v < lo:
            raise self.fail(key, f"{v} is below {lo}")
        return v

    def boolean(self, key: str) -> bool:
        v = self.get(key)
        if not isinstance(v, bool):
            raise self.fail(key, f"must be true or false, got {v!r}")
        return v

    def string(self, key: str, allowed: tuple[str, ...] | None = None) -> str:
        v = self.get(key)
        if not isinstance(v, str):
            raise self.fail(key, f"must be a string, got {v!r}")
        if allowed is not None and v not in allowed:
            raise self.fail(key, f"{v!r} is not one of {', '.join(allowed)}")
        return v

    def strings(self, key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        v = self.get(key)
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise self.fail(key, f"must be a list of strings, got {v!r}")
        unknown = [x for x in v if x not in allowed]
        if unknown:
            raise self.fail(key, f"unknown value(s) {unknown}; allowed: {', '.join(allowed)}")
        return tuple(v)

    def names(self, key: str) -> tuple[str, ...]:
        v = self.get(key)
        if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
            raise self.fail(key, f"must be a list of non-empty strings, got {v!r}")
        return tuple(v)

    def points(self, allowed: tuple[str, ...], *, complete: bool) -> dict[str, float]:
        out: dict[str, float] = {}
        for key in self.data:
            if key not in allowed:
                raise self.fail(key, f"unknown entry; allowed: {', '.join(allowed)}")
            out[key] = self.number(key)
        missing = [k for k in allowed if k not in out]
        if complete and missing:
            raise self.fail(missing[0], "missing")
        return out

    def done(self) -> None:
        extra = sorted(set(self.data) - self.used)
        if extra:
            raise self.fail(extra[0], "unknown entry")


def parse_config(data: dict[str, Any], source: str = "default.toml") -> SupervisionConfig:
    """Validate a configuration mapping (as read from TOML) into :class:`SupervisionConfig`.

    Raises
    ------
    SupervisionConfigError
        Naming ``source``, the table and the key of the first impossible entry.
    """
    top = _Table(source, "", data)
    for key in data:
        if key not in (
            "plan",
            "minimums",
            "categories",
            "positive_list",
            "risk",
            "grades",
            "visits",
        ):
            raise SupervisionConfigError(f"{source}: unknown table [{key}]")

    t = _Table(source, "plan", top.get("plan"))
    plan = PlanConfig(
        pre_notice_lead_days=t.integer("pre_notice_lead_days", lo=0),
        cross_district=t.boolean("cross_district"),
        min_weight=t.number("min_weight", lo=1e-9),
        positive_list_mode=t.string("positive_list_mode", POSITIVE_LIST_MODES),
        trigger_lookback_days=t.integer("trigger_lookback_days", lo=0),
        visit_start_hour=t.integer("visit_start_hour", lo=0),
        inspector_roles=t.strings("inspector_roles", INSPECTOR_ROLE_CHOICES),
        history_years=t.integer("history_years", lo=1),
        complaint_window_days=t.integer("complaint_window_days", lo=0),
    )
    if plan.visit_start_hour > 23:
        raise t.fail("visit_start_hour", f"{plan.visit_start_hour} is above 23")
    if not plan.inspector_roles:
        raise t.fail("inspector_roles", "must name at least one role")
    if plan.trigger_lookback_days > 365 * plan.history_years:
        raise t.fail(
            "trigger_lookback_days",
            f"{plan.trigger_lookback_days} days reach beyond history_years = {plan.history_years}",
        )
    if plan.complaint_window_days > 365 * plan.history_years:
        raise t.fail(
            "complaint_window_days",
            f"{plan.complaint_window_days} days reach beyond history_years = {plan.history_years}",
        )
    t.done()

    t = _Table(source, "minimums", top.get("minimums"))
    minimums = Minimums(
        high_risk_score=t.number("high_risk_score"),
        high_risk_min_onsite_per_year=t.integer("high_risk_min_onsite_per_year", lo=0),
    )
    t.done()

    cats_table = top.get("categories")
    if not isinstance(cats_table, dict) or not cats_table:
        raise SupervisionConfigError(f"{source}: [categories] must name at least one category")
    categories: list[Category] = []
    owner: dict[str, str] = {}
    for name in sorted(cats_table):
        t = _Table(source, f"categories.{name}", cats_table[name])
        cat = Category(
            name=name,
            label=t.string("label"),
            industries=t.strings("industries", INDUSTRIES),
            ratio_per_quarter=t.number("ratio_per_quarter", lo=0.0, hi=1.0),
            max_onsite_per_year=t.integer("max_onsite_per_year", lo=0),
        )
        t.done()
        for ind in cat.industries:
            if ind in owner:
                raise t.fail("industries", f"{ind!r} is already in category {owner[ind]!r}")
            owner[ind] = name
        if cat.max_onsite_per_year < minimums.high_risk_min_onsite_per_year:
            raise t.fail(
                "max_onsite_per_year",
                f"cap {cat.max_onsite_per_year} is below the minimum "
                f"[minimums] high_risk_min_onsite_per_year = "
                f"{minimums.high_risk_min_onsite_per_year}",
            )
        categories.append(cat)
    orphans = [ind for ind in INDUSTRIES if ind not in owner]
    if orphans:
        raise SupervisionConfigError(
            f"{source}: [categories] industries {orphans} belong to no category"
        )

    t = _Table(source, "positive_list", top.get("positive_list"))
    positive = PositiveListCriteria(
        grades=t.strings("grades", GRADES),
        clean_months=t.integer("clean_months", lo=0),
        no_open_case=t.boolean("no_open_case"),
        suspend_on_confirmed=t.boolean("suspend_on_confirmed"),
        listed_push_events=t.strings("listed_push_events", NOTIFY_EVENTS.codes()),
        review_interval_days=t.integer("review_interval_days", lo=0),
    )
    t.done()

    t = _Table(source, "risk", top.get("risk"))
    industry = _Table(source, "risk.industry", t.get("industry")).points(INDUSTRIES, complete=True)
    grade = _Table(source, "risk.grade", t.get("grade")).points((*GRADES, "none"), complete=True)
    family = _Table(source, "risk.family", t.get("family")).points(
        STORED_LEAD_FAMILIES, complete=False
    )
    credit = (
        _Table(source, "risk.credit", t.get("credit")).points(CREDIT_GRADES, complete=False)
        if "credit" in t.data
        else {}
    )
    for fam, factor in family.items():
        if factor < 0:
            raise SupervisionConfigError(
                f"{source}: [risk.family] {fam}: factor {factor} is below 0"
            )
    risk = RiskWeights(
        base=t.number("base"),
        per_outlet=t.number("per_outlet", lo=0),
        size_cap_outlets=t.integer("size_cap_outlets"),
        per_confirmed_lead=t.number("per_confirmed_lead", lo=0),
        record_months=t.integer("record_months", lo=1),
        confirmed_cap=t.number("confirmed_cap", lo=0),
        per_open_lead=t.number("per_open_lead", lo=0),
        open_lead_cap=t.number("open_lead_cap", lo=0),
        per_open_case=t.number("per_open_case", lo=0),
        open_case_cap=t.number("open_case_cap", lo=0),
        per_month_since_visit=t.number("per_month_since_visit", lo=0),
        since_visit_cap_months=t.integer("since_visit_cap_months"),
        self_check_fail=t.number("self_check_fail", lo=0),
        positive_list=t.number("positive_list"),
        industry=industry,
        grade=grade,
        family=family,
        credit=credit,
    )
    t.done()
    t = _Table(source, "grades", top.get("grades"))
    grades = GradeConfig(
        steps=t.strings("steps", GRADE_STEPS.codes()),
        applicable_grades=t.strings("applicable_grades", GRADES),
    )
    t.done()
    if not grades.steps or len(set(grades.steps)) != len(grades.steps):
        raise SupervisionConfigError(
            f"{source}: [grades] steps: must name at least one step, each once"
        )
    if not grades.applicable_grades:
        raise SupervisionConfigError(f"{source}: [grades] applicable_grades: must not be empty")
    for key, months in (
        ("record_months", risk.record_months),
        ("since_visit_cap_months", risk.since_visit_cap_months),
    ):
        if months > 12 * plan.history_years:
            raise SupervisionConfigError(
                f"{source}: [risk] {key}: {months} months reach beyond [plan] history_years "
                f"= {plan.history_years} (the leads and visits read)"
            )
    visits = VisitRules()
    if "visits" in data:
        t = _Table(source, "visits", top.get("visits"))
        ct = _Table(source, "visits.counts_toward_cap", t.get("counts_toward_cap"))
        counts = {k: ct.boolean(k) for k in VISIT_CAP_KINDS}
        ct.done()
        visits = VisitRules(
            counts_toward_cap=counts,
            repeat_window_days=t.integer("repeat_window_days", lo=0),
            near_cap_margin=t.integer("near_cap_margin", lo=0),
        )
        t.done()
    return SupervisionConfig(
        plan=plan,
        minimums=minimums,
        categories=tuple(categories),
        positive_list=positive,
        risk=risk,
        source=source,
        grades=grades,
        visits=visits,
    )


def load_config(path: Path | None = None) -> SupervisionConfig:
    """The shipped defaults, overridden by the TOML file ``path`` when given.

    Raises
    ------
    SupervisionConfigError
        The file cannot be read or parsed, or a value is impossible (named).
    """
    base = tomllib.loads(default_toml())
    if path is None:
        return parse_config(base, "default.toml")
    source = f"{SETTING}={path}"
    try:
        over = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SupervisionConfigError(f"{source}: {exc}") from exc
    return parse_config(_merge(base, over), source)

"""The 双随机 inspection plan: a seeded, risk-weighted draw (a pure function).

For a period and a jurisdiction, :func:`draw_plan` draws enterprises by category with the
category's ratio, weighted by risk (Efraimidis–Spirakis sampling without replacement),
honouring the yearly on-site cap (counting every on-site visit of the year, of any kind
the ``[visits.counts_toward_cap]`` configuration counts: plan visits, lead checks, 帮扶 and
督导 visits by default; campaigns ordered from above are tallied separately),
the positive list (no on-site visit without a trigger: confirmed lead, complaint, alert;
then a remote check or no draw, as configured) and the minimum (every high-risk enterprise
visited on site at least ``high_risk_min_onsite_per_year`` times a year: the unvisited
ones are spread over the periods left in the year, all of them in its last period). Each
visit gets an inspector pair: two distinct inspectors with a 执法证号, neither of whom
made the enterprise's last visit, both from another district when 异地交叉 is on.

The draw uses :class:`random.Random` seeded with the published seed, over enterprises and
inspectors sorted by id, so the same inputs, configuration and seed give the same plan
(:meth:`Plan.to_json` is byte-identical). What the draw cannot satisfy (a minimum, a
quota, a pair) is reported in ``unsatisfied``, never dropped silently.

References
----------
.. [1] 国办发〔2015〕58号 国务院办公厅关于推广随机抽查规范事中事后监管的通知
       (随机抽取检查对象, 随机选派执法检查人员, results published).
.. [2] 环办〔2015〕88号 关于在污染源日常环境监管领域推广随机抽查制度的实施方案
       (ratios per category; not verified here).
.. [3] 国办发〔2024〕54号 国务院办公厅关于严格规范涉企行政检查的意见 (yearly caps counting
       every on-site check; 行政执法证件 required of inspectors).
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import math
import random
import re
from dataclasses import dataclass, field
from typing import Any

from lantian.supervision.config import Category, SupervisionConfig
from lantian.supervision.facts import EnterpriseFacts, Inspector, PlanInputs, facts_json
from lantian.supervision.risk import RiskScore, risk_score

COMPLAINT_TRIGGER_STATUSES: tuple[str, ...] = ("received", "verified")
"""Complaint statuses that are triggers (an unfounded complaint is not)."""
_PERIOD_RE = re.compile(r"^(\d{4})-(?:(\d{2})|Q([1-4]))$")


class PlanError(ValueError):
    """The draw is refused before drawing (bad period, too few inspectors …)."""


@dataclass(frozen=True)
class Period:
    """A plan period: a month (``2026-12``) or a quarter (``2026-Q4``)."""

    text: str
    start: dt.date
    end: dt.date
    """First day after the period."""
    index: int
    """0-based number of the period in its year."""
    per_year: int


def parse_period(text: str) -> Period:
    """Parse ``YYYY-MM`` or ``YYYY-Qn``; :class:`PlanError` names a bad value."""
    m = _PERIOD_RE.match(text)
    if m is None:
        raise PlanError(f"--period {text!r}: expected YYYY-MM or YYYY-Qn")
    year = int(m.group(1))
    if m.group(2) is not None:
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise PlanError(f"--period {text!r}: month {month} is not 01..12")
        start = dt.date(year, month, 1)
        end = dt.date(year + month // 12, month % 12 + 1, 1)
        return Period(text, start, end, month - 1, 12)
    q = int(m.group(3))
    start = dt.date(year, 3 * q - 2, 1)
    end = dt.date(year + q // 4, (3 * q) % 12 + 1, 1)
    return Period(text, start, end, q - 1, 4)


@dataclass(frozen=True)
class PlannedVisit:
    """One visit of the plan."""

    enterprise_id: str
    category: str
    mode: str
    """``onsite`` or ``remote``."""
    risk: float
    inspectors: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Unsatisfied:
    """Something the draw could not satisfy: a minimum, a quota or an inspector pair."""

    kind: str
    """``minimum``, ``quota`` or ``inspectors``."""
    subject: str
    """The enterprise id or the category name."""
    detail: str


@dataclass(frozen=True)
class CategoryQuota:
    """Population, quota and draw of one category."""

    category: str
    population: int
    quota: int
    drawn: int


@dataclass
class Plan:
    """The result of a draw."""

    seed: int
    period: str
    jurisdiction: str | None
    inputs_hash: str
    visits: list[PlannedVisit] = field(default_factory=list)
    quotas: list[CategoryQuota] = field(default_factory=list)
    unsatisfied: list[Unsatisfied] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (visits sorted by enterprise id)."""
        return {
            "seed": self.seed,
            "period": self.period,
            "jurisdiction": self.jurisdiction,
            "inputs_hash": self.inputs_hash,
            "visits": [
                {
                    "enterprise_id": v.enterprise_id,
                    "category": v.category,
                    "mode": v.mode,
                    "risk": v.risk,
                    "inspectors": list(v.inspectors),
                    "reasons": list(v.reasons),
                }
                for v in self.visits
            ],
            "quotas": [
                {
                    "category": q.category,
                    "population": q.population,
                    "quota": q.quota,
                    "drawn": q.drawn,
                }
                for q in self.quotas
            ],
            "unsatisfied": [
                {"kind": u.kind, "subject": u.subject, "detail": u.detail} for u in self.unsatisfied
            ],
        }

    def to_json(self) -> str:
        """One canonical JSON object (sorted keys, no spaces, UTF-8 kept)."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def inputs_hash(
    inputs: PlanInputs, config: SupervisionConfig, facts: dict[str, Any] | None = None
) -> str:
    """SHA-256 of the canonical JSON of the inputs and the configuration digest.

    ``facts`` is ``facts_json(inputs)`` when the caller has it already.
    """
    payload = {
        "inputs": facts if facts is not None else facts_json(inputs),
        "config": config.digest(),
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def in_jurisdiction(ent: EnterpriseFacts, code: str | None) -> bool:
    """Whether the enterprise lies in the jurisdiction (its city or district equals ``code``)."""
    return code is None or ent.city == code or ent.district == code


@dataclass
class _Cand:
    facts: EnterpriseFacts
    category: Category
    risk: RiskScore
    onsite_year: int
    last_inspectors: tuple[str, ...]
    triggers: tuple[str, ...]
    onsite_ok: bool
    remote_ok: bool
    deficit: int


def triggers_of(
    ent: EnterpriseFacts,
    period: Period,
    lookback_days: int,
    complaint_window_days: int = 90,
) -> tuple[str, ...]:
    """Triggers that allow an on-site visit of a positive-list enterprise.

    A confirmed lead ending ``lookback_days`` before the period or in it; a complaint
    received or verified (not unfounded) ``complaint_window_days`` before the period or in
    it, named by its number, day and channel; a heavy-pollution alert in the period.
    """
    since = period.start - dt.timedelta(days=lookback_days)
    out = [
        f"trigger: confirmed lead {lf.family} ended {lf.end.isoformat()}"
        for lf in sorted(ent.leads, key=lambda x: (x.end, x.family))
        if lf.outcome == "confirmed" and since <= lf.end < period.end
    ]
    c_since = period.start - dt.timedelta(days=complaint_window_days)
    out.extend(
        f"trigger: complaint #{c.complaint_id} received {c.received.isoformat()} via {c.channel}"
        for c in sorted(ent.complaints, key=lambda x: (x.received, x.complaint_id))
        if c.status in COMPLAINT_TRIGGER_STATUSES and c_since <= c.received < period.end
    )
    if ent.alert_in_period:
        out.append("trigger: heavy-pollution alert in the period")
    return tuple(dict.fromkeys(out))


def _weighted_top(rng: random.Random, cands: list[_Cand], k: int, min_weight: float) -> list[_Cand]:
    """``k`` candidates drawn without replacement with probability ∝ weight (A-ES keys)."""
    if k <= 0 or not cands:
        return []
    keyed = []
    for i, c in enumerate(cands):
        u = 1.0 - rng.random()  # (0, 1]
        keyed.append((math.log(u) / max(c.risk.score, min_weight), i))
    keyed.sort(key=lambda t: (-t[0], t[1]))
    return [cands[i] for _, i in keyed[:k]]


class _PairPicker:
    """Draws inspector pairs, always among the least-loaded eligible inspectors.

    Inspectors are kept in load levels (lists of indices in username order); a pick tries
    random members of the lowest level first (rejecting banned or same-district ones), so
    the work per visit does not grow with the register.
    """

    def __init__(self, pool: list[Inspector], rng: random.Random, cross_district: bool) -> None:
        self.pool, self.rng, self.cross = pool, rng, cross_district
        self.levels: list[list[int]] = [list(range(len(pool)))]
        self.level_of = [0] * len(pool)

    def _ok(self, k: int, banned: set[str], taken: int, district: str | None) -> bool:
        insp = self.pool[k]
        if k == taken or insp.username in banned:
            return False
        return not self.cross or (insp.district is not None and insp.district != district)

    def _pick_one(self, banned: set[str], taken: int, district: str | None) -> int | None:
        for level in self.levels:
            if not level:
                continue
            for _ in range(8):
                k = level[self.rng.randrange(len(level))]
                if self._ok(k, banned, taken, district):
                    return k
            ok = [k for k in level if self._ok(k, banned, taken, district)]
            if ok:
                return ok[self.rng.randrange(len(ok))]
        return None

    def _raise(self, k: int) -> None:
        lvl = self.level_of[k]
        self.levels[lvl].remove(k)
        if lvl + 1 == len(self.levels):
            self.levels.append([])
        bisect.insort(self.levels[lvl + 1], k)
        self.level_of[k] = lvl + 1

    def pick(self, cand: _Cand) -> tuple[str, ...] | None:
        banned = set(cand.last_inspectors)
        district = cand.facts.district
        first = self._pick_one(banned, -1, district)
        if first is None:
            return None
        second = self._pick_one(banned, first, district)
        if second is None:
            return None
        self._raise(first)
        self._raise(second)
        return tuple(sorted((self.pool[first].username, self.pool[second].username)))


def counts_toward_cap(purpose: str, config: SupervisionConfig | None) -> bool:
    """Whether an on-site visit of ``purpose`` counts under the yearly cap.

    Every kind counts unless ``[visits.counts_toward_cap]`` says otherwise; visits of a
    campaign ordered from above (purpose ``campaign``) are tallied separately ([3]_).
    """
    if purpose == "campaign":
        return False
    return config is None or config.visits.counts_toward_cap.get(purpose, True)


def _onsite_history(
    inputs: PlanInputs, period: Period, config: SupervisionConfig | None = None
) -> tuple[dict[str, int], dict[str, tuple[dt.date, tuple[str, ...]]]]:
    """On-site visits of the period's year per enterprise counted under the cap (every
    kind the configuration counts), and the last on-site visit before the period.

    The last visit is (day, inspectors of that day, united).
    """
    year = period.start.year
    onsite_year: dict[str, int] = {}
    last: dict[str, tuple[dt.date, tuple[str, ...]]] = {}
    for v in inputs.visits:  # order-free: counts, and the latest day's inspectors (union)
        if v.kind != "onsite":
            continue
        if v.date.year == year and counts_toward_cap(v.purpose, config):
            onsite_year[v.enterprise_id] = onsite_year.get(v.enterprise_id, 0) + 1
        if v.date < period.start:
            cur = last.get(v.enterprise_id)
            if cur is None or v.date > cur[0]:
                last[v.enterprise_id] = (v.date, v.inspectors)
            elif v.date == cur[0]:
                last[v.enterprise_id] = (v.date, tuple(sorted({*cur[1], *v.inspectors})))
    return onsite_year, last


def explain_risks(
    inputs: PlanInputs, config: SupervisionConfig, enterprise_ids: set[str] | None = None
) -> dict[str, RiskScore]:
    """Risk scores with their term-by-term explanation, as the draw computes them.

    Same ``as_of`` (first day of the period) and last on-site visit as :func:`draw_plan`,
    so each score equals the ``risk`` of the enterprise's planned visit (for the same
    configuration). ``enterprise_ids`` limits the enterprises (default: all).
    """
    period = parse_period(inputs.period)
    _year, last = _onsite_history(inputs, period)
    out: dict[str, RiskScore] = {}
    for ent in inputs.enterprises:
        if enterprise_ids is not None and ent.enterprise_id not in enterprise_ids:
            continue
        lv = last.get(ent.enterprise_id)
        out[ent.enterprise_id] = risk_score(
            ent, config.risk, as_of=period.start, last_visit=lv[0] if lv else None
        )
    return out


def draw_plan(
    inputs: PlanInputs,
    config: SupervisionConfig,
    seed: int,
    *,
    facts: dict[str, Any] | None = None,
) -> Plan:
    """Draw the inspection plan of ``inputs.period`` (see the module docstring).

    Parameters
    ----------
    inputs
        Enterprises (all of them: the jurisdiction filter is applied here), the inspector
        register and every past on-site visit.
    config
        The validated configuration.
    seed
        The published seed (a non-negative integer).
    facts
        ``facts_json(inputs)`` when the caller has it already (it is hashed).

    Raises
    ------
    PlanError
        Bad period, negative seed, or fewer than two inspectors with a 执法证号.
    """
    if seed < 0:
        raise PlanError(f"--seed {seed}: must be a non-negative integer")
    period = parse_period(inputs.period)
    pool = sorted((i for i in inputs.inspectors if i.cert_no), key=lambda i: i.username)
    if len(pool) < 2:
        raise PlanError(
            f"inspector register: {len(pool)} inspector(s) with a 执法证号; "
            "a visit needs a pair (import them with `lantian inspectors import`)"
        )
    plan = Plan(seed, period.text, inputs.jurisdiction, inputs_hash(inputs, config, facts))
    year = period.start.year
    onsite_year, last = _onsite_history(inputs, period, config)

    cfg_plan, mins = config.plan, config.minimums
    cands: list[_Cand] = []
    for ent in sorted(inputs.enterprises, key=lambda e: e.enterprise_id):
        if not in_jurisdiction(ent, inputs.jurisdiction):
            continue
        cat = config.category_of(ent.industry)
        last_visit = last.get(ent.enterprise_id)
        rs = risk_score(
            ent,
            config.risk,
            as_of=period.start,
            last_visit=last_visit[0] if last_visit else None,
            explain=False,
        )
        n_year = onsite_year.get(ent.enterprise_id, 0)
        trig = triggers_of(
            ent, period, cfg_plan.trigger_lookback_days, cfg_plan.complaint_window_days
        )
        under_cap = n_year < cat.max_onsite_per_year
        onsite_ok = under_cap and (not ent.positive_list or bool(trig))
        remote_ok = ent.positive_list and not trig and cfg_plan.positive_list_mode == "remote"
        deficit = 0
        if rs.score >= mins.high_risk_score:
            deficit = max(mins.high_risk_min_onsite_per_year - n_year, 0)
        cands.append(
            _Cand(
                ent,
                cat,
                rs,
                n_year,
                last_visit[1] if last_visit else (),
                trig,
                onsite_ok,
                remote_ok,
                deficit,
            )
        )

    rng = random.Random(seed)
    chosen: dict[str, tuple[_Cand, list[str]]] = {}

    # 1. Minimums: spread the high-risk deficit over the periods left in the year.
    periods_left = period.per_year - period.index
    needy = [c for c in cands if c.deficit > 0]
    for c in needy:
        if not c.onsite_ok:
            why = (
                "positive list without a trigger: no on-site visit allowed"
                if c.facts.positive_list
                else f"on-site cap {c.category.max_onsite_per_year} reached"
            )
            plan.unsatisfied.append(
                Unsatisfied(
                    "minimum",
                    c.facts.enterprise_id,
                    f"high-risk (risk {c.risk.score} >= {mins.high_risk_score}) needs "
                    f"{c.deficit} more on-site visit(s) in {year}: {why}",
                )
            )
        elif c.deficit > periods_left:
            plan.unsatisfied.append(
                Unsatisfied(
                    "minimum",
                    c.facts.enterprise_id,
                    f"needs {c.deficit} more on-site visit(s) in {year} but only "
                    f"{periods_left} plan period(s) are left (one visit per plan)",
                )
            )
    drawable_needy = [c for c in needy if c.onsite_ok]
    forced = [c for c in drawable_needy if c.deficit >= periods_left]
    total_deficit = sum(c.deficit for c in drawable_needy)
    want = max(math.ceil(total_deficit / periods_left), len(forced))
    rest = [c for c in drawable_needy if c.deficit < periods_left]
    picked = forced + _weighted_top(rng, rest, want - len(forced), cfg_plan.min_weight)
    for c in picked:
        chosen[c.facts.enterprise_id] = (
            c,
            [
                f"minimum: high-risk (risk {c.risk.score} >= {mins.high_risk_score}), "
                f"{c.onsite_year} of {mins.high_risk_min_onsite_per_year} on-site visit(s) "
                f"in {year}"
            ],
        )

    # 2. Category quotas, risk-weighted, among the drawable enterprises left.
    by_cat: dict[str, list[_Cand]] = {cat.name: [] for cat in config.categories}
    for c in cands:
        by_cat[c.category.name].append(c)
    for cat in config.categories:
        members = by_cat[cat.name]
        share = cat.ratio_per_quarter * 4 / period.per_year
        quota = math.ceil(round(share * len(members), 9))
        already = sum(1 for c in members if c.facts.enterprise_id in chosen)
        pool_c = [
            c
            for c in members
            if c.facts.enterprise_id not in chosen and (c.onsite_ok or c.remote_ok)
        ]
        need = max(quota - already, 0)
        if need > len(pool_c):
            plan.unsatisfied.append(
                Unsatisfied(
                    "quota",
                    cat.name,
                    f"quota {quota} of {len(members)}: only {already + len(pool_c)} "
                    "enterprise(s) can be drawn (caps reached or positive list excluded)",
                )
            )
        for c in _weighted_top(rng, pool_c, need, cfg_plan.min_weight):
            chosen[c.facts.enterprise_id] = (c, [])
        drawn = sum(1 for c in members if c.facts.enterprise_id in chosen)
        plan.quotas.append(CategoryQuota(cat.name, len(members), quota, drawn))

    # 3. Modes, reasons and inspector pairs, in enterprise-id order.
    picker = _PairPicker(pool, rng, cfg_plan.cross_district)
    for eid in sorted(chosen):
        c, reasons = chosen[eid]
        if c.onsite_ok:
            mode = "onsite"
            if c.facts.positive_list:
                reasons.extend(f"{t} (lifts the positive-list exclusion)" for t in c.triggers)
        else:
            mode = "remote"
            reasons.append("positive list without a trigger: remote check (无事不扰)")
        pair = picker.pick(c)
        if pair is None:
            plan.unsatisfied.append(
                Unsatisfied(
                    "inspectors",
                    eid,
                    "no valid inspector pair (two with a 执法证号, not the last visit's"
                    + (", from another district" if cfg_plan.cross_district else "")
                    + ")",
                )
            )
            pair = ()
        plan.visits.append(
            PlannedVisit(eid, c.category.name, mode, c.risk.score, pair, tuple(reasons))
        )
    plan.unsatisfied.sort(key=lambda u: (u.kind, u.subject, u.detail))
    return plan

"""Draw a plan from the database, store it (inputs, seed, result) and audit it."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, load_only

from lantian.auth.audit import ActorLike, audit, snapshot
from lantian.auth.errors import NotFound, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.scope import UserLike, province_of_credit_code
from lantian.auth.visibility import can_see, visible
from lantian.registry.models import Enterprise
from lantian.supervision.config import SupervisionConfig
from lantian.supervision.facts import PlanInputs, facts_json, inputs_from_json
from lantian.supervision.plan import Plan, draw_plan, explain_risks, parse_period
from lantian.supervision.plans.models import PlanDraw
from lantian.supervision.queries import load_enterprise_facts, load_plan_inputs, load_visits
from lantian.supervision.risk import RiskScore
from lantian.timeutil import CST, now_cst
from lantian.workflow.models import Case, ChecklistTemplate, Notice

_LIST_COLUMNS = (
    PlanDraw.draw_id,
    PlanDraw.period,
    PlanDraw.jurisdiction,
    PlanDraw.seed,
    PlanDraw.inputs_hash,
    PlanDraw.drawn_at,
    PlanDraw.drawn_by,
)


def draw_and_store(
    session: Session,
    actor: ActorLike | None,
    config: SupervisionConfig,
    *,
    period: str,
    jurisdiction: str | None,
    seed: int,
) -> tuple[Plan, int]:
    """Read the inputs, draw, store a :class:`PlanDraw` and audit it; (plan, draw id).

    Raises
    ------
    lantian.supervision.plan.PlanError
        The draw is refused before drawing (nothing is stored).
    """
    p = parse_period(period)
    inputs = load_plan_inputs(
        session,
        period=p.text,
        jurisdiction=jurisdiction,
        start=p.start,
        end=p.end,
        roles=config.plan.inspector_roles,
        history_years=config.plan.history_years,
    )
    facts = facts_json(inputs)
    plan = draw_plan(inputs, config, seed, facts=facts)
    result = plan.to_dict()
    row = PlanDraw(
        period=p.text,
        jurisdiction=jurisdiction,
        seed=seed,
        inputs_hash=plan.inputs_hash,
        drawn_at=now_cst(),
        drawn_by=actor.user_id if actor is not None else None,
        inputs={"facts": facts, "config_digest": config.digest()},
        result=result,
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "plan_draw",
        "plan_draw",
        row.draw_id,
        after={
            "period": p.text,
            "jurisdiction": jurisdiction,
            "seed": seed,
            "inputs_hash": plan.inputs_hash,
            "visits": len(plan.visits),
            "unsatisfied": len(plan.unsatisfied),
            "result_sha256": hashlib.sha256(plan.to_json().encode("utf-8")).hexdigest(),
        },
        note=f"双随机 plan {p.text}" + (f" for {jurisdiction}" if jurisdiction else ""),
    )
    return plan, row.draw_id


def _unrestricted(user: UserLike) -> bool:
    return user.role == "admin" or (
        user.role == "work_group" and not user.province and not user.city
    )


def jurisdiction_in_scope(session: Session, user: UserLike, jurisdiction: str | None) -> bool:
    """Whether ``user`` may draw (and see the draws) for ``jurisdiction``.

    Officer roles only. Without a jurisdiction (everything): an admin or a work group
    without a province or city. With one (a city or district code): every enterprise of
    the jurisdiction lies in the user's region (:func:`lantian.auth.visibility.visible`)
    and there is at least one, or the jurisdiction is the user's own city or district.
    """
    if user.role not in OFFICER_ROLES:
        return False
    if _unrestricted(user):
        return True
    if jurisdiction is None:
        return False
    in_j = or_(Enterprise.city == jurisdiction, Enterprise.district == jurisdiction)
    total = session.scalar(select(func.count()).select_from(Enterprise).where(in_j)) or 0
    if total == 0:
        return jurisdiction in {user.city, user.district} - {None}
    outside = session.scalar(
        select(func.count())
        .select_from(Enterprise)
        .where(in_j, ~visible(user, "enterprise", session=session))
    )
    return not outside


def require_draw_scope(session: Session, user: UserLike, jurisdiction: str | None) -> None:
    """Raise :class:`PermissionDenied` unless ``user`` may draw for ``jurisdiction``."""
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers may draw inspection plans")
    if not jurisdiction_in_scope(session, user, jurisdiction):
        if jurisdiction is None:
            raise PermissionDenied(
                "a jurisdiction (city or district code of your region) is required"
            )
        raise PermissionDenied(f"jurisdiction {jurisdiction!r} is outside your region")


def list_draws(session: Session, user: UserLike, limit: int = 200) -> list[PlanDraw]:
    """Draws the user may see (its jurisdiction in scope), newest first (without inputs)."""
    if user.role not in OFFICER_ROLES:
        return []
    rows = session.scalars(
        select(PlanDraw)
        .options(load_only(*_LIST_COLUMNS))
        .order_by(PlanDraw.draw_id.desc())
        .limit(limit * 5)
    ).all()
    cache: dict[str | None, bool] = {}
    out = []
    for r in rows:
        if r.jurisdiction not in cache:
            cache[r.jurisdiction] = jurisdiction_in_scope(session, user, r.jurisdiction)
        if cache[r.jurisdiction]:
            out.append(r)
    return out[:limit]


def get_draw(session: Session, user: UserLike, draw_id: int) -> PlanDraw:
    """One draw in the user's scope (:class:`NotFound` otherwise, like a missing one)."""
    row = session.get(PlanDraw, draw_id)
    if row is None or not jurisdiction_in_scope(session, user, row.jurisdiction):
        raise NotFound(f"plan draw {draw_id} not found")
    return row


@dataclass(frozen=True)
class VisitRow:
    """One visit of a stored draw, with names (for the page and the export)."""

    enterprise_id: str
    enterprise_name: str
    city: str | None
    district: str | None
    category: str
    mode: str
    risk: float
    inspectors: tuple[str, ...]
    """Usernames, as drawn."""
    inspector_names: tuple[str, ...]
    """Display names with the 执法证号 used by the draw."""
    reasons: tuple[str, ...]
    explanation: RiskScore | None
    """The term-by-term risk (recomputed from the stored facts)."""


def draw_visits(
    session: Session, row: PlanDraw, config: SupervisionConfig
) -> tuple[list[VisitRow], bool]:
    """The visits of a stored draw with names and risk explanations.

    The explanation is recomputed from the facts stored with the draw; the second value
    is ``True`` when the configuration is the one the draw used (then every explained
    score equals the drawn ``risk``, which the page shows side by side either way).
    """
    visits = row.result.get("visits", [])
    ids = {v["enterprise_id"] for v in visits}
    facts = row.inputs.get("facts", {})
    same_config = row.inputs.get("config_digest") == config.digest()
    explained: dict[str, RiskScore] = {}
    if facts:
        explained = explain_risks(inputs_from_json(facts), config, ids)
    names = (
        dict(
            session.execute(
                select(Enterprise.enterprise_id, Enterprise.name).where(
                    Enterprise.enterprise_id.in_(sorted(ids))
                )
            ).all()
        )
        if ids
        else {}
    )
    regions = {
        e["enterprise_id"]: (e.get("city"), e.get("district"))
        for e in facts.get("enterprises", [])
        if e["enterprise_id"] in ids
    }
    certs = {i["username"]: i.get("cert_no") for i in facts.get("inspectors", [])}
    users = {v2 for v in visits for v2 in v["inspectors"]}
    display = (
        dict(
            session.execute(
                select(User.username, User.display_name).where(User.username.in_(sorted(users)))
            ).all()
        )
        if users
        else {}
    )
    out = []
    for v in visits:
        eid = v["enterprise_id"]
        city, district = regions.get(eid, (None, None))
        out.append(
            VisitRow(
                enterprise_id=eid,
                enterprise_name=names.get(eid, eid),
                city=city,
                district=district,
                category=v["category"],
                mode=v["mode"],
                risk=v["risk"],
                inspectors=tuple(v["inspectors"]),
                inspector_names=tuple(
                    f"{display.get(u) or u}（{certs.get(u) or '-'}）" for u in v["inspectors"]
                ),
                reasons=tuple(v["reasons"]),
                explanation=explained.get(eid),
            )
        )
    return out, same_config


def enterprise_risk(
    session: Session, config: SupervisionConfig, enterprise_id: str, as_of: dt.date
) -> RiskScore | None:
    """The enterprise's risk score today, explained term by term (read-only).

    Computed as a draw for the current month would: facts and past visits from the
    database, ``as_of`` the first day of the month of ``as_of``.
    """
    ent = session.get(Enterprise, enterprise_id)
    if ent is None:
        return None
    p = parse_period(f"{as_of.year:04d}-{as_of.month:02d}")
    facts = [
        f
        for f in load_enterprise_facts(
            session,
            jurisdiction=None,
            start=p.start,
            end=p.end,
            only=enterprise_id,
            history_years=config.plan.history_years,
        )
        if f.enterprise_id == enterprise_id
    ]
    if not facts:
        return None
    visits = load_visits(
        session, start=p.start, ids={enterprise_id}, history_years=config.plan.history_years
    )
    inputs = PlanInputs(p.text, None, tuple(facts), (), tuple(visits))
    return explain_risks(inputs, config, {enterprise_id}).get(enterprise_id)


INSPECTION_RULE = "PLAN"
"""``cases.rule`` of an inspection case (a 双随机 visit, not a detection rule)."""
INSPECTION_FAMILY = "INSPECTION"
"""``cases.family`` of an inspection case."""


def plan_cases(session: Session, draw_id: int) -> list[Case]:
    """The inspection cases created from a draw (empty until it is accepted)."""
    return list(
        session.scalars(
            select(Case).where(Case.plan_draw_id == draw_id).order_by(Case.case_id)
        ).all()
    )


def accept_plan(
    session: Session, user: User, draw_id: int, *, now: dt.datetime | None = None
) -> list[Case]:
    """Accept a draw: one case of kind ``inspection`` per on-site visit with an inspector
    pair, dispatched (the case state machine's ``dispatch``, audited) to the first
    inspector of the pair whose region covers the enterprise (the assignee must see the
    case), with the period's end as deadline; the pair is in the dispatch note.

    Remote visits and visits without a pair get no case (they are on the plan page).
    All or nothing; a draw is accepted once.

    Raises
    ------
    NotFound
        The draw is not in the user's scope.
    ValidationError
        Already accepted, the period is over, or an inspector cannot be the assignee.
    """
    from lantian.workflow import service as ws

    now = now or now_cst()
    row = get_draw(session, user, draw_id)
    require_draw_scope(session, user, row.jurisdiction)
    if plan_cases(session, draw_id):
        raise ValidationError(f"plan draw {draw_id} is already accepted", field="draw_id")
    p = parse_period(row.period)
    deadline = dt.datetime(p.end.year, p.end.month, p.end.day, tzinfo=CST)
    if deadline <= now:
        raise ValidationError(f"plan period {row.period} is over", field="draw_id")
    visits = [v for v in row.result.get("visits", []) if v["mode"] == "onsite" and v["inspectors"]]
    usernames = sorted({u for v in visits for u in v["inspectors"]})
    users = (
        {
            u.username: u
            for u in session.scalars(select(User).where(User.username.in_(usernames))).all()
        }
        if usernames
        else {}
    )
    ents = (
        {
            e.enterprise_id: e
            for e in session.scalars(
                select(Enterprise).where(
                    Enterprise.enterprise_id.in_(sorted({v["enterprise_id"] for v in visits}))
                )
            ).all()
        }
        if visits
        else {}
    )
    out: list[Case] = []
    for v in visits:
        ent = ents.get(v["enterprise_id"])
        pair_users = [users[u] for u in v["inspectors"] if u in users]
        if ent is None or len(pair_users) != len(v["inspectors"]):
            raise ValidationError(
                f"visit of {v['enterprise_id']}: the enterprise or an inspector of "
                f"{', '.join(v['inspectors'])} no longer exists",
                field="draw_id",
            )
        case = Case(
            status="new",
            kind="inspection",
            plan_draw_id=row.draw_id,
            title=f"双随机检查 {row.period}：{ent.name}",
            enterprise_id=ent.enterprise_id,
            province=province_of_credit_code(ent.credit_code),
            city=ent.city,
            district=ent.district,
            rule=INSPECTION_RULE,
            family=INSPECTION_FAMILY,
            subject_type="enterprise",
            subject_id=ent.enterprise_id,
            pollutant=None,
            severity=1,
            created_at=now,
            created_by=user.user_id,
            updated_at=now,
            escalation_level=0,
            reopen_count=0,
        )
        session.add(case)
        session.flush()
        lead_user = next((u for u in pair_users if can_see(session, u, "case", case.case_id)), None)
        if lead_user is None:
            raise ValidationError(
                f"visit of {ent.enterprise_id}: neither inspector "
                f"({', '.join(v['inspectors'])}) has the enterprise in their region "
                "to be the assignee",
                field="draw_id",
            )
        audit(
            session,
            user,
            "open_case",
            "case",
            case.case_id,
            after={**snapshot(case), "plan_draw_id": row.draw_id},
            to_status="new",
            at=now,
            note=f"双随机 plan {row.period} (draw {row.draw_id})",
        )
        pair = "、".join(v["inspectors"])
        ws.dispatch(
            session,
            user,
            case_ids=[case.case_id],
            assignee_id=lead_user.user_id,
            deadline=deadline,
            note=f"双随机检查（计划 #{row.draw_id}，{row.period}），检查人员：{pair}",
            now=now,
        )
        out.append(case)
    audit(
        session,
        user,
        "accept_plan",
        "plan_draw",
        row.draw_id,
        after={"case_ids": [c.case_id for c in out]},
        at=now,
    )
    return out


def earliest_inspection_day(config: SupervisionConfig, today: dt.date) -> dt.date:
    """First day a pre-notified visit may take place: ``pre_notice_lead_days`` after today.

    References
    ----------
    .. [1] Issue #13 ("预告知 two weeks ahead"); ``[plan] pre_notice_lead_days`` (default
           14) is a local example, no national figure was verified.
    """
    return today + dt.timedelta(days=config.plan.pre_notice_lead_days)


def self_check_template(session: Session, industry: str) -> str | None:
    """The industry's active self-check table (自查表), else its on-site check list."""
    rows = session.execute(
        select(ChecklistTemplate.template_id, ChecklistTemplate.kind)
        .where(ChecklistTemplate.industry == industry, ChecklistTemplate.active.is_(True))
        .order_by(ChecklistTemplate.template_id)
    ).all()
    for kind in ("self_inspection", "onsite"):
        for tid, k in rows:
            if k == kind:
                return str(tid)
    return None


def pre_notify_plan(
    session: Session,
    user: User,
    config: SupervisionConfig,
    draw_id: int,
    inspection_day: dt.date,
    *,
    now: dt.datetime | None = None,
) -> list[Notice]:
    """预告知 for every inspection case of an accepted draw not yet pre-notified.

    Each is a ``pre_notification`` notice (:func:`lantian.workflow.notices.issue_notice`,
    audited) linked to the case, with the visit day at 09:00 and the industry's
    self-check table; the enterprise acknowledges it in its portal.

    Raises
    ------
    ValidationError
        Not accepted yet, or the day is earlier than ``pre_notice_lead_days`` from today
        or outside the plan period.
    """
    from lantian.workflow.notices import issue_notice

    now = now or now_cst()
    row = get_draw(session, user, draw_id)
    cases = plan_cases(session, draw_id)
    if not cases:
        raise ValidationError(f"plan draw {draw_id} is not accepted yet", field="draw_id")
    p = parse_period(row.period)
    earliest = earliest_inspection_day(config, now.astimezone(CST).date())
    if inspection_day < earliest:
        raise ValidationError(
            f"inspection day {inspection_day.isoformat()} is less than "
            f"[plan] pre_notice_lead_days = {config.plan.pre_notice_lead_days} day(s) away "
            f"(earliest {earliest.isoformat()})",
            field="inspection_date",
        )
    if not p.start <= inspection_day < p.end:
        raise ValidationError(
            f"inspection day {inspection_day.isoformat()} is outside the period {row.period}",
            field="inspection_date",
        )
    done = set(
        session.scalars(
            select(Notice.case_id).where(
                Notice.case_id.in_([c.case_id for c in cases]),
                Notice.kind == "pre_notification",
            )
        ).all()
    )
    at = dt.datetime(
        inspection_day.year,
        inspection_day.month,
        inspection_day.day,
        config.plan.visit_start_hour,
        0,
        tzinfo=CST,
    )
    industries = dict(
        session.execute(
            select(Enterprise.enterprise_id, Enterprise.industry).where(
                Enterprise.enterprise_id.in_(sorted({c.enterprise_id or "" for c in cases}))
            )
        ).all()
    )
    out = []
    for case in cases:
        if case.case_id in done or case.enterprise_id is None:
            continue
        out.append(
            issue_notice(
                session,
                user,
                "pre_notification",
                case.enterprise_id,
                title=f"行政检查预告知（{row.period} 双随机抽查）",
                body=(
                    f"根据{row.period}双随机抽查计划（第 {row.draw_id} 号，随机种子 {row.seed}），"
                    f"我局定于 {inspection_day.isoformat()} 对贵单位开展现场检查。"
                    "请对照所附自查表开展自查，并在企业端确认收到本告知。"
                ),
                case_id=case.case_id,
                template_id=self_check_template(session, industries.get(case.enterprise_id, "")),
                inspection_at=at,
            )
        )
    return out


def pre_notices(session: Session, case_ids: list[int]) -> dict[int, Notice]:
    """The 预告知 of each case (case id → notice) among ``case_ids``."""
    if not case_ids:
        return {}
    rows = session.scalars(
        select(Notice)
        .where(Notice.case_id.in_(case_ids), Notice.kind == "pre_notification")
        .order_by(Notice.notice_id)
    ).all()
    return {n.case_id: n for n in rows if n.case_id is not None}

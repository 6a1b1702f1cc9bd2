"""Campaigns (专项行动 / 轮次): create, list, link plans and cases, statistics.

A campaign has a name, an optional round (轮次), a period, a scope (a city or district
code; none: every enterprise the officer sees) and a focus (industries, lead families).
Plans, cases and visits belong to at most one campaign. A campaign ordered from above
(上级部署) has its visits tallied apart from the yearly cap (国办发〔2024〕54号).

Who sees a campaign: :data:`lantian.auth.visibility.VISIBILITY` ``"campaign"``; its
statistics count only what the user sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import NotFound, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.scope import UserLike
from lantian.auth.visibility import can_see, load_visible, visible
from lantian.registry.vocab import INDUSTRIES, STORED_LEAD_FAMILIES
from lantian.supervision.campaigns.models import Campaign
from lantian.supervision.plans.models import PlanDraw
from lantian.supervision.plans.services import jurisdiction_in_scope
from lantian.supervision.visits.models import InspectionVisit
from lantian.timeutil import now_cst
from lantian.workflow.models import Case, CaseLead


def create_campaign(
    session: Session,
    user: User,
    *,
    name: str,
    start_date: dt.date,
    end_date: dt.date,
    jurisdiction: str | None = None,
    industries: Sequence[str] = (),
    families: Sequence[str] = (),
    ordered_from_above: bool = False,
    round_label: str | None = None,
    description: str | None = None,
) -> Campaign:
    """Create a campaign (officers whose region covers the jurisdiction), audited.

    Raises
    ------
    ValidationError
        Empty name, end before start, an unknown industry or family.
    PermissionDenied
        The jurisdiction is outside the user's region (or none is given by a user with a
        limited region).
    """
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers create campaigns")
    name_t = (name or "").strip()
    if not name_t or len(name_t) > 200:
        raise ValidationError("请填写专项行动名称（不超过200字） (name)", field="name")
    if end_date < start_date:
        raise ValidationError("结束日期不能早于开始日期 (end before start)", field="end_date")
    bad = [i for i in industries if i not in INDUSTRIES]
    if bad:
        raise ValidationError(f"未知行业：{', '.join(bad)} (unknown industry)", field="industries")
    badf = [f for f in families if f not in STORED_LEAD_FAMILIES]
    if badf:
        raise ValidationError(f"未知问题类型：{', '.join(badf)} (unknown family)", field="families")
    jur = (jurisdiction or "").strip() or None
    if not jurisdiction_in_scope(session, user, jur):
        raise PermissionDenied(
            "专项行动范围超出您的辖区 (the jurisdiction is outside your region)"
            if jur
            else "请填写专项行动范围（城市或区县） (a jurisdiction is required)"
        )
    row = Campaign(
        name=name_t,
        round_label=(round_label or "").strip() or None,
        start_date=start_date,
        end_date=end_date,
        jurisdiction=jur,
        industries=sorted(set(industries)),
        families=sorted(set(families)),
        ordered_from_above=ordered_from_above,
        description=(description or "").strip() or None,
        created_by=user.user_id,
        created_at=now_cst(),
    )
    session.add(row)
    session.flush()
    audit(session, user, "campaign_create", "campaign", row.campaign_id, after=snapshot(row))
    return row


def list_campaigns(session: Session, user: UserLike) -> list[Campaign]:
    """Campaigns the user sees, newest first."""
    if user.role not in OFFICER_ROLES:
        return []
    return list(
        session.scalars(
            select(Campaign)
            .where(visible(user, "campaign", session=session))
            .order_by(Campaign.start_date.desc(), Campaign.campaign_id.desc())
        ).all()
    )


def get_campaign(session: Session, user: UserLike, campaign_id: int) -> Campaign:
    """One campaign in the user's scope (:class:`NotFound` otherwise)."""
    row: Campaign = load_visible(session, user, "campaign", campaign_id)
    return row


def link(session: Session, user: User, campaign_id: int, *, what: str, key: int) -> None:
    """Put a case (``what="case"``) or a plan draw (``"plan"``) into the campaign, audited."""
    camp = get_campaign(session, user, campaign_id)
    if what == "case":
        case = session.get(Case, key)
        if case is None or not can_see(session, user, "case", key):
            raise NotFound(f"case {key} not found")
        before = {"campaign_id": case.campaign_id}
        case.campaign_id = camp.campaign_id
        obj, oid = "case", case.case_id
    elif what == "plan":
        draw = session.get(PlanDraw, key)
        if draw is None or not jurisdiction_in_scope(session, user, draw.jurisdiction):
            raise NotFound(f"plan draw {key} not found")
        before = {"campaign_id": draw.campaign_id}
        draw.campaign_id = camp.campaign_id
        obj, oid = "plan_draw", draw.draw_id
        # the draw's cases follow it
        for c in session.scalars(select(Case).where(Case.plan_draw_id == draw.draw_id)):
            c.campaign_id = camp.campaign_id
    else:
        raise ValidationError(f"unknown link {what!r}", field="what")
    session.flush()
    audit(
        session,
        user,
        "campaign_link",
        obj,
        oid,
        before=before,
        after={"campaign_id": camp.campaign_id},
        note=f"专项行动 {camp.name}",
    )


@dataclass
class CampaignStats:
    """What a campaign did, counted over what the user sees."""

    plans: int = 0
    cases: int = 0
    cases_closed: int = 0
    findings: int = 0
    """Leads (and findings recorded on inspection cases) of the campaign's cases."""
    confirmed: int = 0
    """Cases judged confirmed (a problem found)."""
    visits_by_kind: dict[str, int] = field(default_factory=dict)
    visits_by_status: dict[str, int] = field(default_factory=dict)

    @property
    def visits(self) -> int:
        """Visits that took place or are approved."""
        return sum(n for s, n in self.visits_by_status.items() if s in ("approved", "done"))


def campaign_stats(session: Session, user: UserLike, campaign_id: int) -> CampaignStats:
    """Plans, cases (closed, confirmed), findings and visits (by kind and status)."""
    camp = get_campaign(session, user, campaign_id)
    st = CampaignStats()
    st.plans = sum(
        1
        for (j,) in session.execute(
            select(PlanDraw.jurisdiction).where(PlanDraw.campaign_id == camp.campaign_id)
        )
        if jurisdiction_in_scope(session, user, j)
    )
    cases = select(Case.case_id).where(
        Case.campaign_id == camp.campaign_id, visible(user, "case", session=session)
    )
    st.cases = session.scalar(select(func.count()).select_from(cases.subquery())) or 0
    st.cases_closed = (
        session.scalar(
            select(func.count()).select_from(cases.where(Case.status == "closed").subquery())
        )
        or 0
    )
    st.confirmed = (
        session.scalar(
            select(func.count()).select_from(cases.where(Case.finding.is_not(None)).subquery())
        )
        or 0
    )
    st.findings = session.scalar(select(func.count()).where(CaseLead.case_id.in_(cases))) or 0
    rows = session.execute(
        select(InspectionVisit.kind, InspectionVisit.status, func.count())
        .where(
            InspectionVisit.campaign_id == camp.campaign_id,
            visible(user, "visit", session=session),
        )
        .group_by(InspectionVisit.kind, InspectionVisit.status)
    ).all()
    for kind, status, n in rows:
        if status in ("approved", "done"):
            st.visits_by_kind[kind] = st.visits_by_kind.get(kind, 0) + n
        st.visits_by_status[status] = st.visits_by_status.get(status, 0) + n
    return st

"""Who sees what: ONE declaration per object kind × role, from which both the SQL filter of
every list and the check of every single object are derived.

:data:`VISIBILITY` maps each object kind (:data:`KINDS`) to a :class:`KindSpec`: the mapped
class, its key column, and one :class:`Rule` per role of :data:`lantian.auth.models.ROLES`.
A rule is a small value (:class:`Everything`, :class:`Nothing`, :class:`InRegion`,
:class:`Own`, :class:`Through`, :class:`Via`, :class:`Where`, :class:`AllOf`,
:class:`AnyOf`, :class:`Unlimited`, :class:`Cond`) that compiles to a SQL condition on the
kind's table. Nothing else decides visibility:

* lists: ``select(X).where(visible(user, "kind"))`` (:func:`visible`);
* one object: :func:`load_visible` / :func:`can_see` run the same condition with
  ``key == id``, so "in a list" and "readable by id" cannot disagree.

A role × kind left undeclared makes :func:`visible` raise and fails
``tests/auth/test_visibility_matrix.py``, which enumerates :data:`ROLES` × :data:`KINDS`.

Regions (the role semantics are in :func:`lantian.auth.scope.region_clause`): admin sees
everything; a work group everything or one province and/or city; a city officer its city;
a district officer its city and district. An enterprise sees its own registry data and
notices always, and workflow objects by the enterprise policy
(:mod:`lantian.auth.policy`): a lead or case only once the case has reached it, a check
record only when an officer shared it, attachments of shared records or its own uploads,
and of a case's timeline the events addressed to it (:data:`ENTERPRISE_EVENTS`) or its own.

Stations carry no province code: a station's province is the province of the enterprises
registered in its city (the province part of their credit codes, GB 32100-2015 §4), so a
province-limited work group sees the stations and station leads of its province's cities.
Cases store ``province`` for enterprise cases; a station case (no enterprise) takes the
province of its city in the same way.

Adding a kind (e.g. a "camera" or "grid cell" of the next issues)
---------------------------------------------------------------------
Add a :class:`KindSpec` to :data:`VISIBILITY` with a rule for every role, normally
``Through("enterprise", X.enterprise_id)`` or ``Through("case", X.case_id)`` for things
that hang off an enterprise or case, and add a sample object to the matrix test's world.
The matrix test fails until every role has a rule.

References
----------
.. [1] GB 32100-2015, 法人和其他组织统一社会信用代码编码规则, §4 (characters 3-8: 登记管理机关
       行政区划码; characters 3-4: province).
.. [2] GB/T 2260, 中华人民共和国行政区划代码.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    String,
    and_,
    any_,
    bindparam,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from lantian.assist.questions.models import FaqEntry, Question
from lantian.assist.rectification.models import RectificationPlan
from lantian.assist.selfchecks.models import SelfCheck, SelfCheckFinding
from lantian.assist.surveys.models import SurveyInvitation, SurveyResponse
from lantian.assist.training.models import Certificate, ExamAttempt, SessionRegistration
from lantian.auth.errors import NotFound
from lantian.auth.models import ROLES, User
from lantian.auth.policy import EnterprisePolicy, VisibilityPolicy, get_policy
from lantian.auth.scope import UserLike, region_clause
from lantian.db.resultcache import ResultCache, current_generation, wrote
from lantian.leads.models import Lead
from lantian.notify.models import Notification
from lantian.registry.models import Enterprise, Grid, Meter, Outlet, Station
from lantian.supervision.campaigns.models import Campaign
from lantian.supervision.complaints.models import Complaint
from lantian.supervision.grades.models import GradeApplication, GradeRecord
from lantian.supervision.hazards.models import HazardNotice
from lantian.supervision.listing.models import PositiveListDecision, PositiveListProposal
from lantian.supervision.visits.models import InspectionVisit
from lantian.workflow.dispatch_models import CaseMeeting, SupervisionTask
from lantian.workflow.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseLead,
    CheckRecord,
    Notice,
    SpotCheck,
)

KINDS: tuple[str, ...] = (
    "enterprise",
    "outlet",
    "meter",
    "station",
    "grid",
    "lead",
    "case",
    "case_event",
    "check_record",
    "attachment",
    "notice",
    "spot_check",
    "self_check",
    "self_check_finding",
    "rectification_plan",
    "notification",
    "question",
    "faq_entry",
    "survey_invitation",
    "survey_response",
    "positive_list_decision",
    "positive_list_proposal",
    "grade_record",
    "grade_application",
    "visit",
    "campaign",
    "exam_attempt",
    "training_registration",
    "certificate",
    "hazard_notice",
    "complaint",
    "supervision_task",
    "case_meeting",
)
"""Every object kind whose visibility is declared here."""


class Undeclared(LookupError):
    """A role × kind without a rule (a gap in :data:`VISIBILITY`)."""


@dataclass
class Ctx:
    """What a rule may read besides the user: the enterprise policy, and optionally the
    session (to turn region subqueries into id lists, see :class:`Through`)."""

    policy: VisibilityPolicy
    session: Session | None = None


class Rule(Protocol):
    """One declared rule: a SQL condition on its kind's table for ``user``."""

    def clause(self, user: UserLike, ctx: Ctx) -> ColumnElement[bool]: ...


Col = Callable[[], Any]
"""A column (or SQL expression) of the kind's table, given lazily."""


@dataclass(frozen=True)
class Everything:
    """Every object of the kind."""

    def clause(self, user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
        return true()


@dataclass(frozen=True)
class Nothing:
    """No object of the kind."""

    def clause(self, user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
        return false()


@dataclass(frozen=True)
class InRegion:
    """Objects in the user's region (province, city, district as the role defines them).

    ``province`` maps a 2-digit province code to a condition on the kind's table.
    """

    city: Col
    district: Col
    province: Callable[[str], ColumnElement[bool]]

    def clause(self, user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
        return region_clause(
            user, city=self.city(), district=self.district(), province=self.province
        )


@dataclass(frozen=True)
class Own:
    """Objects of the user's own enterprise (``column == user.enterprise_id``)."""

    column: Col

    def clause(self, user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
        if not user.enterprise_id:
            return false()
        return self.column() == user.enterprise_id  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Through:
    """Objects whose ``fk`` points at a visible object of ``parent`` (same user).

    With a session in the context and ``parent`` in :data:`MATERIALIZED_PARENTS`, the
    parent ids become a list (reused for :data:`ID_LIST_TTL_S` seconds, forgotten on any
    write of this process) when there are at most :data:`MATERIALIZE_MAX_IDS` of them, so
    that big tables are filtered through their index instead of a semi-join.
    """

    parent: str
    fk: Col

    def clause(self, user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
        spec = spec_of(self.parent)
        if ctx.session is not None and self.parent in MATERIALIZED_PARENTS:
            ids = _parent_ids(ctx.session, user, self.parent, ctx)
            if ids is not None:
                return in_ids(ctx.session, self.fk(), ids) if ids else false()
        sub = select(spec.key()).where(rule_of(self.parent, user.role).clause(user, ctx))
        return self.fk().in_(sub)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Via:
    """Objects linked (through a link table) to a visible object of ``parent``.

    ``link`` gives ``(child column, parent column)`` of the link table.
    """

    parent: str
    key: Col
    link: Callable[[], tuple[Any, Any]]

    def clause(self, user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
        spec = spec_of(self.parent)
        child, parent = self.link()
        parents = select(spec.key()).where(rule_of(self.parent, user.role).clause(user, ctx))
        return self.key().in_(select(child).where(parent.in_(parents)))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Where:
    """A fixed condition on the kind's table (does not depend on the user)."""

    condition: Callable[[], ColumnElement[bool]]

    def clause(self, user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
        return self.condition()


@dataclass(frozen=True)
class Cond:
    """A condition computed from the user and context (policy-driven conditions)."""

    fn: Callable[[UserLike, Ctx], ColumnElement[bool]]

    def clause(self, user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
        return self.fn(user, ctx)


@dataclass(frozen=True)
class AllOf:
    """Every one of ``rules``."""

    rules: tuple[Rule, ...]

    def clause(self, user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
        return and_(*(r.clause(user, ctx) for r in self.rules))


@dataclass(frozen=True)
class AnyOf:
    """At least one of ``rules``."""

    rules: tuple[Rule, ...]

    def clause(self, user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
        return or_(*(r.clause(user, ctx) for r in self.rules))


@dataclass(frozen=True)
class Unlimited:
    """Everything for a user without region limits (a work group with neither province
    nor city), else ``otherwise`` (objects outside any region, e.g. grid leads, are then
    seen by unlimited users only)."""

    otherwise: Rule

    def clause(self, user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
        if user.role == "admin" or (
            user.role == "work_group" and not user.province and not user.city
        ):
            return true()
        return self.otherwise.clause(user, ctx)


@dataclass(frozen=True)
class KindSpec:
    """The declaration of one object kind: its class, key and one rule per role."""

    kind: str
    entity: Callable[[], Any]
    key: Col
    rules: Mapping[str, Rule] = field(default_factory=dict)


# --------------------------------------------------------------------------- regions


def cities_of_province(province: str) -> Any:
    """SELECT of the city names of the enterprises whose credit code is in ``province``."""
    return (
        select(Enterprise.city)
        .where(func.substr(Enterprise.credit_code, 3, 2) == province, Enterprise.city.is_not(None))
        .distinct()
    )


def _enterprise_province(p: str) -> ColumnElement[bool]:
    return func.substr(Enterprise.credit_code, 3, 2) == p


def _station_province(p: str) -> ColumnElement[bool]:
    return Station.city.in_(cities_of_province(p))


def _grid_province(p: str) -> ColumnElement[bool]:
    return Grid.city.in_(cities_of_province(p))


def _case_province(p: str) -> ColumnElement[bool]:
    return or_(
        Case.province == p,
        and_(Case.province.is_(None), Case.city.in_(cities_of_province(p))),
    )


# --------------------------------------------------------------------------- enterprise policy

CONFIRMED_STATES: tuple[str, ...] = (
    "confirmed",
    "immediate_fix",
    "supervision_order",
    "rectification",
    "review",
    "closed",
)
"""Case states after 问题属实 (the lead was verified)."""


def _reached(p: EnterprisePolicy) -> ColumnElement[bool]:
    """Cases that have reached the enterprise under policy ``p`` (never one still new)."""
    parts: list[ColumnElement[bool]] = []
    if "rectification" in p.case_reached_by:
        parts.append(Case.fix_path.is_not(None))
    if "notice" in p.case_reached_by:
        parts.append(
            exists(
                select(Notice.notice_id).where(
                    Notice.case_id == Case.case_id, Notice.enterprise_id == Case.enterprise_id
                )
            )
        )
    if "shared" in p.case_reached_by:
        parts.append(Case.shared_with_enterprise_at.is_not(None))
    if "confirmed" in p.case_reached_by:
        parts.append(Case.status.in_(CONFIRMED_STATES))
    return and_(Case.status != "new", or_(false(), *parts))


def case_reached_enterprise(user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
    """Cases that reached their enterprise, by the policy of the case's province."""
    pol = ctx.policy
    overrides = dict(pol.provinces)
    if not overrides:
        return _reached(pol.default)
    parts = [and_(Case.province == code, _reached(p)) for code, p in overrides.items()]
    parts.append(
        and_(
            or_(Case.province.is_(None), Case.province.not_in(list(overrides))),
            _reached(pol.default),
        )
    )
    return or_(*parts)


def _own_users(user: UserLike) -> Any:
    return select(User.user_id).where(User.enterprise_id == user.enterprise_id)


def _own_upload(user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
    if not user.enterprise_id:
        return false()
    return Attachment.uploaded_by.in_(_own_users(user))


ENTERPRISE_EVENTS: tuple[str, ...] = (
    "judge_confirmed",
    "choose_immediate_fix",
    "issue_supervision_order",
    "start_rectification",
    "submit_rectification",
    "review_accept",
    "review_reject",
    "close_immediate_fix",
    "reopen",
    "share_case",
    "share_check_record",
)
"""Case timeline events an enterprise sees (besides its own): those addressed to it. The
officers' internal steps (dispatch and reassignment notes, check notes, false-positive
reasons, escalations, spot checks) stay internal."""


def _enterprise_event(user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
    if not user.enterprise_id:
        return false()
    return or_(CaseEvent.action.in_(ENTERPRISE_EVENTS), CaseEvent.actor_id.in_(_own_users(user)))


# --------------------------------------------------------------------------- the declaration


def _own_notification(user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
    """Notifications addressed to the user (none for a user without an id)."""
    uid = getattr(user, "user_id", None)
    return false() if uid is None else Notification.recipient_id == uid


def _officers(rule: Rule) -> dict[str, Rule]:
    """The same rule for the three region-limited officer roles; admin sees everything."""
    return {
        "admin": Everything(),
        "work_group": rule,
        "city_officer": rule,
        "district_officer": rule,
    }


_ENTERPRISE_REGION = InRegion(
    city=lambda: Enterprise.city,
    district=lambda: Enterprise.district,
    province=_enterprise_province,
)
_LEAD_REGION = Unlimited(
    AnyOf(
        (
            Through("enterprise", lambda: Lead.enterprise_id),
            AllOf(
                (
                    Where(
                        lambda: and_(Lead.subject_type == "station", Lead.enterprise_id.is_(None))
                    ),
                    Through("station", lambda: Lead.subject_id),
                )
            ),
            AllOf(
                (
                    Where(lambda: and_(Lead.subject_type == "grid", Lead.enterprise_id.is_(None))),
                    Through("grid", lambda: Lead.subject_id),
                )
            ),
        )
    )
)
_THROUGH_CASE: Callable[[Col], Rule] = lambda fk: Through("case", fk)  # noqa: E731


def _campaign_in_region(user: UserLike, ctx: Ctx) -> ColumnElement[bool]:
    """A campaign without a jurisdiction (all), of the user's own city or district, or of
    a city or district of an enterprise the user sees."""
    own = [x for x in (user.city, user.district) if x]
    seen = rule_of("enterprise", user.role).clause(user, ctx)
    return or_(
        Campaign.jurisdiction.is_(None),
        Campaign.jurisdiction.in_(own),
        Campaign.jurisdiction.in_(select(Enterprise.city).where(seen)),
        Campaign.jurisdiction.in_(select(Enterprise.district).where(seen)),
    )


VISIBILITY: dict[str, KindSpec] = {
    "enterprise": KindSpec(
        "enterprise",
        lambda: Enterprise,
        lambda: Enterprise.enterprise_id,
        {**_officers(_ENTERPRISE_REGION), "enterprise": Own(lambda: Enterprise.enterprise_id)},
    ),
    "outlet": KindSpec(
        "outlet",
        lambda: Outlet,
        lambda: Outlet.outlet_id,
        {
            **_officers(Through("enterprise", lambda: Outlet.enterprise_id)),
            "enterprise": Own(lambda: Outlet.enterprise_id),
        },
    ),
    "meter": KindSpec(
        "meter",
        lambda: Meter,
        lambda: Meter.meter_id,
        {
            **_officers(Through("enterprise", lambda: Meter.enterprise_id)),
            "enterprise": Own(lambda: Meter.enterprise_id),
        },
    ),
    "station": KindSpec(
        "station",
        lambda: Station,
        lambda: Station.station_id,
        {
            **_officers(
                InRegion(
                    city=lambda: Station.city,
                    district=lambda: Station.district,
                    province=_station_province,
                )
            ),
            "enterprise": Nothing(),
        },
    ),
    # 网格 cells (contract v2): like stations, a cell belongs to its city and district
    "grid": KindSpec(
        "grid",
        lambda: Grid,
        lambda: Grid.grid_id,
        {
            **_officers(
                InRegion(
                    city=lambda: Grid.city, district=lambda: Grid.district, province=_grid_province
                )
            ),
            "enterprise": Nothing(),
        },
    ),
    "lead": KindSpec(
        "lead",
        lambda: Lead,
        lambda: Lead.lead_id,
        {
            **_officers(_LEAD_REGION),
            "enterprise": AllOf(
                (
                    Own(lambda: Lead.enterprise_id),
                    Via("case", lambda: Lead.lead_id, lambda: (CaseLead.lead_id, CaseLead.case_id)),
                )
            ),
        },
    ),
    "case": KindSpec(
        "case",
        lambda: Case,
        lambda: Case.case_id,
        {
            **_officers(
                InRegion(
                    city=lambda: Case.city,
                    district=lambda: Case.district,
                    province=_case_province,
                )
            ),
            "enterprise": AllOf((Own(lambda: Case.enterprise_id), Cond(case_reached_enterprise))),
        },
    ),
    "case_event": KindSpec(
        "case_event",
        lambda: CaseEvent,
        lambda: CaseEvent.event_id,
        {
            **_officers(_THROUGH_CASE(lambda: CaseEvent.case_id)),
            "enterprise": AllOf(
                (_THROUGH_CASE(lambda: CaseEvent.case_id), Cond(_enterprise_event))
            ),
        },
    ),
    "check_record": KindSpec(
        "check_record",
        lambda: CheckRecord,
        lambda: CheckRecord.check_id,
        {
            **_officers(_THROUGH_CASE(lambda: CheckRecord.case_id)),
            "enterprise": AllOf(
                (
                    _THROUGH_CASE(lambda: CheckRecord.case_id),
                    Where(lambda: CheckRecord.shared_with_enterprise_at.is_not(None)),
                )
            ),
        },
    ),
    "attachment": KindSpec(
        "attachment",
        lambda: Attachment,
        lambda: Attachment.attachment_id,
        {
            **_officers(_THROUGH_CASE(lambda: Attachment.case_id)),
            "enterprise": AllOf(
                (
                    _THROUGH_CASE(lambda: Attachment.case_id),
                    AnyOf(
                        (
                            Through("check_record", lambda: Attachment.check_id),
                            Cond(_own_upload),
                        )
                    ),
                )
            ),
        },
    ),
    "notice": KindSpec(
        "notice",
        lambda: Notice,
        lambda: Notice.notice_id,
        {
            **_officers(Through("enterprise", lambda: Notice.enterprise_id)),
            "enterprise": Own(lambda: Notice.enterprise_id),
        },
    ),
    "spot_check": KindSpec(
        "spot_check",
        lambda: SpotCheck,
        lambda: SpotCheck.spot_check_id,
        {**_officers(_THROUGH_CASE(lambda: SpotCheck.case_id)), "enterprise": Nothing()},
    ),
    "self_check": KindSpec(
        "self_check",
        lambda: SelfCheck,
        lambda: SelfCheck.self_check_id,
        {
            **_officers(Through("enterprise", lambda: SelfCheck.enterprise_id)),
            "enterprise": Own(lambda: SelfCheck.enterprise_id),
        },
    ),
    "self_check_finding": KindSpec(
        "self_check_finding",
        lambda: SelfCheckFinding,
        lambda: SelfCheckFinding.finding_id,
        {
            **_officers(Through("enterprise", lambda: SelfCheckFinding.enterprise_id)),
            "enterprise": Own(lambda: SelfCheckFinding.enterprise_id),
        },
    ),
    "rectification_plan": KindSpec(
        "rectification_plan",
        lambda: RectificationPlan,
        lambda: RectificationPlan.plan_id,
        {
            **_officers(Through("enterprise", lambda: RectificationPlan.enterprise_id)),
            "enterprise": Own(lambda: RectificationPlan.enterprise_id),
        },
    ),
    # a notification is read by its recipient only; admins see the whole outbox
    "notification": KindSpec(
        "notification",
        lambda: Notification,
        lambda: Notification.notification_id,
        {"admin": Everything(), **{r: Cond(_own_notification) for r in ROLES if r != "admin"}},
    ),
    # questions (咨询): officers of the enterprise's region; the enterprise its own
    "question": KindSpec(
        "question",
        lambda: Question,
        lambda: Question.question_id,
        {
            **_officers(Through("enterprise", lambda: Question.enterprise_id)),
            "enterprise": Own(lambda: Question.enterprise_id),
        },
    ),
    # FAQ entries are reworded without the asker: everyone logged in reads them
    "faq_entry": KindSpec(
        "faq_entry",
        lambda: FaqEntry,
        lambda: FaqEntry.faq_id,
        {**_officers(Everything()), "enterprise": Everything()},
    ),
    "survey_invitation": KindSpec(
        "survey_invitation",
        lambda: SurveyInvitation,
        lambda: SurveyInvitation.invitation_id,
        {
            **_officers(Through("enterprise", lambda: SurveyInvitation.enterprise_id)),
            "enterprise": Own(lambda: SurveyInvitation.enterprise_id),
        },
    ),
    # responses by region (anonymous ones have no enterprise); an enterprise sees only
    # its own named responses
    "survey_response": KindSpec(
        "survey_response",
        lambda: SurveyResponse,
        lambda: SurveyResponse.response_id,
        {
            **_officers(
                InRegion(
                    city=lambda: SurveyResponse.city,
                    district=lambda: SurveyResponse.district,
                    province=lambda p: SurveyResponse.province == p,
                )
            ),
            "enterprise": Own(lambda: SurveyResponse.enterprise_id),
        },
    ),
    # 正面清单 and 绩效分级 (issue #13): officers through the enterprise, an enterprise its own
    # (review proposals are internal to the bureau)
    "positive_list_decision": KindSpec(
        "positive_list_decision",
        lambda: PositiveListDecision,
        lambda: PositiveListDecision.decision_id,
        {
            **_officers(Through("enterprise", lambda: PositiveListDecision.enterprise_id)),
            "enterprise": Own(lambda: PositiveListDecision.enterprise_id),
        },
    ),
    "positive_list_proposal": KindSpec(
        "positive_list_proposal",
        lambda: PositiveListProposal,
        lambda: PositiveListProposal.proposal_id,
        {
            **_officers(Through("enterprise", lambda: PositiveListProposal.enterprise_id)),
            "enterprise": Nothing(),
        },
    ),
    "grade_record": KindSpec(
        "grade_record",
        lambda: GradeRecord,
        lambda: GradeRecord.record_id,
        {
            **_officers(Through("enterprise", lambda: GradeRecord.enterprise_id)),
            "enterprise": Own(lambda: GradeRecord.enterprise_id),
        },
    ),
    "grade_application": KindSpec(
        "grade_application",
        lambda: GradeApplication,
        lambda: GradeApplication.application_id,
        {
            **_officers(Through("enterprise", lambda: GradeApplication.enterprise_id)),
            "enterprise": Own(lambda: GradeApplication.enterprise_id),
        },
    ),
    "visit": KindSpec(
        "visit",
        lambda: InspectionVisit,
        lambda: InspectionVisit.visit_id,
        {
            **_officers(Through("enterprise", lambda: InspectionVisit.enterprise_id)),
            "enterprise": Own(lambda: InspectionVisit.enterprise_id),
        },
    ),
    "campaign": KindSpec(
        "campaign",
        lambda: Campaign,
        lambda: Campaign.campaign_id,
        {**_officers(Unlimited(Cond(_campaign_in_region))), "enterprise": Nothing()},
    ),
    "exam_attempt": KindSpec(
        "exam_attempt",
        lambda: ExamAttempt,
        lambda: ExamAttempt.attempt_id,
        {
            **_officers(Through("enterprise", lambda: ExamAttempt.enterprise_id)),
            "enterprise": Own(lambda: ExamAttempt.enterprise_id),
        },
    ),
    "training_registration": KindSpec(
        "training_registration",
        lambda: SessionRegistration,
        lambda: SessionRegistration.registration_id,
        {
            **_officers(Through("enterprise", lambda: SessionRegistration.enterprise_id)),
            "enterprise": Own(lambda: SessionRegistration.enterprise_id),
        },
    ),
    "certificate": KindSpec(
        "certificate",
        lambda: Certificate,
        lambda: Certificate.certificate_id,
        {
            **_officers(Through("enterprise", lambda: Certificate.enterprise_id)),
            "enterprise": Own(lambda: Certificate.enterprise_id),
        },
    ),
    # 隐患提示函: seen exactly as its notice (officers: the enterprise's region; the
    # enterprise: its own)
    "hazard_notice": KindSpec(
        "hazard_notice",
        lambda: HazardNotice,
        lambda: HazardNotice.notice_id,
        {
            **_officers(Through("notice", lambda: HazardNotice.notice_id)),
            "enterprise": Through("notice", lambda: HazardNotice.notice_id),
        },
    ),
    # 督办任务: officers through the case; enterprises never (internal supervision)
    "supervision_task": KindSpec(
        "supervision_task",
        lambda: SupervisionTask,
        lambda: SupervisionTask.task_id,
        {**_officers(_THROUGH_CASE(lambda: SupervisionTask.case_id)), "enterprise": Nothing()},
    ),
    # 约谈 / 通报: officers through the case; an enterprise those of its cases that reached it
    "case_meeting": KindSpec(
        "case_meeting",
        lambda: CaseMeeting,
        lambda: CaseMeeting.meeting_id,
        {
            **_officers(_THROUGH_CASE(lambda: CaseMeeting.case_id)),
            "enterprise": _THROUGH_CASE(lambda: CaseMeeting.case_id),
        },
    ),
    # 信访投诉: officers through the enterprise's region; enterprises see nothing (the
    # complainant is protected)
    "complaint": KindSpec(
        "complaint",
        lambda: Complaint,
        lambda: Complaint.complaint_id,
        {
            **_officers(Through("enterprise", lambda: Complaint.enterprise_id)),
            "enterprise": Nothing(),
        },
    ),
}
"""kind → declaration. Every kind of :data:`KINDS` × every role of :data:`ROLES`."""


def spec_of(kind: str) -> KindSpec:
    """The declaration of ``kind`` (:class:`Undeclared` if there is none)."""
    spec = VISIBILITY.get(kind)
    if spec is None:
        raise Undeclared(f"object kind {kind!r} has no visibility declaration")
    return spec


def rule_of(kind: str, role: str) -> Rule:
    """The rule of ``role`` for ``kind`` (:class:`Undeclared` if the pair is not declared)."""
    rule = spec_of(kind).rules.get(role)
    if rule is None:
        raise Undeclared(f"role {role!r} has no visibility rule for {kind!r}")
    return rule


def undeclared(
    kinds: tuple[str, ...] = KINDS, roles: tuple[str, ...] = ROLES
) -> list[tuple[str, str]]:
    """Every (role, kind) pair without a rule (empty when the declaration is complete)."""
    out: list[tuple[str, str]] = []
    for kind in kinds:
        spec = VISIBILITY.get(kind)
        for role in roles:
            if spec is None or role not in spec.rules:
                out.append((role, kind))
    return out


# --------------------------------------------------------------------------- derived: lists


def visible(
    user: UserLike,
    kind: str,
    *,
    session: Session | None = None,
    policy: VisibilityPolicy | None = None,
) -> ColumnElement[bool]:
    """SQL condition "row of ``kind``'s table is visible to ``user``" (for lists).

    ``session`` lets region subqueries become cached id lists (faster on big tables).
    """
    ctx = Ctx(policy if policy is not None else get_policy(), session)
    return rule_of(kind, user.role).clause(user, ctx)


# --------------------------------------------------------------------------- derived: one object


def load_visible(
    session: Session,
    user: UserLike,
    kind: str,
    key: Any,
    *,
    lock: bool = False,
    what: str | None = None,
) -> Any:
    """The object ``key`` of ``kind`` if ``user`` sees it; :class:`NotFound` otherwise
    (the same message whether it does not exist or is out of scope)."""
    spec = spec_of(kind)
    stmt = select(spec.entity()).where(spec.key() == key, visible(user, kind))
    if lock:
        stmt = stmt.with_for_update()
    obj = session.scalar(stmt) if key is not None else None
    if obj is None:
        raise NotFound(f"{what or kind.replace('_', ' ')} {key} not found")
    return obj


def can_see(session: Session, user: UserLike, kind: str, key: Any) -> bool:
    """True if the object ``key`` of ``kind`` exists and ``user`` sees it."""
    if key is None:
        return False
    spec = spec_of(kind)
    stmt = (
        select(literal(1)).select_from(spec.entity()).where(spec.key() == key, visible(user, kind))
    )
    return session.scalar(stmt.limit(1)) is not None


# --------------------------------------------------------------------------- id lists

MATERIALIZED_PARENTS: frozenset[str] = frozenset({"enterprise", "station"})
"""Parents whose visible ids may be listed (registry data: changes on import only)."""

MATERIALIZE_MAX_IDS = 2000
"""Up to this many parent ids, a scope becomes an id list (index scan on the child's
foreign key); above, a semi-join (a sequential scan is as good then)."""

ID_LIST_TTL_S = 10.0
"""How long the visible enterprise and station ids of a scope are reused [s]; forgotten at
once on any write or commit of this process (:mod:`lantian.db.resultcache`)."""
_ID_LISTS: ResultCache[tuple[list[str] | None]] = ResultCache(ID_LIST_TTL_S)


def _parent_ids(session: Session, user: UserLike, parent: str, ctx: Ctx) -> list[str] | None:
    key = None
    generation = current_generation()
    if not wrote(session):
        key = (
            str(session.get_bind().engine.url),
            parent,
            user.role,
            user.enterprise_id,
            user.province,
            user.city,
            user.district,
        )
        hit = _ID_LISTS.get(key)
        if hit is not None:
            return hit[0]
    spec = spec_of(parent)
    sub = select(spec.key()).where(rule_of(parent, user.role).clause(user, Ctx(ctx.policy)))
    ids: list[str] | None = list(session.scalars(sub.limit(MATERIALIZE_MAX_IDS + 1)))
    if ids is not None and len(ids) > MATERIALIZE_MAX_IDS:
        ids = None
    if key is not None:
        _ID_LISTS.put(key, (ids,), generation)
    return ids


def pg_text_array(values: Sequence[str]) -> str:
    """``values`` as a PostgreSQL array literal (``{"a","b"}``: every element quoted, ``\\``
    and ``"`` escaped), e.g. for a ``VARCHAR[]`` parameter."""
    if not values:
        return "{}"
    plain = "".join(values)
    if "\\" in plain or '"' in plain:
        values = [v.replace("\\", "\\\\").replace('"', '\\"') for v in values]
    return '{"' + '","'.join(values) + '"}'


class IdArray(TypeDecorator[list[str]]):
    """A ``VARCHAR[]`` parameter sent as one array literal string.

    Same SQL as ``ARRAY(String)`` (``:param::VARCHAR[]``), but the driver sends one
    string instead of adapting the list element by element (psycopg checks every element
    for quoting: about 1 ms for 500 ids, per statement).
    """

    impl = ARRAY(String)
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Any:
        return lambda value: None if value is None else pg_text_array(value)


def in_ids(session: Session, column: Any, ids: list[str]) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL as ``= ANY(:array)``, one parameter however many ids
    (a long IN list costs more to render and parse than the query itself)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=IdArray()))  # type: ignore[no-any-return]
    return column.in_(ids)  # type: ignore[no-any-return]


__all__ = [
    "KINDS",
    "VISIBILITY",
    "AllOf",
    "AnyOf",
    "Cond",
    "Ctx",
    "Everything",
    "IdArray",
    "InRegion",
    "KindSpec",
    "Nothing",
    "Own",
    "Rule",
    "Through",
    "Undeclared",
    "Unlimited",
    "Via",
    "Where",
    "can_see",
    "case_reached_enterprise",
    "cities_of_province",
    "in_ids",
    "load_visible",
    "pg_text_array",
    "rule_of",
    "spec_of",
    "undeclared",
    "visible",
]

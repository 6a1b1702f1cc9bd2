"""The visit register: apply for, approve and record every on-site visit (行政检查).

One row of :class:`~lantian.supervision.visits.models.InspectionVisit` per visit, whatever
its kind (双随机 plan visit, lead check, 帮扶 service visit, 督导 visit):

* :func:`apply_visit` records the application (行政检查审批表: enterprise, purpose, basis,
  method, planned date, two or more inspectors with their 执法证号, kind, case, campaign);
* :func:`approve_visit` / :func:`reject_visit` decide it before it starts; the approver sees
  :func:`visit_warnings` (repeat visit within ``[visits] repeat_window_days``, count near
  or over the yearly cap) and must acknowledge them;
* :func:`require_onsite_approval` is called by the workflow before an on-site record
  (现场检查笔录) is written: without an approved visit of the case it is refused;
* :func:`checkin_token` / :func:`visit_of_token` give the signed 扫码入企 code, and
  :func:`confirm_presence` stores the enterprise's confirmation of arrival and departure;
* :func:`record_service` stores a 帮扶 record (problems, advice, 复诊 dates) and
  :func:`complete_followup` a 复诊 done;
* :func:`count_onsite_visits` counts an enterprise's visits of a year as the cap counts them.

Every write is audited (:func:`lantian.auth.audit.audit`).

References
----------
.. [1] 国办发〔2024〕54号 国务院办公厅关于严格规范涉企行政检查的意见: inspections approved by
       the authority's head beforehand, published yearly caps counting every kind of
       inspection (campaigns ordered from above counted separately), warnings on repeat
       and high-frequency inspections, 扫码入企, no disguised inspections as 帮扶/督导.
.. [2] 司法部《行政检查文书基本格式文本(试行)》 (行政检查审批表; unverified field list).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Date, cast, func, or_, select
from sqlalchemy.orm import Session

from lantian.auth.audit import ActorLike, audit, snapshot
from lantian.auth.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.scope import UserLike
from lantian.auth.visibility import can_see, load_visible, visible
from lantian.registry.models import Enterprise
from lantian.supervision.campaigns.models import Campaign
from lantian.supervision.config import SupervisionConfig
from lantian.supervision.visits.models import InspectionVisit
from lantian.timeutil import CST, now_cst, to_cst
from lantian.vocab.visits import SERVICE_KINDS, VISIT_KINDS
from lantian.workflow.models import Case, CheckRecord

MIN_INSPECTORS = 2
"""执法人员不少于两人 (《行政处罚法》第四十二条; 54号文)."""
TAKES_PLACE: tuple[str, ...] = ("approved", "done")
"""Statuses of a visit that takes (or took) place: they count under the cap."""
MAX_TEXT = 2000


# --------------------------------------------------------------------------- scope


def visit_scope(user: UserLike, session: Session | None = None) -> ColumnElement[bool]:
    """SQL condition: visits ``user`` may see (:data:`lantian.auth.visibility.VISIBILITY`
    ``"visit"``: officers the visits of enterprises in their region, an enterprise its own)."""
    return visible(user, "visit", session=session)


def get_visit(
    session: Session, user: UserLike, visit_id: int, *, lock: bool = False
) -> InspectionVisit:
    """One visit in the user's scope (:class:`NotFound` otherwise, like a missing one)."""
    row: InspectionVisit = load_visible(session, user, "visit", visit_id, lock=lock)
    return row


def list_visits(
    session: Session,
    user: UserLike,
    *,
    enterprise_id: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    campaign_id: int | None = None,
    limit: int = 500,
) -> list[InspectionVisit]:
    """Visits in scope, newest planned first."""
    q = select(InspectionVisit).where(visit_scope(user, session))
    if enterprise_id:
        q = q.where(InspectionVisit.enterprise_id == enterprise_id)
    if status:
        q = q.where(InspectionVisit.status == status)
    if kind:
        q = q.where(InspectionVisit.kind == kind)
    if campaign_id is not None:
        q = q.where(InspectionVisit.campaign_id == campaign_id)
    q = q.order_by(InspectionVisit.planned_date.desc(), InspectionVisit.visit_id.desc())
    return list(session.scalars(q.limit(limit)).all())


def _officer(user: UserLike) -> None:
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers apply for and decide on-site visits")


def _text(value: str | None, field: str, label: str, *, required: bool) -> str | None:
    v = (value or "").strip()
    if required and not v:
        raise ValidationError(f"请填写{label} ({field} is required)", field=field)
    if len(v) > MAX_TEXT:
        raise ValidationError(f"{label}不能超过{MAX_TEXT}个字符 (too long)", field=field)
    return v or None


# --------------------------------------------------------------------------- counting


@dataclass(frozen=True)
class RegisterVisit:
    """A visit as the cap sees it: enterprise, day, kind, tally, inspectors."""

    enterprise_id: str
    day: dt.date
    kind: str
    separate: bool
    """Under a campaign ordered from above (tallied apart from the cap)."""
    inspectors: tuple[str, ...]
    """Usernames (register rows) or user names of the check record."""
    visit_id: int | None = None


@dataclass(frozen=True)
class VisitCount:
    """An enterprise's on-site visits of a year, as the cap counts them."""

    capped: int
    """Visits counted under the yearly cap (kinds ``[visits.counts_toward_cap]`` names)."""
    separate: int
    """Visits under campaigns ordered from above (tallied separately)."""
    uncounted: int
    """Visits of kinds the configuration does not count."""
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Every on-site visit of the year."""
        return self.capped + self.separate + self.uncounted


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _day_of(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return to_cst(value).date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def register_visits(
    session: Session,
    ids: Iterable[str] | None,
    start: dt.date,
    end: dt.date,
    *,
    exclude_visit: int | None = None,
) -> list[RegisterVisit]:
    """Every on-site visit of the enterprises ``ids`` (all: ``None``) with start <= day < end.

    The register's rows that take place (approved or done; the day is the visit's own,
    else the planned date), plus on-site check records written outside the register
    (before it existed): a case's on-site records of one day are one visit, of kind
    ``plan`` for an inspection case and ``lead_check`` otherwise.
    """
    id_set = set(ids) if ids is not None else None
    # a province register: filter in Python rather than binding 20,000 parameters
    id_list = sorted(id_set) if id_set is not None and len(id_set) <= 1000 else None
    out: list[RegisterVisit] = []
    q = select(
        InspectionVisit.visit_id,
        InspectionVisit.enterprise_id,
        InspectionVisit.planned_date,
        InspectionVisit.visited_at,
        InspectionVisit.kind,
        InspectionVisit.separate_tally,
        InspectionVisit.inspectors,
    ).where(
        InspectionVisit.status.in_(TAKES_PLACE),
        InspectionVisit.planned_date >= start - dt.timedelta(days=366),
        InspectionVisit.planned_date < end + dt.timedelta(days=366),
    )
    if id_list is not None:
        q = q.where(InspectionVisit.enterprise_id.in_(id_list))
    if exclude_visit is not None:
        q = q.where(InspectionVisit.visit_id != exclude_visit)
    for vid, eid, planned, visited, kind, sep, insp in session.execute(q):
        day = _day_of(visited) if visited is not None else planned
        if start <= day < end and (id_set is None or eid in id_set):
            names = tuple(sorted(str(i.get("username") or i.get("name")) for i in insp or []))
            out.append(RegisterVisit(eid, day, kind, bool(sep), names, vid))
    # on-site records outside the register
    if _sqlite(session):
        day_expr: Any = func.date(CheckRecord.checked_at, "+8 hours")
    else:
        day_expr = cast(func.timezone("Asia/Shanghai", CheckRecord.checked_at), Date)
    linked = select(InspectionVisit.check_id).where(InspectionVisit.check_id.is_not(None))
    since = dt.datetime.combine(start, dt.time(), tzinfo=CST)
    until = dt.datetime.combine(end, dt.time(), tzinfo=CST)
    q2 = (
        select(Case.enterprise_id, Case.case_id, Case.kind, day_expr, User.username)
        .join(Case, Case.case_id == CheckRecord.case_id)
        .join(User, User.user_id == CheckRecord.checked_by)
        .where(
            CheckRecord.kind == "onsite",
            CheckRecord.checked_at >= since,
            CheckRecord.checked_at < until,
            Case.enterprise_id.is_not(None),
            CheckRecord.check_id.not_in(linked),
        )
    )
    if id_list is not None:
        q2 = q2.where(Case.enterprise_id.in_(id_list))
    grouped: dict[tuple[str, int, dt.date, str], set[str]] = defaultdict(set)
    for eid, case_id, case_kind, day, uname in session.execute(q2):
        if id_set is not None and eid not in id_set:
            continue
        kind = "plan" if case_kind == "inspection" else "lead_check"
        grouped[(eid, case_id, _day_of(day), kind)].add(uname)
    for (eid, _cid, day, kind), users in sorted(grouped.items()):
        out.append(RegisterVisit(eid, day, kind, False, tuple(sorted(users))))
    out.sort(key=lambda v: (v.enterprise_id, v.day, v.kind, v.visit_id or 0))
    return out


def tally(visits: Iterable[RegisterVisit], config: SupervisionConfig) -> VisitCount:
    """Split visits into capped, separately tallied and uncounted (a pure function)."""
    capped = separate = uncounted = 0
    by_kind: dict[str, int] = {}
    for v in visits:
        by_kind[v.kind] = by_kind.get(v.kind, 0) + 1
        if v.separate:
            separate += 1
        elif config.visits.counts_toward_cap.get(v.kind, True):
            capped += 1
        else:
            uncounted += 1
    return VisitCount(capped, separate, uncounted, by_kind)


def count_onsite_visits(
    session: Session,
    enterprise_id: str,
    year: int,
    config: SupervisionConfig | None = None,
    *,
    exclude_visit: int | None = None,
) -> VisitCount:
    """The enterprise's on-site visits of ``year`` (CST calendar), as the cap counts them.

    Parameters
    ----------
    config
        Which kinds count under the cap (``[visits.counts_toward_cap]``; default: the
        shipped configuration).
    exclude_visit
        A register row left out (the visit being approved).

    References
    ----------
    .. [1] 国办发〔2024〕54号 (yearly caps count every on-site inspection; campaigns ordered
           from above separately).
    """
    if config is None:
        from lantian.supervision.config import load_config

        config = load_config()
    rows = register_visits(
        session,
        [enterprise_id],
        dt.date(year, 1, 1),
        dt.date(year + 1, 1, 1),
        exclude_visit=exclude_visit,
    )
    return tally(rows, config)


def service_visit_count(
    session: Session, officer_ids: frozenset[int], start: dt.datetime, end: dt.datetime
) -> float:
    """帮扶 service visits done by the team's officers in ``[start, end)`` (work-group scoring).

    A service visit counts once when its record was written (``visited_at`` in the
    window) and one of ``officer_ids`` is among its inspectors or applied for it.
    """
    if not officer_ids:
        return 0.0
    rows = session.execute(
        select(InspectionVisit.applicant_id, InspectionVisit.inspectors).where(
            InspectionVisit.kind == "assistance",
            InspectionVisit.status == "done",
            InspectionVisit.visited_at >= start,
            InspectionVisit.visited_at < end,
        )
    ).all()
    n = 0
    for applicant, insp in rows:
        ids = {int(i["user_id"]) for i in insp or []} | {int(applicant)}
        if ids & officer_ids:
            n += 1
    return float(n)


# --------------------------------------------------------------------------- warnings


def cap_of(session: Session, config: SupervisionConfig, enterprise_id: str) -> int:
    """The yearly on-site cap of the enterprise's category."""
    ent = session.get(Enterprise, enterprise_id)
    if ent is None:
        raise NotFound(f"enterprise {enterprise_id} not found")
    return config.category_of(ent.industry).max_onsite_per_year


def visit_warnings(
    session: Session, config: SupervisionConfig, visit: InspectionVisit
) -> list[str]:
    """Warnings for the approver (Chinese): repeat visit, count near or over the cap.

    * 重复检查: another visit of the enterprise within ``repeat_window_days`` of the planned
      date (before or after);
    * 高频检查: with this visit, the enterprise's capped count of the year reaches
      ``cap - near_cap_margin`` or more (over the cap: says so).
    """
    rules = config.visits
    out: list[str] = []
    window = dt.timedelta(days=rules.repeat_window_days)
    near = register_visits(
        session,
        [visit.enterprise_id],
        visit.planned_date - window,
        visit.planned_date + window + dt.timedelta(days=1),
        exclude_visit=visit.visit_id,
    )
    if rules.repeat_window_days > 0 and near:
        days = "、".join(sorted({v.day.isoformat() for v in near}))
        out.append(
            f"重复检查：该企业在计划日期前后{rules.repeat_window_days}日内已有"
            f"{len(near)}次现场检查（{days}）"
        )
    counts = not visit.separate_tally and rules.counts_toward_cap.get(visit.kind, True)
    if counts:
        year = visit.planned_date.year
        n = count_onsite_visits(
            session, visit.enterprise_id, year, config, exclude_visit=visit.visit_id
        ).capped
        cap = cap_of(session, config, visit.enterprise_id)
        after = n + 1
        if after > cap:
            out.append(
                f"超过年度检查上限：本次为该企业{year}年第{after}次计入上限的现场检查，"
                f"上限为{cap}次"
            )
        elif after >= cap - rules.near_cap_margin:
            out.append(
                f"高频检查：本次为该企业{year}年第{after}次计入上限的现场检查，接近上限{cap}次"
            )
    return out


# --------------------------------------------------------------------------- apply / decide


def certified_inspectors(
    session: Session, enterprise_id: str, on: dt.date
) -> list[tuple[User, str]]:
    """Active officers with a 执法证号 valid on ``on`` who see the enterprise."""
    from lantian.supervision.inspectors.models import InspectorCertificate

    rows = session.execute(
        select(User, InspectorCertificate.cert_no)
        .join(InspectorCertificate, InspectorCertificate.user_id == User.user_id)
        .where(User.active.is_(True), User.role.in_(sorted(OFFICER_ROLES)))
        .where(
            or_(InspectorCertificate.valid_until.is_(None), InspectorCertificate.valid_until >= on)
        )
        .order_by(User.display_name, User.user_id)
    ).all()
    return [(u, str(cert)) for u, cert in rows if can_see(session, u, "enterprise", enterprise_id)]


def _inspectors(
    session: Session, enterprise_id: str, on: dt.date, inspector_ids: Sequence[int]
) -> list[dict[str, Any]]:
    ids = list(dict.fromkeys(int(i) for i in inspector_ids))
    if len(ids) < MIN_INSPECTORS:
        raise ValidationError(
            "行政检查须由至少两名持执法证的执法人员实施，请选择执法人员 "
            "(at least two inspectors with a certificate)",
            field="inspector_ids",
        )
    allowed = {u.user_id: (u, c) for u, c in certified_inspectors(session, enterprise_id, on)}
    out = []
    for uid in ids:
        if uid not in allowed:
            raise ValidationError(
                "所选执法人员无有效执法证号或无权管辖该企业 "
                "(an inspector without a valid certificate or outside the enterprise's region)",
                field="inspector_ids",
            )
        u, cert = allowed[uid]
        out.append(
            {"user_id": u.user_id, "username": u.username, "name": u.display_name, "cert_no": cert}
        )
    return out


def apply_visit(
    session: Session,
    user: User,
    *,
    enterprise_id: str,
    kind: str,
    purpose: str,
    basis: str,
    planned_date: dt.date,
    inspector_ids: Sequence[int],
    method: str | None = None,
    case_id: int | None = None,
    campaign_id: int | None = None,
    service_kind: str | None = None,
    today: dt.date | None = None,
) -> InspectionVisit:
    """Record an application for an on-site visit (行政检查审批表), status ``pending``.

    Raises
    ------
    PermissionDenied
        Not an officer.
    NotFound
        The enterprise, case or campaign is not in the user's scope.
    ValidationError
        Missing purpose or basis, a planned date in the past, fewer than two certified
        inspectors, a case of another enterprise, a 帮扶 visit without its service kind.
    """
    _officer(user)
    today = today or now_cst().date()
    if not can_see(session, user, "enterprise", enterprise_id):
        raise NotFound(f"enterprise {enterprise_id} not found")
    if kind not in VISIT_KINDS:
        raise ValidationError(f"检查类型无效：{kind} (kind)", field="kind")
    if kind == "assistance":
        if service_kind not in SERVICE_KINDS:
            raise ValidationError(
                "帮扶服务须选择服务类型（把脉问诊或环保体检） (service_kind)",
                field="service_kind",
            )
    elif service_kind:
        raise ValidationError(
            "只有帮扶服务有服务类型 (service_kind only for assistance)", field="service_kind"
        )
    purpose_t = _text(purpose, "purpose", "检查事项", required=True)
    basis_t = _text(basis, "basis", "检查依据", required=True)
    method_t = _text(method, "method", "检查方式", required=False)
    if planned_date < today:
        raise ValidationError(
            "计划检查日期不能早于今天：行政检查须在实施前审批 (planned date in the past)",
            field="planned_date",
        )
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is None or not can_see(session, user, "case", case_id):
            raise NotFound(f"case {case_id} not found")
        if case.enterprise_id != enterprise_id:
            raise ValidationError(
                "所选案件不属于该企业 (the case is of another enterprise)", field="case_id"
            )
    separate = False
    if campaign_id is not None:
        camp = session.get(Campaign, campaign_id)
        if camp is None:
            raise NotFound(f"campaign {campaign_id} not found")
        separate = bool(camp.ordered_from_above)
    inspectors = _inspectors(session, enterprise_id, planned_date, inspector_ids)
    ent = session.get(Enterprise, enterprise_id)
    assert ent is not None
    row = InspectionVisit(
        enterprise_id=enterprise_id,
        kind=kind,
        status="pending",
        purpose=purpose_t,
        basis=basis_t,
        method=method_t,
        planned_date=planned_date,
        inspectors=inspectors,
        city=ent.city,
        district=ent.district,
        applicant_id=user.user_id,
        applied_at=now_cst(),
        case_id=case_id,
        campaign_id=campaign_id,
        separate_tally=separate,
        checkin_nonce=secrets.token_hex(8),
        service_kind=service_kind if kind == "assistance" else None,
    )
    session.add(row)
    session.flush()
    audit(session, user, "visit_apply", "inspection_visit", row.visit_id, after=snapshot(row))
    return row


def approve_visit(
    session: Session,
    user: User,
    visit_id: int,
    config: SupervisionConfig,
    *,
    acknowledge_warnings: bool = False,
    note: str | None = None,
    today: dt.date | None = None,
) -> InspectionVisit:
    """Approve a pending visit before it starts (by another officer than the applicant).

    Raises
    ------
    ValidationError
        The approver applied for it, the planned date is past, or there are warnings
        (:func:`visit_warnings`) and ``acknowledge_warnings`` is false (the warnings are
        in ``details["warnings"]``).
    """
    _officer(user)
    row = get_visit(session, user, visit_id)
    if row.status != "pending":
        raise InvalidTransition(
            f"visit {visit_id} is {row.status!r}", status=row.status, action="approve"
        )
    if row.applicant_id == user.user_id:
        raise ValidationError("审批人不能是申请人 (the applicant cannot approve)", field="approver")
    today = today or now_cst().date()
    if row.planned_date < today:
        raise ValidationError(
            "计划检查日期已过，须重新申请 (the planned date is past)", field="planned_date"
        )
    warnings = visit_warnings(session, config, row)
    if warnings and not acknowledge_warnings:
        raise ValidationError(
            "请确认已阅知以下提示后再批准：" + "；".join(warnings),
            field="acknowledge_warnings",
            warnings=warnings,
        )
    before = snapshot(row)
    row.status = "approved"
    row.approver_id = user.user_id
    row.decided_at = now_cst()
    row.decision_note = _text(note, "note", "审批意见", required=False)
    row.warnings = warnings
    session.flush()
    audit(
        session,
        user,
        "visit_approve",
        "inspection_visit",
        row.visit_id,
        before=before,
        after=snapshot(row),
        from_status="pending",
        to_status="approved",
    )
    return row


def reject_visit(
    session: Session, user: User, visit_id: int, *, note: str | None
) -> InspectionVisit:
    """Reject a pending visit (the reason is required)."""
    _officer(user)
    row = get_visit(session, user, visit_id)
    if row.status != "pending":
        raise InvalidTransition(
            f"visit {visit_id} is {row.status!r}", status=row.status, action="reject"
        )
    reason = _text(note, "note", "不予批准的理由", required=True)
    before = snapshot(row)
    row.status = "rejected"
    row.approver_id = user.user_id
    row.decided_at = now_cst()
    row.decision_note = reason
    session.flush()
    audit(
        session,
        user,
        "visit_reject",
        "inspection_visit",
        row.visit_id,
        before=before,
        after=snapshot(row),
        from_status="pending",
        to_status="rejected",
    )
    return row


def cancel_visit(
    session: Session, user: User, visit_id: int, *, note: str | None
) -> InspectionVisit:
    """Cancel a pending or approved visit that has not taken place."""
    _officer(user)
    row = get_visit(session, user, visit_id)
    if row.status not in ("pending", "approved") or row.visited_at is not None:
        raise InvalidTransition(
            f"visit {visit_id} is {row.status!r}", status=row.status, action="cancel"
        )
    before = snapshot(row)
    old = row.status
    row.status = "cancelled"
    row.decision_note = _text(note, "note", "撤销理由", required=True)
    session.flush()
    audit(
        session,
        user,
        "visit_cancel",
        "inspection_visit",
        row.visit_id,
        before=before,
        after=snapshot(row),
        from_status=old,
        to_status="cancelled",
    )
    return row


# --------------------------------------------------------------------------- on-site record


def require_onsite_approval(session: Session, case: Case, at: dt.datetime) -> InspectionVisit:
    """The approved visit under which an on-site record of ``case`` at ``at`` is written.

    An approved visit of the case (decided before ``at``) not yet visited, else a visit of
    the case already visited on the same day (a second record of the same visit).

    Raises
    ------
    ValidationError
        There is none: the record is refused (国办发〔2024〕54号: approval before the visit).
    """
    at_cst = to_cst(at)
    rows = session.scalars(
        select(InspectionVisit)
        .where(
            InspectionVisit.case_id == case.case_id,
            InspectionVisit.status.in_(TAKES_PLACE),
        )
        .order_by(InspectionVisit.planned_date, InspectionVisit.visit_id)
    ).all()
    for row in rows:
        if row.decided_at is None or to_cst(row.decided_at) > at_cst:
            continue
        if row.status == "approved":
            return row
        if row.visited_at is not None and to_cst(row.visited_at).date() == at_cst.date():
            return row
    raise ValidationError(
        "该现场检查未经行政检查审批：请先在“现场检查审批”中申请并经批准后再进场检查"
        "（国办发〔2024〕54号） (no approved visit for this case)",
        field="approval",
    )


def mark_visited(
    session: Session, actor: ActorLike, visit: InspectionVisit, check: CheckRecord
) -> None:
    """Link the on-site record to its approved visit (status ``done``), audited."""
    if visit.check_id is not None:
        return
    before = snapshot(visit)
    old = visit.status
    visit.check_id = check.check_id
    visit.visited_at = check.checked_at
    visit.status = "done"
    session.flush()
    audit(
        session,
        actor,
        "visit_record",
        "inspection_visit",
        visit.visit_id,
        before=before,
        after=snapshot(visit),
        from_status=old,
        to_status="done",
    )


# --------------------------------------------------------------------------- 扫码入企


def checkin_token(visit: InspectionVisit, secret: str) -> str:
    """The signed check-in token of a visit: ``<visit_id>.<nonce>.<hmac>``."""
    msg = f"checkin:{visit.visit_id}:{visit.checkin_nonce}".encode()
    mac = hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:32]
    return f"{visit.visit_id}.{visit.checkin_nonce}.{mac}"


def visit_of_token(session: Session, user: UserLike, token: str, secret: str) -> InspectionVisit:
    """The visit of a check-in token, if the signature holds and the user sees the visit.

    Raises
    ------
    NotFound
        Bad or foreign token (the same answer, so tokens cannot be probed).
    """
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit():
        raise NotFound("check-in code not found")
    row = session.get(InspectionVisit, int(parts[0]))
    if row is None or not hmac.compare_digest(checkin_token(row, secret), token):
        raise NotFound("check-in code not found")
    return get_visit(session, user, row.visit_id)


def confirm_presence(
    session: Session, user: User, visit: InspectionVisit, what: str
) -> InspectionVisit:
    """The enterprise confirms the inspectors' ``arrival`` or ``departure`` (time: now).

    Only the visited enterprise's own account, only for an approved (or done) visit;
    departure after arrival; each is confirmed once.
    """
    if user.role != "enterprise" or user.enterprise_id != visit.enterprise_id:
        raise PermissionDenied("only the visited enterprise confirms arrival and departure")
    if visit.status not in TAKES_PLACE:
        raise ValidationError(
            "该检查未经批准，不能确认到达 (the visit is not approved)", field="status"
        )
    now = now_cst()
    before = snapshot(visit)
    if what == "arrival":
        if visit.arrived_at is not None:
            raise ValidationError("已确认到达时间 (arrival already confirmed)", field="arrival")
        visit.arrived_at = now
        visit.arrival_confirmed_by = user.user_id
    elif what == "departure":
        if visit.arrived_at is None:
            raise ValidationError("请先确认到达时间 (confirm the arrival first)", field="departure")
        if visit.departed_at is not None:
            raise ValidationError("已确认离开时间 (departure already confirmed)", field="departure")
        visit.departed_at = now
        visit.departure_confirmed_by = user.user_id
    else:
        raise ValidationError(f"unknown confirmation {what!r}", field="what")
    session.flush()
    audit(
        session,
        user,
        f"visit_{what}",
        "inspection_visit",
        visit.visit_id,
        before=before,
        after=snapshot(visit),
    )
    return visit


# --------------------------------------------------------------------------- 帮扶 records


def _followups(dates: Sequence[dt.date], after: dt.date) -> list[dict[str, Any]]:
    out = []
    for d in sorted(set(dates)):
        if d <= after:
            raise ValidationError(
                "复诊日期须晚于本次帮扶日期 (follow-up dates after the visit)", field="followups"
            )
        out.append({"due": d.isoformat(), "done_at": None, "note": None})
    return out


def record_service(
    session: Session,
    user: User,
    visit_id: int,
    *,
    problems: str,
    advice: str,
    followup_dates: Sequence[dt.date] = (),
    visited_at: dt.datetime | None = None,
) -> InspectionVisit:
    """The 帮扶 record of an approved assistance visit: problems seen (把脉问诊), advice
    given (开药方), 复诊 dates. The visit becomes ``done`` (it counts as a visit)."""
    _officer(user)
    row = get_visit(session, user, visit_id)
    if row.kind != "assistance":
        raise ValidationError("只有帮扶服务可填写帮扶记录 (not an assistance visit)", field="kind")
    if row.status != "approved":
        raise ValidationError(
            "帮扶服务须经审批后实施（国办发〔2024〕54号） (the visit is not approved)",
            field="approval",
        )
    at = to_cst(visited_at) if visited_at else now_cst()
    if row.decided_at is not None and at < to_cst(row.decided_at):
        raise ValidationError("帮扶时间早于审批时间 (visited before approval)", field="visited_at")
    before = snapshot(row)
    row.problems = _text(problems, "problems", "发现的问题", required=True)
    row.advice = _text(advice, "advice", "帮扶建议（开药方）", required=True)
    row.followups = _followups(followup_dates, at.date())
    row.visited_at = at
    row.status = "done"
    session.flush()
    audit(
        session,
        user,
        "visit_service_record",
        "inspection_visit",
        row.visit_id,
        before=before,
        after=snapshot(row),
        from_status="approved",
        to_status="done",
    )
    from lantian.assist.surveys.services import invite

    # a satisfaction survey follows every 帮扶 service (issue #15 item 7)
    officers = [i.get("user_id") for i in row.inspectors or [] if isinstance(i, dict)]
    invite(session, row.enterprise_id, "visit", row.visit_id, [user.user_id, *officers])
    return row


def complete_followup(
    session: Session, user: User, visit_id: int, due: dt.date, *, note: str | None
) -> InspectionVisit:
    """Mark the 复诊 due on ``due`` as done (with a note)."""
    _officer(user)
    row = get_visit(session, user, visit_id)
    items = [dict(f) for f in row.followups or []]
    for f in items:
        if f["due"] == due.isoformat():
            if f["done_at"] is not None:
                raise ValidationError("该复诊已完成 (already done)", field="due")
            f["done_at"] = now_cst().isoformat()
            f["note"] = _text(note, "note", "复诊情况", required=True)
            break
    else:
        raise NotFound(f"follow-up {due.isoformat()} of visit {visit_id} not found")
    before = snapshot(row)
    row.followups = items
    session.flush()
    audit(
        session,
        user,
        "visit_followup_done",
        "inspection_visit",
        row.visit_id,
        before=before,
        after=snapshot(row),
    )
    return row


def overdue_followups(rows: Iterable[InspectionVisit], today: dt.date) -> int:
    """Number of 复诊 past due and not done among ``rows``."""
    return sum(
        1
        for r in rows
        for f in r.followups or []
        if f["done_at"] is None and dt.date.fromisoformat(f["due"]) < today
    )


def by_ids(session: Session, visit_ids: Iterable[int]) -> dict[int, InspectionVisit]:
    """Visits by id (no scope check: callers hold ids they already checked)."""
    ids = sorted(set(visit_ids))
    if not ids:
        return {}
    return {
        v.visit_id: v
        for v in session.scalars(select(InspectionVisit).where(InspectionVisit.visit_id.in_(ids)))
    }


__all__ = [
    "RegisterVisit",
    "VisitCount",
    "apply_visit",
    "approve_visit",
    "cancel_visit",
    "checkin_token",
    "complete_followup",
    "confirm_presence",
    "count_onsite_visits",
    "get_visit",
    "list_visits",
    "mark_visited",
    "record_service",
    "register_visits",
    "reject_visit",
    "require_onsite_approval",
    "service_visit_count",
    "tally",
    "visit_of_token",
    "visit_warnings",
]

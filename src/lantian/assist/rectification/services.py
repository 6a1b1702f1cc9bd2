"""整改方案: writes (audited) and the progress read by the case page and the 督办台账.

A plan hangs off a case (the enterprise's rectification of a confirmed problem) or off a
self-check finding (a 不符合 item it committed to fix). It has measures (free text) and
milestones (what, due date, responsible person); a milestone is done when the enterprise
(or an officer) records it with evidence files or a note, and *late* when its due date has
passed undone, or it was done after its due date.

References
----------
.. [1] Issue #15 item 3 (整改方案 with measures, milestones, responsible person, evidence);
       the 督办台账 column 进展 (:mod:`lantian.workflow.ledger`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.assist.rectification.models import RectificationMilestone, RectificationPlan
from lantian.assist.selfchecks.models import AssistFile, SelfCheckFinding
from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import InvalidTransition, PermissionDenied, ValidationError
from lantian.auth.models import User
from lantian.auth.visibility import load_visible
from lantian.timeutil import CST, now_cst
from lantian.workflow.core import load_case
from lantian.workflow.files import UploadedFile

MAX_MILESTONES = 20
"""Most milestones of one plan."""


def _milestones(raw: Sequence[Mapping[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    if not raw:
        raise ValidationError("至少填写一个节点 (at least one milestone)", field="milestones")
    if len(raw) > MAX_MILESTONES:
        raise ValidationError(
            f"节点不能超过 {MAX_MILESTONES} 个 (at most {MAX_MILESTONES} milestones)",
            field="milestones",
        )
    out = []
    for i, m in enumerate(raw, 1):
        title = str(m.get("title") or "").strip()
        who = str(m.get("responsible") or "").strip()
        if not title or not who:
            raise ValidationError(
                f"第 {i} 个节点须填写内容和责任人 (milestone {i}: title and responsible)",
                field="milestones",
            )
        due = m.get("due_date")
        try:
            due_d = due if isinstance(due, dt.date) else dt.date.fromisoformat(str(due))
        except ValueError:
            raise ValidationError(
                f"第 {i} 个节点的完成期限不是日期 (milestone {i}: due_date is not a date)",
                field="milestones",
            ) from None
        if due_d < today:
            raise ValidationError(
                f"第 {i} 个节点的完成期限早于今天 (milestone {i}: due_date is in the past)",
                field="milestones",
            )
        out.append({"title": title[:200], "responsible": who[:100], "due_date": due_d})
    return out


def create_plan(
    session: Session,
    user: User,
    *,
    measures: str,
    milestones: Sequence[Mapping[str, Any]],
    case_id: int | None = None,
    finding_id: int | None = None,
    now: dt.datetime | None = None,
) -> RectificationPlan:
    """A rectification plan on a case or on a self-check finding (exactly one); audited.

    The enterprise writes it for its own case or finding; an officer in scope may too.

    Raises
    ------
    ValidationError
        Neither or both targets, empty measures, a milestone without title, responsible
        person or a valid due date (named by its number).
    """
    now = now or now_cst()
    if (case_id is None) == (finding_id is None):
        raise ValidationError(
            "整改方案须对应一个案件或一个自查问题 (give case_id or finding_id)", field="case_id"
        )
    if case_id is not None:
        case = load_case(session, user, case_id)
        if case.enterprise_id is None:
            raise ValidationError("the case has no enterprise", field="case_id")
        if case.status in ("closed", "false_positive"):
            raise InvalidTransition("the case is closed")
        eid = case.enterprise_id
    else:
        f: SelfCheckFinding = load_visible(session, user, "self_check_finding", finding_id)
        eid = f.enterprise_id
    if not measures.strip():
        raise ValidationError("measures is required", field="measures")
    ms = _milestones(milestones, now.astimezone(CST).date())
    plan = RectificationPlan(
        enterprise_id=eid,
        case_id=case_id,
        finding_id=finding_id,
        measures=measures.strip()[:10000],
        created_by=user.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    session.flush()
    for i, m in enumerate(ms, 1):
        session.add(RectificationMilestone(plan_id=plan.plan_id, seq=i, **m))
    session.flush()
    audit(
        session,
        user,
        "create_rectification_plan",
        "rectification_plan",
        plan.plan_id,
        after={
            **snapshot(plan),
            "milestones": [{**m, "due_date": m["due_date"].isoformat()} for m in ms],
        },
        at=now,
    )
    return plan


def complete_milestone(
    session: Session,
    user: User,
    milestone_id: int,
    *,
    note: str = "",
    files: Sequence[UploadedFile] = (),
    uploads_dir: Path,
    now: dt.datetime | None = None,
) -> RectificationMilestone:
    """Record a milestone done with evidence (files, a note or both); audited.

    Raises
    ------
    ValidationError
        Neither a file nor a note; a file that fails the upload checks.
    InvalidTransition
        Already done.
    """
    from lantian.assist.selfchecks.services import store_file

    now = now or now_cst()
    m = session.get(RectificationMilestone, milestone_id)
    if m is None:
        from lantian.auth.errors import NotFound

        raise NotFound(f"milestone {milestone_id} not found")
    plan: RectificationPlan = load_visible(
        session, user, "rectification_plan", m.plan_id, what="milestone"
    )
    if user.role == "enterprise" and plan.enterprise_id != user.enterprise_id:
        raise PermissionDenied("not your plan")
    if m.done_at is not None:
        raise InvalidTransition(f"节点 {milestone_id} 已完成 (already done)")
    if not files and not note.strip():
        raise ValidationError("请上传佐证材料或填写说明 (evidence or a note)", field="files")
    before = snapshot(m)
    stored = [
        store_file(session, user, f, uploads_dir=uploads_dir, milestone_id=milestone_id, now=now)
        for f in files
    ]
    m.done_at = now
    m.done_by = user.user_id
    m.note = note.strip()[:4000] or None
    plan.updated_at = now
    session.flush()
    audit(
        session,
        user,
        "complete_milestone",
        "rectification_plan",
        plan.plan_id,
        before=before,
        after={**snapshot(m), "files": [f.file_id for f in stored]},
        at=now,
    )
    return m


# --------------------------------------------------------------------------- reads


def milestone_state(m: RectificationMilestone, today: dt.date) -> str:
    """``done``, ``done_late`` (done after its due date), ``late`` or ``due``."""
    if m.done_at is not None:
        return "done_late" if m.done_at.astimezone(CST).date() > m.due_date else "done"
    return "late" if today > m.due_date else "due"


@dataclass(frozen=True)
class Progress:
    """Progress of a case's or finding's plans: milestones done, total, late."""

    done: int
    total: int
    late: int

    def label(self) -> str:
        """``2/3`` or ``1/3，逾期1`` for the 督办台账 and the case page."""
        text = f"{self.done}/{self.total}"
        return f"{text}，逾期{self.late}" if self.late else text

    def label_en(self) -> str:
        """``2/3`` or ``1/3, 1 late``."""
        text = f"{self.done}/{self.total}"
        return f"{text}, {self.late} late" if self.late else text


def progress_by_case(
    session: Session, case_ids: Iterable[int], *, today: dt.date | None = None
) -> dict[int, Progress]:
    """Progress of the plans of each case (cases without a plan are absent)."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    today = today or now_cst().date()
    acc: dict[int, list[int]] = {}
    for case_id, m in session.execute(
        select(RectificationPlan.case_id, RectificationMilestone)
        .join(RectificationMilestone, RectificationMilestone.plan_id == RectificationPlan.plan_id)
        .where(RectificationPlan.case_id.in_(ids))
    ):
        a = acc.setdefault(int(case_id or 0), [0, 0, 0])
        state = milestone_state(m, today)
        a[0] += state in ("done", "done_late")
        a[1] += 1
        a[2] += state in ("late", "done_late")
    return {k: Progress(*v) for k, v in acc.items()}


@dataclass(frozen=True)
class PlanView:
    """A plan with its milestones, their state and evidence files."""

    plan: RectificationPlan
    milestones: list[tuple[RectificationMilestone, str, list[AssistFile]]]

    @property
    def progress(self) -> Progress:
        """Milestones done / total / late."""
        states = [s for _m, s, _f in self.milestones]
        return Progress(
            sum(s in ("done", "done_late") for s in states),
            len(states),
            sum(s in ("late", "done_late") for s in states),
        )


def plans_of(
    session: Session,
    user: User,
    *,
    case_id: int | None = None,
    finding_id: int | None = None,
    plan_id: int | None = None,
) -> list[PlanView]:
    """The plans of a case, a finding, or one plan, in ``user``'s scope."""
    from lantian.auth.visibility import visible

    q = select(RectificationPlan).where(visible(user, "rectification_plan", session=session))
    if case_id is not None:
        q = q.where(RectificationPlan.case_id == case_id)
    if finding_id is not None:
        q = q.where(RectificationPlan.finding_id == finding_id)
    if plan_id is not None:
        q = q.where(RectificationPlan.plan_id == plan_id)
    plans = list(session.scalars(q.order_by(RectificationPlan.plan_id)))
    if not plans:
        return []
    ms = list(
        session.scalars(
            select(RectificationMilestone)
            .where(RectificationMilestone.plan_id.in_([p.plan_id for p in plans]))
            .order_by(RectificationMilestone.plan_id, RectificationMilestone.seq)
        )
    )
    files: dict[int, list[AssistFile]] = {}
    if ms:
        for f in session.scalars(
            select(AssistFile)
            .where(AssistFile.milestone_id.in_([m.milestone_id for m in ms]))
            .order_by(AssistFile.file_id)
        ):
            files.setdefault(f.milestone_id or 0, []).append(f)
    today = now_cst().date()
    return [
        PlanView(
            p,
            [
                (m, milestone_state(m, today), files.get(m.milestone_id, []))
                for m in ms
                if m.plan_id == p.plan_id
            ],
        )
        for p in plans
    ]

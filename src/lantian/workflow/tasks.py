"""督办任务: when a case is escalated, a task for the next level's officer.

:func:`lantian.workflow.escalation.escalate_overdue` raises a case's escalation level
(1 overdue, 2 ≥ 7 days, 3 ≥ 30 days overdue); for each level reached this module creates
one task, addressed to an officer one or more levels above the officer handling the case,
with a due date, and the notification service tells the assignee (audit action
``task.create`` → event ``escalation``). The assignee (or an admin) closes the task with
what was done (``task.done``). Both are case timeline events and audit entries.

The ladder of levels (:data:`RUNGS`): district officer → city officer → a work group
limited to a province or city → a work group without limits (ministry) or an admin. The
case's own rung is that of its assignee (else its dispatcher, else the district). Level
``n`` goes ``n`` rungs up, capped at the top; the task goes to the first active officer
(lowest user id) of that rung who sees the case, else of a higher rung; with nobody there
it stays unassigned and admins see it.

References
----------
.. [1] 生态环境部, 重点区域大气污染防治强化监督 (2018-2019): overdue problems are 提级督办 by
       the level above (unverified summary). The 3-working-day due date of a task is this
       project's choice (``TASK_DUE_WORKING_DAYS``), not a cited rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import can_see, visible
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.core import _event
from lantian.workflow.dispatch_models import SupervisionTask
from lantian.workflow.models import Case
from lantian.workflow.states import ESCALATION_LEVELS
from lantian.workflow.workdays import add_working_days_cst

TASK_DUE_WORKING_DAYS = 3
"""Working days the next level has to act on an escalation task (project choice)."""
RESULT_MAX = 4000
"""Longest result text of a closed task (characters)."""
RUNGS: tuple[str, ...] = ("district", "city", "regional_group", "national")
"""The ladder of levels, lowest first."""


def rung_of(user: User | None) -> int:
    """The rung of a user on :data:`RUNGS` (an unknown or missing user: the district)."""
    if user is None:
        return 0
    if user.role == "district_officer":
        return 0
    if user.role == "city_officer":
        return 1
    if user.role == "work_group":
        return 2 if (user.province or user.city) else 3
    if user.role == "admin":
        return 3
    return 0


def _rung_clause(rung: int) -> object:
    if rung == 0:
        return User.role == "district_officer"
    if rung == 1:
        return User.role == "city_officer"
    if rung == 2:
        return and_(
            User.role == "work_group", or_(User.province.is_not(None), User.city.is_not(None))
        )
    return or_(
        and_(User.role == "work_group", User.province.is_(None), User.city.is_(None)),
        User.role == "admin",
    )


def next_level_officer(session: Session, case: Case, level: int) -> User | None:
    """The officer a level-``level`` escalation task of ``case`` goes to (see module doc)."""
    handler = None
    for uid in (case.assignee_id, case.dispatched_by):
        if uid is not None:
            handler = session.get(User, uid)
            if handler is not None:
                break
    target = min(rung_of(handler) + level, len(RUNGS) - 1)
    for rung in range(target, len(RUNGS)):
        users = session.scalars(
            select(User)
            .where(User.active.is_(True), _rung_clause(rung))  # type: ignore[arg-type]
            .order_by(User.role == "admin", User.user_id)  # work groups before admins
        ).all()
        for user in users:
            if user.user_id != case.assignee_id and can_see(session, user, "case", case.case_id):
                return user
    return None


def create_escalation_task(
    session: Session, case: Case, level: int, *, at: datetime, days_overdue: float
) -> SupervisionTask | None:
    """The task of ``case`` reaching escalation ``level`` (None if that level has one)."""
    exists = session.scalar(
        select(SupervisionTask.task_id).where(
            SupervisionTask.case_id == case.case_id, SupervisionTask.level == level
        )
    )
    if exists is not None:
        return None
    assignee = next_level_officer(session, case, level)
    label = ESCALATION_LEVELS[level - 1][1]
    task = SupervisionTask(
        case_id=case.case_id,
        level=level,
        assignee_id=assignee.user_id if assignee else None,
        status="open",
        reason=f"{label}（逾期 {days_overdue:.1f} 天）",
        created_at=at,
        due_at=add_working_days_cst(at, TASK_DUE_WORKING_DAYS),
    )
    session.add(task)
    session.flush()
    who = assignee.display_name if assignee else "（无上级执法人员，待管理员指派）"
    _event(
        session,
        None,
        case,
        "task_create",
        note=f"{label}：交 {who} 督办",
        data={"task_id": task.task_id, "level": level, "assignee_id": task.assignee_id},
        at=at,
    )
    audit(
        session,
        None,
        "task.create",
        "task",
        task.task_id,
        after=snapshot(task),
        note=task.reason,
        at=at,
    )
    return task


def visible_tasks(user: User) -> object:
    """SQL condition: the tasks ``user`` sees (those of cases they see; officers only)."""
    return SupervisionTask.case_id.in_(select(Case.case_id).where(visible(user, "case")))


@dataclass(frozen=True)
class TaskRow:
    """A task with what a list shows of its case."""

    task: SupervisionTask
    case_title: str
    enterprise_id: str | None
    assignee_name: str | None
    overdue: bool


def list_tasks(
    session: Session,
    user: User,
    *,
    mine: bool = False,
    status: str | None = None,
    case_id: int | None = None,
    now: datetime | None = None,
    limit: int = 500,
) -> list[TaskRow]:
    """Tasks in ``user``'s scope (officers), newest first; ``mine``: addressed to the user."""
    if user.role not in OFFICER_ROLES:
        return []
    now = to_cst(now) if now is not None else now_cst()
    stmt = (
        select(SupervisionTask, Case.title, Case.enterprise_id, User.display_name)
        .join(Case, Case.case_id == SupervisionTask.case_id)
        .outerjoin(User, User.user_id == SupervisionTask.assignee_id)
        .where(visible(user, "case"))
    )
    if mine:
        stmt = stmt.where(SupervisionTask.assignee_id == user.user_id)
    if status:
        stmt = stmt.where(SupervisionTask.status == status)
    if case_id is not None:
        stmt = stmt.where(SupervisionTask.case_id == case_id)
    stmt = stmt.order_by(SupervisionTask.created_at.desc(), SupervisionTask.task_id.desc())
    return [
        TaskRow(t, title, ent, name, t.status == "open" and to_cst(t.due_at) < now)
        for t, title, ent, name in session.execute(stmt.limit(limit))
    ]


def load_task(session: Session, user: User, task_id: int) -> SupervisionTask:
    """Task ``task_id`` if ``user`` (an officer) sees its case; else NotFound."""
    task = session.get(SupervisionTask, task_id)
    if (
        task is None
        or user.role not in OFFICER_ROLES
        or not can_see(session, user, "case", task.case_id)
    ):
        raise NotFound(f"task {task_id} not found")
    return task


def complete_task(
    session: Session, user: User, task_id: int, *, result: str, now: datetime | None = None
) -> SupervisionTask:
    """Close a task with what was done (its assignee, an admin, or — for an unassigned
    task — any officer of a higher rung than the district who sees the case)."""
    task = load_task(session, user, task_id)
    if task.status != "open":
        raise InvalidTransition(f"task {task_id} is already done", status=task.status)
    allowed = (
        user.role == "admin"
        or task.assignee_id == user.user_id
        or (task.assignee_id is None and rung_of(user) > 0)
    )
    if not allowed:
        raise PermissionDenied("只有督办任务的承办人可以办结 (only the task's assignee)")
    text = (result or "").strip()
    if not text:
        raise ValidationError("请填写督办情况", field="result")
    if len(text) > RESULT_MAX:
        raise ValidationError(f"督办情况不超过 {RESULT_MAX} 字", field="result")
    at = to_cst(now) if now is not None else now_cst()
    before = snapshot(task)
    task.status = "done"
    task.done_at = at
    task.done_by = user.user_id
    task.result = text
    session.flush()
    case = session.get(Case, task.case_id)
    assert case is not None
    _event(
        session,
        user,
        case,
        "task_done",
        note=text,
        data={"task_id": task.task_id, "level": task.level},
        at=at,
    )
    audit(
        session,
        user,
        "task.done",
        "task",
        task.task_id,
        before=before,
        after=snapshot(task),
        note=text,
        at=at,
    )
    return task


def task_counts(session: Session, user: User, now: datetime | None = None) -> dict[str, int]:
    """Open, done and overdue (open past due) tasks in ``user``'s scope."""
    if user.role not in OFFICER_ROLES:
        return {"open": 0, "done": 0, "overdue": 0}
    now = to_cst(now) if now is not None else now_cst()
    base = select(func.count()).select_from(SupervisionTask).where(visible_tasks(user))  # type: ignore[arg-type]
    is_open = SupervisionTask.status == "open"
    return {
        "open": int(session.scalar(base.where(is_open)) or 0),
        "done": int(session.scalar(base.where(SupervisionTask.status == "done")) or 0),
        "overdue": int(session.scalar(base.where(is_open, SupervisionTask.due_at < now)) or 0),
    }


__all__: Sequence[str] = [
    "RUNGS",
    "TASK_DUE_WORKING_DAYS",
    "TaskRow",
    "complete_task",
    "create_escalation_task",
    "list_tasks",
    "load_task",
    "next_level_officer",
    "rung_of",
    "task_counts",
    "visible_tasks",
]

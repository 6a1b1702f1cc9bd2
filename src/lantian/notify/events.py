"""From audited actions to notifications: declared once here.

Every write goes through :func:`lantian.auth.audit.audit`; this module registers a
listener there (:func:`on_audit`) that runs inside the same transaction, so a
notification is stored exactly when the change it reports commits.
:data:`AUDIT_EVENTS` maps audit actions to notification events; deadlines (approaching,
overdue) come from the periodic job :func:`deadline_notifications`, the daily digest
from :func:`lantian.reports.digest.send_digest`.

Every push respects scope: a recipient gets a notification only about an object
:func:`lantian.auth.visibility.can_see` lets them read, and only when the positive list
allows pushes about the enterprise (``lantian.supervision.positive_list.push_allowed``,
when that module exists).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import add_audit_listener
from lantian.auth.models import OFFICER_ROLES, AuditLog, User
from lantian.auth.visibility import can_see, visible
from lantian.notify.outbox import enqueue
from lantian.timeutil import now_cst, to_cst
from lantian.vocab import cases as cases_vocab
from lantian.vocab import families

log = logging.getLogger("lantian.notify")

AUDIT_EVENTS: dict[str, str] = {
    "merge_leads": "lead_high",
    "create_lead": "lead_high",
    "dispatch": "dispatched",
    "reassign": "dispatched",
    "escalate": "escalation",
    "convert_to_supervision": "escalation",
    "submit_rectification": "submission",
    "submit_apology": "submission",
    "question.claim": "question",
    "question.transfer": "question",
    "question.escalate": "question",
    "task.create": "escalation",
}
"""Audit action → notification event (:data:`lantian.vocab.notify.EVENTS`)."""
HIGH_SEVERITY = 3
DEADLINE_SOON_H = 24.0
"""A deadline this close (hours) gives a 期限临近 notification (once per case and day)."""
LEAD_ROLES = ("work_group", "city_officer", "district_officer")
"""Roles told of new high-severity leads in their area (admins see the outbox instead)."""


def _fmt(value: datetime | None) -> str:
    return "—" if value is None else to_cst(value).strftime("%Y-%m-%d %H:%M")


def push_allowed(session: Session, enterprise_id: str | None, event: str) -> bool:
    """Whether pushes about ``enterprise_id`` are allowed for ``event`` by the positive list
    (:func:`lantian.supervision.positive_list.push_allowed`; always for no enterprise)."""
    if enterprise_id is None:
        return True
    from lantian.supervision.positive_list import push_allowed as listed_push_allowed

    return listed_push_allowed(session, enterprise_id, event)


def _users(session: Session, ids: Iterable[int | None]) -> list[User]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return []
    return list(
        session.scalars(select(User).where(User.user_id.in_(wanted), User.active.is_(True)))
    )


def _enterprise_name(session: Session, enterprise_id: str | None) -> str:
    if enterprise_id is None:
        return "—"
    from lantian.registry.models import Enterprise

    ent = session.get(Enterprise, enterprise_id)
    return ent.name if ent is not None else enterprise_id


def _actor_name(session: Session, row: AuditLog) -> str:
    """The acting user's display name (系统 for scheduled jobs)."""
    if row.actor_id is None:
        return "系统"
    actor = session.get(User, row.actor_id)
    return actor.display_name if actor is not None else row.actor_name


def _case_event(session: Session, row: AuditLog, event: str) -> None:
    from lantian.workflow.models import Case

    case = session.get(Case, int(row.object_id))
    if case is None or not push_allowed(session, case.enterprise_id, event):
        return
    ent = _enterprise_name(session, case.enterprise_id)
    status = cases_vocab.STATES_VOCAB.name(case.status)
    if event == "dispatched":
        recipients = _users(session, [case.assignee_id])
        subject = f"【交办】案件 #{case.case_id} {case.title}"
        lines = [
            f"{_actor_name(session, row)} 将案件交办给您。",
            f"企业：{ent}",
            f"期限：{_fmt(case.deadline)}",
        ]
    elif event == "escalation":
        recipients = _users(session, [case.assignee_id, case.dispatched_by])
        level = cases_vocab.ESCALATION.name(case.escalation_level)
        subject = f"【调度督办】案件 #{case.case_id} {level}"
        lines = [f"案件已升级：{row.note or level}", f"企业：{ent}", f"期限：{_fmt(case.deadline)}"]
    else:  # submission
        if row.actor_id is not None:
            actor = session.get(User, row.actor_id)
            if actor is not None and actor.role != "enterprise":
                return  # an officer entering it for the enterprise: nobody to tell
        recipients = _users(session, [case.assignee_id or case.dispatched_by])
        subject = f"【企业提交】{ent} 提交了材料（案件 #{case.case_id}）"
        lines = [f"{ent} 提交了材料，请审核。", f"提交内容：{row.note or '—'}"]
    lines += [f"案件状态：{status}", f"查看：/cases/{case.case_id}"]
    body = "\n".join(lines)
    keys: set[str] = set()
    for user in recipients:
        if user.role not in OFFICER_ROLES or not can_see(session, user, "case", case.case_id):
            continue
        enqueue(
            session,
            user,
            event,
            subject,
            body,
            object_type="case",
            object_id=str(case.case_id),
            key=f"{event}:case:{case.case_id}:a{row.audit_id}",
            pending_keys=keys,
        )


def _lead_ids(row: AuditLog) -> list[str]:
    if row.action == "create_lead":
        return [row.object_id]
    return [str(i) for i in (row.after or {}).get("new_ids", [])]


def _leads_event(session: Session, row: AuditLog) -> None:
    from lantian.leads.models import Lead

    ids = _lead_ids(row)
    if not ids:
        return
    high = list(
        session.scalars(select(Lead).where(Lead.lead_id.in_(ids), Lead.severity >= HIGH_SEVERITY))
    )
    high = [ld for ld in high if push_allowed(session, ld.enterprise_id, "lead_high")]
    if not high:
        return
    high_ids = [ld.lead_id for ld in high]
    by_id = {ld.lead_id: ld for ld in high}
    officers = session.scalars(
        select(User).where(User.role.in_(LEAD_ROLES), User.active.is_(True))
    ).all()
    keys: set[str] = set()
    for user in officers:
        seen = sorted(
            session.scalars(
                select(Lead.lead_id).where(Lead.lead_id.in_(high_ids), visible(user, "lead"))
            )
        )
        if not seen:
            continue
        names = {
            ld.enterprise_id: _enterprise_name(session, ld.enterprise_id)
            for ld in (by_id[i] for i in seen)
        }
        lines = [f"您辖区新增 {len(seen)} 条高风险线索："]
        for lid in seen[:20]:
            ld = by_id[lid]
            lines.append(
                f"- {families.name(ld.family)}｜{names.get(ld.enterprise_id, '—')}｜"
                f"{ld.summary[:80]}（/leads/{lid}）"
            )
        if len(seen) > 20:
            lines.append(f"……另有 {len(seen) - 20} 条，见线索列表。")
        enqueue(
            session,
            user,
            "lead_high",
            f"【高风险线索】辖区新增 {len(seen)} 条",
            "\n".join(lines),
            object_type="lead",
            object_id=seen[0],
            key=f"lead_high:a{row.audit_id}",
            pending_keys=keys,
        )


def _question_event(session: Session, row: AuditLog) -> None:
    after = row.after or {}
    uid = None
    for name in ("assignee_id", "assigned_to", "officer_id", "responder_id"):
        value = after.get(name)
        if isinstance(value, int):
            uid = value
            break
    if uid is None:
        return
    for user in _users(session, [uid]):
        if user.user_id == row.actor_id and row.action == "question.claim":
            continue  # claiming it oneself: nothing to tell
        title = str(after.get("title") or after.get("subject") or f"#{row.object_id}")
        enqueue(
            session,
            user,
            "question",
            f"【问题分派】{title}",
            f"{_actor_name(session, row)} 将企业问题 {title} 分派给您，请尽快答复。\n"
            f"查看：/questions/{row.object_id}",
            object_type=row.object_type,
            object_id=row.object_id,
            key=f"question:{row.object_type}:{row.object_id}:a{row.audit_id}",
        )


def on_audit(session: Session, row: AuditLog) -> None:
    """The audit listener: store the notifications an audited action causes."""
    event = AUDIT_EVENTS.get(row.action)
    if event is None:
        return
    if event == "lead_high":
        _leads_event(session, row)
    elif event == "question":
        _question_event(session, row)
    elif row.object_type == "task":
        _task_event(session, row)
    elif row.object_type == "case":
        _case_event(session, row, event)


def _task_event(session: Session, row: AuditLog) -> None:
    """督办任务 created: tell its assignee (an officer of a higher level)."""
    from lantian.workflow.dispatch_models import SupervisionTask
    from lantian.workflow.models import Case

    task = session.get(SupervisionTask, int(row.object_id))
    if task is None or task.assignee_id is None:
        return
    case = session.get(Case, task.case_id)
    if case is None or not push_allowed(session, case.enterprise_id, "escalation"):
        return
    level = cases_vocab.ESCALATION.name(task.level)
    for user in _users(session, [task.assignee_id]):
        if user.role not in OFFICER_ROLES or not can_see(session, user, "case", case.case_id):
            continue
        enqueue(
            session,
            user,
            "escalation",
            f"【提级督办】案件 #{case.case_id} {level}",
            "\n".join(
                [
                    f"案件 #{case.case_id}（{case.title}）{task.reason}，已提级交您督办。",
                    f"企业：{_enterprise_name(session, case.enterprise_id)}",
                    f"督办期限：{_fmt(task.due_at)}",
                    f"查看：/cases/{case.case_id}",
                ]
            ),
            object_type="case",
            object_id=str(case.case_id),
            key=f"escalation:task:{task.task_id}",
        )


def deadline_notifications(session: Session, now: datetime | None = None) -> int:
    """Store 期限临近 (deadline within :data:`DEADLINE_SOON_H` h) and 已逾期 notifications
    for open cases' assignees, at most once per case, kind and CST day. Returns how many
    notifications were stored (the periodic job; no commit)."""
    from lantian.workflow.models import Case
    from lantian.workflow.states import OPEN_STATES

    now = now or now_cst()
    day = to_cst(now).date().isoformat()
    soon = now + timedelta(hours=DEADLINE_SOON_H)
    stored = 0
    cases = session.scalars(
        select(Case).where(
            Case.status.in_([s for s in OPEN_STATES if s != "new"]),
            Case.assignee_id.is_not(None),
            Case.deadline.is_not(None),
            Case.deadline <= soon,
        )
    ).all()
    users = {u.user_id: u for u in _users(session, [c.assignee_id for c in cases])}
    from lantian.notify.models import Notification

    known = {  # stored earlier today: the job runs every 30 s, most cases are done
        k
        for k in session.scalars(
            select(Notification.dedupe_key).where(
                Notification.event.in_(("deadline_soon", "overdue")),
                Notification.dedupe_key.like(f"%:{day}:%"),
            )
        )
        if k is not None
    }
    for case in cases:
        user = users.get(case.assignee_id or -1)
        deadline = case.deadline
        if user is None or deadline is None:
            continue
        if not push_allowed(session, case.enterprise_id, "deadline"):
            continue
        event = "overdue" if deadline <= now else "deadline_soon"
        if f"{event}:case:{case.case_id}:{day}:u{user.user_id}:in_app" in known:
            continue
        ent = _enterprise_name(session, case.enterprise_id)
        if event == "overdue":
            days = (now - deadline).total_seconds() / 86400
            subject = f"【已逾期】案件 #{case.case_id} 已超期 {days:.1f} 天"
        else:
            hours = (deadline - now).total_seconds() / 3600
            subject = f"【期限临近】案件 #{case.case_id} 还剩 {hours:.0f} 小时"
        body = "\n".join(
            [
                f"案件：{case.title}",
                f"企业：{ent}",
                f"期限：{_fmt(deadline)}",
                f"状态：{cases_vocab.STATES_VOCAB.name(case.status)}",
                f"查看：/cases/{case.case_id}",
            ]
        )
        if not can_see(session, user, "case", case.case_id):
            continue
        stored += len(
            enqueue(
                session,
                user,
                event,
                subject,
                body,
                object_type="case",
                object_id=str(case.case_id),
                key=f"{event}:case:{case.case_id}:{day}",
                now=now,
                known_keys=known,
            )
        )
    session.flush()
    return stored


add_audit_listener(on_audit)

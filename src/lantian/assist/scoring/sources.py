"""Built-in scoring sources over the workflow tables (findings terms).

Each has the common signature of scoring sources::

    def NAME(session, officer_ids: frozenset[int], start: datetime, end: datetime) -> float

(``officer_ids``: the team's officers; ``start``/``end`` aware, half-open). A ratio source
returns None when it has nothing to divide (shown as 无数据, contributing 0).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lantian.workflow.models import Case, CaseEvent

CLOSE_ACTIONS: tuple[str, ...] = ("review_accept", "close_immediate_fix")
"""Timeline actions that close a case (销号)."""


def _events(action: str | tuple[str, ...], officer_ids: frozenset[int], start: datetime,
            end: datetime) -> object:  # fmt: skip
    actions = (action,) if isinstance(action, str) else action
    return select(func.count(CaseEvent.event_id)).where(
        CaseEvent.action.in_(actions),
        CaseEvent.actor_id.in_(sorted(officer_ids)),
        CaseEvent.at >= start,
        CaseEvent.at < end,
    )


def confirmed_leads(
    session: Session, officer_ids: frozenset[int], start: datetime, end: datetime
) -> float:
    """Cases the team judged 问题属实 (confirmed) in the period."""
    if not officer_ids:
        return 0.0
    return float(session.scalar(_events("judge_confirmed", officer_ids, start, end)) or 0)  # type: ignore[call-overload]


def closed_cases(
    session: Session, officer_ids: frozenset[int], start: datetime, end: datetime
) -> float:
    """Cases the team closed out (销号) in the period."""
    if not officer_ids:
        return 0.0
    return float(session.scalar(_events(CLOSE_ACTIONS, officer_ids, start, end)) or 0)  # type: ignore[call-overload]


def on_time_rate(
    session: Session, officer_ids: frozenset[int], start: datetime, end: datetime
) -> float | None:
    """Share of the team's close-outs of the period made by the case's deadline (the
    rectification deadline, else the check deadline; a case without one counts as on
    time). None without close-outs."""
    if not officer_ids:
        return None
    rows = session.execute(
        select(CaseEvent.at, Case.rectify_deadline, Case.deadline)
        .join(Case, Case.case_id == CaseEvent.case_id)
        .where(
            CaseEvent.action.in_(CLOSE_ACTIONS),
            CaseEvent.actor_id.in_(sorted(officer_ids)),
            CaseEvent.at >= start,
            CaseEvent.at < end,
        )
    ).all()
    if not rows:
        return None
    on_time = 0
    for at, rectify_deadline, deadline in rows:
        due = rectify_deadline or deadline
        on_time += due is None or at <= due
    return on_time / len(rows)


def reopened_cases(
    session: Session, officer_ids: frozenset[int], start: datetime, end: datetime
) -> float:
    """Cases of the team (assignee or closer) reopened in the period (recurrence, failed
    spot check): fewer is better."""
    if not officer_ids:
        return 0.0
    ids = sorted(officer_ids)
    n = session.scalar(
        select(func.count(CaseEvent.event_id))
        .join(Case, Case.case_id == CaseEvent.case_id)
        .where(
            CaseEvent.action == "reopen",
            CaseEvent.at >= start,
            CaseEvent.at < end,
            or_(Case.assignee_id.in_(ids), Case.closed_by.in_(ids)),
        )
    )
    return float(n or 0)

"""Reads of training: the plan (topics ranked by votes), sessions with their places left,
an enterprise's registrations, attempts and certificates, and the scoring source
:func:`training_hours_delivered`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian.assist.training.models import (
    Certificate,
    Course,
    ExamAttempt,
    SessionRegistration,
    TopicVote,
    TrainingSession,
    TrainingTopic,
)


@dataclass(frozen=True)
class RankedTopic:
    topic: TrainingTopic
    votes: int
    sessions: int
    """Sessions already scheduled for the topic."""


def rank_topics(votes: dict[int, int], created: dict[int, datetime]) -> list[int]:
    """Topic ids by votes (most first), older topics first on a tie (pure)."""
    return sorted(votes, key=lambda t: (-votes[t], created[t], t))


def training_plan(session: Session, limit: int = 50) -> list[RankedTopic]:
    """The training plan: topics ranked by the enterprises' votes, with the number of
    sessions already scheduled for each."""
    topics = {t.topic_id: t for t in session.scalars(select(TrainingTopic))}
    votes = dict.fromkeys(topics, 0)
    for tid, n in session.execute(
        select(TopicVote.topic_id, func.count()).group_by(TopicVote.topic_id)
    ):
        votes[tid] = int(n)
    sessions = dict(
        session.execute(
            select(TrainingSession.topic_id, func.count())
            .where(TrainingSession.topic_id.is_not(None))
            .group_by(TrainingSession.topic_id)
        ).all()
    )
    order = rank_topics(votes, {k: t.created_at for k, t in topics.items()})[:limit]
    return [RankedTopic(topics[k], votes[k], int(sessions.get(k, 0))) for k in order]


def voted_topics(session: Session, enterprise_id: str) -> set[int]:
    return set(
        session.scalars(select(TopicVote.topic_id).where(TopicVote.enterprise_id == enterprise_id))
    )


def sessions_with_counts(
    session: Session, *, since: datetime | None = None
) -> list[tuple[TrainingSession, int]]:
    """Sessions (newest start first, those ending after ``since``) with registrations."""
    counts = (
        select(SessionRegistration.session_id, func.count().label("n"))
        .group_by(SessionRegistration.session_id)
        .subquery()
    )
    stmt = select(TrainingSession, func.coalesce(counts.c.n, 0)).outerjoin(
        counts, counts.c.session_id == TrainingSession.session_id
    )
    if since is not None:
        stmt = stmt.where(TrainingSession.ends_at >= since)
    stmt = stmt.order_by(TrainingSession.starts_at.desc())
    return [(s, int(n)) for s, n in session.execute(stmt)]


def registrations_of_session(session: Session, session_id: int) -> list[SessionRegistration]:
    return list(
        session.scalars(
            select(SessionRegistration)
            .where(SessionRegistration.session_id == session_id)
            .order_by(SessionRegistration.registration_id)
        )
    )


def registrations_of(session: Session, enterprise_id: str) -> dict[int, SessionRegistration]:
    """session id → the enterprise's registration."""
    return {
        r.session_id: r
        for r in session.scalars(
            select(SessionRegistration).where(SessionRegistration.enterprise_id == enterprise_id)
        )
    }


def attempts_of(session: Session, enterprise_id: str, course_id: int) -> list[ExamAttempt]:
    return list(
        session.scalars(
            select(ExamAttempt)
            .where(ExamAttempt.enterprise_id == enterprise_id, ExamAttempt.course_id == course_id)
            .order_by(ExamAttempt.attempt_id)
        )
    )


def certificates_of(session: Session, enterprise_id: str) -> list[tuple[Certificate, Course]]:
    return [
        (c, co)
        for c, co in session.execute(
            select(Certificate, Course)
            .join(Course, Course.course_id == Certificate.course_id)
            .where(Certificate.enterprise_id == enterprise_id)
            .order_by(Certificate.issued_at.desc())
        )
    ]


def enterprise_hours(session: Session, enterprise_id: str) -> float:
    """Training hours credited to an enterprise: attended sessions and certificates."""
    attended = session.scalar(
        select(func.coalesce(func.sum(SessionRegistration.hours_credited), 0.0)).where(
            SessionRegistration.enterprise_id == enterprise_id
        )
    )
    certified = session.scalar(
        select(func.coalesce(func.sum(Certificate.hours), 0.0)).where(
            Certificate.enterprise_id == enterprise_id
        )
    )
    return float(attended or 0) + float(certified or 0)


def training_hours_delivered(
    session: Session, officer_ids: frozenset[int], start: datetime, end: datetime
) -> float:
    """Training hours the team delivered in ``[start, end)``: the hours of each session
    created by one of ``officer_ids`` that started in the period and was attended by at
    least one enterprise (a session nobody attended delivered nothing).

    The scoring source of issue #15 item 8
    (``lantian.assist.training.queries:training_hours_delivered``).
    """
    if not officer_ids:
        return 0.0
    attended = (
        select(SessionRegistration.session_id)
        .where(SessionRegistration.attended_at.is_not(None))
        .distinct()
    )
    total = session.scalar(
        select(func.coalesce(func.sum(TrainingSession.hours), 0.0)).where(
            TrainingSession.created_by.in_(sorted(officer_ids)),
            TrainingSession.starts_at >= start,
            TrainingSession.starts_at < end,
            TrainingSession.session_id.in_(attended),
        )
    )
    return float(total or 0)

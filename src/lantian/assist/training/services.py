"""Stored, audited training writes: topics and votes, sessions, registration and
attendance, exam attempts, certificates; the shipped courses loaded into the database.

Every function checks the caller's role (and visibility, through
:mod:`lantian.auth.visibility`), validates before it writes (a refused input stores
nothing) and records each write through :func:`lantian.auth.audit.audit`.

References
----------
.. [1] Issue #15 item 4; 学法减罚 (issue #14 item 3) through
       :func:`lantian.enforcement.services.record_law_study_exam`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian.assist.training.bank import CourseSpec, builtin_courses
from lantian.assist.training.exam import (
    Question,
    RetakeDecision,
    RetakeRule,
    Score,
    build_paper,
    retake_decision,
    score_paper,
)
from lantian.assist.training.models import (
    Certificate,
    Course,
    CourseMaterial,
    CourseQuestion,
    ExamAttempt,
    SessionRegistration,
    TopicVote,
    TrainingSession,
    TrainingTopic,
)
from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import load_visible
from lantian.documents.numbering import issue_number, number_text
from lantian.timeutil import now_cst, to_cst

CHECKIN_EARLY = dt.timedelta(hours=1)
"""Check-in with the code opens this long before a session starts."""
CHECKIN_LATE = dt.timedelta(hours=2)
"""…and closes this long after it ends."""


def _officer(user: User) -> None:
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("只有执法人员可以执行此操作 (officers only)")


def _enterprise(user: User) -> str:
    if user.role != "enterprise" or not user.enterprise_id:
        raise PermissionDenied("只有企业账号可以执行此操作 (enterprises only)")
    return user.enterprise_id


# --------------------------------------------------------------------------- courses


def ensure_course(session: Session, spec: CourseSpec) -> Course:
    """The course ``spec.code``, created with its materials and bank if missing (audited
    as a system write). An existing course is left as it is."""
    found = session.scalar(select(Course).where(Course.code == spec.code))
    if found is not None:
        return found
    course = Course(
        code=spec.code,
        title=spec.title,
        hours=spec.hours,
        pass_mark=spec.pass_mark,
        paper_size=spec.paper_size,
        max_attempts=spec.max_attempts,
        wait_hours=spec.wait_hours,
        law_study=spec.law_study,
        created_at=now_cst(),
    )
    session.add(course)
    session.flush()
    for i, m in enumerate(spec.materials):
        session.add(
            CourseMaterial(course_id=course.course_id, position=i, title=m.title, body=m.body)
        )
    for q in spec.questions:
        session.add(
            CourseQuestion(
                course_id=course.course_id,
                no=q.no,
                kind=q.kind,
                text=q.text,
                options=list(q.options),
                answer=list(q.answer),
                basis=q.basis,
                verified=q.verified,
            )
        )
    session.flush()
    audit(session, None, "load_course", "training_course", course.course_id, after=snapshot(course))
    return course


def ensure_builtin_courses(session: Session) -> list[Course]:
    """The shipped courses (``courses/*.toml``), loaded on first use."""
    return [ensure_course(session, spec) for spec in builtin_courses()]


def law_study_course(session: Session) -> Course:
    """The course 学法减罚 uses (the first course marked ``law_study``)."""
    ensure_builtin_courses(session)
    course = session.scalar(
        select(Course).where(Course.law_study.is_(True)).order_by(Course.course_id).limit(1)
    )
    if course is None:
        raise NotFound("no law-study course is loaded")
    return course


def bank_of(session: Session, course_id: int) -> dict[int, Question]:
    """The course's question bank for the exam engine."""
    rows = session.scalars(
        select(CourseQuestion).where(CourseQuestion.course_id == course_id)
    ).all()
    return {
        r.question_id: Question(
            r.question_id, r.kind, r.text, tuple(r.options), frozenset(r.answer), r.basis
        )
        for r in rows
    }


def _rule(course: Course) -> RetakeRule:
    return RetakeRule(course.max_attempts, course.wait_hours)


def _for_case(case_id: int | None) -> Any:
    return ExamAttempt.case_id.is_(None) if case_id is None else ExamAttempt.case_id == case_id


def _submitted(
    session: Session, course_id: int, enterprise_id: str, case_id: int | None = None
) -> list[ExamAttempt]:
    """Submitted attempts of the course by the enterprise, for ``case_id`` (学法减罚 of
    that case) or outside any case: the retake rule counts each separately."""
    return list(
        session.scalars(
            select(ExamAttempt)
            .where(
                ExamAttempt.course_id == course_id,
                ExamAttempt.enterprise_id == enterprise_id,
                ExamAttempt.submitted_at.is_not(None),
                _for_case(case_id),
            )
            .order_by(ExamAttempt.attempt_id)
        )
    )


def can_start(
    session: Session,
    course: Course,
    enterprise_id: str,
    now: dt.datetime | None = None,
    case_id: int | None = None,
) -> RetakeDecision:
    """Whether the enterprise may start an attempt now (the course's retake rule, counted
    per 学法减罚 case: a pass before does not stand for a later case's law study)."""
    prev = [
        (a.submitted_at, bool(a.passed))
        for a in _submitted(session, course.course_id, enterprise_id, case_id)
        if a.submitted_at is not None
    ]
    return retake_decision(prev, _rule(course), now or now_cst())


def start_attempt(
    session: Session,
    user: User,
    course_id: int,
    *,
    case_id: int | None = None,
    now: dt.datetime | None = None,
    seed: int | None = None,
) -> ExamAttempt:
    """Start (or resume) an exam attempt: a paper drawn from a fresh random seed, stored.

    An open (unsubmitted) attempt is returned as it is. ``case_id`` makes it the 学法减罚
    of that case (the enterprise's own, a law-study course).

    Raises
    ------
    InvalidTransition
        The retake rule forbids a new attempt now (the message says why and until when).
    """
    eid = _enterprise(user)
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(f"course {course_id} not found")
    if case_id is not None:
        from lantian.workflow.core import load_case

        case = load_case(session, user, case_id)
        if case.enterprise_id != eid or not course.law_study:
            raise ValidationError(
                "case_id: not a 学法减罚 case of this enterprise", field="case_id"
            )
    open_ = session.scalar(
        select(ExamAttempt).where(
            ExamAttempt.course_id == course_id,
            ExamAttempt.enterprise_id == eid,
            ExamAttempt.submitted_at.is_(None),
            _for_case(case_id),
        )
    )
    if open_ is not None:
        return open_
    at = now or now_cst()
    decision = can_start(session, course, eid, at, case_id)
    if not decision.allowed:
        raise InvalidTransition(decision.reason)
    the_seed = secrets.randbits(48) if seed is None else seed
    paper = build_paper(list(bank_of(session, course_id).values()), course.paper_size, the_seed)
    attempt = ExamAttempt(
        course_id=course_id,
        enterprise_id=eid,
        user_id=user.user_id,
        case_id=case_id,
        seed=the_seed,
        paper=paper,
        total=len(paper),
        started_at=at,
    )
    session.add(attempt)
    session.flush()
    audit(session, user, "start_exam", "exam_attempt", attempt.attempt_id, after=snapshot(attempt))
    return attempt


def submit_attempt(
    session: Session,
    user: User,
    attempt_id: int,
    answers: Mapping[int, Sequence[int]],
    *,
    now: dt.datetime | None = None,
) -> tuple[ExamAttempt, Score]:
    """Score and store the answers (question id → shown option positions).

    A pass issues the certificate; the pass of a law-study attempt for a case is recorded
    on the case's assessment (学法减罚, within the deadline).
    """
    eid = _enterprise(user)
    attempt: ExamAttempt = load_visible(session, user, "exam_attempt", attempt_id, lock=True)
    if attempt.enterprise_id != eid:
        raise NotFound(f"exam attempt {attempt_id} not found")
    if attempt.submitted_at is not None:
        raise InvalidTransition("该次考试已交卷 (already submitted)")
    course = session.get(Course, attempt.course_id)
    assert course is not None
    try:
        score = score_paper(
            attempt.paper, bank_of(session, course.course_id), answers, course.pass_mark
        )
    except ValueError as exc:
        raise ValidationError(str(exc), field="answers") from exc
    at = now or now_cst()
    before = snapshot(attempt)
    attempt.answers = {str(k): list(v) for k, v in answers.items()}
    attempt.correct = score.correct
    attempt.score_pct = score.percent
    attempt.passed = score.passed
    attempt.submitted_at = at
    session.flush()
    audit(
        session,
        user,
        "submit_exam",
        "exam_attempt",
        attempt.attempt_id,
        before=before,
        after=snapshot(attempt),
    )
    if score.passed:
        issue_certificate(session, user, attempt, course)
        if attempt.case_id is not None and course.law_study:
            from lantian.enforcement.services import record_law_study_exam

            record_law_study_exam(
                session,
                user,
                attempt.case_id,
                course=course.title,
                hours=course.hours,
                score_pct=score.percent,
                attempt_id=attempt.attempt_id,
                completed_at=at,
            )
    return attempt, score


def issue_certificate(
    session: Session, user: User, attempt: ExamAttempt, course: Course
) -> Certificate:
    """The numbered certificate of a passed attempt (one per attempt, audited)."""
    found = session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.attempt_id))
    if found is not None:
        return found
    if not attempt.passed:
        raise InvalidTransition("未通过考试，不能发证 (the exam was not passed)")
    number = number_text(issue_number(session, "training_certificate", attempt.attempt_id))
    cert = Certificate(
        attempt_id=attempt.attempt_id,
        enterprise_id=attempt.enterprise_id,
        course_id=course.course_id,
        number=number,
        hours=course.hours,
        issued_at=attempt.submitted_at or now_cst(),
    )
    session.add(cert)
    session.flush()
    audit(
        session, user, "issue_certificate", "certificate", cert.certificate_id, after=snapshot(cert)
    )
    return cert


# --------------------------------------------------------------------------- topics


def propose_topic(session: Session, user: User, title: str, description: str = "") -> TrainingTopic:
    """A training topic proposed by an enterprise (it votes for it too) or an officer."""
    title = title.strip()
    if not 2 <= len(title) <= 200:
        raise ValidationError("title: 2 to 200 characters", field="title")
    if user.role not in OFFICER_ROLES:
        _enterprise(user)
    topic = TrainingTopic(
        title=title,
        description=description.strip() or None,
        enterprise_id=user.enterprise_id if user.role == "enterprise" else None,
        created_by=user.user_id,
        created_at=now_cst(),
    )
    session.add(topic)
    session.flush()
    audit(session, user, "propose_topic", "training_topic", topic.topic_id, after=snapshot(topic))
    if user.role == "enterprise":
        vote_topic(session, user, topic.topic_id)
    return topic


def vote_topic(session: Session, user: User, topic_id: int) -> TopicVote:
    """One vote per enterprise and topic (a second vote is refused)."""
    eid = _enterprise(user)
    if session.get(TrainingTopic, topic_id) is None:
        raise NotFound(f"topic {topic_id} not found")
    dup = session.scalar(
        select(TopicVote).where(TopicVote.topic_id == topic_id, TopicVote.enterprise_id == eid)
    )
    if dup is not None:
        raise InvalidTransition("已为该主题投票 (this enterprise already voted for the topic)")
    vote = TopicVote(topic_id=topic_id, enterprise_id=eid, user_id=user.user_id, voted_at=now_cst())
    session.add(vote)
    session.flush()
    audit(session, user, "vote_topic", "training_topic", topic_id, after=snapshot(vote))
    return vote


# --------------------------------------------------------------------------- sessions


def create_session(
    session: Session,
    user: User,
    *,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    hours: float,
    place: str | None = None,
    online_url: str | None = None,
    topic_id: int | None = None,
    course_id: int | None = None,
) -> TrainingSession:
    """An officer schedules a session (of a voted topic and/or a course)."""
    _officer(user)
    title = title.strip()
    if not 2 <= len(title) <= 200:
        raise ValidationError("title: 2 to 200 characters", field="title")
    if ends_at <= starts_at:
        raise ValidationError("ends_at: must be after starts_at", field="ends_at")
    if not 1 <= capacity <= 10000:
        raise ValidationError("capacity: 1 to 10000", field="capacity")
    if not 0 < hours <= 40:
        raise ValidationError("hours: must be in (0, 40]", field="hours")
    place = (place or "").strip() or None
    online_url = (online_url or "").strip() or None
    if place is None and online_url is None:
        raise ValidationError("place: a place or an online link is required", field="place")
    if online_url is not None and not online_url.startswith(("https://", "http://")):
        raise ValidationError("online_url: must be an http(s) link", field="online_url")
    if topic_id is not None and session.get(TrainingTopic, topic_id) is None:
        raise ValidationError(f"topic_id: topic {topic_id} not found", field="topic_id")
    if course_id is not None and session.get(Course, course_id) is None:
        raise ValidationError(f"course_id: course {course_id} not found", field="course_id")
    row = TrainingSession(
        title=title,
        topic_id=topic_id,
        course_id=course_id,
        starts_at=to_cst(starts_at),
        ends_at=to_cst(ends_at),
        place=place,
        online_url=online_url,
        capacity=capacity,
        hours=hours,
        checkin_code=f"{secrets.randbelow(10**6):06d}",
        city=user.city,
        district=user.district,
        created_by=user.user_id,
        created_at=now_cst(),
    )
    session.add(row)
    session.flush()
    audit(session, user, "create_session", "training_session", row.session_id, after=snapshot(row))
    return row


def register(
    session: Session, user: User, session_id: int, *, now: dt.datetime | None = None
) -> SessionRegistration:
    """The enterprise registers for a session that has not ended and has a free place."""
    eid = _enterprise(user)
    ts = session.get(TrainingSession, session_id, with_for_update=True)
    if ts is None:
        raise NotFound(f"session {session_id} not found")
    if (now or now_cst()) >= ts.ends_at:
        raise InvalidTransition("培训已结束 (the session has ended)")
    dup = session.scalar(
        select(SessionRegistration).where(
            SessionRegistration.session_id == session_id, SessionRegistration.enterprise_id == eid
        )
    )
    if dup is not None:
        raise InvalidTransition("已报名 (already registered)")
    taken = session.scalar(select(func.count()).where(SessionRegistration.session_id == session_id))
    if int(taken or 0) >= ts.capacity:
        raise InvalidTransition("名额已满 (the session is full)")
    reg = SessionRegistration(
        session_id=session_id, enterprise_id=eid, user_id=user.user_id, registered_at=now_cst()
    )
    session.add(reg)
    session.flush()
    audit(session, user, "register_session", "training_session", session_id, after=snapshot(reg))
    return reg


def _attend(
    session: Session, user: User, reg: SessionRegistration, how: str, at: dt.datetime
) -> SessionRegistration:
    if reg.attended_at is not None:
        raise InvalidTransition("已签到 (attendance already recorded)")
    ts = session.get(TrainingSession, reg.session_id)
    assert ts is not None
    before = snapshot(reg)
    reg.attended_at = at
    reg.attendance_by = how
    reg.marked_by = user.user_id if how == "officer" else None
    reg.hours_credited = ts.hours
    session.flush()
    audit(
        session,
        user,
        "attend_session",
        "training_session",
        reg.session_id,
        before=before,
        after=snapshot(reg),
    )
    from lantian.assist.surveys.services import invite

    # a satisfaction survey follows every attended session (issue #15 item 7)
    invite(session, reg.enterprise_id, "training", ts.session_id, [ts.created_by])
    return reg


def mark_attendance(
    session: Session, user: User, registration_id: int, *, now: dt.datetime | None = None
) -> SessionRegistration:
    """An officer (who sees the enterprise) marks a registered enterprise as attended."""
    _officer(user)
    reg: SessionRegistration = load_visible(
        session, user, "training_registration", registration_id, lock=True
    )
    return _attend(session, user, reg, "officer", now or now_cst())


def check_in(
    session: Session, user: User, session_id: int, code: str, *, now: dt.datetime | None = None
) -> SessionRegistration:
    """The enterprise checks in with the session's code, from one hour before the start to
    two hours after the end; it registers on the spot if there is a free place."""
    eid = _enterprise(user)
    ts = session.get(TrainingSession, session_id)
    if ts is None:
        raise NotFound(f"session {session_id} not found")
    at = now or now_cst()
    if not secrets.compare_digest(code.strip(), ts.checkin_code):
        raise ValidationError("code: 签到码不正确 (wrong check-in code)", field="code")
    if not ts.starts_at - CHECKIN_EARLY <= at <= ts.ends_at + CHECKIN_LATE:
        raise InvalidTransition("不在签到时间内 (check-in is open from 1 h before to 2 h after)")
    reg = session.scalar(
        select(SessionRegistration).where(
            SessionRegistration.session_id == session_id, SessionRegistration.enterprise_id == eid
        )
    )
    if reg is None:
        reg = register(session, user, session_id, now=min(at, ts.starts_at))
    return _attend(session, user, reg, "code", at)


# --------------------------------------------------------------------------- materials


def add_pdf_material(
    session: Session, user: User, course_id: int, title: str, upload: Any, uploads_dir: Any
) -> CourseMaterial:
    """An officer attaches a PDF to a course, through the upload checks of the case files
    (:func:`lantian.workflow.files.check_upload`: extension, size, ``%PDF`` magic); the
    file is stored under ``uploads_dir/training/<course_id>/`` and removed on rollback."""
    import uuid
    from pathlib import Path

    from lantian.workflow.files import _NEW_FILES_KEY, check_upload

    _officer(user)
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(f"course {course_id} not found")
    title = title.strip()
    if not 2 <= len(title) <= 200:
        raise ValidationError("title: 2 to 200 characters", field="title")
    ext, _ctype = check_upload(upload)
    if ext != ".pdf":
        raise ValidationError("files: 课程资料只接受 PDF 文件 (PDF only)", field="files")
    rel = Path("training") / str(course_id) / f"{uuid.uuid4().hex}.pdf"
    path = Path(uploads_dir) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(upload.data)
    session.info.setdefault(_NEW_FILES_KEY, []).append(path)
    last = session.scalar(
        select(func.max(CourseMaterial.position)).where(CourseMaterial.course_id == course_id)
    )
    row = CourseMaterial(
        course_id=course_id,
        position=int(last if last is not None else -1) + 1,
        title=title,
        file_path=rel.as_posix(),
    )
    session.add(row)
    session.flush()
    audit(session, user, "add_material", "training_course", course_id, after=snapshot(row))
    return row

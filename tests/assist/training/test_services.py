"""Stored, audited training: votes, sessions and attendance, exams with the retake rule,
certificates and the scoring source (SQLite; one PostgreSQL parity test at the end)."""

from __future__ import annotations

import datetime as dt
import subprocess
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.assist.conftest import right_answers, wrong_answers

from lantian.assist.training import services as ts
from lantian.assist.training.certificate import certificate_pdf
from lantian.assist.training.exam import build_paper
from lantian.assist.training.models import Certificate, ExamAttempt
from lantian.assist.training.queries import (
    enterprise_hours,
    training_hours_delivered,
    training_plan,
)
from lantian.auth.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lantian.auth.models import AuditLog
from lantian.timeutil import CST

T = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST)
H = dt.timedelta(hours=1)


def _audits(s: Any, action: str) -> int:
    q = select(func.count()).select_from(AuditLog).where(AuditLog.action == action)
    return int(s.scalar(q))


def test_topics_one_vote_per_enterprise_and_the_plan_ranks_by_votes(sworld: Any) -> None:
    s, w = sworld.session, sworld
    a = ts.propose_topic(s, w.ent_a, "VOCs 无组织排放治理")  # proposing is a vote
    b = ts.propose_topic(s, w.city_a, "排污许可证执行报告")
    ts.vote_topic(s, w.ent_b, b.topic_id)
    ts.vote_topic(s, w.ent_a, b.topic_id)
    with pytest.raises(InvalidTransition, match="已为该主题投票"):
        ts.vote_topic(s, w.ent_a, a.topic_id)
    with pytest.raises(PermissionDenied):
        ts.vote_topic(s, w.city_a, a.topic_id)
    with pytest.raises(ValidationError):
        ts.propose_topic(s, w.ent_a, " ")
    plan = training_plan(s)
    assert [(r.topic.topic_id, r.votes) for r in plan] == [(b.topic_id, 2), (a.topic_id, 1)]
    assert _audits(s, "vote_topic") == 3


def _session(s: Any, w: Any, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "title": "大气法解读",
        "starts_at": T,
        "ends_at": T + 2 * H,
        "capacity": 1,
        "hours": 2,
        "place": "甲市生态环境局三楼会议室",
    }
    return ts.create_session(s, w.district_a1, **{**args, **kw})


def test_session_registration_capacity_check_in_and_attendance(sworld: Any) -> None:
    s, w = sworld.session, sworld
    with pytest.raises(ValidationError, match="place"):
        _session(s, w, place="")
    with pytest.raises(PermissionDenied):
        ts.create_session(
            s, w.ent_a, title="x" * 3, starts_at=T, ends_at=T + H, capacity=1, hours=1, place="p"
        )
    sess = _session(s, w)
    ts.register(s, w.ent_a, sess.session_id, now=T - H)
    with pytest.raises(InvalidTransition, match="已报名"):
        ts.register(s, w.ent_a, sess.session_id, now=T - H)
    with pytest.raises(InvalidTransition, match="名额已满"):
        ts.register(s, w.ent_b, sess.session_id, now=T - H)
    with pytest.raises(ValidationError, match="签到码"):
        ts.check_in(s, w.ent_a, sess.session_id, "000000" if sess.checkin_code != "000000" else "1")
    with pytest.raises(InvalidTransition, match="签到时间"):
        ts.check_in(
            s, w.ent_a, sess.session_id, sess.checkin_code, now=T - H - dt.timedelta(seconds=1)
        )
    reg = ts.check_in(s, w.ent_a, sess.session_id, sess.checkin_code, now=T - H)
    assert reg.attendance_by == "code" and reg.hours_credited == 2
    with pytest.raises(InvalidTransition, match="已签到"):
        ts.mark_attendance(s, w.district_a1, reg.registration_id)
    assert enterprise_hours(s, "EA") == 2


def test_officer_marks_attendance_in_scope_only(sworld: Any) -> None:
    s, w = sworld.session, sworld
    sess = _session(s, w, capacity=5)
    reg = ts.register(s, w.ent_b, sess.session_id, now=T)
    with pytest.raises(NotFound):  # 乙市's officer does not see EB (甲市)
        ts.mark_attendance(s, w.city_b, reg.registration_id)
    ts.mark_attendance(s, w.city_a, reg.registration_id)
    assert reg.attendance_by == "officer" and reg.marked_by == w.city_a.user_id
    # a satisfaction survey follows the attended session (issue #15 item 7)
    from lantian.assist.surveys.models import SurveyInvitation

    invitation = s.scalar(
        select(SurveyInvitation).where(
            SurveyInvitation.kind == "training",
            SurveyInvitation.object_id == str(sess.session_id),
        )
    )
    assert invitation is not None and invitation.enterprise_id == reg.enterprise_id


def test_training_hours_delivered_counts_attended_sessions_in_the_half_open_period(
    sworld: Any,
) -> None:
    s, w = sworld.session, sworld
    held = _session(s, w, capacity=5, hours=3)
    empty = _session(s, w, capacity=5, hours=7)  # nobody attends: delivers nothing
    other = ts.create_session(
        s,
        w.city_b,
        title="乙市培训",
        starts_at=T,
        ends_at=T + H,
        capacity=5,
        hours=11,
        place="乙市",
    )
    reg = ts.register(s, w.ent_a, held.session_id, now=T)
    ts.mark_attendance(s, w.district_a1, reg.registration_id)
    reg2 = ts.register(s, w.ent_b, other.session_id, now=T)
    ts.mark_attendance(s, w.admin, reg2.registration_id)
    team = frozenset({w.district_a1.user_id})
    assert empty.hours == 7
    assert training_hours_delivered(s, team, T, T + H) == 3.0
    assert training_hours_delivered(s, team, T + dt.timedelta(seconds=1), T + H) == 0.0
    assert training_hours_delivered(s, team, T - H, T) == 0.0  # end is exclusive
    both = frozenset({w.district_a1.user_id, w.city_b.user_id})
    assert training_hours_delivered(s, both, T, T + H) == 14.0
    assert training_hours_delivered(s, frozenset(), T, T + H) == 0.0


def test_exam_paper_is_reproducible_scored_and_certified(sworld: Any) -> None:
    s, w = sworld.session, sworld
    course = ts.law_study_course(s)
    a = ts.start_attempt(s, w.ent_a, course.course_id, now=T, seed=12345)
    bank = ts.bank_of(s, course.course_id)
    assert a.paper == build_paper(list(bank.values()), course.paper_size, a.seed)
    assert ts.start_attempt(s, w.ent_a, course.course_id, now=T) is a  # resumes the open one
    with pytest.raises(NotFound):
        ts.submit_attempt(s, w.ent_b, a.attempt_id, {})
    a, score = ts.submit_attempt(s, w.ent_a, a.attempt_id, right_answers(s, a), now=T + H)
    assert score.passed and a.score_pct == 100.0 and a.passed
    cert = s.scalar(select(Certificate).where(Certificate.attempt_id == a.attempt_id))
    assert cert is not None and cert.number == "培训〔2026〕第1号" and cert.hours == course.hours
    with pytest.raises(InvalidTransition, match="已交卷"):
        ts.submit_attempt(s, w.ent_a, a.attempt_id, {})
    with pytest.raises(InvalidTransition, match="已通过"):
        ts.start_attempt(s, w.ent_a, course.course_id, now=T + 100 * H)
    pdf = certificate_pdf(s, w.ent_a, cert.certificate_id)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "培训合格证书" in text and "培训〔2026〕第1号" in text and "大气污染防治法" in text
    with pytest.raises(NotFound):
        certificate_pdf(s, w.ent_b, cert.certificate_id)


def test_the_server_refuses_a_retake_the_rule_forbids(sworld: Any) -> None:
    s, w = sworld.session, sworld
    course = ts.law_study_course(s)
    course.max_attempts, course.wait_hours = 2, 24
    a = ts.start_attempt(s, w.ent_b, course.course_id, now=T)
    a, score = ts.submit_attempt(s, w.ent_b, a.attempt_id, wrong_answers(s, a), now=T)
    assert not score.passed and a.score_pct == 0.0
    with pytest.raises(InvalidTransition, match="24 小时"):
        ts.start_attempt(s, w.ent_b, course.course_id, now=T + 23 * H)
    b = ts.start_attempt(s, w.ent_b, course.course_id, now=T + 24 * H)
    ts.submit_attempt(s, w.ent_b, b.attempt_id, wrong_answers(s, b), now=T + 24 * H)
    with pytest.raises(InvalidTransition, match="最多考试次数"):
        ts.start_attempt(s, w.ent_b, course.course_id, now=T + 100 * H)
    assert s.scalar(select(func.count()).select_from(ExamAttempt)) == 2
    assert s.scalar(select(func.count()).select_from(Certificate)) == 0
    with pytest.raises(ValidationError, match="answers"):
        c = ts.start_attempt(s, w.ent_a, course.course_id, now=T)
        ts.submit_attempt(s, w.ent_a, c.attempt_id, {999999: [0]})


def test_training_on_postgresql_too(world: Any) -> None:
    """Parity: votes are unique per enterprise, the exam and certificate numbering work."""
    s, w = world.session, world
    topic = ts.propose_topic(s, w.ent_a, "清洁生产")
    with pytest.raises(InvalidTransition):
        ts.vote_topic(s, w.ent_a, topic.topic_id)
    course = ts.law_study_course(s)
    a = ts.start_attempt(s, w.ent_a, course.course_id, now=T)
    a, score = ts.submit_attempt(s, w.ent_a, a.attempt_id, right_answers(s, a), now=T)
    assert score.passed
    assert s.scalar(select(Certificate.number)) == "培训〔2026〕第1号"

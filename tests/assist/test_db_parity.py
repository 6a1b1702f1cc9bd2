"""The consultation and survey services on SQLite and PostgreSQL (one parity test each):
首问 claim/answer, escalation, anonymous survey answers, and a scored month."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from tests.web.conftest import Seeded, seed

from lantian.assist.questions import services as qs
from lantian.assist.questions.queries import answered_on_time_count, list_questions
from lantian.assist.scoring.compute import score_period
from lantian.assist.surveys import services as ss
from lantian.assist.surveys.models import SurveyResponse
from lantian.assist.surveys.queries import survey_mean
from lantian.auth.errors import InvalidTransition
from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.settings import Settings
from lantian.timeutil import now_cst

ANSWERS = {"overall": 4, "attitude": 4, "timeliness": 5, "helpfulness": 3}


def _u(db: object, seeded: Seeded, name: str) -> User:
    u = db.get(User, seeded.user_ids[name])  # type: ignore[attr-defined]
    assert u is not None
    return u


def test_questions_surveys_and_scores_on_both_databases(db_settings: Settings) -> None:
    seeded = seed(db_settings)
    now = now_cst()
    with session_scope(seeded.settings) as db:
        ent1, lb, ts = (_u(db, seeded, n) for n in ("ent1", "lb_district", "ts_city"))
        q = qs.ask(db, ent1, "两个数据库上的咨询", now=now)
        qid = q.question_id
        qs.claim(db, lb, qid, now=now + timedelta(minutes=5))
    with session_scope(seeded.settings) as db:
        ts = _u(db, seeded, "ts_city")
        try:
            qs.claim(db, ts, qid)
        except InvalidTransition:
            pass
        else:  # pragma: no cover - the rule failed
            raise AssertionError("a second officer claimed an owned question")
    with session_scope(seeded.settings) as db:
        r = qs.escalate_overdue(db, now=now + timedelta(hours=25))
        assert (qid, 1) in r.escalated
        lb = _u(db, seeded, "lb_district")
        qs.answer(db, lb, qid, "已答复", now=now + timedelta(hours=26))
        assert [x.question.question_id for x in list_questions(db, lb, "answered")] == [qid]
        team = frozenset({lb.user_id})
        start, end = now - timedelta(days=1), now + timedelta(days=3)
        assert answered_on_time_count(db, team, start, end) == 0.0  # answered late
        inv = ss.invite(db, "E1", "visit", "V-9", [lb.user_id])
        assert inv is not None
        inv_id = inv.invitation_id
    with session_scope(seeded.settings) as db:
        ent1 = _u(db, seeded, "ent1")
        resp = ss.respond(db, ent1, inv_id, ANSWERS, anonymous=True)
        rid = resp.response_id
    with session_scope(seeded.settings) as db:
        stored = db.scalar(select(SurveyResponse).where(SurveyResponse.response_id == rid))
        assert stored is not None and stored.enterprise_id is None and stored.anonymous
        lb = _u(db, seeded, "lb_district")
        mean = survey_mean(
            db, frozenset({lb.user_id}), now - timedelta(days=40), now + timedelta(days=40)
        )
        assert mean == 4.0
        admin = _u(db, seeded, "admin")
        p = score_period(db, admin, f"{now:%Y-%m}")
        row = next(r for r in p.rows if r.team.key == "district:/唐山市/路北区")
        assert abs(row.score - sum(t.contribution for t in row.terms)) < 1e-9
        survey = next(t for t in row.terms if t.spec.name == "survey_results")
        assert survey.value == 4.0

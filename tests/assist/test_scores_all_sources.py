"""Issue #15 acceptance: the period's score table reflects every kind of assistance.

One district office (路北区) helps its enterprise E1 in each way the issue names: it
reviews E1's self-check, holds a 帮扶 service visit, delivers a training session E1
attends, and answers E1's question within the target. The score of that team for the
period then counts each of them, every assistance term is fed (none 未接入), and another
district's team, which did none of it, gets none of the credit.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from tests.assist.consultation_world import world

from lantian.assist.questions import services as qs
from lantian.assist.scoring.compute import score_period
from lantian.assist.selfchecks import services as ss
from lantian.assist.selfchecks.queries import registry_facts
from lantian.assist.training import services as ts
from lantian.supervision.config import load_config
from lantian.supervision.visits import services as vs
from lantian.timeutil import now_cst
from lantian.workflow.models import ChecklistTemplate

ASSISTANCE = ("self_checks_reviewed", "service_visits", "training_hours", "questions_on_time")


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with world(tmp_path_factory.mktemp("scores-all")) as ctx:
        yield ctx


def test_the_period_score_reflects_every_kind_of_assistance(w: dict[str, Any]) -> None:
    now = now_cst()
    with w["session"]() as db:
        ent1, lb, ts_city = (w["user"](db, n) for n in ("ent1", "lb_district", "ts_city"))
        # 1. E1 submits its self-check; the district officer reviews it
        ss.ensure_selfcheck_templates(db)
        draft = ss.start_draft(db, ent1)
        tpl = db.get(ChecklistTemplate, draft.template_id)
        assert tpl is not None
        answers = [
            {"item_id": it["code"], "answer": "yes", "note": ""}
            for it in ss.applicable_items(tpl, registry_facts(db, ["E1"])["E1"])
        ]
        sc = ss.save_self_check(
            db, ent1, tpl.template_id, answers, self_check_id=draft.self_check_id
        )
        ss.review_self_check(db, lb, sc.self_check_id, note="已审阅")
        # 2. a 帮扶 service visit: applied by the district, approved by the city, recorded
        visit = vs.apply_visit(
            db,
            lb,
            enterprise_id="E1",
            kind="assistance",
            service_kind="diagnosis",
            purpose="把脉问诊",
            basis="国办发〔2024〕54号",
            planned_date=now.date(),
            inspector_ids=[lb.user_id, ts_city.user_id],
        )
        vs.approve_visit(db, ts_city, visit.visit_id, load_config(), acknowledge_warnings=True)
        vs.record_service(
            db, lb, visit.visit_id, problems="活性炭未及时更换", advice="建立更换台账"
        )
        # 3. a 2-hour training session by the district, attended by E1
        session = ts.create_session(
            db,
            lb,
            title="VOCs 治理设施运行维护",
            starts_at=now - timedelta(hours=3),
            ends_at=now - timedelta(hours=1),
            capacity=10,
            hours=2.0,
            place="区局会议室",
        )
        reg = ts.register(db, ent1, session.session_id, now=now - timedelta(hours=4))
        ts.mark_attendance(db, lb, reg.registration_id)
        # 4. E1 asks; the district officer answers at once (target 24 h)
        question = qs.ask(db, ent1, "排污许可证延续需要哪些材料？")
        qs.answer(db, lb, question.question_id, "延续申请表、守法承诺书等，详见平台指南。")
        admin = w["user"](db, "admin")
        scores = score_period(db, admin, f"{now:%Y-%m}")

    assert all(scores.term_status[name] == "fed" for name in ASSISTANCE), scores.term_status
    rows = {r.team.key: r for r in scores.rows}
    mine = {t.spec.name: t for t in rows["district:/唐山市/路北区"].terms}
    assert mine["self_checks_reviewed"].value == 1.0
    assert mine["service_visits"].value == 1.0
    assert mine["training_hours"].value == 2.0
    assert mine["questions_on_time"].value == 1.0
    other = {t.spec.name: t for t in rows["district:/唐山市/路南区"].terms}
    assert all(other[name].value in (0.0, None) for name in ASSISTANCE)
    assert all(mine[name].contribution > 0 for name in ASSISTANCE)
    total = rows["district:/唐山市/路北区"]
    assert total.score == pytest.approx(sum(t.contribution for t in total.terms), abs=0.02)

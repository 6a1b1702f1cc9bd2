"""调度督办 that reaches people: escalation tasks for the next level's officer (with a
notification), and 约谈 / 通报 recorded on a case with their PDFs and statistics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest
from sqlalchemy import select

from lantian.auth.errors import NotFound, PermissionDenied, ValidationError
from lantian.auth.models import AuditLog
from lantian.auth.service import create_user
from lantian.notify.models import Notification
from lantian.timeutil import now_cst
from lantian.workflow import api as wf
from lantian.workflow.dispatch_models import SupervisionTask
from lantian.workflow.meetings import meeting_counts, parse_meeting, record_meeting
from lantian.workflow.models import CaseEvent
from lantian.workflow.tasks import (
    complete_task,
    list_tasks,
    next_level_officer,
    rung_of,
    task_counts,
)


def _tasks(s: Any, case_id: int) -> list[SupervisionTask]:
    return list(
        s.scalars(
            select(SupervisionTask)
            .where(SupervisionTask.case_id == case_id)
            .order_by(SupervisionTask.level)
        )
    )


def test_rungs_of_the_ladder(world: Any) -> None:
    assert rung_of(world.district_a1) == 0
    assert rung_of(world.city_a) == 1
    assert rung_of(world.wg_city_b) == 2
    assert rung_of(world.wg) == 3
    assert rung_of(world.admin) == 3
    assert rung_of(None) == 0


def test_escalation_creates_one_task_per_level_for_the_next_level(world: Any) -> None:
    s = world.session
    now = now_cst()
    wg_a = create_user(s, None, "wga", W.PASSWORD, "work_group", city="甲市")  # type: ignore[arg-type]
    case = W.drive(s, world, "dispatched")  # EA (甲市), assigned to city_a, due now + 5 d
    assert case.assignee_id == world.city_a.user_id
    wf.escalate_overdue(s, now + timedelta(days=6))
    (t1,) = _tasks(s, case.case_id)
    # level 1: one rung above the city officer = the work group of 甲市 (not 乙市's)
    assert (t1.level, t1.assignee_id, t1.status) == (1, wg_a.user_id, "open")
    assert "逾期" in t1.reason and t1.due_at > now + timedelta(days=6)
    wf.escalate_overdue(s, now + timedelta(days=6))  # idempotent: no second task
    assert len(_tasks(s, case.case_id)) == 1
    wf.escalate_overdue(s, now + timedelta(days=40))  # straight to level 3
    _first, t3 = _tasks(s, case.case_id)
    # level 3 from a city officer: capped at the top rung, a work group before an admin
    assert (t3.level, t3.assignee_id) == (3, world.wg.user_id)
    # on the timeline and audited as the system
    actions = s.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.case_id)).all()
    assert actions.count("task_create") == 2
    audits = s.scalars(select(AuditLog).where(AuditLog.action == "task.create")).all()
    assert {a.object_id for a in audits} >= {str(t1.task_id), str(t3.task_id)}
    assert all(a.actor_name == "system" for a in audits)
    # the assignee is told (in-app at least), once per task
    notes = s.scalars(
        select(Notification).where(
            Notification.recipient_id == wg_a.user_id, Notification.event == "escalation"
        )
    ).all()
    assert notes and all(n.subject.startswith("【提级督办】") for n in notes)
    assert len({n.channel for n in notes}) == len(notes)  # one per channel, not repeated


def test_next_level_skips_officers_who_do_not_see_the_case(world: Any) -> None:
    s = world.session
    case = W.drive(s, world, "dispatched", enterprise_id="EC")  # 乙市, assigned to city_b
    # level 1 → rung 2: the 乙市 work group sees it
    assert next_level_officer(s, case, 1) == world.wg_city_b
    case.assignee_id = None
    case.dispatched_by = world.district_a1.user_id  # a district officer (of 甲市) handles it
    # level 1 → rung 1: no city officer of 甲市 sees a 乙市 case; city_b does
    assert next_level_officer(s, case, 1) == world.city_b


def test_a_task_is_closed_by_its_assignee_with_a_result(world: Any) -> None:
    s = world.session
    now = now_cst()
    case = W.drive(s, world, "dispatched")
    wf.escalate_overdue(s, now + timedelta(days=6))
    (task,) = _tasks(s, case.case_id)
    assert task.assignee_id == world.wg.user_id  # no regional work group of 甲市 here
    with pytest.raises(PermissionDenied):
        complete_task(s, world.city_a, task.task_id, result="已督促")
    with pytest.raises(NotFound):
        complete_task(s, world.city_b, task.task_id, result="已督促")  # out of scope
    with pytest.raises(NotFound):
        complete_task(s, world.ent_a, task.task_id, result="已督促")
    with pytest.raises(ValidationError) as exc:
        complete_task(s, world.wg, task.task_id, result="  ")
    assert exc.value.field == "result"
    assert task_counts(s, world.wg, now + timedelta(days=30)) == {
        "open": 1,
        "done": 0,
        "overdue": 1,
    }
    done = complete_task(s, world.wg, task.task_id, result="已电话督促市局，限期三日内办结")
    assert done.status == "done" and done.done_by == world.wg.user_id
    with pytest.raises(wf.InvalidTransition):
        complete_task(s, world.wg, task.task_id, result="again")
    assert task_counts(s, world.wg) == {"open": 0, "done": 1, "overdue": 0}
    assert [r.task.task_id for r in list_tasks(s, world.wg, mine=True)] == [task.task_id]
    assert list_tasks(s, world.city_a, mine=True) == []
    assert [r.task.task_id for r in list_tasks(s, world.city_a)] == [task.task_id]
    assert list_tasks(s, world.city_b) == [] and list_tasks(s, world.ent_a) == []
    ev = s.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.case_id, CaseEvent.action == "task_done")
    ).one()
    assert ev.actor_id == world.wg.user_id and "三日" in (ev.note or "")


def _interview(**kw: Any) -> Any:
    base: dict[str, Any] = {
        "held_at": (now_cst() - timedelta(hours=2)).isoformat(),
        "place": "甲市生态环境局第一会议室",
        "people": "张三（法定代表人）\n李四（环保负责人）",
        "content": "通报了企业二氧化硫超标排放问题，企业承认问题并承诺整改。",
        "follow_up": "十日内完成脱硫设施检修",
        "follow_up_due": (now_cst() + timedelta(days=10)).date().isoformat(),
    }
    base.update(kw)
    return parse_meeting("interview", **base)


def test_meeting_input_is_validated_naming_the_field() -> None:
    for kw, field in (
        ({"held_at": ""}, "held_at"),
        ({"held_at": "yesterday"}, "held_at"),
        ({"held_at": (now_cst() + timedelta(days=1)).isoformat()}, "held_at"),
        ({"people": " \n "}, "people"),
        ({"people": "\n".join(f"人{i}" for i in range(31))}, "people"),
        ({"place": ""}, "place"),  # an interview needs its place
        ({"content": ""}, "content"),
        ({"follow_up_due": "2000-01-01"}, "follow_up_due"),
    ):
        with pytest.raises(ValidationError) as exc:
            _interview(**kw)
        assert exc.value.field == field, kw
    with pytest.raises(ValidationError) as exc:
        parse_meeting("party", held_at=now_cst(), people=["x"], content="y")
    assert exc.value.field == "kind"
    circ = parse_meeting(
        "circular", held_at=now_cst(), people="甲市生态环境局、乙市生态环境局", content="通报"
    )
    assert circ.people == ["甲市生态环境局", "乙市生态环境局"] and circ.place is None
    ok = _interview()
    assert ok.people == ["张三（法定代表人）", "李四（环保负责人）"]
    assert ok.follow_up_due is not None and ok.follow_up_due.hour == 23  # end of that day


def test_interview_and_circular_recorded_with_numbered_pdfs(world: Any) -> None:
    from lantian.documents.meeting_pdf import meeting_pdf

    s = world.session
    case = W.drive(s, world, "dispatched")
    with pytest.raises(PermissionDenied):
        record_meeting(s, world.ent_a, case.case_id, _interview())
    with pytest.raises(NotFound):
        record_meeting(s, world.city_b, case.case_id, _interview())
    m = record_meeting(s, world.city_a, case.case_id, _interview())
    c = record_meeting(
        s,
        world.city_a,
        case.case_id,
        parse_meeting(
            "circular",
            held_at=now_cst() - timedelta(hours=1),
            people=["各区县生态环境分局"],
            content="甲市钢铁有限公司逾期未完成整改，现予通报。",
        ),
    )
    ev = s.scalars(
        select(CaseEvent.action).where(
            CaseEvent.case_id == case.case_id, CaseEvent.action.in_(["interview", "circular"])
        )
    ).all()
    assert sorted(ev) == ["circular", "interview"]
    assert s.scalars(select(AuditLog).where(AuditLog.action == "meeting.create")).all()
    doc = meeting_pdf(s, world.city_a, m.meeting_id)
    assert doc.pdf.startswith(b"%PDF") and doc.number.startswith("约谈〔")
    for text in ("约谈记录", "甲市钢铁有限公司", "张三（法定代表人）", "第一会议室", "十日内"):
        assert text in doc.text, text
    doc2 = meeting_pdf(s, world.city_a, c.meeting_id)
    assert doc2.number.startswith("通报〔") and "各区县生态环境分局" in doc2.text
    assert "关于甲市钢铁有限公司大气环境问题的通报" in doc2.text
    with pytest.raises(NotFound):
        meeting_pdf(s, world.city_b, m.meeting_id)
    assert meeting_counts(s, world.city_a) == {"interview": 1, "circular": 1}
    assert meeting_counts(s, world.city_b) == {"interview": 0, "circular": 0}
    dash = wf.dashboard(s, world.city_a)
    assert dash.meetings == {"interview": 1, "circular": 1}
    assert dash.escalation_tasks == {"open": 0, "done": 0, "overdue": 0}

"""Audited actions store notifications in the same transaction, for the right people only."""

from __future__ import annotations

import sys
import types
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.workflow.conftest import W

from lantian.auth.audit import audit
from lantian.notify.events import deadline_notifications
from lantian.notify.models import Notification
from lantian.notify.preferences import set_prefs
from lantian.timeutil import CST, now_cst
from lantian.workflow import service as ws


def _rows(session: Any, **where: Any) -> list[Notification]:
    q = select(Notification).order_by(Notification.notification_id)
    for k, v in where.items():
        q = q.where(getattr(Notification, k) == v)
    return list(session.scalars(q))


def _dispatch(w: Any, lead_id: str, assignee: Any, hours: float = 72) -> int:
    [case] = ws.dispatch(
        w.session,
        w.city_a,
        [lead_id],
        assignee_id=assignee.user_id,
        deadline=now_cst() + timedelta(hours=hours),
    )
    return case.case_id


def test_dispatch_notifies_the_assignee_in_the_same_transaction(world_both: Any) -> None:
    w = world_both
    s = w.session
    set_prefs(s, None, w.district_a1, email="a1@demo.invalid", phone=None, channels=["email"])
    s.commit()
    _dispatch(w, "L1", w.district_a1)
    s.rollback()  # the dispatch is undone: so is its notification
    assert _rows(s, event="dispatched") == []
    case_id = _dispatch(w, "L1", w.district_a1)
    s.commit()
    rows = _rows(s, event="dispatched")
    assert [(r.recipient_id, r.channel, r.status) for r in rows] == [
        (w.district_a1.user_id, "in_app", "sent"),
        (w.district_a1.user_id, "email", "pending"),
    ]
    assert rows[1].address == "a1@demo.invalid" and rows[1].attempts == 0
    assert rows[0].object_id == str(case_id) and "甲市钢铁有限公司" in rows[0].body
    assert rows[0].subject.startswith(f"【交办】案件 #{case_id}")


def test_new_high_severity_leads_reach_officers_in_scope_only(world: Any) -> None:
    w = world
    s = w.session
    lead = W.new_lead(s, "EA", severity=3)  # 甲市 一区
    W.new_lead(s, "EC", severity=1)  # 乙市, low: nobody
    audit(s, None, "merge_leads", "detection_run", 1, after={"new_ids": [lead.lead_id]})
    s.commit()
    got = {r.recipient_id for r in _rows(s, event="lead_high", channel="in_app")}
    assert got == {w.wg.user_id, w.city_a.user_id, w.district_a1.user_id}
    # not 乙市's officers, not 二区's, not the enterprise, not the admin
    assert w.city_b.user_id not in got and w.district_a2.user_id not in got
    [row] = _rows(s, event="lead_high", recipient_id=w.district_a1.user_id)
    assert "高风险线索" in row.subject and lead.lead_id in row.body


def test_quiet_hours_hold_external_channels(world: Any) -> None:
    w = world
    s = w.session
    set_prefs(
        s,
        None,
        w.district_a1,
        email="a1@demo.invalid",
        phone="13800000000",
        channels=["email", "sms"],
        quiet_start_h=22,
        quiet_end_h=7,
    )
    late = datetime(2030, 1, 10, 23, 15, tzinfo=CST)
    [case] = ws.dispatch(
        s,
        w.city_a,
        ["L1"],
        assignee_id=w.district_a1.user_id,
        deadline=late + timedelta(days=3),
        now=late,
    )
    from lantian.notify.outbox import enqueue

    rows = enqueue(s, w.district_a1, "escalation", "t", "b", key="x", now=late)
    by = {r.channel: r for r in rows}
    assert by["in_app"].status == "sent"
    assert by["email"].next_attempt_at == datetime(2030, 1, 11, 7, 0, tzinfo=CST)
    assert by["sms"].address == "13800000000"
    # the same key again stores nothing (periodic jobs run many times)
    assert enqueue(s, w.district_a1, "escalation", "t", "b", key="x", now=late) == []
    assert case.case_id


def test_deadline_soon_then_overdue_once_per_day(world: Any) -> None:
    w = world
    s = w.session
    case_id = _dispatch(w, "L1", w.district_a1, hours=10)
    s.commit()
    now = now_cst()
    assert deadline_notifications(s, now) == 1
    assert deadline_notifications(s, now) == 0  # once per case, kind and day
    [soon] = _rows(s, event="deadline_soon")
    assert soon.recipient_id == w.district_a1.user_id and soon.object_id == str(case_id)
    assert deadline_notifications(s, now + timedelta(hours=12)) == 1
    [over] = _rows(s, event="overdue")
    assert "已逾期" in over.subject


def test_enterprise_submission_tells_the_assignee(world: Any) -> None:
    w = world
    s = w.session
    case = W.drive(s, w, "rectification", "EA")  # dispatched by the admin to citya
    ws.submit_rectification(s, w.ent_a, case.case_id, text="已更换布袋")
    s.commit()
    [row] = _rows(s, event="submission", channel="in_app")
    assert row.recipient_id == w.city_a.user_id
    assert "甲市钢铁有限公司" in row.subject and "已更换布袋" in row.body


def test_positive_list_can_forbid_pushes(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []

    def push_allowed(session: Any, enterprise_id: str, event_kind: str) -> bool:
        calls.append((enterprise_id, event_kind))
        return False

    mod = types.ModuleType("lantian.supervision.positive_list")
    mod.push_allowed = push_allowed  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "lantian.supervision.positive_list", mod)
    w = world
    _dispatch(w, "L1", w.district_a1)
    w.session.commit()
    assert calls == [("EA", "dispatched")]
    assert _rows(w.session, event="dispatched") == []


def test_demo_accounts_get_demo_email_and_preferences(world: Any) -> None:
    from lantian.demo.accounts import seed_demo_notification_prefs
    from lantian.notify.preferences import get_prefs

    s = world.session
    set_prefs(s, None, world.city_a, email="own@x.invalid", phone=None, channels=[])
    assert seed_demo_notification_prefs(s) == 8  # the nine accounts but citya's own choice
    p = get_prefs(s, world.district_a1.user_id)
    assert p.email == "dista1@demo.invalid" and p.channels == ("email",)
    assert (p.quiet_start_h, p.quiet_end_h, p.digest, p.digest_hour) == (22, 7, True, 7)
    assert get_prefs(s, world.city_a.user_id).email == "own@x.invalid"
    assert seed_demo_notification_prefs(s) == 0


def test_escalation_and_question_events(world: Any) -> None:
    from lantian.workflow.escalation import escalate_overdue

    w = world
    s = w.session
    case_id = _dispatch(w, "L1", w.district_a1, hours=2)
    escalate_overdue(s, now_cst() + timedelta(days=8))  # ≥ 7 days overdue: level 2
    audit(
        s,
        w.city_a,
        "question.transfer",
        "question",
        5,
        after={"assignee_id": w.district_a2.user_id, "title": "锅炉低氮改造咨询"},
    )
    s.commit()
    esc = _rows(s, event="escalation", channel="in_app")
    raised = [r for r in esc if r.subject.startswith("【调度督办】")]
    tasks = [r for r in esc if r.subject.startswith("【提级督办】")]
    # the assignee and the dispatcher, each told once
    assert sorted(r.recipient_id for r in raised) == sorted(
        [w.district_a1.user_id, w.city_a.user_id]
    )
    assert raised[0].object_id == str(case_id)
    # and the officer two levels above the district officer (level 2) gets the task:
    # no work group limited to 甲市 here, so the unlimited work group
    assert [(r.recipient_id, r.object_id) for r in tasks] == [(w.wg.user_id, str(case_id))]
    assert "已提级交您督办" in tasks[0].body
    [q] = _rows(s, event="question", channel="in_app")
    assert q.recipient_id == w.district_a2.user_id and "锅炉低氮改造咨询" in q.subject
    assert "分派给您" in q.body and q.object_id == "5"

"""Recording and judging 信访投诉 (SQLite and PostgreSQL): officers only, audited, and
the plan inputs read them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from lantian.auth.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lantian.auth.models import AuditLog
from lantian.supervision.complaints import services as cs
from lantian.supervision.complaints.models import Complaint
from lantian.supervision.queries import load_enterprise_facts
from lantian.timeutil import CST


def _in(received: str = "2026-11-20T09:30", **kw: Any) -> cs.ComplaintIn:
    return cs.ComplaintIn(
        enterprise_id=kw.pop("enterprise_id", "EA"),
        received_at=received,
        channel=kw.pop("channel", "hotline_12369"),
        summary=kw.pop("summary", "夜间烟囱冒黄烟"),
        **kw,
    )


def test_record_judge_and_plan_facts(world: Any) -> None:
    s = world.session
    # refused: enterprises, officers of another city, bad input (nothing stored)
    with pytest.raises(PermissionDenied):
        cs.record_complaint(s, world.ent_a, _in())
    with pytest.raises(NotFound):
        cs.record_complaint(s, world.city_b, _in())
    for bad, field in (
        (_in(channel="fax"), "channel"),
        (_in(summary="  "), "summary"),
        (_in("2026-13-01"), "received_at"),
        (_in("2999-01-01"), "received_at"),
    ):
        with pytest.raises(ValidationError) as exc:
            cs.record_complaint(s, world.admin, bad)
        assert exc.value.field == field
    assert s.scalar(select(func.count()).select_from(Complaint)) == 0

    c = cs.record_complaint(s, world.district_a1, _in())
    old = cs.record_complaint(s, world.admin, _in("2026-01-05", channel="online"))
    assert c.status == "received" and c.recorded_by == world.district_a1.user_id
    assert c.received_at == dt.datetime(2026, 11, 20, 9, 30, tzinfo=CST)
    # listed by officers in scope only; enterprises never
    assert [x.complaint_id for x in cs.list_complaints(s, world.admin, enterprise_id="EA")] == [
        c.complaint_id,
        old.complaint_id,
    ]
    assert cs.list_complaints(s, world.city_b) == []
    with pytest.raises(PermissionDenied):
        cs.list_complaints(s, world.ent_a)

    # judged once, with a note
    with pytest.raises(ValidationError):
        cs.judge_complaint(s, world.admin, c.complaint_id, "maybe", "x")
    with pytest.raises(ValidationError):
        cs.judge_complaint(s, world.admin, c.complaint_id, "verified", " ")
    with pytest.raises(NotFound):
        cs.judge_complaint(s, world.city_b, c.complaint_id, "verified", "现场核实属实")
    cs.judge_complaint(s, world.district_a1, old.complaint_id, "unfounded", "现场未见异常")
    with pytest.raises(InvalidTransition):
        cs.judge_complaint(s, world.admin, old.complaint_id, "verified", "再次核实")
    actions = s.scalars(
        select(AuditLog.action)
        .where(AuditLog.object_type == "complaint")
        .order_by(AuditLog.audit_id)
    ).all()
    assert actions == ["record_complaint", "record_complaint", "judge_complaint"]

    # the plan inputs carry both; the draw decides which is a trigger
    (facts,) = load_enterprise_facts(
        s, jurisdiction=None, start=dt.date(2026, 12, 1), end=dt.date(2027, 1, 1), only="EA"
    )
    got = {(f.complaint_id, f.received.isoformat(), f.status) for f in facts.complaints}
    assert got == {
        (c.complaint_id, "2026-11-20", "received"),
        (old.complaint_id, "2026-01-05", "unfounded"),
    }
    # a complaint received after the period is not read
    (before,) = load_enterprise_facts(
        s, jurisdiction=None, start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 1), only="EA"
    )
    assert [f.complaint_id for f in before.complaints] == [old.complaint_id]

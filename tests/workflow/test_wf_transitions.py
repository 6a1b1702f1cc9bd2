"""Every declared transition, fired by every role: allowed exactly for the declared roles,
and every successful transition leaves an audit record with its from/to status."""

from __future__ import annotations

from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest
from sqlalchemy import select
from tests.supervision.visit_helpers import approve_onsite

from lantian.auth.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lantian.auth.models import AuditLog
from lantian.auth.visibility import can_see
from lantian.workflow.models import CaseEvent
from lantian.workflow.states import SYSTEM_ROLE, TRANSITIONS, may_fire


def _users(w: Any) -> dict[str, Any]:
    return {
        "admin": w.admin,
        "work_group": w.wg,
        "city_officer": w.city_a,
        "district_officer": w.district_a1,
        "enterprise": w.ent_a,
        SYSTEM_ROLE: None,
    }


def test_transition_role_matrix(world: Any) -> None:
    s = world.session
    users = _users(world)
    checked = 0
    for t in TRANSITIONS:
        for role, user in users.items():
            if user is None and t.action not in ("reopen", "convert_to_supervision"):
                continue  # the system only reopens, converts overdue 立行立改 (and escalates)
            case = W.drive(s, world, t.source)
            # the role may fire it, and the assignee's steps need the assignee or a supervisor
            allowed = may_fire(t, role, user.user_id if user else None, case.assignee_id)
            sp = s.begin_nested()
            try:
                W.fire(s, world, user, case.case_id, t.action)
            except PermissionDenied:
                sp.rollback()
                assert not allowed, f"{role} was refused {t.action} from {t.source}"
            except NotFound:
                # an enterprise does not see a case before it reached it (auth/policy.py)
                sp.rollback()
                assert role == "enterprise" and not can_see(s, user, "case", case.case_id)
                assert not allowed, f"{role} could not see {t.source} to {t.action}"
            else:
                assert allowed, f"{role} may not {t.action} but did"
                assert case.status == t.target
                last = s.scalar(
                    select(AuditLog)
                    .where(AuditLog.object_type == "case", AuditLog.object_id == str(case.case_id))
                    .where(AuditLog.action == t.action)
                    .order_by(AuditLog.audit_id.desc())
                )
                assert last is not None, f"{t.action} not audited"
                assert (last.from_status, last.to_status) == (t.source, t.target)
                assert last.before is not None and last.after is not None
                assert last.before["status"] == t.source and last.after["status"] == t.target
                ev = s.scalar(
                    select(CaseEvent).where(
                        CaseEvent.case_id == case.case_id, CaseEvent.action == t.action
                    )
                )
                assert ev is not None
                sp.commit()
            checked += 1
    assert checked >= len(TRANSITIONS) * 5


def test_actions_out_of_order_are_invalid(world: Any) -> None:
    s = world.session
    case = W.drive(s, world, "new")
    for action in (
        "start_check",
        "judge_confirmed",
        "submit_rectification",
        "review_accept",
        "reopen",
        "close_immediate_fix",
    ):
        with pytest.raises(InvalidTransition):
            W.fire(s, world, world.admin, case.case_id, action)
    assert case.status == "new"


def test_required_fields(world: Any) -> None:
    from lantian.workflow import service as svc

    s = world.session
    case = W.drive(s, world, "checking")
    with pytest.raises(ValidationError) as exc:
        svc.judge(s, world.admin, case.case_id, confirmed=False, reason="  ")
    assert exc.value.field == "reason"
    svc.judge(s, world.admin, case.case_id, confirmed=True, finding="属实")
    with pytest.raises(ValidationError):
        svc.choose_fix_path(s, world.admin, case.case_id, "supervision_order")
    assert case.status == "confirmed"


def test_judge_needs_a_recorded_check(world: Any) -> None:
    from lantian.workflow import service as svc

    s = world.session
    case = W.drive(s, world, "dispatched")
    svc.start_check(s, world.admin, case.case_id, mode="remote")
    with pytest.raises(ValidationError, match="核查记录"):
        svc.judge(s, world.admin, case.case_id, confirmed=True, finding="x")


def test_dispatch_validates_assignee_scope_and_deadline(world: Any) -> None:
    from datetime import datetime, timedelta

    from lantian.timeutil import CST
    from lantian.workflow import service as svc

    s = world.session
    lead = W.new_lead(s, "EA")
    future = datetime.now(CST) + timedelta(days=3)
    with pytest.raises(ValidationError, match=r"scope|无权"):  # 乙市 officer for a 甲市 case
        svc.dispatch(
            s, world.admin, [lead.lead_id], assignee_id=world.city_b.user_id, deadline=future
        )
    with pytest.raises(ValidationError):  # enterprise accounts are not assignees
        svc.dispatch(
            s, world.admin, [lead.lead_id], assignee_id=world.ent_a.user_id, deadline=future
        )
    with pytest.raises(ValidationError, match=r"deadline|时限"):
        svc.dispatch(
            s,
            world.admin,
            [lead.lead_id],
            assignee_id=world.city_a.user_id,
            deadline=datetime.now(CST) - timedelta(hours=1),
        )
    with pytest.raises(PermissionDenied):
        svc.dispatch(
            s, world.district_a1, [lead.lead_id], assignee_id=world.city_a.user_id, deadline=future
        )


def test_bulk_dispatch_and_grouping(world: Any) -> None:
    from datetime import datetime, timedelta

    from lantian.timeutil import CST
    from lantian.workflow import service as svc

    s = world.session
    a, b, c = (W.new_lead(s, "EA") for _ in range(3))
    grouped = svc.open_case(s, world.city_a, [a.lead_id, b.lead_id])
    with pytest.raises(ValidationError):  # leads of two enterprises in one case
        svc.open_case(s, world.admin, [c.lead_id, W.new_lead(s, "ED").lead_id])
    cases = svc.dispatch(
        s,
        world.city_a,
        [a.lead_id, c.lead_id],
        assignee_id=world.district_a1.user_id,
        deadline=datetime.now(CST) + timedelta(days=2),
    )
    assert cases[0].case_id == grouped.case_id
    assert len({x.case_id for x in cases}) == 2
    assert all(x.status == "dispatched" for x in cases)


def test_positive_list_remote_first(world: Any) -> None:
    from lantian.workflow import service as svc

    s = world.session
    case = W.drive(s, world, "dispatched", enterprise_id="EB")  # EB is on the positive list
    with pytest.raises(ValidationError, match="正面清单"):
        svc.start_check(s, world.admin, case.case_id, mode="onsite")
    svc.start_check(s, world.admin, case.case_id, mode="remote")
    approve_onsite(s, case.case_id)
    with pytest.raises(ValidationError, match="正面清单"):
        svc.record_onsite_check(s, world.admin, case.case_id, notes="现场检查")
    svc.record_remote_check(s, world.admin, case.case_id, notes="在线数据与台账不符")
    rec = svc.record_onsite_check(
        s,
        world.admin,
        case.case_id,
        notes="现场检查",
        template_id="printing-self-v1",
        answers={"PR-1": {"result": "problem", "note": "未密闭"}},
        lon=114.3,
        lat=36.6,
    )
    assert rec.kind == "onsite" and rec.answers is not None
    with pytest.raises(ValidationError):
        svc.record_onsite_check(
            s,
            world.admin,
            case.case_id,
            notes="x",
            template_id="printing-self-v1",
            answers={"NOPE": "ok"},
        )
    with pytest.raises(ValidationError):
        svc.record_onsite_check(s, world.admin, case.case_id, notes="x", lon=200.0, lat=1.0)


def test_reassign(world: Any) -> None:
    from sqlalchemy import select as sel

    from lantian.workflow import service as svc

    s = world.session
    case = W.drive(s, world, "dispatched")
    svc.reassign(s, world.city_a, case.case_id, assignee_id=world.district_a1.user_id)
    assert case.assignee_id == world.district_a1.user_id and case.status == "dispatched"
    row = s.scalar(sel(AuditLog).where(AuditLog.action == "reassign"))
    assert row is not None and row.before["assignee_id"] != row.after["assignee_id"]
    with pytest.raises(PermissionDenied):
        svc.reassign(s, world.district_a1, case.case_id, assignee_id=world.city_a.user_id)
    with pytest.raises(ValidationError):  # out of the case's region
        svc.reassign(s, world.city_a, case.case_id, assignee_id=world.district_a2.user_id)
    closed = W.drive(s, world, "closed")
    with pytest.raises(InvalidTransition):
        svc.reassign(s, world.admin, closed.case_id, assignee_id=world.city_a.user_id)


def test_dispatch_event_never_sorts_before_the_case_creation(world: Any) -> None:
    """Regression: dispatch's timestamp taken before the case's open_case event was written
    made ``dispatched`` sort before ``new`` on the case page and in the API."""
    from datetime import timedelta

    from lantian.timeutil import now_cst
    from lantian.workflow import service as svc
    from lantian.workflow.queries import get_case

    s = world.session
    lead = W.new_lead(s, "EA")
    taken = now_cst()  # the caller's timestamp ...
    case = svc.open_case(s, world.admin, [lead.lead_id])  # ... the case is created later
    case.created_at = case.updated_at = taken + timedelta(seconds=2)
    for ev in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.case_id)):
        ev.at = taken + timedelta(seconds=2)
    s.flush()
    svc.dispatch(
        s,
        world.admin,
        case_ids=[case.case_id],
        assignee_id=world.city_a.user_id,
        deadline=taken + timedelta(days=3),
        now=taken,
    )
    events = s.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.case_id)
        .order_by(CaseEvent.at, CaseEvent.event_id)
    ).all()
    assert [e.to_status for e in events] == ["new", "dispatched"]
    assert events[1].at >= events[0].at and case.dispatched_at >= case.created_at
    detail = get_case(s, world.admin, case.case_id)
    assert [ev.to_status for ev, _ in detail.events] == ["new", "dispatched"]

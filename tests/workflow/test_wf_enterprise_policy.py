"""The enterprise visibility policy (:mod:`lantian.auth.policy`), rule by rule, through the
workflow service: no lead before its case reaches the enterprise; a notice, a
rectification path or an officer's share makes it reach; check records and their photos
stay internal until shared; its own notices and submissions it always sees; the policy is
per province.
"""

from __future__ import annotations

from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest
from sqlalchemy import select
from tests.supervision.visit_helpers import approve_onsite

from lantian.auth.models import AuditLog
from lantian.auth.policy import EnterprisePolicy, VisibilityPolicy, use_policy
from lantian.workflow import api as wf


def _leads(s: Any, user: Any) -> set[str]:
    return {r.lead_id for r in wf.list_leads(s, user, wf.LeadFilters(limit=1000)).rows}


def _sees_case(s: Any, user: Any, case_id: int) -> bool:
    listed = case_id in {r.case_id for r in wf.list_cases(s, user).rows}
    try:
        wf.get_case(s, user, case_id)
        by_id = True
    except wf.NotFound:
        by_id = False
    assert listed == by_id
    return by_id


def _sees_lead(s: Any, user: Any, lead_id: str) -> bool:
    listed = lead_id in _leads(s, user)
    try:
        wf.get_lead(s, user, lead_id)
        by_id = True
    except wf.NotFound:
        by_id = False
    assert listed == by_id
    return by_id


def test_no_lead_before_the_case_reaches_the_enterprise(world: Any) -> None:
    s, ent = world.session, world.ent_a
    lead = W.new_lead(s, "EA")
    assert not _sees_lead(s, ent, lead.lead_id)  # undispatched, no case
    case = wf.open_case(s, world.admin, [lead.lead_id])
    assert not _sees_lead(s, ent, lead.lead_id) and not _sees_case(s, ent, case.case_id)
    for step in W.PATHS["confirmed"]:  # dispatched, checking, confirmed: still internal
        if step == "+remote":
            wf.record_remote_check(s, world.admin, case.case_id, notes="调阅数据")
        else:
            W.fire(s, world, world.admin, case.case_id, step)
        assert not _sees_lead(s, ent, lead.lead_id), case.status
        assert not _sees_case(s, ent, case.case_id), case.status
    W.fire(s, world, world.admin, case.case_id, "issue_supervision_order")  # 督办 to it
    assert _sees_lead(s, ent, lead.lead_id) and _sees_case(s, ent, case.case_id)
    assert not _sees_lead(s, world.ent_b, lead.lead_id)


def test_a_notice_on_the_case_makes_it_reach(world: Any) -> None:
    s, ent = world.session, world.ent_a
    case = W.drive(s, world, "dispatched")
    lead_id = wf.get_case(s, world.admin, case.case_id).leads[0].lead_id
    assert not _sees_lead(s, ent, lead_id)
    wf.issue_notice(
        s, world.city_a, "hazard", "EA", title="提示函", body="请自查", case_id=case.case_id
    )
    assert _sees_lead(s, ent, lead_id) and _sees_case(s, ent, case.case_id)


def test_an_officer_shares_a_case_explicitly(world: Any) -> None:
    s, ent = world.session, world.ent_a
    new = W.drive(s, world, "new")
    with pytest.raises(wf.InvalidTransition):  # never an undispatched lead
        wf.share_case(s, world.city_a, new.case_id)
    case = W.drive(s, world, "checking")
    with pytest.raises(wf.NotFound):  # outside its region
        wf.share_case(s, world.city_b, case.case_id)
    with pytest.raises(wf.PermissionDenied):
        wf.share_case(s, ent, case.case_id)
    assert not _sees_case(s, ent, case.case_id)
    wf.share_case(s, world.city_a, case.case_id, note="请企业配合核查")
    wf.share_case(s, world.city_a, case.case_id)  # idempotent: audited once
    assert _sees_case(s, ent, case.case_id)
    lead_id = wf.get_case(s, world.admin, case.case_id).leads[0].lead_id
    assert _sees_lead(s, ent, lead_id)
    audits = list(
        s.scalars(
            select(AuditLog).where(
                AuditLog.action == "share_case", AuditLog.object_id == str(case.case_id)
            )
        )
    )
    assert len(audits) == 1 and audits[0].actor_name == "citya"
    assert audits[0].after is not None and audits[0].after["shared_with_enterprise_at"]


def test_check_records_and_photos_stay_internal_until_shared(world: Any) -> None:
    s, ent = world.session, world.ent_a
    case = W.drive(s, world, "checking")
    approve_onsite(s, case.case_id)
    rec = wf.record_onsite_check(
        s,
        world.city_a,
        case.case_id,
        notes="内部记录: 怀疑篡改",
        photos=[wf.UploadedFile("现场.jpg", b"\xff\xd8\xff\xe0" + b"0" * 64)],
    )
    W.fire(s, world, world.admin, case.case_id, "judge_confirmed")
    W.fire(s, world, world.admin, case.case_id, "issue_supervision_order")
    d = wf.get_case(s, ent, case.case_id)  # the case reached it ...
    assert d.checks == [] and d.attachments == []  # ... its check notes and photos did not
    photo = wf.get_case(s, world.admin, case.case_id).attachments[0]
    with pytest.raises(wf.NotFound):
        wf.get_attachment(s, ent, photo.attachment_id)
    with pytest.raises(wf.PermissionDenied):
        wf.share_check_record(s, ent, rec.check_id)
    wf.share_check_record(s, world.city_a, rec.check_id, note="告知企业核查结论")
    d = wf.get_case(s, ent, case.case_id)
    assert [c.check_id for c in d.checks] == [rec.check_id]
    assert [a.attachment_id for a in d.attachments] == [photo.attachment_id]
    got, _path = wf.get_attachment(s, ent, photo.attachment_id)
    assert got.attachment_id == photo.attachment_id
    with pytest.raises(wf.NotFound):
        wf.get_attachment(s, world.ent_b, photo.attachment_id)
    audit = s.scalar(
        select(AuditLog).where(
            AuditLog.action == "share_check_record", AuditLog.object_id == str(rec.check_id)
        )
    )
    assert audit is not None and audit.before is not None
    assert audit.before["shared_with_enterprise_at"] is None


def test_own_notices_and_submissions_always(world: Any) -> None:
    s, ent = world.session, world.ent_a
    n = wf.issue_notice(s, world.city_a, "hazard", "EA", title="提示函", body="请自查")
    assert [x.notice_id for x in wf.list_notices(s, ent)] == [n.notice_id]
    case = W.drive(s, world, "rectification")
    wf.submit_rectification(
        s, ent, case.case_id, text="已整改", files=[wf.UploadedFile("说明.txt", b"ok")]
    )
    atts = wf.get_case(s, ent, case.case_id).attachments
    assert [a.filename for a in atts] == ["说明.txt"]
    assert wf.enterprise_profile(s, ent, "EA").enterprise.enterprise_id == "EA"


def test_the_policy_is_per_province(world: Any) -> None:
    s = world.session
    case_a = W.drive(s, world, "confirmed", enterprise_id="EA")  # province 13
    case_c = W.drive(s, world, "confirmed", enterprise_id="EC")  # province 14
    from lantian.auth.service import create_user

    ent_c = create_user(s, None, "entc", W.PASSWORD, "enterprise", enterprise_id="EC")
    assert not _sees_case(s, world.ent_a, case_a.case_id)
    assert not _sees_case(s, ent_c, case_c.case_id)
    policy = VisibilityPolicy(
        provinces={"13": EnterprisePolicy(("rectification", "notice", "shared", "confirmed"))}
    )
    with use_policy(policy):
        assert _sees_case(s, world.ent_a, case_a.case_id)  # verified: province 13 shows it
        assert not _sees_case(s, ent_c, case_c.case_id)  # province 14: the default
    assert not _sees_case(s, world.ent_a, case_a.case_id)

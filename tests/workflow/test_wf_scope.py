"""Scope: an enterprise sees and acts on its own objects only; officers on their region."""

from __future__ import annotations

from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest

from lantian.auth.errors import NotFound, PermissionDenied
from lantian.workflow import api as wf


def test_lead_inbox_is_scoped(world: Any) -> None:
    s = world.session

    def ids(user: Any) -> set[str]:
        page = wf.list_leads(s, user, wf.LeadFilters(limit=1000))
        assert page.total == len(page.rows)
        return {r.lead_id for r in page.rows}

    assert ids(world.admin) == {"L1", "L2", "L3", "L4", "L5", "LS"}
    assert ids(world.wg) == ids(world.admin)
    assert ids(world.wg_city_b) == {"L4"}
    assert ids(world.city_a) == {"L1", "L2", "L3", "L5", "LS"}
    assert ids(world.city_b) == {"L4"}
    assert ids(world.district_a1) == {"L1", "L2", "L5", "LS"}
    assert ids(world.district_a2) == {"L3"}
    assert ids(world.ent_a) == {"L1", "L2"}
    assert ids(world.ent_b) == {"L3"}


def test_work_group_limited_to_a_province(world: Any) -> None:
    from lantian.auth.service import create_user

    s = world.session
    wg13 = create_user(s, None, "wg13", W.PASSWORD, "work_group", province="13")
    wg14 = create_user(s, None, "wg14", W.PASSWORD, "work_group", province="14")
    ids13 = {r.lead_id for r in wf.list_leads(s, wg13).rows}
    ids14 = {r.lead_id for r in wf.list_leads(s, wg14).rows}
    assert ids13 == {"L1", "L2", "L3", "L5"}  # credit codes 9113…; station leads have no province
    assert ids14 == {"L4"}
    ents = {e.enterprise_id for e in wf.list_enterprises(s, wg14).rows}
    assert ents == {"EC"}


def test_enterprise_a_cannot_read_or_act_on_b(world: Any) -> None:
    s = world.session
    case_b = W.drive(s, world, "rectification", enterprise_id="EB")
    case_a = W.drive(s, world, "rectification", enterprise_id="EA")
    ent_a = world.ent_a
    with pytest.raises(NotFound):
        wf.get_case(s, ent_a, case_b.case_id)
    with pytest.raises(NotFound):
        wf.get_lead(s, ent_a, "L3")
    with pytest.raises(NotFound):
        wf.submit_rectification(s, ent_a, case_b.case_id, text="伪造")
    with pytest.raises(NotFound):
        wf.enterprise_profile(s, ent_a, "EB")
    with pytest.raises(NotFound):
        wf.add_attachments(s, ent_a, case_b.case_id, [wf.UploadedFile("a.txt", b"x")])
    assert case_b.status == "rectification"
    assert {r.case_id for r in wf.list_cases(s, ent_a).rows} == {case_a.case_id}
    assert all(r.enterprise_id == "EA" for r in wf.ledger(s, ent_a, supervision_only=False))
    # its own case works, and attachments of B stay hidden
    wf.submit_rectification(
        s,
        world.ent_b,
        case_b.case_id,
        text="已整改",
        files=[wf.UploadedFile("说明.txt", "整改说明".encode())],
    )
    att = wf.get_case(s, world.ent_b, case_b.case_id).attachments[0]
    with pytest.raises(NotFound):
        wf.get_attachment(s, ent_a, att.attachment_id)
    got, path = wf.get_attachment(s, world.ent_b, att.attachment_id)
    assert path.read_bytes() == "整改说明".encode() and got.filename == "说明.txt"
    # an enterprise can neither judge nor review its own case
    wf.submit_rectification(s, ent_a, case_a.case_id, text="已整改")
    with pytest.raises(PermissionDenied):
        wf.review(s, ent_a, case_a.case_id, accept=True, comment="自己通过")


def test_officer_outside_region_sees_nothing(world: Any) -> None:
    s = world.session
    case_a = W.drive(s, world, "dispatched", enterprise_id="EA")
    for user in (world.city_b, world.district_a2, world.wg_city_b):
        with pytest.raises(NotFound):
            wf.get_case(s, user, case_a.case_id)
        with pytest.raises(NotFound):
            wf.start_check(s, user, case_a.case_id, mode="remote")
    assert wf.get_case(s, world.district_a1, case_a.case_id).case.case_id == case_a.case_id


def test_scope_filter_and_can_access_agree(world: Any) -> None:
    from sqlalchemy import select

    from lantian.auth.scope import can_access_enterprise, scope_filter
    from lantian.registry.models import Enterprise

    s = world.session
    everyone = list(s.scalars(select(Enterprise)))
    for user in (
        world.admin,
        world.wg,
        world.wg_city_b,
        world.city_a,
        world.city_b,
        world.district_a1,
        world.district_a2,
        world.ent_a,
        world.ent_b,
    ):
        by_sql = {e.enterprise_id for e in s.scalars(scope_filter(user, select(Enterprise)))}
        by_py = {e.enterprise_id for e in everyone if can_access_enterprise(user, e)}
        assert by_sql == by_py, user.username


def test_documents_follow_scope(world: Any) -> None:
    from lantian.documents.pdf import dispatch_notice_pdf, rectification_notice_pdf

    s = world.session
    case_b = W.drive(s, world, "supervision_order", enterprise_id="EB")
    with pytest.raises(NotFound):
        rectification_notice_pdf(s, world.ent_a, case_b.case_id)
    with pytest.raises(PermissionDenied):  # internal document
        dispatch_notice_pdf(s, world.ent_b, case_b.case_id)
    assert rectification_notice_pdf(s, world.ent_b, case_b.case_id).pdf.startswith(b"%PDF")

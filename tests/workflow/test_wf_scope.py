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
    # the enterprise policy: no lead before a case holding it has reached the enterprise
    assert ids(world.ent_a) == set()
    assert ids(world.ent_b) == set()
    case_a = W.drive(s, world, "supervision_order", enterprise_id="EA")
    seen = {x.lead_id for x in wf.get_case(s, world.admin, case_a.case_id).leads}
    assert ids(world.ent_a) == seen and seen
    assert ids(world.ent_b) == set()


def test_work_group_limited_to_a_province(world: Any) -> None:
    from lantian.auth.service import create_user

    s = world.session
    wg13 = create_user(s, None, "wg13", W.PASSWORD, "work_group", province="13")
    wg14 = create_user(s, None, "wg14", W.PASSWORD, "work_group", province="14")
    ids13 = {r.lead_id for r in wf.list_leads(s, wg13).rows}
    ids14 = {r.lead_id for r in wf.list_leads(s, wg14).rows}
    # credit codes 9113…; station S1 is in 甲市, the city of the province-13 enterprises
    assert ids13 == {"L1", "L2", "L3", "L5", "LS"}
    assert ids14 == {"L4"}
    ents = {e.enterprise_id for e in wf.list_enterprises(s, wg14).rows}
    assert ents == {"EC"}
    # province and city both set: the stations of that city in that province
    wg13a = create_user(s, None, "wg13a", W.PASSWORD, "work_group", province="13", city="甲市")
    assert {r.lead_id for r in wf.list_leads(s, wg13a).rows} == ids13
    wg14a = create_user(s, None, "wg14a", W.PASSWORD, "work_group", province="14", city="甲市")
    assert {r.lead_id for r in wf.list_leads(s, wg14a).rows} == set()


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


def test_list_and_single_object_agree(world: Any) -> None:
    from sqlalchemy import select

    from lantian.auth.visibility import can_see, visible
    from lantian.registry.models import Enterprise, Station

    s = world.session
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
        for kind, key in (
            ("enterprise", Enterprise.enterprise_id),
            ("station", Station.station_id),
        ):
            listed = set(s.scalars(select(key).where(visible(user, kind))))
            every = set(s.scalars(select(key)))
            assert listed == {k for k in every if can_see(s, user, kind, k)}, user.username


def test_documents_follow_scope(world: Any) -> None:
    from lantian.documents.pdf import dispatch_notice_pdf, rectification_notice_pdf

    s = world.session
    case_b = W.drive(s, world, "supervision_order", enterprise_id="EB")
    with pytest.raises(NotFound):
        rectification_notice_pdf(s, world.ent_a, case_b.case_id)
    with pytest.raises(PermissionDenied):  # internal document
        dispatch_notice_pdf(s, world.ent_b, case_b.case_id)
    assert rectification_notice_pdf(s, world.ent_b, case_b.case_id).pdf.startswith(b"%PDF")

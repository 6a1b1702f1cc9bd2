"""Inbox filters, sorting and paging; case list; enterprise profile; notices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest

from lantian.workflow import api as wf


def test_inbox_filters_sort_and_paging(world: Any) -> None:
    s = world.session
    for i in range(6):
        s.add(
            W.make_lead(
                f"LF{i}",
                "EA",
                subject_id=f"PF{i}",
                family="FLATLINE",
                rule="CEMS-FLAT",
                severity=1 + i % 3,
                start=W.T0 + timedelta(days=i),
            )
        )
    s.flush()
    case = W.drive(s, world, "checking")

    def ids(**kw: Any) -> list[str]:
        page = wf.list_leads(s, world.admin, wf.LeadFilters(**kw))
        assert page.total >= len(page.rows)
        return [r.lead_id for r in page.rows]

    assert set(ids(family="FLATLINE")) == {f"LF{i}" for i in range(6)}
    assert set(ids(family="FLATLINE", severity=3)) == {"LF2", "LF5"}
    assert ids(family="FLATLINE", sort="start") == [f"LF{i}" for i in range(6)]
    assert ids(family="FLATLINE", sort="-start")[0] == "LF5"
    assert ids(family="FLATLINE", date_from=W.T0 + timedelta(days=4)) == ["LF5", "LF4"]
    assert ids(family="FLATLINE", date_to=W.T0 + timedelta(days=1)) == ["LF0"]
    assert ids(status="checking") == [
        x.lead_id for x in wf.get_case(s, world.admin, case.case_id).leads
    ]
    assert "LF0" in ids(status="new") and case.case_id not in [
        r.case_id for r in wf.list_leads(s, world.admin, wf.LeadFilters(status="new")).rows
    ]
    assert set(ids(status=["new", "checking"], family="EXCEEDANCE")) >= {"L1", "L2"}
    assert set(ids(positive_list=True)) == {"L3"}
    assert set(ids(city="乙市")) == {"L4"}
    assert set(ids(city="甲市", district="一区")) >= {"L1", "L2", "L5", "LS"}
    assert ids(q="甲市印务") == ["L3"]
    assert ids(enterprise_id="ED") == ["L5"]
    page1 = wf.list_leads(s, world.admin, wf.LeadFilters(limit=3, offset=0))
    page2 = wf.list_leads(s, world.admin, wf.LeadFilters(limit=3, offset=3))
    assert page1.total == page2.total and page1.total >= 13
    assert not {r.lead_id for r in page1.rows} & {r.lead_id for r in page2.rows}
    with pytest.raises(wf.ValidationError):
        wf.list_leads(s, world.admin, wf.LeadFilters(status="bogus"))
    with pytest.raises(wf.ValidationError):
        wf.list_leads(s, world.admin, wf.LeadFilters(sort="password_hash"))
    with pytest.raises(wf.NotFound):  # not yet reached the enterprise (auth/policy.py)
        wf.get_lead(s, world.ent_a, "L1")
    detail = wf.get_lead(s, world.admin, "L1")
    assert detail.status == "new" and detail.enterprise is not None


def test_city_and_district_filters_keep_grid_cell_leads(world: Any) -> None:
    """A hot-spot lead of a grid cell (no enterprise) is filtered by its cell's region."""
    from lantian.registry.models import Grid

    s = world.session
    s.add(Grid(grid_id="G1", lon=116.0, lat=39.0, cell_km=3.0, city="甲市", district="一区"))
    s.add(Grid(grid_id="G2", lon=117.0, lat=39.0, cell_km=3.0, city="乙市", district="八区"))
    for gid in ("G1", "G2"):
        lead = W.make_lead(f"LG{gid}", None, subject_id=gid, family="GRID_HOTSPOT")
        lead.subject_type = "grid"
        lead.rule = "GRID-HOTSPOT"
        s.add(lead)
    s.flush()

    def ids(**kw: Any) -> set[str]:
        page = wf.list_leads(s, world.admin, wf.LeadFilters(family="GRID_HOTSPOT", **kw))
        return {r.lead_id for r in page.rows}

    assert ids() == {"LGG1", "LGG2"}
    assert ids(city="甲市") == {"LGG1"}
    assert ids(city="甲市", district="一区") == {"LGG1"}
    assert ids(district="八区") == {"LGG2"}
    assert ids(city="甲市", district="八区") == set()


def test_case_list_profile_and_notices(world: Any) -> None:
    s = world.session
    sup = W.drive(s, world, "supervision_order")
    W.drive(s, world, "closed")
    page = wf.list_cases(s, world.city_a, wf.CaseFilters(open_only=True))
    assert [r.case_id for r in page.rows] == [sup.case_id] and page.total == 1
    assert wf.list_cases(s, world.city_b).total == 0
    n = wf.issue_notice(
        s,
        world.city_a,
        "pre_notification",
        "EA",
        title="检查预告知",
        body="拟于下周开展现场检查，请对照自查表先行自查。",
        template_id="steel-onsite-v1",
        inspection_at=W.T0 + timedelta(days=7),
    )
    with pytest.raises(wf.ValidationError):
        wf.issue_notice(s, world.city_a, "pre_notification", "EA", title="t", body="b")
    with pytest.raises(wf.NotFound):
        wf.issue_notice(s, world.city_b, "hazard", "EA", title="t", body="b")
    with pytest.raises(wf.PermissionDenied):
        wf.acknowledge_notice(s, world.city_a, n.notice_id)
    with pytest.raises(wf.NotFound):
        wf.acknowledge_notice(s, world.ent_b, n.notice_id)
    assert wf.acknowledge_notice(s, world.ent_a, n.notice_id).acknowledged_at is not None
    assert [x.notice_id for x in wf.list_notices(s, world.ent_a)] == [n.notice_id]
    assert wf.list_notices(s, world.ent_b) == []
    prof = wf.enterprise_profile(s, world.ent_a, "EA")
    # the enterprise sees the leads of its two cases that reached it (督办, closed)
    assert prof.leads_total == 2 and prof.confirmed == 2 and len(prof.cases) == 2
    assert wf.enterprise_profile(s, world.admin, "EA").leads_total >= 4
    assert [x.notice_id for x in prof.notices] == [n.notice_id]
    tpls = wf.list_checklist_templates(s, industry="steel")
    assert tpls and tpls[0].items[0]["code"]
    assert len(wf.list_checklist_templates(s)) >= 6
    officers = wf.assignable_officers(s, world.admin, sup.case_id)
    # the district officer of its district first, then the city officer; not the other
    # district's officer, nor admin and work-group accounts (they supervise)
    assert [u.username for u in officers] == ["dista1", "citya"]


def test_lead_text_search_and_capped_count(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from lantian.leads import queries as q

    s = world.session
    admin = world.admin

    def ids(**kw: Any) -> set[str]:
        return {r.lead_id for r in wf.list_leads(s, admin, wf.LeadFilters(**kw)).rows}

    assert ids(q="甲市印务") == {"L3"}  # enterprise name
    assert ids(q=" L4 ") == {"L4"}  # lead id, trimmed
    assert ids(q="%") == set() and ids(q="_") == set()  # wildcards are literal
    every = wf.list_leads(s, admin, wf.LeadFilters(limit=1000))
    assert every.total == len(every.rows) and not every.total_capped
    monkeypatch.setattr(q, "COUNT_CAP", 3)
    page = wf.list_leads(s, admin, wf.LeadFilters(limit=2))
    assert page.total == 3 and page.total_capped and len(page.rows) == 2
    small = wf.list_leads(s, admin, wf.LeadFilters(limit=2, enterprise_id="ED"))
    assert small.total == len(small.rows) == 1 and not small.total_capped


def test_withdrawn_leads_leave_the_inbox_but_stay_readable(world: Any) -> None:
    """A lead detection withdrew (late data removed its basis) is not listed, yet opens by id."""
    s = world.session
    for i in range(2):
        s.add(
            W.make_lead(f"LW{i}", "EA", subject_id=f"PW{i}", family="MISSING", rule="CEMS-MISSING")
        )
    s.flush()
    withdrawn = wf.load_lead(s, world.admin, "LW1")
    withdrawn.status = "withdrawn"
    s.flush()
    page = wf.list_leads(s, world.admin, wf.LeadFilters(family="MISSING"))
    assert [r.lead_id for r in page.rows] == ["LW0"] and page.total == 1
    assert wf.load_lead(s, world.admin, "LW1").lead_id == "LW1"

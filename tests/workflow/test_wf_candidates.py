"""Suggested sources of hot-spot leads: opening a case about a candidate enterprise (#17)."""

from __future__ import annotations

from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest
from sqlalchemy import select

from lantian.auth.errors import NotFound, PermissionDenied, ValidationError
from lantian.auth.models import AuditLog
from lantian.workflow import candidates as wc
from lantian.workflow.models import CaseLead

CANDS = [
    {"enterprise_id": "ED", "distance_km": 1.2, "bearing_deg": 315.0, "score": 0.8},
    {"enterprise_id": "EA", "distance_km": 2.5, "bearing_deg": 90.0, "score": 0.5},
    {"enterprise_id": "EC", "distance_km": 9.0, "bearing_deg": 180.0, "score": 0.1},
]


def _hot(s: Any, **kw: Any) -> Any:
    lead = W.new_lead(
        s, None, subject_type="station", subject_id="S1", rule="AMB-HOT", family="AMBIENT_HOTSPOT"
    )
    lead.evidence = {"candidates": kw.get("candidates", CANDS)}
    s.flush()
    return lead


@pytest.mark.parametrize(
    ("deg", "zh", "en"),
    [
        (0.0, "北", "N"),
        (22.4, "北", "N"),
        (22.5, "东北", "NE"),
        (90.0, "东", "E"),
        (180.0, "南", "S"),
        (225.0, "西南", "SW"),
        (315.0, "西北", "NW"),
        (337.5, "北", "N"),
        (-45.0, "西北", "NW"),
        (720.0, "北", "N"),
    ],
)
def test_compass_point(deg: float, zh: str, en: str) -> None:
    assert wc.compass_point(deg) == zh
    assert wc.compass_point(deg, "en") == en


def test_lead_candidates_skips_bad_entries(world: Any) -> None:
    s = world.session
    lead = _hot(
        s,
        candidates=[
            {"enterprise_id": "ED", "distance_km": "x", "bearing_deg": None},
            "junk",
            {"distance_km": 1.0},
            {"enterprise_id": "ED", "distance_km": 3.0},
            {"enterprise_id": "EA", "distance_km": 2.0, "bearing_deg": 10, "score": 0.3},
        ],
    )
    got = wc.lead_candidates(lead)
    assert [c.enterprise_id for c in got] == ["ED", "EA"]
    assert got[0].distance_km is None and got[1].bearing_deg == 10.0
    ordinary = W.new_lead(s, "EA")
    ordinary.evidence = {"candidates": CANDS}
    assert wc.lead_candidates(ordinary) == []


def test_suggested_sources_hide_enterprises_out_of_scope(world: Any) -> None:
    s = world.session
    lead = _hot(s)
    got = wc.suggested_sources(s, world.city_a, lead)
    assert [g.candidate.enterprise_id for g in got] == ["ED", "EA", "EC"]
    names = [g.enterprise.name if g.enterprise else None for g in got]
    assert names == ["甲市供热有限公司", "甲市钢铁有限公司", None]  # EC is in 乙市


def test_open_candidate_case_about_that_enterprise(world: Any) -> None:
    s = world.session
    lead = _hot(s)
    case = wc.open_candidate_case(s, world.city_a, lead.lead_id, "EA")
    assert case.status == "new"
    assert case.enterprise_id == "EA" and case.city == "甲市" and case.district == "一区"
    assert case.subject_id == "S1" and case.family == "AMBIENT_HOTSPOT"
    link = s.scalar(select(CaseLead).where(CaseLead.case_id == case.case_id))
    assert link is not None and link.lead_id == lead.lead_id
    rec = s.scalar(
        select(AuditLog).where(
            AuditLog.action == "open_case", AuditLog.object_id == str(case.case_id)
        )
    )
    assert rec is not None
    after = rec.after
    assert after["enterprise_id"] == "EA" and after["lead_ids"] == [lead.lead_id]
    assert after["candidate"]["enterprise_id"] == "EA"
    assert after["candidate"]["distance_km"] == 2.5
    # one case per lead: a second candidate is refused
    with pytest.raises(ValidationError, match="already in case"):
        wc.open_candidate_case(s, world.city_a, lead.lead_id, "ED")


def test_open_candidate_case_refusals(world: Any) -> None:
    s = world.session
    lead = _hot(s)
    with pytest.raises(ValidationError, match="not a suggested source"):
        wc.open_candidate_case(s, world.city_a, lead.lead_id, "EB")
    with pytest.raises(NotFound):  # candidate outside the officer's city
        wc.open_candidate_case(s, world.city_a, lead.lead_id, "EC")
    with pytest.raises(NotFound):  # lead outside the officer's city
        wc.open_candidate_case(s, world.city_b, lead.lead_id, "EC")
    with pytest.raises(PermissionDenied):
        wc.open_candidate_case(s, world.ent_a, lead.lead_id, "EA")
    ordinary = W.new_lead(s, "EA")
    ordinary.evidence = {"candidates": CANDS}
    s.flush()
    with pytest.raises(ValidationError, match="hot-spot"):
        wc.open_candidate_case(s, world.city_a, ordinary.lead_id, "EA")
    assert s.scalar(select(CaseLead).where(CaseLead.lead_id == lead.lead_id)) is None

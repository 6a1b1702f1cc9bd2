"""Lead page: suggested sources (可能来源) of a hot-spot lead and 派发核查 per candidate (#17)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.conftest import Seeded

from lantian.auth.models import AuditLog
from lantian.db.session import session_scope
from lantian.leads.models import Lead
from lantian.workflow.models import Case, CaseLead

CANDS = [
    {"enterprise_id": "E1", "distance_km": 2.34, "bearing_deg": 300.0, "score": 0.81},
    {"enterprise_id": "E2", "distance_km": 5.0, "bearing_deg": 200.0, "score": 0.4},
    {"enterprise_id": "E3", "distance_km": 250.0, "bearing_deg": 225.0, "score": 0.01},
]

Login = Callable[[str], tuple[TestClient, str]]


def _with_candidates(seeded: Seeded) -> None:
    with session_scope(seeded.settings) as db:
        lead = db.get(Lead, "LS1-0")
        assert lead is not None
        lead.evidence = {"observed": 180.0, "candidates": CANDS}


def test_lead_page_lists_suggested_sources(seeded_sqlite: Seeded, login_as: Login) -> None:
    _with_candidates(seeded_sqlite)
    c, _csrf = login_as("ts_city")
    html = c.get("/leads/LS1-0").text
    assert "可能来源" in html and "派发核查" in html
    assert '<a href="/enterprises/E1">冀东钢铁有限公司</a>' in html
    assert "2.3" in html and "西北 (300°)" in html and "0.81" in html
    assert "唐山印刷厂" in html and "南 (200°)" in html
    assert "石家庄水泥厂" not in html and "辖区外企业" in html  # E3: another city
    assert html.count('name="enterprise_id"') == 2  # no action for E3
    en = c.get("/leads/LS1-0?lang=en").text
    assert "Suggested sources" in en and "NW (300°)" in en
    # a district officer of 路北区 does not see E2 (路南区), and may not dispatch
    d, _ = login_as("lb_district")
    html = d.get("/leads/LS1-0").text
    assert "冀东钢铁有限公司" in html and "唐山印刷厂" not in html
    assert html.count("辖区外企业") == 2 and 'name="enterprise_id"' not in html
    # an ordinary lead has no suggested sources section
    assert "可能来源" not in c.get("/leads/LE1-1").text


def test_dispatch_candidate_opens_case_about_it(seeded_sqlite: Seeded, login_as: Login) -> None:
    _with_candidates(seeded_sqlite)
    c, csrf = login_as("ts_city")
    r = c.post(
        "/leads/LS1-0/candidates/dispatch",
        data={"enterprise_id": "E2", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    case_id = int(r.headers["location"].rsplit("/", 1)[1])
    with session_scope(seeded_sqlite.settings) as db:
        case = db.get(Case, case_id)
        assert case is not None and case.enterprise_id == "E2" and case.status == "new"
        assert case.district == "路南区"
        link = db.scalar(select(CaseLead).where(CaseLead.lead_id == "LS1-0"))
        assert link is not None and link.case_id == case_id
        rec = db.scalar(
            select(AuditLog).where(
                AuditLog.action == "open_case", AuditLog.object_id == str(case_id)
            )
        )
        assert rec is not None and rec.after is not None
        assert rec.after["candidate"]["enterprise_id"] == "E2"
    html = c.get("/leads/LS1-0").text
    assert f"/cases/{case_id}" in html and 'name="enterprise_id"' not in html
    assert "唐山印刷厂" in c.get(f"/cases/{case_id}").text


def test_dispatch_candidate_refusals(seeded_sqlite: Seeded, login_as: Login) -> None:
    _with_candidates(seeded_sqlite)
    c, csrf = login_as("ts_city")

    def post(lead_id: str, eid: str, client: TestClient = c, token: str = csrf) -> int:
        r = client.post(
            f"/leads/{lead_id}/candidates/dispatch",
            data={"enterprise_id": eid, "csrf_token": token},
            follow_redirects=False,
        )
        return r.status_code

    assert post("LS1-0", "E9") in (400, 422)  # not in the lead's list
    assert post("LE1-1", "E1") in (400, 422)  # not a hot-spot lead
    assert post("LS1-0", "E3") == 404  # candidate outside the officer's city
    ent, ent_csrf = login_as("ent1")
    assert post("LS1-0", "E1", ent, ent_csrf) in (403, 404)
    sjz, sjz_csrf = login_as("sjz_city")
    assert post("LS1-0", "E3", sjz, sjz_csrf) == 404  # the lead is in 唐山市
    with session_scope(seeded_sqlite.settings) as db:
        assert db.scalar(select(CaseLead).where(CaseLead.lead_id == "LS1-0")) is None

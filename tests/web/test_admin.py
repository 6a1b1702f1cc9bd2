"""Reassign (改派), spot-check review (抽查复核) and user administration: API and pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from tests.web.conftest import PASSWORD, Seeded, bearer

from lantian.db.session import session_scope
from lantian.timeutil import now_cst
from lantian.web.app import create_app
from lantian.workflow.models import Case

Login = Callable[[str], tuple[TestClient, str]]


@pytest.fixture
def api(seeded: Seeded) -> Any:
    with TestClient(create_app(seeded.settings)) as c:
        yield c, seeded


def _dispatch(c: TestClient, s: Seeded, lead_id: str = "LE1-0") -> int:
    r = c.post(
        "/api/leads/dispatch",
        json={
            "lead_ids": [lead_id],
            "assignee_id": s.user_ids["lb_district"],
            "deadline": str((now_cst() + timedelta(days=5)).date()),
        },
        headers=bearer(c, "ts_city"),
    )
    assert r.status_code == 200, r.text
    return int(r.json()["cases"][0]["case_id"])


def _close(s: Seeded, case_id: int) -> None:
    with session_scope(s.settings) as db:  # shortcut: the closed loop is tested elsewhere
        db.execute(
            update(Case).where(Case.case_id == case_id).values(status="closed", closed_at=now_cst())
        )


def test_reassign_api(api: Any) -> None:
    c, s = api
    case_id = _dispatch(c, s)
    officer = bearer(c, "ts_city")
    r = c.post(
        f"/api/cases/{case_id}/reassign",
        json={"assignee_id": s.user_ids["ts_city"], "note": "区局人手不足"},
        headers=officer,
    )
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == s.user_ids["ts_city"]
    assert r.json()["status"] == "dispatched"  # not a status transition
    # an officer out of the case's scope is not a valid assignee
    r = c.post(
        f"/api/cases/{case_id}/reassign",
        json={"assignee_id": s.user_ids["sjz_city"]},
        headers=officer,
    )
    assert r.status_code == 422, r.text
    ent = bearer(c, "ent1")
    r = c.post(
        f"/api/cases/{case_id}/reassign", json={"assignee_id": s.user_ids["ts_city"]}, headers=ent
    )
    assert r.status_code == 403


def test_spot_check_draw_and_result_api(api: Any) -> None:
    c, s = api
    case_id = _dispatch(c, s)
    _close(s, case_id)
    district = bearer(c, "lb_district")
    r = c.post("/api/spot-checks/draw", json={"share": 1.0}, headers=district)
    assert r.status_code == 403  # district officers do not draw
    wg = bearer(c, "wg")
    r = c.post("/api/spot-checks/draw", json={"share": 1.0, "seed": 7}, headers=wg)
    assert r.status_code == 200, r.text
    assert r.json()["case_ids"] == [case_id] and r.json()["seed"] == 7
    listed = c.get("/api/spot-checks", params={"result": "pending"}, headers=district).json()
    assert [x["case_id"] for x in listed["items"]] == [case_id]
    sid = listed["items"][0]["spot_check_id"]
    assert c.get("/api/spot-checks", headers=bearer(c, "sjz_city")).json()["total"] == 0
    r = c.post(
        f"/api/spot-checks/{sid}/result",
        json={"passed": False, "note": "现场复查发现未整改到位"},
        headers=district,
    )
    assert r.status_code == 200, r.text
    assert r.json()["result"] == "failed"
    detail = c.get(f"/api/cases/{case_id}", headers=district).json()
    assert detail["status"] != "closed"  # a failed spot check reopens the case
    again = c.post(
        f"/api/spot-checks/{sid}/result", json={"passed": True, "note": "x"}, headers=district
    )
    assert again.status_code == 409


def test_user_administration_api(api: Any) -> None:
    c, s = api
    admin = bearer(c, "admin")
    assert c.get("/api/users", headers=bearer(c, "ts_city")).status_code == 403
    names = [u["username"] for u in c.get("/api/users", headers=admin).json()["items"]]
    assert "lb_district" in names and all("password" not in k for k in names)
    r = _new_district_officer(c, admin, "lt_district", "路北区 二")
    assert r.status_code == 200, r.text
    new_id = r.json()["user_id"]
    new = bearer(c, "lt_district")
    assert c.get("/api/me", headers=new).status_code == 200
    r = c.post(f"/api/users/{new_id}/active", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert c.get("/api/me", headers=new).status_code == 401  # tokens revoked
    login = c.post("/api/auth/token", data={"username": "lt_district", "password": PASSWORD})
    assert login.status_code == 401
    weak = c.post(
        "/api/users",
        json={"username": "weak", "password": "123", "role": "admin"},
        headers=admin,
    )
    assert weak.status_code == 422
    me = s.user_ids["admin"]
    assert (
        c.post(f"/api/users/{me}/active", json={"active": False}, headers=admin).status_code == 409
    )


def _post(c: TestClient, url: str, csrf: str, data: dict[str, str]) -> str:
    r = c.post(url, data=data | {"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    return str(r.headers["location"])


def test_reassign_form_on_the_case_page(seeded_sqlite: Seeded, login_as: Login) -> None:
    city, csrf = login_as("ts_city")
    with TestClient(city.app) as raw:
        case_id = _dispatch(raw, seeded_sqlite)
    page = city.get(f"/cases/{case_id}").text
    assert f'action="/cases/{case_id}/reassign"' in page and "改派" in page
    loc = _post(
        city,
        f"/cases/{case_id}/reassign",
        csrf,
        {"assignee_id": str(seeded_sqlite.user_ids["ts_city"]), "note": "改由市局核查"},
    )
    assert loc.endswith("done=reassign")
    page = city.get(f"/cases/{case_id}").text
    assignee = re.search(r"<dt>承办人</dt><dd>([^<]*)", page)
    assert assignee is not None and "ts_city" in assignee.group(1)
    ent, _c = login_as("ent1")
    assert "/reassign" not in ent.get(f"/cases/{case_id}").text


def test_spot_check_pages(seeded_sqlite: Seeded, login_as: Login) -> None:
    wg, csrf = login_as("wg")
    with TestClient(wg.app) as raw:
        case_id = _dispatch(raw, seeded_sqlite)
    _close(seeded_sqlite, case_id)
    page = wg.get("/spot-checks").text
    assert "抽查复核" in page and "暂无抽查" in page
    loc = _post(wg, "/spot-checks/draw", csrf, {"share_percent": "100", "seed": "3"})
    assert loc.endswith("done=drawn-1")
    page = wg.get("/spot-checks").text
    sid = re.search(r'action="/spot-checks/(\d+)/result"', page)
    assert sid is not None and f"/cases/{case_id}" in page
    district, dcsrf = login_as("lb_district")
    assert "/spot-checks/draw" not in district.get("/spot-checks").text
    # a failed spot check reopens the case: refused in place until confirmed
    url = f"/spot-checks/{sid.group(1)}/result"
    r = district.post(url, data={"csrf_token": dcsrf, "result": "failed", "note": "复发"})
    assert r.status_code == 422 and "请勾选确认" in r.text and "复发" in r.text
    assert "暂无抽查" not in district.get("/spot-checks").text
    _post(district, url, dcsrf, {"result": "passed", "note": "好"})
    assert "通过" in district.get("/spot-checks").text
    ent, _c = login_as("ent1")
    assert ent.get("/spot-checks").status_code == 403


def test_user_admin_page(login_as: Login) -> None:
    admin, csrf = login_as("admin")
    page = admin.get("/admin/users").text
    assert "用户管理" in page or "用户" in page
    assert "lb_district" in page and 'href="/admin/users"' in page
    _post(
        admin,
        "/admin/users",
        csrf,
        {"username": "ent1_b", "password": PASSWORD, "role": "enterprise", "enterprise_id": "E1"},
    )
    page = admin.get("/admin/users").text
    assert "ent1_b" in page and "冀东钢铁有限公司" in page
    uid = re.search(
        r'action="/admin/users/(\d+)/active"[^>]*>\s*<input[^>]*>\s*'
        r'<input type="hidden" name="active" value="false">',
        page,
    )
    assert uid is not None
    officer, _c = login_as("ts_city")
    assert officer.get("/admin/users").status_code == 403
    assert 'href="/admin/users"' not in officer.get("/leads").text


def test_dispatch_form_offers_a_new_officer_at_once(api: Any) -> None:
    """The dispatch form's officer list is cached, but a change made here shows at once."""
    from tests.web.conftest import login

    c, _s = api
    admin = bearer(c, "admin")
    login(c, "admin")
    page = c.get("/leads").text
    assert "路北区 新人" not in page
    r = _new_district_officer(c, admin, "lb_new", "路北区 新人")
    assert r.status_code == 200, r.text
    assert "路北区 新人" in c.get("/leads").text
    r = c.post(f"/api/users/{r.json()['user_id']}/active", json={"active": False}, headers=admin)
    assert r.status_code == 200
    assert "路北区 新人" not in c.get("/leads").text


def _new_district_officer(c: Any, admin: dict[str, str], username: str, display: str) -> Any:
    """POST /api/users: a district officer of 唐山市路北区 (the response)."""
    return c.post(
        "/api/users",
        json={
            "username": username,
            "password": PASSWORD,
            "role": "district_officer",
            "city": "唐山市",
            "district": "路北区",
            "display_name": display,
        },
        headers=admin,
    )

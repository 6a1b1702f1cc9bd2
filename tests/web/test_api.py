"""REST API: every route with real data, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from tests.supervision.visit_helpers import approve_onsite_in
from tests.web.conftest import PNG_BYTES, Seeded, bearer

from lantian.timeutil import now_cst
from lantian.web.app import create_app


@pytest.fixture
def api(seeded: Seeded) -> Any:
    app = create_app(seeded.settings)
    with TestClient(app) as c:
        yield c, seeded


def test_token_flow_and_me(api: Any) -> None:
    c, _s = api
    bad = c.post("/api/auth/token", data={"username": "admin", "password": "wrong-Pass-1"})
    assert bad.status_code == 401
    h = bearer(c, "ts_city")
    me = c.get("/api/me", headers=h).json()
    assert me["role"] == "city_officer" and me["city"] == "唐山市"
    assert c.get("/api/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_lead_list_filters_sort_and_paging(api: Any) -> None:
    c, _s = api
    h = bearer(c, "admin")
    all_ = c.get("/api/leads", headers=h).json()
    assert all_["total"] == 10
    page = c.get("/api/leads", params={"limit": 3, "offset": 3, "sort": "start"}, headers=h).json()
    assert [r["lead_id"] for r in page["items"]] == [
        r["lead_id"] for r in sorted(all_["items"], key=lambda r: r["start"])[3:6]
    ]
    fl = c.get("/api/leads", params={"family": "FLATLINE"}, headers=h).json()
    assert fl["total"] == 3 and {r["family"] for r in fl["items"]} == {"FLATLINE"}
    sev = c.get("/api/leads", params={"severity": 3, "city": "唐山市"}, headers=h).json()
    assert {r["lead_id"] for r in sev["items"]} == {"LE1-2", "LE2-2"}
    pos = c.get("/api/leads", params={"positive_list": "true"}, headers=h).json()
    assert {r["enterprise_id"] for r in pos["items"]} == {"E2"}
    grade = c.get("/api/leads", params={"grade": "B"}, headers=h).json()
    assert {r["enterprise_id"] for r in grade["items"]} == {"E1"}
    q = c.get("/api/leads", params={"q": "E3 1号"}, headers=h).json()
    assert {r["enterprise_id"] for r in q["items"]} == {"E3"}
    today = now_cst().date()
    future = c.get("/api/leads", params={"date_from": str(today + timedelta(days=2))}, headers=h)
    assert future.json()["total"] == 0
    assert c.get("/api/leads", params={"severity": 7}, headers=h).status_code == 422
    assert c.get("/api/leads", params={"status": "bogus"}, headers=h).status_code == 422
    assert c.get("/api/leads", params={"limit": 501}, headers=h).status_code == 422
    station = c.get("/api/leads", params={"family": "AMBIENT_HOTSPOT"}, headers=h).json()
    assert [r["lead_id"] for r in station["items"]] == ["LS1-0"]


def test_scope_of_district_officer_includes_its_station_leads(api: Any) -> None:
    c, _s = api
    h = bearer(c, "lb_district")
    ids = {r["lead_id"] for r in c.get("/api/leads", headers=h).json()["items"]}
    assert ids == {"LE1-0", "LE1-1", "LE1-2", "LS1-0"}


def test_lead_detail_and_series(api: Any) -> None:
    c, _s = api
    h = bearer(c, "admin")
    d = c.get("/api/leads/LE1-0", headers=h).json()
    assert d["status"] == "new" and d["evidence"]["threshold"] == 35.0
    assert d["start"].endswith("+08:00")
    ser = c.get("/api/leads/LE1-0/series", headers=h).json()
    assert ser["threshold"] == 35.0 and ser["episode"]["start"] == d["start"]
    assert ser["series"] == []  # no lake data in this test
    out = c.get("/api/outlets/E1-O1/series", headers=h).json()
    assert out["outlet_id"] == "E1-O1"
    assert c.get("/api/leads/NOPE", headers=h).status_code == 404


def test_registry_routes(api: Any) -> None:
    c, _s = api
    h = bearer(c, "ts_city")
    ents = c.get("/api/enterprises", headers=h).json()
    assert {e["enterprise_id"] for e in ents["items"]} == {"E1", "E2"}
    assert all(e["pending_leads"] == 3 for e in ents["items"])
    e1 = c.get("/api/enterprises/E1", headers=h).json()
    assert e1["outlets"][0]["outlet_id"] == "E1-O1" and e1["leads_by_family"]["FLATLINE"] == 1
    st = c.get("/api/stations", headers=h).json()
    assert [s["station_id"] for s in st["items"]] == ["S1"]
    assert c.get("/api/stations/S1", headers=h).json()["name"] == "路北站"
    fc = c.get("/api/map/features", headers=h).json()
    kinds = sorted((f["properties"]["kind"], f["properties"]["id"]) for f in fc["features"])
    assert kinds == [("enterprise", "E1"), ("enterprise", "E2"), ("station", "S1")]
    leads_e1 = next(f for f in fc["features"] if f["properties"]["id"] == "E1")
    assert leads_e1["properties"]["leads"] == 3


def _fire(c: TestClient, h: dict[str, str], case_id: int, action: str, **fields: Any) -> Any:
    r = c.post(
        f"/api/cases/{case_id}/transitions", json={"action": action, "fields": fields}, headers=h
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_closed_loop_through_the_api(api: Any) -> None:
    c, s = api
    officer = bearer(c, "ts_city")
    district = bearer(c, "lb_district")
    ent = bearer(c, "ent1")
    deadline = str((now_cst() + timedelta(days=5)).date())
    r = c.post(
        "/api/leads/dispatch",
        json={
            "lead_ids": ["LE1-0", "LE1-1"],
            "assignee_id": s.user_ids["lb_district"],
            "deadline": deadline,
        },
        headers=officer,
    )
    assert r.status_code == 200, r.text
    case_id = r.json()["cases"][0]["case_id"]
    assert r.json()["cases"][0]["status"] == "dispatched"
    assert c.get("/api/leads/LE1-0", headers=officer).json()["status"] == "dispatched"
    # a second dispatch of the same lead is refused (status is no longer new)
    again = c.post(
        "/api/leads/dispatch",
        json={
            "lead_ids": ["LE1-0"],
            "assignee_id": s.user_ids["lb_district"],
            "deadline": deadline,
        },
        headers=officer,
    )
    assert again.status_code == 409
    pdf = c.get(f"/api/cases/{case_id}/documents/dispatch_notice.pdf", headers=officer)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # the enterprise cannot see the internal dispatch notice
    assert c.get(
        f"/api/cases/{case_id}/documents/dispatch_notice.pdf", headers=ent
    ).status_code in (
        403,
        404,
    )
    _fire(c, district, case_id, "start_check", mode="onsite")
    approve_onsite_in(s.settings, case_id)
    chk = c.post(
        f"/api/cases/{case_id}/checks",
        json={"kind": "onsite", "notes": "脱硫塔循环泵停运", "lon": 118.18, "lat": 39.63},
        headers=district,
    )
    assert chk.status_code == 200, chk.text
    assert chk.json()["site_distance_m"] < 10 and chk.json()["gps_warning"] is False
    # a position 150 km from the plant is stored with a warning; inspectors are validated
    far = c.post(
        f"/api/cases/{case_id}/checks",
        json={
            "kind": "onsite",
            "notes": "复查",
            "lon": 116.397,
            "lat": 39.909,
            "inspector_ids": [s.user_ids["lb_district"], s.user_ids["ts_city"]],
            "representative_name": "王厂长",
        },
        headers=district,
    )
    assert far.status_code == 200, far.text
    assert far.json()["gps_warning"] is True and far.json()["site_distance_m"] > 140_000
    one = c.post(
        f"/api/cases/{case_id}/checks",
        json={"kind": "onsite", "notes": "x", "inspector_ids": [s.user_ids["lb_district"]]},
        headers=district,
    )
    assert one.status_code == 422, one.text
    att = c.post(
        f"/api/cases/{case_id}/attachments",
        files={"files": ("site.png", PNG_BYTES, "image/png")},
        headers=district,
    )
    assert att.status_code == 200, att.text
    att_id = att.json()["attachment_ids"][0]
    assert c.get(f"/api/attachments/{att_id}", headers=district).content == PNG_BYTES
    _fire(c, district, case_id, "judge_confirmed", finding="SO2 超标属实")
    deadline2 = str((now_cst() + timedelta(days=20)).date())
    _fire(c, officer, case_id, "issue_supervision_order", rectify_deadline=deadline2)
    ledger = c.get("/api/ledger", headers=officer).json()
    assert [r["case_id"] for r in ledger["items"]] == [case_id]
    assert c.get(f"/api/cases/{case_id}", headers=ent).json()["status"] == "supervision_order"
    _fire(c, ent, case_id, "start_rectification")
    _fire(c, ent, case_id, "submit_rectification", text="已更换循环泵")
    # the enterprise may not review its own rectification
    r = c.post(
        f"/api/cases/{case_id}/transitions",
        json={"action": "review_accept", "fields": {"comment": "ok"}},
        headers=ent,
    )
    assert r.status_code == 403
    closed = _fire(c, district, case_id, "review_accept", comment="复核属实，销号")
    assert closed["status"] == "closed"
    detail = c.get(f"/api/cases/{case_id}", headers=officer).json()
    assert [e["to_status"] for e in detail["events"] if e["to_status"] is not None] == [
        "new",
        "dispatched",
        "checking",
        "confirmed",
        "supervision_order",
        "rectification",
        "review",
        "closed",
    ]
    assert detail["checks"][0]["lat"] == 39.63
    cases = c.get("/api/cases", params={"status": "closed"}, headers=officer).json()
    assert [r["case_id"] for r in cases["items"]] == [case_id]
    dash = c.get("/api/dashboard", headers=officer).json()
    assert dash["closed"] == 1 and dash["leads_by_status"]["closed"] == 1
    assert dash["leads_by_status"]["dispatched"] == 1  # one case per dispatched lead
    # bad transitions are 409 / 422, and nothing is stored half-way
    r = c.post(
        f"/api/cases/{case_id}/transitions", json={"action": "judge_confirmed"}, headers=district
    )
    assert r.status_code == 409
    r = c.post(f"/api/cases/{case_id}/transitions", json={"action": "fly"}, headers=district)
    assert r.status_code == 422


def _sheet_text(content: bytes) -> str:
    wb = load_workbook(io.BytesIO(content))
    return " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row)


def test_excel_exports(api: Any) -> None:
    c, _s = api
    h = bearer(c, "ts_city")
    leads = c.get("/api/exports/leads.xlsx", params={"family": "FLATLINE"}, headers=h)
    assert leads.status_code == 200
    text = _sheet_text(leads.content)
    assert "LE1-1" in text and "LE2-1" in text and "LE1-0" not in text and "LE3-1" not in text
    ents = _sheet_text(c.get("/api/exports/enterprises.xlsx", headers=h).content)
    assert "冀东钢铁有限公司" in ents and "石家庄水泥厂" not in ents
    assert c.get("/api/exports/cases.xlsx", headers=h).status_code == 200
    assert c.get("/api/exports/ledger.xlsx", headers=h).status_code == 200


def test_openapi_lists_the_api(api: Any) -> None:
    c, _s = api
    spec = c.get("/openapi.json").json()
    assert "/api/leads" in spec["paths"] and "/api/auth/token" in spec["paths"]
    assert "/leads" not in spec["paths"]  # pages are not part of the API


def test_series_read_from_the_lake(api: Any) -> None:
    import pyarrow as pa

    from lantian.lake import Lake

    c, s = api
    h = bearer(c, "admin")
    d = c.get("/api/leads/LE1-0", headers=h).json()
    from lantian.timeutil import parse_time_cst

    start = parse_time_cst(d["start"])
    times = [start + timedelta(hours=i) for i in range(-3, 6)]
    table = pa.table(
        {
            "outlet_id": ["E1-O1"] * len(times),
            "time": times,
            "pollutant": ["a21026"] * len(times),
            "value": [20.0 + i for i in range(len(times))],
            "zs_value": [30.0 + i for i in range(len(times))],
        }
    )
    Lake(s.settings.lake_dir).append("cems_hourly", table, origin="import")
    ser = c.get("/api/leads/LE1-0/series", headers=h).json()
    assert [x["key"] for x in ser["series"]] == ["a21026", "a21026:zs"]
    assert [x["name"] for x in ser["series"]] == ["二氧化硫 实测", "二氧化硫 折算"]
    zs = ser["series"][1]["points"]
    assert len(zs) == len(times) and zs[0][1] == 30.0 and zs[0][0].endswith("+08:00")
    assert parse_time_cst(zs[3][0]) == start


def test_blank_filters_mean_not_set(api: Any) -> None:
    """An HTML filter form sends every field, empty ones as ``name=``."""
    c, _s = api
    h = bearer(c, "admin")
    blank = "city=&district=&family=&severity=3&status=&grade=&positive_list=&date_from=&q="
    r = c.get(f"/api/leads?{blank}", headers=h)
    assert r.status_code == 200 and r.json()["total"] == 3


def test_every_family_of_the_inbox_filter_is_accepted(api: Any) -> None:
    """The inbox lists every stored family (v1, device, clue) in its filter: each one is
    a valid value of the page and the API, not a 422 (GRID_HOTSPOT was refused)."""
    from lantian.web.labels import FAMILY_LABELS

    c, _s = api
    h = bearer(c, "admin")
    codes = list(FAMILY_LABELS)
    assert {"GRID_HOTSPOT", "MOBILE_HOTSPOT", "CAMERA_ALARM", "QC_FAILURE"} <= set(codes)
    for code in codes:
        r = c.get(f"/api/leads?family={code}", headers=h)
        assert r.status_code == 200, (code, r.text)
        assert all(row["family"] == code for row in r.json()["items"])
    assert c.get("/api/leads?family=NO_SUCH", headers=h).status_code == 422

"""Server-rendered pages: each page renders, HTMX partials, the closed loop through forms."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from tests.supervision.visit_helpers import approve_onsite_in
from tests.web.conftest import PNG_BYTES, Seeded

from lantian.timeutil import now_cst

Login = Callable[[str], tuple[TestClient, str]]


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/leads", "问题线索"),
        ("/leads/LE1-0", "E1 1号排口 SO2 折算浓度超标 1"),
        ("/map", 'data-features-url="/api/map/features"'),
        ("/dashboard", "统计看板"),
        ("/enterprises", "冀东钢铁有限公司"),
        ("/enterprises/E1", "91130200MA0000001X"),
        ("/cases", "案件"),
        ("/ledger", "督办台账"),
    ],
)
def test_officer_pages_render(login_as: Login, path: str, needle: str) -> None:
    c, _csrf = login_as("admin")
    r = c.get(path)
    assert r.status_code == 200
    assert needle in r.text
    assert 'lang="zh-CN"' in r.text


def test_inbox_filters_paging_and_htmx_partial(login_as: Login) -> None:
    c, _csrf = login_as("admin")
    full = c.get("/leads", params={"family": "FLATLINE"})
    assert full.text.count('class="lead-link"') == 3
    assert "<html" in full.text
    part = c.get(
        "/leads",
        params={"limit": 4, "offset": 4},
        headers={"HX-Request": "true", "HX-Target": "lead-table"},
    )
    assert "<html" not in part.text and part.text.count('class="lead-link"') == 4
    assert "第 2 / 3 页" in part.text
    assert 'href="/leads?offset=8&amp;limit=4"' in part.text


def test_bulk_dispatch_from_the_inbox(seeded_sqlite: Seeded, login_as: Login) -> None:
    c, csrf = login_as("ts_city")
    deadline = (now_cst() + timedelta(days=3)).date().isoformat()
    r = c.post(
        "/leads/dispatch",
        data={
            "lead_ids": ["LE1-0", "LE1-1"],
            "assignee_id": str(seeded_sqlite.user_ids["lb_district"]),
            "deadline": deadline,
            "csrf_token": csrf,
        },
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "http://testserver/leads?family=EXCEEDANCE",
        },
    )
    assert r.status_code == 204 and r.headers["HX-Redirect"].endswith("dispatched=2")
    page = c.get(r.headers["HX-Redirect"])
    assert "已交办 2 条线索" in page.text
    api = c.get("/api/leads", params={"status": "dispatched"}).json()
    assert {x["lead_id"] for x in api["items"]} == {"LE1-0", "LE1-1"}


def test_domain_error_is_shown_in_the_form(seeded_sqlite: Seeded, login_as: Login) -> None:
    c, csrf = login_as("ts_city")
    past = (now_cst() - timedelta(days=3)).date().isoformat()
    r = c.post(
        "/leads/dispatch",
        data={
            "lead_ids": ["LE1-0"],
            "assignee_id": str(seeded_sqlite.user_ids["lb_district"]),
            "deadline": past,
            "csrf_token": csrf,
        },
        headers={"HX-Request": "true"},
    )
    assert r.headers["HX-Retarget"] == "#form-errors"
    assert "办理时限须晚于当前时间" in r.text
    assert c.get("/api/leads/LE1-0").json()["status"] == "new"  # nothing stored


def _post(c: TestClient, url: str, csrf: str, data: dict[str, str], files: object = None) -> str:
    r = c.post(url, data=data | {"csrf_token": csrf}, files=files, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    return str(r.headers["location"])


def test_closed_loop_through_the_pages(seeded_sqlite: Seeded, login_as: Login) -> None:
    """Dispatch, on-site check with checklist, photo and GPS, immediate fix, close-out."""
    officer, ocsrf = login_as("lb_district")
    city, ccsrf = login_as("ts_city")
    deadline = (now_cst() + timedelta(days=3)).date().isoformat()
    city.post(
        "/leads/dispatch",
        data={
            "lead_ids": "LE1-2",
            "assignee_id": str(seeded_sqlite.user_ids["lb_district"]),
            "deadline": deadline,
            "csrf_token": ccsrf,
        },
    )
    lead_page = officer.get("/leads/LE1-2").text
    case_id = int(re.search(r'href="/cases/(\d+)"', lead_page).group(1))  # type: ignore[union-attr]
    page = officer.get(f"/cases/{case_id}").text
    assert 'id="action-start_check"' in page
    pdf_link = f"/api/cases/{case_id}/documents/dispatch_notice.pdf"
    assert pdf_link in page
    pdf = officer.get(pdf_link)  # the session cookie is enough for a GET of the API
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    step = officer.get(f"/cases/{case_id}/step/start_check").text
    assert 'id="action-start_check"' in step and 'id="action-judge_confirmed"' not in step
    assert officer.get(f"/cases/{case_id}/step/review_accept").status_code == 409
    _post(officer, f"/cases/{case_id}/actions/start_check", ocsrf, {"mode": "onsite"})
    approve_onsite_in(seeded_sqlite.settings, case_id)
    assert "gps-button" in officer.get(f"/cases/{case_id}/step/check").text
    page = officer.get(f"/cases/{case_id}").text
    assert "钢铁企业大气污染防治现场检查表" in page and "gps-button" in page
    item_codes = re.findall(r'name="answer__([^"]+)" value="ok"', page)
    answers = {f"answer__{code}": "ok" for code in item_codes}
    answers["answer__CEMS-4"] = "problem"
    loc = _post(
        officer,
        f"/cases/{case_id}/checks",
        ocsrf,
        answers
        | {
            "kind": "onsite",
            "template_id": "steel-onsite-v1",
            "notes": "采样管线有旁路",
            "lon": "118.181",
            "lat": "39.631",
            "gps_accuracy_m": "12",
            "inspector_ids": [  # type: ignore[dict-item]
                str(seeded_sqlite.user_ids["lb_district"]),
                str(seeded_sqlite.user_ids["ts_city"]),
            ],
            "representative_name": "王厂长",
            "representative_title": "环保负责人",
            "representative_phone": "13800000000",
            "signature": "data:image/png;base64," + base64.b64encode(PNG_BYTES).decode(),
        },
        files=[("photos", ("site.png", PNG_BYTES, "image/png"))],
    )
    assert loc.endswith("done=record_check")
    page = officer.get(loc).text
    assert "采样管线有旁路" in page and "39.63100" in page and "/attachments/" in page
    assert "执法证号 130200190002" in page and "王厂长" in page and 'class="signature"' in page
    _post(officer, f"/cases/{case_id}/actions/judge_confirmed", ocsrf, {"finding": "旁路属实"})
    _post(officer, f"/cases/{case_id}/actions/choose_immediate_fix", ocsrf, {"note": "当场拆除"})
    _post(officer, f"/cases/{case_id}/actions/close_immediate_fix", ocsrf, {"comment": "已拆除"})
    page = officer.get(f"/cases/{case_id}").text
    assert 'id="case-status">已销号' in page
    ent, _e = login_as("ent1")
    portal = ent.get("/portal").text
    assert "冀东钢铁有限公司" in portal


def test_enterprise_submits_a_rectification_through_the_portal(
    seeded_sqlite: Seeded, login_as: Login
) -> None:
    from lantian.auth.models import User
    from lantian.db.session import session_scope
    from lantian.workflow import service as ws

    with session_scope(seeded_sqlite.settings) as db:
        admin = db.get(User, seeded_sqlite.user_ids["admin"])
        assert admin is not None
        case = ws.dispatch(
            db,
            admin,
            ["LE1-1"],
            assignee_id=seeded_sqlite.user_ids["lb_district"],
            deadline=now_cst() + timedelta(days=3),
        )[0]
        ws.start_check(db, admin, case.case_id, mode="remote")
        ws.record_check(db, admin, case.case_id, kind="remote", notes="数据恒值 12 小时")
        ws.judge(db, admin, case.case_id, confirmed=True, finding="恒值属实")
        ws.choose_fix_path(
            db,
            admin,
            case.case_id,
            "supervision_order",
            rectify_deadline=now_cst() + timedelta(days=10),
        )
        case_id = case.case_id
    ent, csrf = login_as("ent1")
    portal = ent.get("/portal").text
    assert f'href="/cases/{case_id}"' in portal
    _post(ent, f"/cases/{case_id}/actions/start_rectification", csrf, {})
    _post(
        ent,
        f"/cases/{case_id}/actions/submit_rectification",
        csrf,
        {"text": "已更换分析仪"},
        files=[("files", ("proof.png", PNG_BYTES, "image/png"))],
    )
    page = ent.get(f"/cases/{case_id}").text
    assert 'id="case-status">复核中' in page
    other, _c = login_as("ent2")
    assert other.get(f"/cases/{case_id}").status_code == 404


def test_enterprise_is_sent_to_its_portal(login_as: Login) -> None:
    c, _csrf = login_as("ent1")
    r = c.get("/", follow_redirects=False)
    assert r.headers["location"] == "/portal"
    assert c.get("/dashboard").status_code == 403
    assert "冀东钢铁有限公司" in c.get("/enterprises/E1").text


def test_notice_sent_by_an_officer_and_acknowledged_by_the_enterprise(login_as: Login) -> None:
    officer, ocsrf = login_as("ts_city")
    loc = _post(
        officer,
        "/enterprises/E1/notices",
        ocsrf,
        {
            "kind": "pre_notification",
            "title": "现场检查预告知",
            "body": "请于检查前完成自查",
            "inspection_at": "2030-05-06T09:30",
        },
    )
    assert "done=notice" in loc
    ent, ecsrf = login_as("ent1")
    portal = ent.get("/portal").text
    assert "现场检查预告知" in portal and "2030-05-06 09:30" in portal
    notice_id = re.search(r'action="/notices/(\d+)/acknowledge"', portal).group(1)  # type: ignore[union-attr]
    # the PDF (检查预告知书) is linked from the portal and the enterprise page
    pdf_link = f"/api/notices/{notice_id}.pdf"
    assert pdf_link in portal and pdf_link in officer.get("/enterprises/E1").text
    for who in (ent, officer):
        doc = who.get(pdf_link)
        assert doc.status_code == 200 and doc.content.startswith(b"%PDF")
        assert doc.headers["content-type"] == "application/pdf"
        assert "attachment" in doc.headers["content-disposition"]
    _post(ent, f"/notices/{notice_id}/acknowledge", ecsrf, {})
    assert "已签收" in ent.get("/portal").text
    other, _c = login_as("ent2")
    assert "现场检查预告知" not in other.get("/portal").text
    assert other.get(pdf_link).status_code in (403, 404)

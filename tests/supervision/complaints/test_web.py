"""信访投诉 on the web (one seeded SQLite app for the module): the officer's page (record
form with bad input kept at 422, judgement, Chinese only), the API, and enterprises refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests._zh_scan import assert_clean_zh, html_text
from tests.web.conftest import bearer, csrf_of, keep_home, login, module_home, seed
from tests.web.test_zh_pages import ALLOW

from lantian.web.app import create_app

FORM = {
    "enterprise_id": "E1",
    "received_at": "2026-11-20 09:30",
    "channel": "letter_visit",
    "summary": "群众来信反映夜间烟囱冒黄烟",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with module_home(tmp_path_factory.mktemp("complaint-home")) as settings:
        seed(settings)
        yield create_app(settings)


@pytest.fixture(autouse=True)
def _keep_home(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    keep_home(app, monkeypatch)


def test_officer_records_and_judges_on_the_page(app: Any) -> None:
    with TestClient(app) as c:
        csrf = login(c, "lb_district")
        page = c.get("/complaints")
        assert page.status_code == 200 and 'href="/complaints"' in page.text
        assert_clean_zh(html_text(page.text), allow=ALLOW, where="complaints page")
        # bad input: 422, the message next to its field, the input kept
        bad = c.post("/complaints", data={**FORM, "received_at": "昨天", "csrf_token": csrf})
        assert bad.status_code == 422
        assert "受理时间格式不正确" in bad.text and "群众来信反映夜间烟囱冒黄烟" in bad.text
        assert 'value="昨天"' in bad.text
        ok = c.post("/complaints", data={**FORM, "csrf_token": csrf}, follow_redirects=False)
        assert ok.status_code == 303
        listing = c.get("/complaints?done=recorded&enterprise_id=E1")
        text = html_text(listing.text)
        assert "信访投诉已登记" in text and "来信来访" in text and "已受理" in text
        assert_clean_zh(text, allow=ALLOW, where="complaints list")
        cid = c.get("/api/complaints", headers=bearer(c, "lb_district")).json()["items"][0][
            "complaint_id"
        ]
        csrf = csrf_of(listing.text)
        empty = c.post(
            f"/complaints/{cid}/judge",
            data={"outcome": "verified", "note": " ", "csrf_token": csrf},
        )
        assert empty.status_code == 422 and "请填写核实情况" in empty.text
        done = c.post(
            f"/complaints/{cid}/judge",
            data={"outcome": "verified", "note": "现场核实属实", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert done.status_code == 303
        after = html_text(c.get("/complaints").text)
        assert "经核实属实" in after and "现场核实属实" in after


def test_api_and_enterprise_refused(app: Any) -> None:
    with TestClient(app) as c:
        h = bearer(c, "ts_city")
        r = c.post(
            "/api/complaints",
            json={**FORM, "received_at": "2026-11-25", "channel": "hotline_12369"},
            headers=h,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "received" and body["channel_label"] == "12369 热线"
        assert body["received_at"] == "2026-11-25T00:00:00+08:00"
        bad = c.post("/api/complaints", json={**FORM, "channel": "fax"}, headers=h)
        assert bad.status_code == 422
        url = f"/api/complaints/{body['complaint_id']}/judge"
        j = c.post(url, json={"outcome": "unfounded", "note": "未发现异常"}, headers=h)
        assert j.status_code == 200 and j.json()["status"] == "unfounded"
        again = c.post(url, json={"outcome": "verified", "note": "x"}, headers=h)
        assert again.status_code == 409
        listed = c.get("/api/complaints?enterprise_id=E1&status=unfounded", headers=h).json()
        assert [x["complaint_id"] for x in listed["items"]] == [body["complaint_id"]]
        assert c.get("/api/complaints", headers=bearer(c, "sjz_city")).json()["total"] == 0
        ent = bearer(c, "ent1")
        assert c.get("/api/complaints", headers=ent).status_code == 403
        assert c.post(url, json={"outcome": "verified", "note": "x"}, headers=ent).status_code in (
            403,
            404,
        )
    with TestClient(app) as e:
        login(e, "ent1")
        assert e.get("/complaints").status_code == 403

"""The ambient ranking page, its API and its workbook (officers only, Chinese)."""

from __future__ import annotations

import io
from collections.abc import Callable

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from tests._zh_scan import assert_clean_zh, html_text

Login = Callable[[str], tuple[TestClient, str]]


def test_ambient_page_api_and_workbook(login_as: Login) -> None:
    client, _csrf = login_as("ts_city")
    page = client.get("/ambient?level=district&month=2026-01")
    assert page.status_code == 200, page.text[:300]
    text = html_text(page.text)
    assert "空气质量综合指数与排名" in text and "路北区" in text and "无数据" in text
    assert "每项污染物至少需要 27 个有效日均值" in text
    assert_clean_zh(text, allow=("ts_city 用户",), where="/ambient")
    assert 'id="ambient-data"' in page.text

    api = client.get("/api/ambient/index", params={"level": "district", "month": "2026-02"})
    assert api.status_code == 200
    body = api.json()
    assert body["required_valid_days"] == 25 and body["validity_basis"] == "february"
    assert [(a["name"], a["status"]) for a in body["areas"]] == [("路北区", "no_data")]

    bad = client.get("/api/ambient/index", params={"level": "province"})
    assert bad.status_code == 422 and "level" in bad.json()["errors"]
    bad = client.get("/api/ambient/index", params={"start": "2026-01-05", "end": "2026-01-01"})
    assert bad.status_code == 422 and "end" in bad.json()["errors"]
    bad_page = client.get("/ambient?month=2026-13")
    assert bad_page.status_code == 422 and "YYYY-MM" in bad_page.text

    book = client.get("/ambient/index.xlsx?level=district&month=2026-01")
    assert book.status_code == 200
    assert "filename*=UTF-8''" in book.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(book.content)).active
    header = [c.value for c in ws[1]]
    assert header[:2] == ["排名（1=最好）", "区域"]
    assert [c.value for c in ws[2]][1] == "路北区" and [c.value for c in ws[2]][-1] == "无数据"


def test_enterprises_do_not_get_the_ambient_ranking(login_as: Login) -> None:
    client, _csrf = login_as("ent1")
    assert client.get("/api/ambient/index").status_code == 403
    assert client.get("/ambient", follow_redirects=False).status_code in (303, 403)

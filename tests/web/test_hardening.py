"""Smaller web findings of issue 11 (item 10), each with the behaviour it now has."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import PASSWORD, Seeded, bearer, csrf_of

from lantian.db.session import session_scope
from lantian.registry.models import Enterprise
from lantian.timeutil import now_cst
from lantian.web.app import create_app


def _login_cookies(c: TestClient) -> str:
    page = c.get("/login")
    r = c.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    return ";".join(r.headers.get_list("set-cookie") + page.headers.get_list("set-cookie"))


def test_cookies_are_secure_and_hsts_is_sent_on_https(seeded_sqlite: Seeded) -> None:
    with TestClient(create_app(seeded_sqlite.settings), base_url="https://testserver") as c:
        cookies = _login_cookies(c)
        assert "lantian_session=" in cookies and "lantian_csrf=" in cookies
        assert cookies.count("Secure") >= 2
        assert c.get("/leads").headers["strict-transport-security"].startswith("max-age=")
    with TestClient(create_app(seeded_sqlite.settings)) as c:  # plain http: neither
        cookies = _login_cookies(c)
        assert "Secure" not in cookies
        assert "strict-transport-security" not in c.get("/leads").headers


def test_cookie_secure_setting_marks_cookies_behind_a_tls_proxy(seeded_sqlite: Seeded) -> None:
    settings = seeded_sqlite.settings.model_copy(update={"cookie_secure": True})
    with TestClient(create_app(settings)) as c:  # the proxy speaks TLS, the app plain http
        page = c.get("/login")
        assert "Secure" in page.headers["set-cookie"]
        assert "strict-transport-security" in page.headers


def test_authenticated_responses_are_not_cached(client: TestClient) -> None:
    h = bearer(client, "ts_city")
    assert client.get("/api/leads", headers=h).headers["cache-control"] == "no-store"
    _login_cookies(client)
    assert client.get("/leads").headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")


def test_pdf_without_a_cjk_font_is_a_clear_503(
    client: TestClient, seeded_sqlite: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lantian.documents import pdf
    from lantian.documents.fonts import FontNotFound

    officer = bearer(client, "ts_city")
    r = client.post(
        "/api/leads/dispatch",
        json={
            "lead_ids": ["LE1-0"],
            "assignee_id": seeded_sqlite.user_ids["lb_district"],
            "deadline": str((now_cst() + timedelta(days=5)).date()),
        },
        headers=officer,
    )
    assert r.status_code == 200, r.text
    case_id = r.json()["cases"][0]["case_id"]

    def no_font(bold: bool = False) -> object:
        raise FontNotFound("no Chinese font found")

    monkeypatch.setattr(pdf, "find_cjk_font", no_font)
    r = client.get(f"/api/cases/{case_id}/documents/dispatch_notice.pdf", headers=officer)
    assert r.status_code == 503
    assert "fonts-noto-cjk" in r.json()["detail"] and "字体" in r.json()["detail"]


def test_enterprise_export_neutralizes_hostile_names(
    client: TestClient, seeded_sqlite: Seeded
) -> None:
    with session_scope(seeded_sqlite.settings) as db:
        ent = db.get(Enterprise, "E1")
        assert ent is not None
        ent.name = '=HYPERLINK("http://evil.example","x")\x00'
    r = client.get("/api/exports/enterprises.xlsx", headers=bearer(client, "ts_city"))
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/cases/9223372036854775808", 404),
        ("/api/cases/3000000000", 404),
        ("/api/leads?offset=10000000000000000000", 422),
        ("/api/cases?offset=10000000000000000000", 422),
        ("/api/enterprises?offset=10000000000000000000", 422),
        ("/api/leads?date_to=9999-12-31", 422),
        ("/api/leads?date_from=0001-01-01", 422),
    ],
)
def test_out_of_range_numbers_and_dates_are_client_errors(
    seeded: Seeded, url: str, status: int
) -> None:
    with TestClient(create_app(seeded.settings)) as c:
        r = c.get(url, headers=bearer(c, "ts_city"))
    assert r.status_code == status, r.text


def test_out_of_range_on_a_page_is_explained_in_the_users_language(client: TestClient) -> None:
    _login_cookies(client)
    html = {"Accept": "text/html"}
    r = client.get("/leads?offset=10000000000000000000", headers=html)
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]
    assert "参数值无效" in r.text and "offset" in r.text
    r = client.get("/enterprises?offset=10000000000000000000", headers=html)
    assert r.status_code == 422 and "参数值超出范围" in r.text


def test_api_docs_use_local_swagger_assets_only(client: TestClient) -> None:
    r = client.get("/api/docs")
    if r.status_code == 503:  # npm assets not installed: a clear answer, not a blank page
        assert "make node" in r.text
        return
    assert r.status_code == 200
    assert "https://" not in r.text and "http://" not in r.text and "<script>" not in r.text
    assert client.get("/vendor/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/api-docs.js").status_code == 200


def test_documents_survive_control_characters_in_names(
    client: TestClient, seeded_sqlite: Seeded
) -> None:
    with session_scope(seeded_sqlite.settings) as db:
        ent = db.get(Enterprise, "E1")
        assert ent is not None
        ent.name = "冀东\x00钢铁\x07有限公司"
    officer = bearer(client, "ts_city")
    r = client.post(
        "/api/leads/dispatch",
        json={
            "lead_ids": ["LE1-0"],
            "assignee_id": seeded_sqlite.user_ids["lb_district"],
            "deadline": str((now_cst() + timedelta(days=5)).date()),
        },
        headers=officer,
    )
    case_id = r.json()["cases"][0]["case_id"]
    pdf = client.get(f"/api/cases/{case_id}/documents/dispatch_notice.pdf", headers=officer)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for url in ("/api/exports/leads.xlsx", "/api/exports/cases.xlsx", "/api/exports/ledger.xlsx"):
        assert client.get(url, headers=officer).status_code == 200, url

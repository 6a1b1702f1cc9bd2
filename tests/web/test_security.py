"""Security: headers, cookies, CSRF, login lockout, logout, healthz."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from tests.web.conftest import PASSWORD, csrf_of

from lantian.web.security import RateLimiter, content_security_policy

Login = Callable[[str], tuple[TestClient, str]]


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body == {"status": "ok", "version": body["version"], "database": "ok", "lake": "ok"}


def test_security_headers(client: TestClient) -> None:
    r = client.get("/login")
    csp = r.headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text  # no inline scripts


def test_csp_allows_the_configured_tile_host_only() -> None:
    csp = content_security_policy("https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY")
    assert "img-src 'self' data: blob: https://*.tianditu.gov.cn" in csp
    assert "img-src 'self' data: blob:;" in content_security_policy("")


def test_session_cookie_flags(client: TestClient) -> None:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"]
    assert "lantian_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_login_needs_the_csrf_token(client: TestClient) -> None:
    client.get("/login")
    r = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert r.status_code == 403


def test_state_changing_requests_need_the_session_csrf_token(login_as: Login) -> None:
    c, csrf = login_as("ts_city")
    data = {"lead_ids": "LE1-0", "assignee_id": "1", "deadline": "2099-01-01"}
    assert c.post("/leads/dispatch", data=data).status_code == 403
    assert c.post("/leads/dispatch", data=data | {"csrf_token": "forged"}).status_code == 403
    assert c.post("/api/leads/dispatch", json={"lead_ids": ["LE1-0"]}).status_code == 403
    # with the token the request reaches the workflow (which then judges the content)
    r = c.post("/leads/dispatch", data=data, headers={"X-CSRF-Token": csrf})
    assert r.status_code != 403


def test_failed_logins_lock_out(client: TestClient) -> None:
    statuses = []
    for _ in range(7):
        page = client.get("/login")
        r = client.post(
            "/login",
            data={
                "username": "admin",
                "password": "Wrong-pass-123",
                "csrf_token": csrf_of(page.text),
            },
        )
        statuses.append(r.status_code)
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429
    page = client.get("/login")
    r = client.post(  # even the right password is refused while locked out
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 429
    token = client.post("/api/auth/token", data={"username": "admin", "password": PASSWORD})
    assert token.status_code == 429 and "retry-after" in token.headers


def test_logout_ends_the_server_side_session(login_as: Login) -> None:
    c, csrf = login_as("admin")
    stolen = c.cookies.get("lantian_session")
    r = c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    c.cookies.set("lantian_session", stolen or "")
    assert c.get("/api/me").status_code == 401


def test_rate_limiter_window() -> None:
    rl = RateLimiter(limit=2, window_s=10)
    rl.record("k", now=0)
    rl.record("k", now=1)
    assert not rl.allowed("k", now=5)
    assert rl.allowed("k", now=10.5)


def test_open_redirect_is_refused(client: TestClient) -> None:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": "admin",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/leads"

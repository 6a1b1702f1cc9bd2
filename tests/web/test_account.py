"""Self-service: change my password, list and revoke my sessions and API tokens (audited).

Finding (issue 11, item 10): there was no self-service password change and no token
revocation route.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.conftest import PASSWORD, Seeded, bearer, csrf_of, login

from lantian.auth.models import AuditLog
from lantian.db.session import session_scope

NEW = "Neue-Pass-2025!x"


def _audit_actions(seeded: Seeded) -> list[str]:
    with session_scope(seeded.settings) as db:
        return list(db.scalars(select(AuditLog.action).order_by(AuditLog.audit_id)))


def test_api_password_change_needs_the_current_password_and_ends_every_token(
    client: TestClient, seeded_sqlite: Seeded
) -> None:
    h = bearer(client, "lb_district")
    other = bearer(client, "lb_district")
    tokens = client.get("/api/me/tokens", headers=h).json()["items"]
    assert len(tokens) == 2 and sum(t["current"] for t in tokens) == 1
    r = client.post(
        "/api/me/password", json={"old_password": "not-it", "new_password": NEW}, headers=h
    )
    assert r.status_code == 422
    r = client.post(
        "/api/me/password", json={"old_password": PASSWORD, "new_password": NEW}, headers=h
    )
    assert r.status_code == 200, r.text
    assert client.get("/api/me", headers=h).status_code == 401
    assert client.get("/api/me", headers=other).status_code == 401
    ok = client.post("/api/auth/token", data={"username": "lb_district", "password": NEW})
    assert ok.status_code == 200
    assert "set_password" in _audit_actions(seeded_sqlite)


def test_revoking_my_token_works_and_others_tokens_are_not_found(
    client: TestClient, seeded_sqlite: Seeded
) -> None:
    mine = bearer(client, "ts_city")
    spare = bearer(client, "ts_city")
    theirs = bearer(client, "sjz_city")
    items = client.get("/api/me/tokens", headers=spare).json()["items"]
    spare_id = next(t["token_id"] for t in items if t["current"])
    their_id = next(
        t["token_id"] for t in client.get("/api/me/tokens", headers=theirs).json()["items"]
    )
    assert client.delete(f"/api/me/tokens/{their_id}", headers=mine).status_code == 404
    assert client.delete("/api/me/tokens/999999", headers=mine).status_code == 404
    assert client.get("/api/me", headers=theirs).status_code == 200
    assert client.delete(f"/api/me/tokens/{spare_id}", headers=mine).status_code == 200
    assert client.get("/api/me", headers=spare).status_code == 401
    assert client.get("/api/me", headers=mine).status_code == 200
    assert "revoke_api_token" in _audit_actions(seeded_sqlite)


def test_account_page_changes_the_password_and_revokes_sessions(client: TestClient) -> None:
    csrf = login(client, "ts_city")
    page = client.get("/account")
    assert page.status_code == 200 and "修改密码" in page.text and "登录会话" in page.text
    with TestClient(client.app) as second, TestClient(client.app) as third:
        login(second, "ts_city")
        login(third, "ts_city")
        items = client.get("/api/me/tokens").json()["items"]
        assert len(items) == 3
        second_id = next(
            t["token_id"] for t in second.get("/api/me/tokens").json()["items"] if t["current"]
        )
        r = client.post(
            f"/account/tokens/{second_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert r.status_code == 303
        assert second.get("/leads", follow_redirects=False).status_code == 303  # logged out
        assert third.get("/leads", follow_redirects=False).status_code == 200
        r = client.post(
            "/account/password",
            data={
                "csrf_token": csrf_of(client.get("/account").text),
                "old_password": PASSWORD,
                "new_password": NEW,
                "new_password2": NEW,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert third.get("/leads", follow_redirects=False).status_code == 303  # every session
    assert client.get("/leads", follow_redirects=False).status_code == 303

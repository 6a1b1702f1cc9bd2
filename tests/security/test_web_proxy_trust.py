"""Adversary: a forged X-Forwarded-For from a local client (finding: ``lantian demo`` trusted
it from any local client, so login throttling keyed on a chosen address). Live server on
127.0.0.1 with the uvicorn options of ``lantian serve`` and ``lantian demo``."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from tests.security.web_live import live_server
from tests.web.conftest import seed

from lantian.auth.models import LoginAttempt
from lantian.db.session import session_scope
from lantian.settings import get_settings


@pytest.mark.parametrize(
    ("trusted", "recorded"), [("", "127.0.0.1"), ("127.0.0.1/32", "203.0.113.9")]
)
def test_forwarded_for_counts_only_from_a_trusted_proxy(
    lantian_home: object, trusted: str, recorded: str
) -> None:
    settings = get_settings().model_copy(update={"trusted_proxies": trusted})
    seed(settings)
    with live_server(settings) as live, httpx.Client(base_url=live.url, timeout=10) as c:
        r = c.post(
            "/api/auth/token",
            data={"username": "ts_city", "password": "wrong-password"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        assert r.status_code == 401
    with session_scope(settings) as db:
        ips = list(db.scalars(select(LoginAttempt.ip)))
    assert ips == [recorded]

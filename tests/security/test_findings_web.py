"""Adversary: the smaller web findings of issue 11 (item 6, 7, 10) against a live server.

Each test starts the web app under uvicorn on 127.0.0.1 (``tests/security/web_live.py``,
exactly as ``lantian serve`` configures it) over the seeded database of the web tests and
replays the attack of the review over real HTTP. Bounded: at most 30 requests in parallel,
a few seconds per test; loopback only (the second address ``127.0.0.2`` is loopback too).
"""

from __future__ import annotations

import io
import threading
import zipfile
from datetime import timedelta
from typing import Any

import httpx
import openpyxl
import pytest
from tests.security.web_live import Live, live_server, login
from tests.supervision.visit_helpers import approve_onsite_in
from tests.web.conftest import PASSWORD, Seeded, seed

import lantian.auth.service as auth
from lantian.auth.service import create_user
from lantian.db.session import session_scope
from lantian.registry.models import Enterprise
from lantian.settings import get_settings
from lantian.timeutil import now_cst

HOSTILE = '=HYPERLINK("http://evil.example","x")'
NEW = "Neue-Pass-2025!x"


@pytest.fixture
def seeded(lantian_home: object) -> Seeded:
    return seed(get_settings())


def _token(c: httpx.Client, username: str, password: str = PASSWORD) -> dict[str, str]:
    r = c.post("/api/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _dispatch(c: httpx.Client, seeded: Seeded, officer: dict[str, str]) -> int:
    r = c.post(
        "/api/leads/dispatch",
        json={
            "lead_ids": ["LE1-0"],
            "assignee_id": seeded.user_ids["lb_district"],
            "deadline": str((now_cst() + timedelta(days=5)).date()),
        },
        headers=officer,
    )
    assert r.status_code == 200, r.text
    return int(r.json()["cases"][0]["case_id"])


def _client(live: Live, source: str = "127.0.0.1", **kw: Any) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=live.url, timeout=15, transport=transport, **kw)


def test_findings_export_writes_formulas_as_text_and_survives_nul(seeded: Seeded) -> None:
    """Item 6 and 10: ``=HYPERLINK(...)`` in a name was a live formula; a NUL made exports 500."""
    with session_scope(seeded.settings) as db:
        ent = db.get(Enterprise, "E1")
        assert ent is not None
        ent.name = HOSTILE + "\x00"
    with live_server(seeded.settings) as live, _client(live) as c:
        officer = _token(c, "ts_city")
        r = c.get("/api/exports/enterprises.xlsx", headers=officer)
        assert r.status_code == 200, r.text
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
        sheet = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
        [cell] = [c for row in sheet.iter_rows() for c in row if c.value == HOSTILE]
        assert cell.data_type == "s"  # text (NUL removed), not a formula
        for url in ("/api/exports/leads.xlsx", "/api/exports/cases.xlsx"):
            assert c.get(url, headers=officer).status_code == 200, url


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/cases/9223372036854775808", 404),
        ("/api/leads?offset=10000000000000000000", 422),
        ("/api/enterprises?offset=10000000000000000000", 422),
        ("/api/leads?date_to=9999-12-31", 422),
        ("/api/leads?date_from=0001-01-01", 422),
    ],
)
def test_findings_out_of_range_numbers_are_client_errors(
    seeded: Seeded, url: str, status: int
) -> None:
    """Item 10: ``offset=10**19``, ``/api/cases/9223372036854775808`` and far dates gave 500."""
    with live_server(seeded.settings) as live, _client(live) as c:
        r = c.get(url, headers=_token(c, "ts_city"))
        assert r.status_code == status, r.text
        login(c, "ts_city", PASSWORD)
        page = c.get("/leads?offset=10000000000000000000", headers={"Accept": "text/html"})
        assert page.status_code == 422 and "offset" in page.text


def test_findings_cookies_secure_hsts_and_no_store(seeded: Seeded) -> None:
    """Item 10: cookies never ``Secure``, no HSTS, no ``no-store`` on authenticated answers."""
    settings = seeded.settings.model_copy(update={"trusted_proxies": "127.0.0.1"})
    with live_server(settings) as live, _client(live) as plain, _client(live) as tls:
        tls.headers["X-Forwarded-Proto"] = "https"  # a TLS-terminating proxy in front
        page = tls.get("/login")  # (httpx keeps Secure cookies off plain http: no login here)
        cookies = page.headers.get_list("set-cookie")
        assert cookies and all("Secure" in c for c in cookies)
        assert page.headers["strict-transport-security"].startswith("max-age=")
        # plain http (no proxy saying https): not Secure, no HSTS, but still no-store
        r = login(plain, "admin", PASSWORD)
        assert r.status_code == 303
        assert all("Secure" not in c for c in r.headers.get_list("set-cookie"))
        assert plain.get("/leads").headers["cache-control"] == "no-store"
        api = plain.get("/api/leads", headers=_token(plain, "ts_city"))
        assert api.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in api.headers
        assert "no-store" not in plain.get("/static/app.css").headers.get("cache-control", "")
    # the same headers from an untrusted address are ignored
    with live_server(seeded.settings) as live, _client(live) as forged:
        forged.headers["X-Forwarded-Proto"] = "https"
        assert "strict-transport-security" not in forged.get("/login").headers


def test_findings_password_change_and_token_revocation(seeded: Seeded) -> None:
    """Item 10: no self-service password change, no token revocation, a list of 10 words."""
    with live_server(seeded.settings) as live, _client(live) as c:
        mine = _token(c, "lb_district")
        spare = _token(c, "lb_district")
        theirs = _token(c, "sjz_city")
        items = c.get("/api/me/tokens", headers=spare).json()["items"]
        spare_id = next(t["token_id"] for t in items if t["current"])
        their_id = next(
            t["token_id"] for t in c.get("/api/me/tokens", headers=theirs).json()["items"]
        )
        assert c.delete(f"/api/me/tokens/{their_id}", headers=mine).status_code == 404
        assert c.delete(f"/api/me/tokens/{spare_id}", headers=mine).status_code == 200
        assert c.get("/api/me", headers=spare).status_code == 401  # revoked
        assert c.get("/api/me", headers=theirs).status_code == 200
        for weak in ("Passer2009", "1Q2w3e4r5t"):  # common words that pass the other rules
            r = c.post(
                "/api/me/password",
                json={"old_password": PASSWORD, "new_password": weak},
                headers=mine,
            )
            assert r.status_code == 422 and "common" in r.text, r.text
        r = c.post(
            "/api/me/password", json={"old_password": "not-it", "new_password": NEW}, headers=mine
        )
        assert r.status_code == 422
        r = c.post(
            "/api/me/password", json={"old_password": PASSWORD, "new_password": NEW}, headers=mine
        )
        assert r.status_code == 200, r.text
        assert c.get("/api/me", headers=mine).status_code == 401  # every token ended
        r = c.post("/api/auth/token", data={"username": "lb_district", "password": PASSWORD})
        assert r.status_code == 401
        assert c.get("/api/me", headers=_token(c, "lb_district", NEW)).status_code == 200


def test_findings_parallel_wrong_passwords_get_exactly_the_allowed_checks(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 10: 30 parallel wrong passwords got 8 password checks against a threshold of 5."""
    checks: list[int] = []
    lock = threading.Lock()
    real_verify = auth.verify_password

    def counting_verify(password_hash: str, password: str) -> bool:
        with lock:
            checks.append(1)
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting_verify)
    statuses: list[int] = []
    with live_server(seeded.settings) as live:
        start = threading.Barrier(30)

        def attempt() -> None:
            with _client(live) as c:
                start.wait(timeout=30)
                r = c.post("/api/auth/token", data={"username": "admin", "password": "wrong-1"})
                with lock:
                    statuses.append(r.status_code)

        threads = [threading.Thread(target=attempt) for _ in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert len(statuses) == 30
    assert len(checks) == auth.MAX_FAILURES
    assert statuses.count(401) == auth.MAX_FAILURES
    assert statuses.count(429) == 30 - auth.MAX_FAILURES


def test_findings_a_stranger_cannot_lock_the_owner_out(seeded: Seeded) -> None:
    """Item 7: the lock-out was per account across addresses, so anyone could lock a user out."""
    with (
        live_server(seeded.settings) as live,
        _client(live, "127.0.0.1") as owner,
        _client(live, "127.0.0.2") as stranger,
    ):
        _token(owner, "ts_city")  # the owner's usual address
        answers = [
            stranger.post("/api/auth/token", data={"username": "ts_city", "password": "x"})
            for _ in range(3 * auth.MAX_FAILURES)
        ]
        assert {r.status_code for r in answers} == {401, 429}
        assert answers[-1].status_code == 429 and int(answers[-1].headers["retry-after"]) > 0
        # the stranger is backed off even with the right password; the owner is not
        r = stranger.post("/api/auth/token", data={"username": "ts_city", "password": PASSWORD})
        assert r.status_code == 429
        assert owner.get("/api/me", headers=_token(owner, "ts_city")).status_code == 200


def test_findings_only_the_assignee_or_a_supervisor_closes_a_case(seeded: Seeded) -> None:
    """Item 10: any officer in scope, not only the assignee, could close a case."""
    with session_scope(seeded.settings) as db:
        create_user(
            db, None, "lb_other", PASSWORD, "district_officer", city="唐山市", district="路北区"
        )
    with live_server(seeded.settings) as live, _client(live) as c:
        officer = _token(c, "ts_city")
        assignee = _token(c, "lb_district")
        other = _token(c, "lb_other")
        case_id = _dispatch(c, seeded, officer)

        def fire(h: dict[str, str], action: str, **fields: Any) -> httpx.Response:
            return c.post(
                f"/api/cases/{case_id}/transitions",
                json={"action": action, "fields": fields},
                headers=h,
            )

        assert c.get(f"/api/cases/{case_id}", headers=other).status_code == 200  # in scope
        assert fire(other, "start_check", mode="onsite").status_code == 403
        assert fire(assignee, "start_check", mode="onsite").status_code == 200
        approve_onsite_in(seeded.settings, case_id)
        chk = c.post(
            f"/api/cases/{case_id}/checks",
            json={"kind": "onsite", "notes": "脱硫塔循环泵停运", "lon": 118.18, "lat": 39.63},
            headers=assignee,
        )
        assert chk.status_code == 200, chk.text
        assert fire(assignee, "judge_confirmed", finding="属实").status_code == 200
        assert fire(assignee, "choose_immediate_fix").status_code == 200
        r = fire(other, "close_immediate_fix", comment="ok")
        assert r.status_code == 403 and "assignee" in r.json()["detail"]
        assert c.get(f"/api/cases/{case_id}", headers=other).json()["status"] != "closed"
        assert fire(officer, "close_immediate_fix", comment="复核通过").status_code == 200


def test_findings_pdf_without_a_cjk_font_is_a_clear_503(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 10: every PDF answered 500 when no CJK font was installed."""
    from lantian.documents import pdf
    from lantian.documents.fonts import FontNotFound

    def no_font(bold: bool = False) -> object:
        raise FontNotFound("no Chinese font found")

    with live_server(seeded.settings) as live, _client(live) as c:
        officer = _token(c, "ts_city")
        case_id = _dispatch(c, seeded, officer)
        url = f"/api/cases/{case_id}/documents/dispatch_notice.pdf"
        monkeypatch.setattr(pdf, "find_cjk_font", no_font)
        r = c.get(url, headers=officer)
        assert r.status_code == 503
        assert "fonts-noto-cjk" in r.json()["detail"] and "字体" in r.json()["detail"]
        monkeypatch.undo()
        r = c.get(url, headers=officer)
        if r.status_code != 503:  # a CJK font is installed here: the real document
            assert r.status_code == 200 and r.content.startswith(b"%PDF")

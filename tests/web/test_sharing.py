"""Sharing with the enterprise through the case page (向企业公开, 向企业公开此记录).

Officers see the controls only when the service would share now (never on a ``new`` case),
must confirm (sharing cannot be undone), and the page then shows when and by whom; the
enterprise then sees the case, and a shared check record, in its portal. Enterprise
accounts never see the controls; a district officer of another district gets 404.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.web.conftest import Seeded, login

from lantian.auth.errors import InvalidTransition, PermissionDenied
from lantian.auth.models import AuditLog, User
from lantian.auth.policy import EnterprisePolicy, VisibilityPolicy, use_policy
from lantian.db.session import session_scope
from lantian.timeutil import now_cst
from lantian.web.casework import may_share_case
from lantian.workflow import service as ws
from lantian.workflow.models import Case, CheckRecord
from lantian.workflow.states import STATE_CODES

CHECK_NOTES = "内部: 调阅在线数据，疑似篡改"
CASE_CONTROL = "向企业公开"
RECORD_CONTROL = "向企业公开此记录"


def _dispatched_case_with_check(seeded: Seeded) -> tuple[int, int]:
    with session_scope(seeded.settings) as db:
        admin = db.get(User, seeded.user_ids["admin"])
        assert admin is not None
        case = ws.dispatch(
            db,
            admin,
            ["LE1-0"],
            assignee_id=seeded.user_ids["lb_district"],
            deadline=now_cst() + timedelta(days=5),
        )[0]
        ws.start_check(db, admin, case.case_id, mode="remote")
        rec = ws.record_remote_check(db, admin, case.case_id, notes=CHECK_NOTES)
        return case.case_id, rec.check_id


def _new_case(seeded: Seeded) -> int:
    with session_scope(seeded.settings) as db:
        admin = db.get(User, seeded.user_ids["admin"])
        assert admin is not None
        return ws.open_case(db, admin, ["LE1-1"]).case_id


def _client(app: FastAPI, username: str) -> tuple[TestClient, str]:
    c = TestClient(app)
    c.__enter__()
    return c, login(c, username)


def test_officer_shares_case_and_record_and_the_enterprise_then_sees_them(
    app: FastAPI, seeded_sqlite: Seeded
) -> None:
    case_id, check_id = _dispatched_case_with_check(seeded_sqlite)
    officer, csrf = _client(app, "ts_city")
    ent, ent_csrf = _client(app, "ent1")
    try:
        page = officer.get(f"/cases/{case_id}").text
        assert f'action="/cases/{case_id}/share"' in page and CASE_CONTROL in page
        assert f'action="/checks/{check_id}/share"' in page and RECORD_CONTROL in page
        assert 'id="case-shared"' not in page
        assert ent.get(f"/cases/{case_id}").status_code == 404  # not reached yet

        # without the confirmation nothing happens
        r = officer.post(
            f"/cases/{case_id}/share", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert r.status_code == 422 and "不可撤回" in r.text
        assert ent.get(f"/cases/{case_id}").status_code == 404
        # without the CSRF token neither
        r = officer.post(f"/cases/{case_id}/share", data={"confirm": "yes"}, follow_redirects=False)
        assert r.status_code == 403
        assert ent.get(f"/cases/{case_id}").status_code == 404

        r = officer.post(
            f"/cases/{case_id}/share",
            data={"csrf_token": csrf, "confirm": "yes", "note": "请企业配合自查"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"].endswith("done=share_case")
        page = officer.get(f"/cases/{case_id}").text
        assert 'id="case-shared"' in page and "ts_city 用户" in page
        assert f'action="/cases/{case_id}/share"' not in page  # done once, for good
        assert "已向企业公开" in page  # in the case card and the timeline

        # the enterprise sees the case (not the internal check notes) and no controls
        ent_page = ent.get(f"/cases/{case_id}")
        assert ent_page.status_code == 200
        assert 'id="case-shared"' in ent_page.text and CHECK_NOTES not in ent_page.text
        assert "请企业配合自查" in ent_page.text  # the share's note is addressed to it
        assert "/share" not in ent_page.text and RECORD_CONTROL not in ent_page.text
        assert "E1 1号排口 SO2 折算浓度超标 1" in ent.get("/portal").text  # LE1-0

        # share the check record with HTMX: 204 + HX-Redirect like the other case actions
        r = officer.post(
            f"/checks/{check_id}/share",
            data={"csrf_token": csrf, "confirm": "yes"},
            headers={"HX-Request": "true"},
            follow_redirects=False,
        )
        assert r.status_code == 204
        assert r.headers["hx-redirect"] == f"/cases/{case_id}?done=share_check_record"
        page = officer.get(f"/cases/{case_id}").text
        assert f'id="check-{check_id}-shared"' in page
        assert f'action="/checks/{check_id}/share"' not in page
        ent_page = ent.get(f"/cases/{case_id}").text
        assert CHECK_NOTES in ent_page and f'id="check-{check_id}-shared"' in ent_page

        # the enterprise cannot share, through the page routes either
        for path in (f"/cases/{case_id}/share", f"/checks/{check_id}/share"):
            r = ent.post(
                path, data={"csrf_token": ent_csrf, "confirm": "yes"}, follow_redirects=False
            )
            assert r.status_code in (403, 404), (path, r.status_code)
    finally:
        officer.__exit__(None, None, None)
        ent.__exit__(None, None, None)
    with session_scope(seeded_sqlite.settings) as db:
        rows = db.query(AuditLog).filter(AuditLog.action.in_(("share_case", "share_check_record")))
        assert sorted((a.action, a.note) for a in rows) == [
            ("share_case", "请企业配合自查"),
            ("share_check_record", None),
        ]


def test_an_out_of_scope_district_officer_gets_404(app: FastAPI, seeded_sqlite: Seeded) -> None:
    case_id, check_id = _dispatched_case_with_check(seeded_sqlite)
    other, csrf = _client(app, "ln_district")  # 路南区; the case is of 路北区
    try:
        assert other.get(f"/cases/{case_id}").status_code == 404
        for path in (f"/cases/{case_id}/share", f"/checks/{check_id}/share"):
            r = other.post(path, data={"csrf_token": csrf, "confirm": "yes"})
            assert r.status_code == 404, (path, r.status_code)
    finally:
        other.__exit__(None, None, None)
    with session_scope(seeded_sqlite.settings) as db:
        case = db.get(Case, case_id)
        rec = db.get(CheckRecord, check_id)
        assert case is not None and case.shared_with_enterprise_at is None
        assert rec is not None and rec.shared_with_enterprise_at is None


def test_a_new_case_offers_no_share_and_refuses_one(app: FastAPI, seeded_sqlite: Seeded) -> None:
    case_id = _new_case(seeded_sqlite)
    officer, csrf = _client(app, "ts_city")
    try:
        page = officer.get(f"/cases/{case_id}").text
        assert f'action="/cases/{case_id}/share"' not in page and 'id="share"' not in page
        r = officer.post(f"/cases/{case_id}/share", data={"csrf_token": csrf, "confirm": "yes"})
        assert r.status_code == 409
    finally:
        officer.__exit__(None, None, None)


def test_the_page_warns_when_the_province_policy_ignores_shares(
    app: FastAPI, seeded_sqlite: Seeded
) -> None:
    case_id, _check_id = _dispatched_case_with_check(seeded_sqlite)
    warning = "不以“公开”为送达条件"
    officer, _csrf = _client(app, "ts_city")
    try:
        assert warning not in officer.get(f"/cases/{case_id}").text
        notice_only = VisibilityPolicy(provinces={"13": EnterprisePolicy(("notice",))})
        with use_policy(notice_only):
            page = officer.get(f"/cases/{case_id}").text
        assert warning in page and CASE_CONTROL in page  # the service still allows it
    finally:
        officer.__exit__(None, None, None)


def test_english_controls(app: FastAPI, seeded_sqlite: Seeded) -> None:
    case_id, check_id = _dispatched_case_with_check(seeded_sqlite)
    officer, _csrf = _client(app, "ts_city")
    try:
        page = officer.get(f"/cases/{case_id}?lang=en").text
        assert "Share with the enterprise" in page
        assert "Share this record with the enterprise" in page
        assert f'action="/checks/{check_id}/share"' in page
        assert "I understand that sharing cannot be undone" in page
        assert CASE_CONTROL not in page
    finally:
        officer.__exit__(None, None, None)


def test_the_control_follows_the_service_in_every_status(seeded: Seeded) -> None:
    """``may_share_case`` is true exactly when ``share_case`` shares (SQLite, PostgreSQL)."""
    case_id, _check_id = _dispatched_case_with_check(seeded)
    for username in ("ts_city", "lb_district", "ent1"):
        for status in STATE_CODES:
            with session_scope(seeded.settings) as db:
                user = db.get(User, seeded.user_ids[username])
                case = db.get(Case, case_id)
                assert user is not None and case is not None
                case.status = status
                db.flush()
                offered = may_share_case(user, case)
                try:
                    shared = ws.share_case(db, user, case_id).shared_with_enterprise_at
                except (InvalidTransition, PermissionDenied):
                    shared = None
                assert offered == (shared is not None), (username, status)
                if shared is not None:
                    assert not may_share_case(user, case)  # once shared, no control
                db.rollback()


@pytest.mark.parametrize("username", ["ent1", "ent2"])
def test_enterprise_accounts_see_no_controls(
    app: FastAPI, seeded_sqlite: Seeded, username: str
) -> None:
    case_id, check_id = _dispatched_case_with_check(seeded_sqlite)
    with session_scope(seeded_sqlite.settings) as db:
        officer = db.get(User, seeded_sqlite.user_ids["ts_city"])
        assert officer is not None
        ws.share_case(db, officer, case_id)
    ent, _csrf = _client(app, username)
    try:
        r = ent.get(f"/cases/{case_id}")
        if username == "ent2":
            assert r.status_code == 404
        else:
            assert r.status_code == 200
            assert 'id="case-shared"' in r.text and "ts_city 用户" in r.text  # when, by whom
            assert 'name="confirm"' not in r.text and "/share" not in r.text
            assert f"/checks/{check_id}/share" not in r.text
    finally:
        ent.__exit__(None, None, None)

"""Accounts, login rate limiting, sessions, API tokens, CSRF, demo accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lantian.auth import service as auth
from lantian.auth.errors import (
    AuthenticationFailed,
    LockedOut,
    PermissionDenied,
    ValidationError,
)
from lantian.auth.models import AuditLog, AuthToken, LoginAttempt, User
from lantian.timeutil import now_cst

PASSWORD = "Lantian-Test-2024!"


def test_create_user_validates_role_and_scope(session: Session) -> None:
    with pytest.raises(ValidationError, match="city"):
        auth.create_user(session, None, "c1", PASSWORD, "city_officer")
    with pytest.raises(ValidationError, match="enterprise"):
        auth.create_user(session, None, "e1", PASSWORD, "enterprise")
    with pytest.raises(ValidationError, match="no enterprise"):
        auth.create_user(session, None, "e1", PASSWORD, "enterprise", enterprise_id="NOPE")
    with pytest.raises(ValidationError, match="role"):
        auth.create_user(session, None, "x1", PASSWORD, "superuser")
    with pytest.raises(ValidationError, match="province"):
        auth.create_user(session, None, "w1", PASSWORD, "work_group", province="Hebei")
    with pytest.raises(ValidationError):
        auth.create_user(session, None, "bad name", PASSWORD, "admin")
    officer = auth.create_user(session, None, "c1", PASSWORD, "city_officer", city="甲市")
    with pytest.raises(PermissionDenied):
        auth.create_user(session, officer, "c2", PASSWORD, "admin")
    with pytest.raises(ValidationError, match="exists"):
        auth.create_user(session, None, "c1", PASSWORD, "city_officer", city="甲市")
    created = session.scalar(select(AuditLog).where(AuditLog.action == "create_user"))
    assert created is not None and "password_hash" not in (created.after or {})


def test_database_refuses_inconsistent_roles(session: Session) -> None:
    now = now_cst()
    session.add(
        User(
            username="x",
            display_name="x",
            role="enterprise",
            password_hash="h",
            active=True,
            created_at=now,
            password_changed_at=now,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_login_lockout_per_username_and_ip(session: Session) -> None:
    auth.create_user(session, None, "alice", PASSWORD, "admin")
    session.commit()
    t0 = now_cst()
    assert auth.authenticate(session, "alice", PASSWORD, "10.0.0.1", t0).username == "alice"
    session.commit()
    for i in range(auth.MAX_FAILURES):
        with pytest.raises(AuthenticationFailed):
            auth.authenticate(
                session, "alice", "wrong-password", "10.0.0.1", t0 + timedelta(seconds=i + 1)
            )
        session.rollback()  # the failed attempt was committed by authenticate itself
    n = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.success.is_(False))
    )
    assert n == auth.MAX_FAILURES
    with pytest.raises(LockedOut) as exc:  # even the right password is refused now
        auth.authenticate(session, "alice", PASSWORD, "10.0.0.1", t0 + timedelta(seconds=10))
    assert 0 < exc.value.retry_after_s <= auth.LOCKOUT_WINDOW.total_seconds()
    # another address is not locked; after the window the first one is free again
    assert auth.authenticate(session, "alice", PASSWORD, "10.0.0.2", t0 + timedelta(seconds=11))
    later = t0 + auth.LOCKOUT_WINDOW + timedelta(seconds=10)
    assert auth.authenticate(session, "alice", PASSWORD, "10.0.0.1", later).username == "alice"
    with pytest.raises(AuthenticationFailed):  # unknown user: same error, timing-safe path
        auth.authenticate(session, "nobody", PASSWORD, "10.0.0.1", later)


def test_disabled_account_cannot_log_in(session: Session) -> None:
    user = auth.create_user(session, None, "bob", PASSWORD, "admin")
    auth.set_active(session, None, user, False)
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(session, "bob", PASSWORD, "127.0.0.1")


def test_sessions(session: Session) -> None:
    user = auth.create_user(session, None, "carol", PASSWORD, "admin")
    issued = auth.create_session(session, user, ip="127.0.0.1")
    row = session.scalar(select(AuthToken).where(AuthToken.token_id == issued.token_id))
    assert row is not None and row.token_hash != issued.token and issued.token not in row.token_hash
    assert auth.verify_session(session, issued.token).username == "carol"
    with pytest.raises(AuthenticationFailed):  # a session token is no API token
        auth.verify_api_token(session, issued.token)
    with pytest.raises(AuthenticationFailed):  # idle too long
        auth.verify_session(
            session, issued.token, now_cst() + auth.SESSION_IDLE_TIMEOUT + timedelta(minutes=1)
        )
    with pytest.raises(AuthenticationFailed):  # expired
        auth.verify_session(session, issued.token, issued.expires_at + timedelta(seconds=1))
    auth.end_session(session, issued.token)
    with pytest.raises(AuthenticationFailed):
        auth.verify_session(session, issued.token)
    secret = "s3cret"
    csrf = auth.csrf_token(issued.token, secret)
    assert auth.verify_csrf(issued.token, secret, csrf)
    assert not auth.verify_csrf(issued.token, secret, csrf[:-1] + ("1" if csrf[-1] == "0" else "0"))
    assert not auth.verify_csrf("other", secret, csrf)
    assert not auth.verify_csrf(issued.token, secret, None)


def test_api_tokens_and_password_change_revokes(session: Session) -> None:
    user = auth.create_user(session, None, "dave", PASSWORD, "admin")
    tok = auth.create_api_token(session, user, label="script", ttl=timedelta(hours=1))
    assert auth.verify_api_token(session, tok.token).user_id == user.user_id
    with pytest.raises(AuthenticationFailed):
        auth.verify_api_token(session, tok.token, now_cst() + timedelta(hours=2))
    sess = auth.create_session(session, user)
    with pytest.raises(ValidationError):  # self-service change needs the old password
        auth.set_password(session, user, user, "New-Password-2025", old_password="wrong")
    auth.set_password(session, user, user, "New-Password-2025", old_password=PASSWORD)
    for verify, t in ((auth.verify_api_token, tok.token), (auth.verify_session, sess.token)):
        with pytest.raises(AuthenticationFailed):
            verify(session, t)
    assert auth.authenticate(session, "dave", "New-Password-2025", "127.0.0.1")
    other = auth.create_user(session, None, "erin", PASSWORD, "admin")
    tok2 = auth.create_api_token(session, other)
    with pytest.raises(Exception, match="not found"):
        auth.revoke_api_token(
            session,
            auth.create_user(session, None, "eve", PASSWORD, "city_officer", city="甲市"),
            tok2.token_id,
        )
    auth.revoke_api_token(session, other, tok2.token_id)
    with pytest.raises(AuthenticationFailed):
        auth.verify_api_token(session, tok2.token)


def test_seed_demo_users(session: Session) -> None:
    from lantian.leads.models import Lead

    t = now_cst()
    for i, eid in enumerate(["EB", "EB", "EA"]):
        session.add(
            Lead(
                lead_id=f"D{i}",
                rule="R",
                family="EXCEEDANCE",
                enterprise_id=eid,
                subject_type="outlet",
                subject_id="P",
                start=t,
                end=t + timedelta(hours=1),
                severity=1,
                score=0.5,
                summary="s",
                evidence={},
                open=False,
                detected_at=t,
                updated_at=t,
            )
        )
    session.flush()
    users = auth.seed_demo_users(session, "Demo-Password-2024")
    by = {u.username: u for u in users}
    assert list(by) == ["admin", "officer", "district", "ent1", "ent2"]
    assert by["ent1"].enterprise_id == "EB" and by["ent2"].enterprise_id == "EA"
    assert (by["officer"].role, by["officer"].city) == ("city_officer", "乙市")
    assert (by["district"].city, by["district"].district) == ("乙市", "三区")
    again = auth.seed_demo_users(session, "Demo-Password-2025")  # idempotent, new password
    assert [u.user_id for u in again] == [u.user_id for u in users]
    assert auth.authenticate(session, "ent1", "Demo-Password-2025", "127.0.0.1")


def test_prune_login_attempts(session: Session) -> None:
    now = now_cst()
    session.add_all(
        [
            LoginAttempt(username="a", ip="1", at=now - timedelta(days=200), success=False),
            LoginAttempt(username="a", ip="1", at=now - timedelta(days=10), success=False),
        ]
    )
    session.flush()
    assert auth.prune_login_attempts(session, now) == 1
    assert auth.prune_login_attempts(session, now) == 0
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 1

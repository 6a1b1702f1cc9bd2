"""Accounts, login with rate limiting, server-side sessions, API tokens and CSRF tokens.

All functions take an open :class:`~sqlalchemy.orm.Session` and leave committing to the
caller, except :func:`authenticate`, which commits the attempt before it checks the
password (so concurrent attempts count it, and a rolled-back request still counts).

References
----------
.. [1] GB/T 22239-2019, 8.1.4.1 身份鉴别 b): 应具有登录失败处理功能, 应配置并启用结束会话、
       限制非法登录次数和当登录连接超时自动退出等相关措施.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import (
    AuthenticationFailed,
    LockedOut,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from lantian.auth.models import ROLES, AuthToken, LoginAttempt, User
from lantian.auth.passwords import (
    DUMMY_HASH,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from lantian.registry.models import Enterprise
from lantian.timeutil import now_cst

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
MAX_FAILURES = 5
"""Failed logins per (user name, address) before back-off, within :data:`LOCKOUT_WINDOW`."""
MAX_FAILURES_PER_ADDRESS = 20
"""Failed logins per address (any user names) before back-off (password spraying)."""
MAX_FAILURES_PER_USER = 20
"""Failed logins per user name from all addresses before back-off; never applied to an
address the account logged in from within :data:`KNOWN_ADDRESS_TTL`."""
LOCKOUT_WINDOW = timedelta(minutes=15)
"""Failures older than this are forgotten; also the longest back-off."""
BACKOFF_BASE = timedelta(seconds=30)
"""First back-off once a threshold is reached; each further failure doubles it."""
KNOWN_ADDRESS_TTL = timedelta(days=30)
"""An address with a successful login of the account this recent is its owner's."""
SESSION_TTL = timedelta(hours=12)
"""Absolute lifetime of a login session."""
SESSION_IDLE_TIMEOUT = timedelta(hours=2)
"""A session unused for this long is ended (登录连接超时自动退出)."""
API_TOKEN_TTL = timedelta(hours=12)
_TOUCH_EVERY = timedelta(minutes=1)


# --------------------------------------------------------------------------- accounts


def _validate_scope(
    session: Session,
    role: str,
    enterprise_id: str | None,
    province: str | None,
    city: str | None,
    district: str | None,
) -> None:
    if role not in ROLES:
        raise ValidationError(f"unknown role {role!r}; one of {', '.join(ROLES)}", field="role")
    if province is not None and not re.fullmatch(r"\d{2}", province):
        raise ValidationError("province is a 2-digit GB/T 2260 code, e.g. 13", field="province")
    if role == "enterprise":
        if not enterprise_id:
            raise ValidationError("an enterprise account needs --enterprise", field="enterprise_id")
        if session.get(Enterprise, enterprise_id) is None:
            raise ValidationError(f"no enterprise {enterprise_id!r}", field="enterprise_id")
    elif enterprise_id:
        raise ValidationError("only enterprise accounts have an enterprise", field="enterprise_id")
    if role == "city_officer" and not city:
        raise ValidationError("a city officer needs --city", field="city")
    if role == "district_officer" and not (city and district):
        raise ValidationError("a district officer needs --city and --district", field="district")
    if role in ("admin", "enterprise") and (city or district or province):
        raise ValidationError(f"role {role} has no region", field="city")


def create_user(
    session: Session,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    enterprise_id: str | None = None,
    province: str | None = None,
    city: str | None = None,
    district: str | None = None,
) -> User:
    """Create an account (``actor`` must be an admin; ``None`` = the command line).

    Raises
    ------
    ValidationError
        Bad user name, weak password, unknown role/enterprise, or scope fields that do
        not fit the role.
    """
    if actor is not None and actor.role != "admin":
        raise PermissionDenied("only an admin may create accounts")
    if not USERNAME_RE.match(username):
        raise ValidationError(
            "user name: 2-64 characters of letters, digits, _ . @ -", field="username"
        )
    if session.scalar(select(User.user_id).where(User.username == username)) is not None:
        raise ValidationError(f"user {username!r} already exists", field="username")
    _validate_scope(session, role, enterprise_id, province, city, district)
    check_password_policy(password, username)
    now = now_cst()
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        enterprise_id=enterprise_id,
        province=province,
        city=city,
        district=district,
        password_hash=hash_password(password),
        active=True,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    audit(session, actor, "create_user", "user", user.user_id, after=snapshot(user))
    return user


def get_user(session: Session, username: str) -> User:
    """The account called ``username``; :class:`NotFound` otherwise."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def list_users(session: Session, actor: User | None) -> Sequence[User]:
    """All accounts (admins and the command line only)."""
    if actor is not None and actor.role != "admin":
        raise PermissionDenied("only an admin may list accounts")
    return session.scalars(select(User).order_by(User.username)).all()


def set_password(
    session: Session,
    actor: User | None,
    user: User,
    new_password: str,
    *,
    old_password: str | None = None,
) -> None:
    """Change a password: the user themself (with ``old_password``), an admin, or the CLI.

    An admin changing their own password must also give ``old_password``.
    Every session and API token of the user is revoked.
    """
    if actor is not None:
        if actor.user_id == user.user_id:
            if old_password is None or not verify_password(user.password_hash, old_password):
                raise ValidationError(
                    "当前密码不正确 (current password is wrong)", field="old_password"
                )
        elif actor.role != "admin":
            raise PermissionDenied("you may only change your own password")
    check_password_policy(new_password, user.username)
    now = now_cst()
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user.user_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    audit(session, actor, "set_password", "user", user.user_id, note="password changed")


def set_active(session: Session, actor: User | None, user: User, active: bool) -> None:
    """Enable or disable an account (admins and the CLI); disabling revokes its tokens."""
    if actor is not None and actor.role != "admin":
        raise PermissionDenied("only an admin may enable or disable accounts")
    before = snapshot(user)
    user.active = active
    if not active:
        session.execute(
            update(AuthToken)
            .where(AuthToken.user_id == user.user_id, AuthToken.revoked_at.is_(None))
            .values(revoked_at=now_cst())
        )
    audit(session, actor, "set_active", "user", user.user_id, before=before, after=snapshot(user))


# --------------------------------------------------------------------------- login


def _backoff(failures: int, threshold: int) -> timedelta:
    """Wait after ``failures`` failures once ``threshold`` is reached (doubling, capped)."""
    steps = min(failures - threshold, 16)
    return min(BACKOFF_BASE * (1 << max(steps, 0)), LOCKOUT_WINDOW)


def _wait(
    session: Session, where: list[Any], threshold: int, since: datetime, now: datetime
) -> timedelta:
    row = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            *where, LoginAttempt.success.is_(False), LoginAttempt.at > since
        )
    ).one()
    n, last = int(row[0] or 0), row[1]
    if n < threshold or last is None:
        return timedelta(0)
    wait: timedelta = last + _backoff(n, threshold) - now
    return wait


def lockout_remaining(
    session: Session,
    username: str,
    ip: str,
    now: datetime | None = None,
    *,
    exclude_id: int | None = None,
) -> timedelta | None:
    """How long a login of ``username`` from ``ip`` must wait, or ``None`` if allowed now.

    Three keys, each with exponential back-off (:data:`BACKOFF_BASE` doubling per further
    failure, capped at :data:`LOCKOUT_WINDOW`) over the failures of the last
    :data:`LOCKOUT_WINDOW`:

    - (user name, address): from :data:`MAX_FAILURES` failures since its last success;
    - address, any user names: from :data:`MAX_FAILURES_PER_ADDRESS` failures;
    - user name, all addresses: from :data:`MAX_FAILURES_PER_USER` failures, but *not* for
      an address this account logged in from successfully within :data:`KNOWN_ADDRESS_TTL`:
      a stranger guessing a named account's password elsewhere cannot lock its owner out.

    ``exclude_id`` leaves out the caller's own pending attempt (:func:`authenticate`).
    """
    now = now or now_cst()
    since = now - LOCKOUT_WINDOW
    own = [] if exclude_id is None else [LoginAttempt.attempt_id != exclude_id]
    last_ok = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username,
            LoginAttempt.ip == ip,
            LoginAttempt.success.is_(True),
        )
    )
    pair_since = max(since, last_ok) if last_ok is not None else since
    waits = [
        _wait(
            session,
            [LoginAttempt.username == username, LoginAttempt.ip == ip, *own],
            MAX_FAILURES,
            pair_since,
            now,
        ),
        _wait(session, [LoginAttempt.ip == ip, *own], MAX_FAILURES_PER_ADDRESS, since, now),
    ]
    known = last_ok is not None and last_ok > now - KNOWN_ADDRESS_TTL
    if not known:
        waits.append(
            _wait(
                session,
                [LoginAttempt.username == username, *own],
                MAX_FAILURES_PER_USER,
                since,
                now,
            )
        )
    remaining = max(waits)
    return remaining if remaining > timedelta(0) else None


def _lock_login_keys(session: Session, username: str, ip: str) -> None:
    """Serialize concurrent logins of one user name or address (PostgreSQL advisory locks,
    held until commit; SQLite serializes writers by itself)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted({f"login-user:{username}", f"login-ip:{ip}"}):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})


def authenticate(
    session: Session, username: str, password: str, ip: str, now: datetime | None = None
) -> User:
    """Check a user name and password from address ``ip``; record the attempt.

    The attempt is recorded (as a failure) and committed *before* the password is checked,
    under a lock of the user name and address, and the back-off counts every earlier
    attempt including those still being checked: N parallel wrong passwords get exactly
    :data:`MAX_FAILURES` password checks, not more. A success turns the row into one
    (committed by the caller with the session); a refused attempt is not kept.

    Raises
    ------
    LockedOut
        The back-off of :func:`lockout_remaining` applies (``retry_after_s`` says how long).
    AuthenticationFailed
        Wrong user name or password, or the account is disabled (already committed).
    """
    now = now or now_cst()
    username, ip = username[:64], ip[:64]
    _lock_login_keys(session, username, ip)
    attempt = LoginAttempt(username=username, ip=ip, at=now, success=False)
    session.add(attempt)
    session.flush()
    remaining = lockout_remaining(session, username, ip, now, exclude_id=attempt.attempt_id)
    if remaining is not None:
        session.delete(attempt)
        session.commit()
        raise LockedOut(
            "登录失败次数过多，请稍后再试 (too many failed logins; try later)",
            retry_after_s=max(1, math.ceil(remaining.total_seconds())),
        )
    attempt_id = attempt.attempt_id
    session.commit()  # counted by concurrent attempts from here on
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else DUMMY_HASH, password)
    ok = ok and user is not None and user.active
    if not ok or user is None:
        raise AuthenticationFailed("用户名或密码错误 (wrong user name or password)")
    session.execute(
        update(LoginAttempt).where(LoginAttempt.attempt_id == attempt_id).values(success=True)
    )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return user


LOGIN_ATTEMPT_RETENTION = timedelta(days=180)
"""How long login attempts are kept (网络安全法 第二十一条: network logs kept ≥ 6 months)."""


def prune_login_attempts(session: Session, now: datetime | None = None) -> int:
    """Delete login attempts older than :data:`LOGIN_ATTEMPT_RETENTION`; return how many."""
    from sqlalchemy import delete

    cutoff = (now or now_cst()) - LOGIN_ATTEMPT_RETENTION
    n = session.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff)).rowcount  # type: ignore[attr-defined]
    if n:
        audit(
            session,
            None,
            "prune_login_attempts",
            "login_attempts",
            "*",
            note=f"{n} attempts before {cutoff.isoformat()}",
        )
    return int(n or 0)


# --------------------------------------------------------------------------- tokens


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _issue(
    session: Session, user: User, kind: str, ttl: timedelta, label: str | None
) -> tuple[str, AuthToken]:
    plain = ("lts_" if kind == "session" else "lta_") + secrets.token_urlsafe(32)
    now = now_cst()
    row = AuthToken(
        user_id=user.user_id,
        kind=kind,
        token_hash=_token_hash(plain),
        label=label,
        created_at=now,
        expires_at=now + ttl,
        last_used_at=now,
    )
    session.add(row)
    session.flush()
    return plain, row


def _resolve(session: Session, plain: str, kind: str, now: datetime | None) -> User:
    now = now or now_cst()
    # token and user in one round trip (every authenticated request passes here)
    found = session.execute(
        select(AuthToken, User)
        .outerjoin(User, User.user_id == AuthToken.user_id)
        .where(AuthToken.token_hash == _token_hash(plain), AuthToken.kind == kind)
    ).first()
    row, user = (None, None) if found is None else found
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise AuthenticationFailed("登录已失效，请重新登录 (session or token expired)")
    if (
        kind == "session"
        and row.last_used_at is not None
        and now - row.last_used_at > SESSION_IDLE_TIMEOUT
    ):
        raise AuthenticationFailed("长时间未操作，请重新登录 (session idle timeout)")
    if user is None or not user.active:
        raise AuthenticationFailed("账号已停用 (account disabled)")
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
        row.last_used_at = now
    return user


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: ``token`` is shown once and never stored."""

    token: str
    token_id: int
    expires_at: datetime


def create_session(
    session: Session, user: User, *, ttl: timedelta = SESSION_TTL, ip: str | None = None
) -> IssuedToken:
    """Start a server-side login session; put ``.token`` in an HttpOnly cookie."""
    plain, row = _issue(session, user, "session", ttl, ip)
    audit(session, user, "login", "user", user.user_id, note=f"session from {ip or '?'}")
    return IssuedToken(plain, row.token_id, row.expires_at)


def verify_session(session: Session, token: str, now: datetime | None = None) -> User:
    """The user of a live session token; :class:`AuthenticationFailed` otherwise."""
    return _resolve(session, token, "session", now)


def end_session(session: Session, token: str) -> None:
    """Log out: revoke the session token (no error if unknown)."""
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == _token_hash(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now_cst()
        user = session.get(User, row.user_id)
        audit(session, user, "logout", "user", row.user_id)


def create_api_token(
    session: Session, user: User, *, label: str | None = None, ttl: timedelta = API_TOKEN_TTL
) -> IssuedToken:
    """Issue a bearer token (OAuth2 password flow ``access_token``)."""
    plain, row = _issue(session, user, "api", ttl, label)
    audit(
        session,
        user,
        "create_api_token",
        "auth_token",
        row.token_id,
        after={"label": label, "expires_at": row.expires_at},
    )
    return IssuedToken(plain, row.token_id, row.expires_at)


def verify_api_token(session: Session, token: str, now: datetime | None = None) -> User:
    """The user of a valid bearer token; :class:`AuthenticationFailed` otherwise."""
    return _resolve(session, token, "api", now)


def revoke_api_token(
    session: Session, actor: User, token_id: int, *, own_only: bool = False
) -> None:
    """Revoke one API token or login session (its owner, or an admin unless ``own_only``).

    Someone else's token is :class:`NotFound`, the same as a token that does not exist.
    """
    row = session.get(AuthToken, token_id)
    mine = row is not None and row.user_id == actor.user_id
    if row is None or not (mine or (actor.role == "admin" and not own_only)):
        raise NotFound("token not found")
    if row.revoked_at is None:
        row.revoked_at = now_cst()
        audit(session, actor, "revoke_api_token", "auth_token", token_id, note=row.kind)


def list_tokens(session: Session, user: User, now: datetime | None = None) -> list[AuthToken]:
    """The user's live login sessions and API tokens (not revoked, not expired), newest first."""
    now = now or now_cst()
    return list(
        session.scalars(
            select(AuthToken)
            .where(
                AuthToken.user_id == user.user_id,
                AuthToken.revoked_at.is_(None),
                AuthToken.expires_at > now,
            )
            .order_by(AuthToken.created_at.desc(), AuthToken.token_id.desc())
        )
    )


def token_id_of(session: Session, plain: str) -> int | None:
    """The id of the token whose plain text is ``plain`` (the caller's own), else None."""
    return session.scalar(
        select(AuthToken.token_id).where(AuthToken.token_hash == _token_hash(plain))
    )


def csrf_token(session_token: str, secret: str) -> str:
    """CSRF token bound to a session (HMAC-SHA256 of the session token with ``secret``)."""
    mac = hmac.new(secret.encode("utf-8"), b"csrf:" + session_token.encode("utf-8"), "sha256")
    return mac.hexdigest()


def verify_csrf(session_token: str, secret: str, candidate: str | None) -> bool:
    """True if ``candidate`` is the CSRF token of ``session_token`` (constant-time compare)."""
    if not candidate:
        return False
    return hmac.compare_digest(csrf_token(session_token, secret), candidate)


# --------------------------------------------------------------------------- demo


def seed_demo_users(session: Session, password: str) -> list[User]:
    """Create the demo accounts ``admin``, ``officer``, ``district``, ``ent1``, ``ent2``.

    ``ent1``/``ent2`` belong to the two enterprises with the most leads (ties: lowest id);
    ``officer`` is a city officer of ent1's city and ``district`` a district officer of
    ent1's district. Existing accounts keep their role and get ``password``. Also seeds the
    checklist and self-check (自查) templates. Returns the accounts in that order (those that
    could be made).
    """
    from lantian.assist.selfchecks.services import ensure_selfcheck_templates
    from lantian.leads.models import Lead
    from lantian.workflow.checklists import ensure_checklist_templates

    ensure_checklist_templates(session)
    ensure_selfcheck_templates(session)
    ranked = session.execute(
        select(Enterprise.enterprise_id, func.count(Lead.lead_id).label("n"))
        .join(Lead, Lead.enterprise_id == Enterprise.enterprise_id, isouter=True)
        .group_by(Enterprise.enterprise_id)
        .order_by(func.count(Lead.lead_id).desc(), Enterprise.enterprise_id)
        .limit(2)
    ).all()
    ents = [session.get(Enterprise, r.enterprise_id) for r in ranked]
    e1 = ents[0] if ents else None
    specs: list[tuple[str, str, dict[str, str | None]]] = [
        ("admin", "admin", {"display_name": "系统管理员"}),
    ]
    if e1 is not None and e1.city:
        specs.append(("officer", "city_officer", {"display_name": "市局执法人员", "city": e1.city}))
        if e1.district:
            specs.append(
                (
                    "district",
                    "district_officer",
                    {"display_name": "区县执法人员", "city": e1.city, "district": e1.district},
                )
            )
    for i, ent in enumerate(ents, start=1):
        if ent is not None:
            specs.append(
                (
                    f"ent{i}",
                    "enterprise",
                    {"display_name": ent.name, "enterprise_id": ent.enterprise_id},
                )
            )
    out: list[User] = []
    for username, role, extra in specs:
        existing = session.scalar(select(User).where(User.username == username))
        if existing is not None:
            set_password(session, None, existing, password)
            out.append(existing)
            continue
        out.append(
            create_user(
                session,
                None,
                username,
                password,
                role,
                display_name=extra.get("display_name"),
                enterprise_id=extra.get("enterprise_id"),
                city=extra.get("city"),
                district=extra.get("district"),
            )
        )
    return out

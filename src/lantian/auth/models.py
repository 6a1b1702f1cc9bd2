"""Users, login attempts, tokens/sessions and the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime
from lantian.vocab import roles as _roles_vocab

ROLES: tuple[str, ...] = _roles_vocab.ROLES.codes()
"""User roles. ``work_group`` = 监督帮扶工作组 (region-wide, optionally one province or city)."""

ROLE_LABELS_ZH: dict[str, str] = _roles_vocab.ROLES.zh_table()
OFFICER_ROLES: tuple[str, ...] = ("admin", "work_group", "city_officer", "district_officer")
TOKEN_KINDS: tuple[str, ...] = _roles_vocab.TOKEN_KINDS.codes()


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class User(Base):
    """A person who logs in: an officer, a work-group member, an enterprise or an admin.

    Scope columns: ``province`` is a 2-digit GB/T 2260 province code (the 3rd-4th
    characters of an enterprise's credit code), ``city``/``district`` are names as in the
    registry, ``enterprise_id`` is the enterprise of an enterprise account.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("role <> 'enterprise' OR enterprise_id IS NOT NULL", name="enterprise"),
        CheckConstraint("role <> 'city_officer' OR city IS NOT NULL", name="city"),
        CheckConstraint(
            "role <> 'district_officer' OR (city IS NOT NULL AND district IS NOT NULL)",
            name="district",
        ),
    )

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    enterprise_id: Mapped[str | None] = mapped_column(
        ForeignKey("enterprises.enterprise_id"), index=True
    )
    province: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(TZDateTime)

    def __repr__(self) -> str:
        return f"<User {self.username} role={self.role}>"


class LoginAttempt(Base):
    """One login attempt, kept for rate limiting (per user name + IP address) and review."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_ip_at", "username", "ip", "at"),)

    attempt_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(TZDateTime)
    success: Mapped[bool] = mapped_column(Boolean)


class AuthToken(Base):
    """An API bearer token or a server-side login session; only the SHA-256 is stored."""

    __tablename__ = "auth_tokens"
    __table_args__ = (CheckConstraint(_in("kind", TOKEN_KINDS), name="kind"),)

    token_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    expires_at: Mapped[datetime] = mapped_column(TZDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class AuditLog(Base):
    """操作日志: one append-only, hash-chained record per write (who, when, what, before/after).

    ``hash = HMAC-SHA256(audit key, prev_hash + canonical JSON of the other fields)``
    (``hash_scheme`` 2; rows of scheme 1 use plain SHA-256); the first row's
    ``prev_hash`` is 64 zeros. ``prev_hash`` is unique, so the chain cannot fork. The
    database refuses UPDATE and DELETE on this table (triggers, migration 0002).
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    audit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(TZDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash_scheme: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    """1 = ``sha256(prev_hash + JSON)`` (rows written before 0010), 2 = HMAC-SHA256 keyed
    with the audit key kept outside the database (:mod:`lantian.auth.audit`)."""

"""Outbox tables: one notification per recipient and channel, each delivery attempt, and
each user's preferences (channels, quiet hours, digest hour)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime
from lantian.vocab import notify as _vocab


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Notification(Base):
    """One message to one recipient over one channel (the outbox row).

    Stored before any sending, in the transaction of the event that causes it; the
    sender moves it from ``pending`` to ``sent`` or, after the last retry, to ``failed``
    (kept: an admin can retry it). ``dedupe_key`` keeps periodic events (deadline
    approaching, digest) from being stored twice.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(_in("channel", _vocab.CHANNELS.codes()), name="channel"),
        CheckConstraint(_in("event", _vocab.EVENTS.codes()), name="event"),
        CheckConstraint(_in("status", _vocab.STATUSES.codes()), name="status"),
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
        Index("ix_notifications_recipient_created", "recipient_id", "created_at"),
    )

    notification_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE")
    )
    """The user; ``None`` for a test message to a bare address."""
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320), default="")
    """E-mail address or phone number; empty for the configured group robots."""
    event: Mapped[str] = mapped_column(String(24))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    """When the sender may try next (later than ``created_at`` in quiet hours)."""
    sent_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    attachment: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    """Optional extras of the message (e.g. the digest's date and user for its PDF)."""


class NotificationAttempt(Base):
    """One delivery attempt of a notification and its result."""

    __tablename__ = "notification_attempts"

    attempt_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.notification_id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(TZDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class NotificationPreference(Base):
    """A user's notification settings: e-mail, phone, channels, quiet hours (CST), digest.

    ``channels`` is a list of :data:`lantian.vocab.notify.CHANNELS` codes besides
    ``in_app`` (always on); ``events_off`` lists events the user does not want.
    Quiet hours ``quiet_start_h``-``quiet_end_h`` (CST, may wrap midnight) delay
    deliveries other than in-app to the end of the quiet period.
    """

    __tablename__ = "notification_preferences"
    __table_args__ = (
        # hours of the day, not a vocabulary: written without BETWEEN (tests/vocab)
        CheckConstraint(
            "quiet_start_h IS NULL OR (quiet_start_h >= 0 AND quiet_start_h <= 23)", name="qs"
        ),
        CheckConstraint(
            "quiet_end_h IS NULL OR (quiet_end_h >= 0 AND quiet_end_h <= 23)", name="qe"
        ),
        CheckConstraint("digest_hour >= 0 AND digest_hour <= 23", name="digest_hour"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    channels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    events_off: Mapped[list[str]] = mapped_column(JSONType, default=list)
    quiet_start_h: Mapped[int | None] = mapped_column(Integer)
    quiet_end_h: Mapped[int | None] = mapped_column(Integer)
    digest: Mapped[bool] = mapped_column(Boolean, default=True)
    digest_hour: Mapped[int] = mapped_column(Integer, default=7)
    updated_at: Mapped[datetime | None] = mapped_column(TZDateTime)

"""Each user's notification preferences: e-mail, phone, channels, events, quiet hours (CST)
and the daily digest's hour; and when a delivery may go out given quiet hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import ActorLike, audit, snapshot
from lantian.auth.errors import ValidationError
from lantian.auth.models import User
from lantian.notify.models import NotificationPreference
from lantian.timeutil import now_cst, to_cst
from lantian.vocab import notify as vocab

EXTERNAL_CHANNELS: tuple[str, ...] = tuple(c for c in vocab.CHANNELS.codes() if c != "in_app")
"""Channels a user may choose (in-app is always on)."""
DEFAULT_DIGEST_HOUR = 7


@dataclass(frozen=True)
class Prefs:
    """Effective preferences of one user (defaults when none are stored)."""

    user_id: int
    email: str | None
    phone: str | None
    channels: tuple[str, ...]
    events_off: frozenset[str]
    quiet_start_h: int | None
    quiet_end_h: int | None
    digest: bool
    digest_hour: int


def get_prefs(session: Session, user_id: int) -> Prefs:
    """The stored preferences of ``user_id``, or the defaults (in-app only, digest at 7)."""
    return _prefs(user_id, session.get(NotificationPreference, user_id))


def all_prefs(session: Session) -> dict[int, Prefs]:
    """Every stored preference by user id (one query; bulk senders such as the digest)."""
    return {
        r.user_id: _prefs(r.user_id, r) for r in session.scalars(select(NotificationPreference))
    }


def _prefs(user_id: int, row: NotificationPreference | None) -> Prefs:
    if row is None:
        return Prefs(user_id, None, None, (), frozenset(), None, None, True, DEFAULT_DIGEST_HOUR)
    return Prefs(
        user_id,
        row.email,
        row.phone,
        tuple(c for c in (row.channels or []) if c in EXTERNAL_CHANNELS),
        frozenset(row.events_off or []),
        row.quiet_start_h,
        row.quiet_end_h,
        bool(row.digest),
        row.digest_hour,
    )


def in_quiet_hours(local_hour: int, start_h: int | None, end_h: int | None) -> bool:
    """True when ``local_hour`` (CST, 0-23) lies in ``[start_h, end_h)``, wrapping midnight
    (22-7 is quiet from 22:00 to 06:59); never when either bound is missing or equal."""
    if start_h is None or end_h is None or start_h == end_h:
        return False
    if start_h < end_h:
        return start_h <= local_hour < end_h
    return local_hour >= start_h or local_hour < end_h


def deliver_after(now: datetime, start_h: int | None, end_h: int | None) -> datetime:
    """The earliest time a non-in-app delivery may go out: ``now``, or the end of the quiet
    period (``end_h``:00 CST) when ``now`` lies in it."""
    local = to_cst(now)
    if not in_quiet_hours(local.hour, start_h, end_h):
        return now
    assert end_h is not None
    end = local.replace(hour=end_h, minute=0, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end


def _hour(value: int | None, name: str) -> int | None:
    if value is None:
        return None
    if not 0 <= value <= 23:
        raise ValidationError(f"{name}: an hour from 0 to 23 (小时取 0–23)", field=name)
    return value


def set_prefs(
    session: Session,
    actor: ActorLike | None,
    user: User,
    *,
    email: str | None,
    phone: str | None,
    channels: list[str],
    events_off: list[str] | None = None,
    quiet_start_h: int | None = None,
    quiet_end_h: int | None = None,
    digest: bool = True,
    digest_hour: int = DEFAULT_DIGEST_HOUR,
) -> NotificationPreference:
    """Store ``user``'s preferences (audited ``set_notification_prefs``).

    Raises
    ------
    ValidationError
        An unknown channel or event, an hour outside 0-23, an e-mail without ``@``, or
        the e-mail (SMS) channel chosen without an address (phone number).
    """
    bad = [c for c in channels if c not in EXTERNAL_CHANNELS]
    if bad:
        raise ValidationError(f"unknown channel {bad[0]!r} (未知渠道)", field="channels")
    off = list(events_off or [])
    bad = [e for e in off if e not in vocab.EVENTS]
    if bad:
        raise ValidationError(f"unknown event {bad[0]!r} (未知事件)", field="events_off")
    email = (email or "").strip() or None
    phone = (phone or "").strip() or None
    if email is not None and ("@" not in email or len(email) > 320 or " " in email):
        raise ValidationError("not an e-mail address (邮箱地址无效)", field="email")
    if "email" in channels and email is None:
        raise ValidationError("e-mail chosen without an address (请填写邮箱)", field="email")
    if "sms" in channels and phone is None:
        raise ValidationError("SMS chosen without a phone number (请填写手机号)", field="phone")
    row = session.get(NotificationPreference, user.user_id)
    before = snapshot(row) if row is not None else None
    if row is None:
        row = NotificationPreference(user_id=user.user_id)
        session.add(row)
    row.email = email
    row.phone = phone
    row.channels = [c for c in EXTERNAL_CHANNELS if c in channels]
    row.events_off = [e for e in vocab.EVENTS.codes() if e in off]
    row.quiet_start_h = _hour(quiet_start_h, "quiet_start_h")
    row.quiet_end_h = _hour(quiet_end_h, "quiet_end_h")
    row.digest = digest
    hour = _hour(digest_hour, "digest_hour")
    row.digest_hour = DEFAULT_DIGEST_HOUR if hour is None else hour
    row.updated_at = now_cst()
    session.flush()
    audit(
        session,
        actor,
        "set_notification_prefs",
        "user",
        user.user_id,
        before=before,
        after=snapshot(row),
    )
    return row

"""The outbox: notifications are stored (in the transaction of the event that causes them)
before anything is sent; the sender delivers what is due, records every attempt, retries
with exponential back-off, and keeps what finally failed for an admin to retry.

Delivery never holds a database transaction open while it talks to a mail server or a
webhook: a batch is *claimed* first (its ``next_attempt_at`` moved ahead by a lease, a
conditional UPDATE so two senders never take the same row), then each message is sent
and its result written in a short transaction of its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lantian.auth.audit import ActorLike, audit
from lantian.auth.errors import NotFound, ValidationError
from lantian.auth.models import User
from lantian.notify.channels import Channel, DeliveryError, Message, channels_from_settings
from lantian.notify.models import Notification, NotificationAttempt
from lantian.notify.preferences import Prefs, deliver_after, get_prefs
from lantian.settings import Settings
from lantian.timeutil import now_cst

log = logging.getLogger("lantian.notify")

MAX_ATTEMPTS = 8
"""Attempts before a notification is marked ``failed`` (kept; an admin may retry it)."""
BACKOFF_BASE_S = 60.0
BACKOFF_MAX_S = 6 * 3600.0
CLAIM_LEASE_S = 300.0
"""A claimed row is not taken by another sender for this long (a crashed sender's rows
come back after it)."""
GROUP_CHANNELS = frozenset({"wecom", "dingtalk", "webhook"})
"""Channels that post to one configured group: one message per event, not per user."""


def backoff_s(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones: 60 s doubling, ≤ 6 h."""
    return float(min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1)))


def _exists(session: Session, key: str) -> bool:
    return (
        session.scalar(select(Notification.notification_id).where(Notification.dedupe_key == key))
        is not None
    )


def enqueue(
    session: Session,
    recipient: User,
    event: str,
    subject: str,
    body: str,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    key: str | None = None,
    now: datetime | None = None,
    attachment: dict[str, object] | None = None,
    pending_keys: set[str] | None = None,
    extra_channels: tuple[str, ...] = (),
    prefs: Prefs | None = None,
    known_keys: set[str] | None = None,
) -> list[Notification]:
    """Store ``recipient``'s notification: an in-app row (delivered at once) and one
    pending row per channel the user chose, held until the end of quiet hours.

    ``key`` names the occurrence (e.g. ``dispatched:case:12:a345``); a row whose key
    (``key:u<user>:<channel>``, or ``key:<channel>`` for a group robot) exists is not
    stored again. ``pending_keys`` collects the keys added in the same transaction when
    several recipients are notified at once (the group robot gets one message).
    Returns the rows added (none when the user turned the event off for the external
    channels, the in-app row stays).
    """
    now = now or now_cst()
    if prefs is None:
        prefs = get_prefs(session, recipient.user_id)
    seen = pending_keys if pending_keys is not None else set()
    rows: list[Notification] = []
    targets: list[tuple[str, str]] = [("in_app", "")]
    chosen = list(prefs.channels) if event not in prefs.events_off else []
    chosen += [c for c in extra_channels if c not in chosen and c != "in_app"]
    if chosen:
        for ch in chosen:
            if ch == "email":
                targets.append((ch, prefs.email or ""))
            elif ch == "sms":
                targets.append((ch, prefs.phone or ""))
            else:
                targets.append((ch, ""))
    later = deliver_after(now, prefs.quiet_start_h, prefs.quiet_end_h)
    for channel, address in targets:
        dkey: str | None = None
        if key is not None:
            dkey = (
                f"{key}:{channel}"
                if channel in GROUP_CHANNELS
                else (f"{key}:u{recipient.user_id}:{channel}")
            )
            if dkey in seen:
                continue
            if known_keys is not None:
                if dkey in known_keys:
                    continue
            elif _exists(session, dkey):
                continue
            seen.add(dkey)
        in_app = channel == "in_app"
        row = Notification(
            recipient_id=recipient.user_id,
            channel=channel,
            address=address,
            event=event,
            subject=subject,
            body=body,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            dedupe_key=dkey,
            status="sent" if in_app else "pending",
            attempts=0,
            created_at=now,
            next_attempt_at=None if in_app else later,
            sent_at=now if in_app else None,
            attachment=attachment,
        )
        session.add(row)
        rows.append(row)
    return rows


def enqueue_address(
    session: Session,
    actor: ActorLike | None,
    channel: str,
    address: str,
    subject: str,
    body: str,
    *,
    event: str = "test",
    now: datetime | None = None,
) -> Notification:
    """Store one message to a bare address (``lantian notify test``), audited."""
    if channel == "in_app":
        raise ValidationError("in-app messages need a user (站内消息需要收件用户)", field="channel")
    now = now or now_cst()
    row = Notification(
        recipient_id=None,
        channel=channel,
        address=address,
        event=event,
        subject=subject,
        body=body,
        status="pending",
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "notify_enqueue",
        "notification",
        row.notification_id,
        after={"channel": channel, "address": address, "event": event},
    )
    return row


@dataclass
class DeliveryReport:
    """What one :func:`deliver_due` run did."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Numbers per outcome (for the log, the CLI and the audit row)."""
        return {"sent": len(self.sent), "retrying": len(self.retrying), "failed": len(self.failed)}


def claim_due(session: Session, now: datetime, limit: int) -> list[int]:
    """Ids of pending rows due at ``now``, claimed for :data:`CLAIM_LEASE_S` (committed)."""
    rows = session.execute(
        select(Notification.notification_id, Notification.next_attempt_at)
        .where(Notification.status == "pending", Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.notification_id)
        .limit(limit)
    ).all()
    lease = now + timedelta(seconds=CLAIM_LEASE_S)
    claimed: list[int] = []
    for nid, due in rows:
        res = session.execute(
            update(Notification)
            .where(
                Notification.notification_id == nid,
                Notification.status == "pending",
                Notification.next_attempt_at == due,
            )
            .values(next_attempt_at=lease)
            .execution_options(synchronize_session=False)
        )
        if getattr(res, "rowcount", 0) == 1:
            claimed.append(int(nid))
    session.commit()
    return claimed


def _message(row: Notification, attachments: tuple[tuple[str, bytes, str], ...]) -> Message:
    return Message(
        subject=row.subject,
        body=row.body,
        to=row.address,
        event=row.event,
        notification_id=row.notification_id,
        object_type=row.object_type,
        object_id=row.object_id,
        attachments=attachments,
    )


def _attachments(session: Session, row: Notification) -> tuple[tuple[str, bytes, str], ...]:
    """The digest's PDF for e-mail digests (rendered at sending time), else nothing."""
    if row.channel != "email" or row.event != "digest" or not row.attachment:
        return ()
    try:
        from lantian.reports.digest import digest_pdf_for

        name, pdf = digest_pdf_for(session, row.attachment)
    except Exception:  # the text goes out even when the PDF cannot be made
        log.exception("digest PDF for notification %s failed", row.notification_id)
        return ()
    return ((name, pdf, "application/pdf"),)


def deliver_one(
    session: Session, nid: int, channels: Mapping[str, Channel], now: datetime
) -> tuple[str, str | None]:
    """Send notification ``nid`` (claimed) and record the attempt; commit.

    Returns ``(status, error)``: ``sent``, ``pending`` (will retry) or ``failed``.
    """
    row = session.get(Notification, nid)
    if row is None:
        return "failed", "gone"
    channel = channels.get(row.channel)
    msg = _message(row, _attachments(session, row))
    session.commit()  # no transaction open while the network is used
    started = time.monotonic()
    error: str | None = None
    try:
        if channel is None:
            raise DeliveryError(f"no channel {row.channel!r}")
        channel.send(msg)
    except DeliveryError as exc:
        error = str(exc) or exc.__class__.__name__
    except Exception as exc:  # an adapter's bug must not lose the message either
        error = f"{exc.__class__.__name__}: {exc}"
    ms = int((time.monotonic() - started) * 1000)
    row = session.get(Notification, nid)
    assert row is not None
    row.attempts += 1
    session.add(
        NotificationAttempt(
            notification_id=nid, at=now_cst(), ok=error is None, error=error, duration_ms=ms
        )
    )
    if error is None:
        row.status = "sent"
        row.sent_at = now_cst()
        row.next_attempt_at = None
        row.last_error = None
    else:
        row.last_error = error[:2000]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
            row.next_attempt_at = None
        else:
            row.next_attempt_at = now + timedelta(seconds=backoff_s(row.attempts))
    status = row.status
    session.commit()
    return status, error


def deliver_due(
    session: Session,
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = 200,
    channels: Mapping[str, Channel] | None = None,
) -> DeliveryReport:
    """Deliver every pending notification due at ``now`` (at most ``limit``).

    Each attempt is recorded (:class:`NotificationAttempt`); a failure is retried after
    :func:`backoff_s`; after :data:`MAX_ATTEMPTS` the row is ``failed`` and stays in
    the outbox. One audit row (``notify_deliver``) records the run's counts when it
    did anything. Commits.
    """
    now = now or now_cst()
    channels = channels if channels is not None else channels_from_settings(settings)
    report = DeliveryReport()
    for nid in claim_due(session, now, limit):
        status, error = deliver_one(session, nid, channels, now)
        if status == "sent":
            report.sent.append(nid)
        elif status == "failed":
            report.failed.append(nid)
        else:
            report.retrying.append(nid)
        if error is not None:
            report.errors[nid] = error
    if report.sent or report.retrying or report.failed:
        audit(
            session,
            None,
            "notify_deliver",
            "notification",
            "outbox",
            after={**report.counts(), "ids": (report.sent + report.retrying + report.failed)[:500]},
        )
        session.commit()
    return report


def retry(
    session: Session, actor: ActorLike, nid: int, now: datetime | None = None
) -> Notification:
    """Put a ``failed`` (or waiting) notification back to be sent now (admin; audited)."""
    row = session.get(Notification, nid)
    if row is None or row.channel == "in_app":
        raise NotFound("notification not found (未找到该消息)")
    if row.status == "sent":
        raise ValidationError("already sent (已发送)", field="status")
    before = {"status": row.status, "attempts": row.attempts}
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = now or now_cst()
    session.flush()
    audit(
        session,
        actor,
        "notify_retry",
        "notification",
        nid,
        before=before,
        after={"status": row.status, "attempts": 0},
    )
    return row


def mark_read(session: Session, user: User, nid: int | None = None) -> int:
    """Mark ``user``'s in-app notification ``nid`` (or all of them) read; the count."""
    q = (
        update(Notification)
        .where(
            Notification.recipient_id == user.user_id,
            Notification.channel == "in_app",
            Notification.read_at.is_(None),
        )
        .values(read_at=now_cst())
        .execution_options(synchronize_session=False)
    )
    if nid is not None:
        q = q.where(Notification.notification_id == nid)
    res = session.execute(q)
    return int(getattr(res, "rowcount", 0) or 0)

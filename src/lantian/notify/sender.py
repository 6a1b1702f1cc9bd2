"""The sender: periodic notification jobs (deadlines, due digests) and outbox delivery,
as one run (``lantian notify send``) or a background task of the web process
(``LANTIAN_NOTIFY_INTERVAL_S``)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from lantian.settings import Settings
from lantian.timeutil import now_cst, to_cst

log = logging.getLogger("lantian.notify")


@dataclass
class SendRun:
    """What one :func:`run_once` did."""

    deadline_notifications: int = 0
    digests: dict[str, int] = field(default_factory=dict)
    delivered: dict[str, int] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)


def due_digest_users(session: object, now: datetime) -> list[object]:
    """Active users whose digest hour (CST) is the current hour and whose digest of
    yesterday is not stored yet."""
    from sqlalchemy.orm import Session

    from lantian.auth.models import User
    from lantian.notify.models import Notification, NotificationPreference
    from lantian.notify.preferences import DEFAULT_DIGEST_HOUR

    assert isinstance(session, Session)
    local = to_cst(now)
    day = (local - timedelta(days=1)).date().isoformat()
    prefs = {p.user_id: p for p in session.scalars(select(NotificationPreference))}
    done = set(
        session.scalars(
            select(Notification.recipient_id).where(
                Notification.event == "digest",
                Notification.object_id == day,
                Notification.channel == "in_app",
            )
        )
    )
    out: list[object] = []
    for user in session.scalars(select(User).where(User.active.is_(True))):
        p = prefs.get(user.user_id)
        hour = p.digest_hour if p is not None else DEFAULT_DIGEST_HOUR
        wants = p.digest if p is not None else True
        if wants and hour == local.hour and user.user_id not in done:
            out.append(user)
    return out


def run_once(
    settings: Settings, now: datetime | None = None, *, jobs: bool = True, limit: int = 200
) -> SendRun:
    """Store deadline notifications and due digests (``jobs``), then deliver the outbox."""
    from lantian.db.session import session_scope
    from lantian.notify.events import deadline_notifications
    from lantian.notify.outbox import deliver_due

    now = now or now_cst()
    run = SendRun()
    if jobs:
        with session_scope(settings) as s:
            run.deadline_notifications = deadline_notifications(s, now)
        with session_scope(settings) as s:
            users = due_digest_users(s, now)
            if users:
                from lantian.auth.models import User
                from lantian.reports.digest import send_digests

                day = (to_cst(now) - timedelta(days=1)).date()
                run.digests = send_digests(
                    s, day, [u for u in users if isinstance(u, User)], settings
                )
    with session_scope(settings) as s:
        report = deliver_due(s, settings, now=now, limit=limit)
    run.delivered = report.counts()
    run.errors = report.errors
    return run


async def notify_loop(settings: Settings, interval_s: float) -> None:
    """Run :func:`run_once` every ``interval_s`` seconds in a worker thread until
    cancelled; a failing run is logged and the loop goes on."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            run = await asyncio.to_thread(run_once, settings)
            if run.delivered.get("sent") or run.delivered.get("retrying"):
                log.info("notifications: %s", run.delivered)
        except asyncio.CancelledError:
            raise
        except Exception:  # logged, never fatal for the web process
            log.exception("notification run failed; retrying in %.0f s", interval_s)

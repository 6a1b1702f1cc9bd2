"""Notification pages: my notifications, my notification settings (channels, quiet hours,
digest), the daily digest (page and PDF), and the outbox for admins (status, attempts,
last error, retry)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from lantian.auth.errors import ValidationError
from lantian.auth.models import User
from lantian.auth.visibility import visible
from lantian.notify.models import Notification, NotificationAttempt
from lantian.notify.preferences import EXTERNAL_CHANNELS, get_prefs, set_prefs
from lantian.timeutil import now_cst
from lantian.vocab import notify as vocab
from lantian.web.deps import DbDep, PagePostUser, PageUser, _
from lantian.web.forms import check_max_lengths, errors_from, form_error_response
from lantian.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100
OUTBOX_STATUSES = ("pending", "failed", "sent")


def _require_admin(user: User) -> None:
    if user.role != "admin":
        raise HTTPException(403, _("Only an admin may do this"))


@router.get("/notifications")
def my_notifications(request: Request, user: PageUser, db: DbDep) -> Response:
    """My in-app notifications, newest first (unread marked)."""
    rows = db.scalars(
        select(Notification)
        .where(
            visible(user, "notification"),
            Notification.recipient_id == user.user_id,
            Notification.channel == "in_app",
        )
        .order_by(Notification.created_at.desc(), Notification.notification_id.desc())
        .limit(PAGE_SIZE)
    ).all()
    return render(
        request,
        "notify/list.html",
        {"nav": "notifications", "rows": rows, "events": vocab.EVENTS},
    )


@router.post("/notifications/read")
def mark_all_read(user: PagePostUser, db: DbDep) -> Response:
    """Mark all my notifications read."""
    from lantian.notify.outbox import mark_read

    mark_read(db, user)
    db.commit()
    return RedirectResponse("/notifications", status_code=303)


ENTERPRISE_EVENTS = ("digest",)
"""Events an enterprise account can receive (the others concern officers)."""


def _events_for(user: User) -> tuple[str, ...]:
    if user.role == "enterprise":
        return ENTERPRISE_EVENTS
    return tuple(c for c in vocab.EVENTS.codes() if c != "test")


def _prefs_context(request: Request, user: User, db: DbDep) -> dict[str, Any]:
    return {
        "nav": "account",
        "prefs": get_prefs(db, user.user_id),
        "channels": [c for c in vocab.CHANNELS if c.code in EXTERNAL_CHANNELS],
        "events": [e for e in vocab.EVENTS if e.code in _events_for(user)],
        "hours": list(range(24)),
        "done": request.query_params.get("done"),
    }


@router.get("/account/notifications")
def prefs_page(request: Request, user: PageUser, db: DbDep) -> Response:
    """My notification settings: e-mail, phone, channels, events, quiet hours (CST), digest."""
    return render(request, "notify/prefs.html", _prefs_context(request, user, db))


def _opt_hour(values: dict[str, str], name: str) -> int | None:
    text = values.get(name, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise ValidationError(_("Enter an hour from 0 to 23"), field=name) from exc


@router.post("/account/notifications")
async def prefs_save(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Save my notification settings (audited); bad input is shown next to its field."""
    raw = await request.form()
    values = {k: v for k, v in raw.items() if k != "csrf_token" and isinstance(v, str)}
    channels = [str(c) for c in raw.getlist("channels")]
    events_on = {str(e) for e in raw.getlist("events")}

    def work() -> None:
        check_max_lengths(values, {"email": 320, "phone": 32})
        digest_hour = _opt_hour(values, "digest_hour")
        set_prefs(
            db,
            user,
            user,
            email=values.get("email"),
            phone=values.get("phone"),
            channels=channels,
            events_off=[e for e in _events_for(user) if e not in events_on],
            quiet_start_h=_opt_hour(values, "quiet_start_h"),
            quiet_end_h=_opt_hour(values, "quiet_end_h"),
            digest=values.get("digest") == "yes",
            digest_hour=7 if digest_hour is None else digest_hour,
        )
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:
        await run_in_threadpool(db.rollback)
        ctx = await run_in_threadpool(_prefs_context, request, user, db)
        ctx["done"] = None
        return form_error_response(
            request, "notify/prefs.html", ctx, errors_from(exc, "prefs-form", values)
        )
    return RedirectResponse("/account/notifications?done=1", status_code=303)


def _day(request: Request) -> date:
    text = request.query_params.get("date", "")
    if not text:
        return (now_cst() - timedelta(days=1)).date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise HTTPException(422, _("Enter a date as YYYY-MM-DD")) from exc


@router.get("/digest")
def digest_page(request: Request, user: PageUser, db: DbDep) -> Response:
    """My daily digest of a day (default yesterday, CST)."""
    from lantian.reports.digest import digest_for_user

    day = _day(request)
    digest = digest_for_user(db, day, user, request.app.state.settings)
    return render(
        request,
        "notify/digest.html",
        {"nav": "digest", "digest": digest, "day": day.isoformat()},
    )


@router.get("/digest.pdf")
def digest_pdf(request: Request, user: PageUser, db: DbDep) -> Response:
    """My daily digest of a day as a PDF."""
    from lantian.reports.digest import digest_for_user, render_pdf

    day = _day(request)
    digest = digest_for_user(db, day, user, request.app.state.settings)
    pdf = render_pdf(digest)
    name = f"digest-{digest.date}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.get("/admin/outbox")
def outbox_page(request: Request, user: PageUser, db: DbDep) -> Response:
    """The outbox (admins): pending and failed deliveries first, attempts, last error."""
    _require_admin(user)
    status = request.query_params.get("status", "")
    q = select(Notification).where(visible(user, "notification"), Notification.channel != "in_app")
    if status in OUTBOX_STATUSES:
        q = q.where(Notification.status == status)
    rows = db.scalars(
        q.order_by(Notification.created_at.desc(), Notification.notification_id.desc()).limit(
            PAGE_SIZE
        )
    ).all()
    counts = dict(
        db.execute(
            select(Notification.status, func.count())
            .where(Notification.channel != "in_app")
            .group_by(Notification.status)
        ).all()
    )
    names = dict(
        db.execute(
            select(User.user_id, User.display_name).where(
                User.user_id.in_({r.recipient_id for r in rows if r.recipient_id is not None})
            )
        ).all()
    )
    last = {
        nid: at
        for nid, at in db.execute(
            select(NotificationAttempt.notification_id, func.max(NotificationAttempt.at))
            .where(NotificationAttempt.notification_id.in_([r.notification_id for r in rows]))
            .group_by(NotificationAttempt.notification_id)
        )
    }
    return render(
        request,
        "notify/outbox.html",
        {
            "nav": "outbox",
            "rows": rows,
            "counts": counts,
            "status": status,
            "names": names,
            "last_attempt": last,
            "channels": vocab.CHANNELS,
            "events": vocab.EVENTS,
            "statuses": vocab.STATUSES,
            "done": request.query_params.get("done"),
        },
    )


@router.post("/admin/outbox/{notification_id}/retry")
def outbox_retry(notification_id: int, user: PagePostUser, db: DbDep) -> Response:
    """Send a failed notification again at the next delivery run (audited)."""
    from lantian.notify.outbox import retry

    _require_admin(user)
    retry(db, user, notification_id)
    db.commit()
    return RedirectResponse("/admin/outbox?done=retry", status_code=303)

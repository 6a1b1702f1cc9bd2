"""The outbox never loses a notification: a dead SMTP server or webhook leaves it stored,
retried with back-off and shown with its error; it goes out once the target is back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from tests.notify.conftest import free_port

from lantian.auth.errors import ValidationError
from lantian.notify.channels import channels_from_settings
from lantian.notify.models import Notification, NotificationAttempt
from lantian.notify.outbox import MAX_ATTEMPTS, deliver_due, enqueue, retry
from lantian.notify.preferences import set_prefs
from lantian.settings import Settings, get_settings
from lantian.timeutil import now_cst


def _settings(**kw: Any) -> Settings:
    return get_settings().model_copy(update=kw)


def _attempts(session: Any, nid: int) -> list[NotificationAttempt]:
    return list(
        session.scalars(
            select(NotificationAttempt)
            .where(NotificationAttempt.notification_id == nid)
            .order_by(NotificationAttempt.attempt_id)
        )
    )


def test_dead_smtp_then_alive_delivers_with_back_off(world: Any, smtp_server: Any) -> None:
    s = world.session
    user = world.district_a1
    set_prefs(s, None, user, email="a1@demo.invalid", phone=None, channels=["email"])
    now = now_cst()
    rows = enqueue(s, user, "escalation", "【调度督办】案件 #1", "案件已升级", key="k1", now=now)
    s.commit()
    email = next(r for r in rows if r.channel == "email")
    dead = _settings(smtp_url=SecretStr(f"smtp://127.0.0.1:{free_port()}"))
    report = deliver_due(s, dead, now=now)
    assert report.retrying == [email.notification_id] and report.sent == []
    s.refresh(email)
    assert email.status == "pending" and email.attempts == 1
    assert "SMTP 127.0.0.1" in (email.last_error or "")
    assert email.next_attempt_at == now + timedelta(seconds=60)
    # not due yet: nothing is tried
    assert deliver_due(s, dead, now=now + timedelta(seconds=30)).counts()["retrying"] == 0
    alive = _settings(smtp_url=SecretStr(f"smtp://127.0.0.1:{smtp_server.port}"))
    report = deliver_due(s, alive, now=now + timedelta(seconds=61))
    assert report.sent == [email.notification_id]
    s.refresh(email)
    assert email.status == "sent" and email.attempts == 2 and email.last_error is None
    assert [a.ok for a in _attempts(s, email.notification_id)] == [False, True]
    [(rcpt, msg)] = smtp_server.messages
    assert rcpt == ["a1@demo.invalid"] and msg["Subject"] == "【调度督办】案件 #1"


def test_failed_after_the_last_attempt_is_kept_and_can_be_retried(
    world: Any, receiver: Any
) -> None:
    s = world.session
    user = world.city_a
    set_prefs(s, None, user, email=None, phone=None, channels=["webhook"])
    rows = enqueue(s, user, "dispatched", "标题", "正文", key="k2")
    s.commit()
    hook = next(r for r in rows if r.channel == "webhook")
    receiver.status = 503
    settings = _settings(webhook_url=f"{receiver.url}/hook")
    t = now_cst()
    for _ in range(MAX_ATTEMPTS):
        deliver_due(s, settings, now=t)
        s.refresh(hook)
        t = (hook.next_attempt_at or t) + timedelta(seconds=1)
    assert hook.status == "failed" and hook.attempts == MAX_ATTEMPTS
    assert "HTTP 503" in (hook.last_error or "")
    assert len(receiver.requests) == MAX_ATTEMPTS
    retry(s, world.admin, hook.notification_id, now=t)
    s.commit()
    receiver.status = 200
    assert deliver_due(s, settings, now=t).sent == [hook.notification_id]
    assert receiver.requests[-1].json()["subject"] == "标题"
    with pytest.raises(ValidationError):
        retry(s, world.admin, hook.notification_id)


def test_group_robot_gets_one_message_per_event(world: Any, receiver: Any) -> None:
    s = world.session
    for u in (world.city_a, world.district_a1):
        set_prefs(s, None, u, email=None, phone=None, channels=["wecom"])
    keys: set[str] = set()
    for u in (world.city_a, world.district_a1):
        enqueue(s, u, "lead_high", "【高风险线索】", "x", key="lead_high:a1", pending_keys=keys)
    s.commit()
    settings = _settings(webhook_wecom_url=SecretStr(f"{receiver.url}/w"))
    report = deliver_due(s, settings, channels=channels_from_settings(settings))
    assert len(report.sent) == 1 and len(receiver.requests) == 1
    n_in_app = s.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.channel == "in_app", Notification.event == "lead_high")
    )
    assert n_in_app == 2


def test_sender_run_stores_due_digests_once_and_delivers(world: Any, receiver: Any) -> None:
    from datetime import datetime

    from lantian.notify.sender import run_once
    from lantian.timeutil import CST

    s = world.session
    set_prefs(s, None, world.city_a, email=None, phone=None, channels=["webhook"], digest_hour=7)
    s.commit()
    settings = _settings(webhook_url=f"{receiver.url}/hook")
    at_seven = datetime(2030, 5, 6, 7, 30, tzinfo=CST)
    run = run_once(settings, at_seven)
    # every active user wants the digest at 07:00 (the default): one in-app row each
    assert run.digests["recipients"] == 9 and run.delivered["sent"] == 1
    [req] = receiver.requests
    body = req.json()
    assert body["subject"] == "【每日推送】2030-05-05 甲市" and body["event"] == "digest"
    again = run_once(settings, at_seven + timedelta(minutes=20))
    assert again.digests == {} and again.delivered["sent"] == 0
    assert run_once(settings, at_seven + timedelta(hours=1)).digests == {}

"""Notification pages: my notifications, settings with bad input kept, the admin outbox
with a failed delivery and its retry, and the digest page and PDF (Chinese)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests._zh_scan import assert_clean_zh, html_text
from tests.web.conftest import Seeded

from lantian.auth.models import User
from lantian.db.session import session_scope
from lantian.notify.models import Notification
from lantian.notify.outbox import deliver_due
from lantian.timeutil import now_cst
from lantian.workflow import service as wf

Login = Callable[[str], tuple[TestClient, str]]


def test_notification_pages(seeded_sqlite: Seeded, login_as: Login) -> None:
    settings = seeded_sqlite.settings
    with session_scope(settings) as db:
        admin = db.get(User, seeded_sqlite.user_ids["admin"])
        assert admin is not None
        wf.dispatch(
            db,
            admin,
            ["LE1-0"],
            assignee_id=seeded_sqlite.user_ids["lb_district"],
            deadline=now_cst() + timedelta(days=3),
        )
    c, csrf = login_as("lb_district")
    page = c.get("/notifications")
    assert page.status_code == 200
    assert "交办" in page.text and "冀东钢铁有限公司" in page.text and "未读" in page.text
    assert_clean_zh(html_text(page.text), allow=["lb_district", "admin 用户"])
    # settings: bad e-mail is refused next to its field, the input kept
    bad = c.post(
        "/account/notifications",
        data={
            "csrf_token": csrf,
            "email": "not-an-address",
            "channels": "email",
            "events": "dispatched",
        },
    )
    assert bad.status_code == 422 and "邮箱地址无效" in bad.text and "not-an-address" in bad.text
    ok = c.post(
        "/account/notifications",
        data={
            "csrf_token": csrf,
            "email": "lb@demo.invalid",
            "channels": ["email", "webhook"],
            "events": ["dispatched", "overdue"],
            "quiet_start_h": "22",
            "quiet_end_h": "7",
            "digest": "yes",
            "digest_hour": "8",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303
    prefs = c.get("/account/notifications").text
    assert 'value="lb@demo.invalid"' in prefs and "免打扰时段" in prefs
    r = c.post("/notifications/read", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and "未读" not in c.get("/notifications").text
    # a new dispatch now goes to e-mail too; SMTP is not configured: kept, failed attempt shown
    with session_scope(settings) as db:
        admin = db.get(User, seeded_sqlite.user_ids["admin"])
        assert admin is not None
        wf.dispatch(
            db,
            admin,
            ["LE1-1"],
            assignee_id=seeded_sqlite.user_ids["lb_district"],
            deadline=now_cst() + timedelta(days=3),
        )
    with session_scope(settings) as db:
        later = now_cst() + timedelta(hours=12)  # after the quiet hours, whatever the hour
        deliver_due(db, settings, now=later)
        email = db.scalars(select(Notification).where(Notification.channel == "email")).one()
        assert email.status == "pending" and email.attempts == 1
        nid = email.notification_id
    a, acsrf = login_as("admin")
    outbox = a.get("/admin/outbox")
    assert outbox.status_code == 200
    assert "LANTIAN_SMTP_URL is not set" in outbox.text and "lb@demo.invalid" in outbox.text
    assert (
        a.post(
            f"/admin/outbox/{nid}/retry", data={"csrf_token": acsrf}, follow_redirects=False
        ).status_code
        == 303
    )
    assert c.get("/admin/outbox").status_code == 403
    # the digest page and its PDF
    d = c.get("/digest")
    assert d.status_code == 200
    for title in (
        "排放量变化",
        "应急减排措施落实",
        "乡镇综合指数及排名",
        "逾期案件",
        "视频监控",
        "车辆门禁",
    ):
        assert title in d.text
    assert d.text.count("未接入") >= 2
    pdf = c.get("/digest.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

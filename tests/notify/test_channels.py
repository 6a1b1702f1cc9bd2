"""Channels deliver to real local receivers: e-mail to an aiosmtpd server, WeCom, DingTalk
and the signed webhook to an HTTP server on 127.0.0.1; dead targets raise DeliveryError."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from typing import Any

import pytest
from tests.notify.conftest import free_port

from lantian.notify.channels import (
    DeliveryError,
    DingTalkChannel,
    EmailChannel,
    Message,
    NotConfigured,
    WebhookChannel,
    WeComChannel,
    parse_smtp_url,
)

MSG = Message(
    subject="【交办】案件 #7 二氧化硫超标",
    body="市局将案件交办给您。\n期限：2026-12-05 18:00",
    to="district-chengdong@demo.invalid",
    event="dispatched",
    notification_id=42,
    object_type="case",
    object_id="7",
)


def test_smtp_url_parsing() -> None:
    cfg = parse_smtp_url("smtp://u%40x:p%3Aw@mail.example:2525?starttls=1")
    assert (cfg.host, cfg.port, cfg.username, cfg.password) == ("mail.example", 2525, "u@x", "p:w")
    assert cfg.starttls and not cfg.implicit_tls
    assert parse_smtp_url("smtps://h").port == 465
    with pytest.raises(ValueError, match="scheme"):
        parse_smtp_url("http://h")


def test_email_reaches_a_real_smtp_server(smtp_server: Any) -> None:
    att = (("每日推送-2026-12-01.pdf", b"%PDF-1.4 test", "application/pdf"),)
    EmailChannel(f"smtp://127.0.0.1:{smtp_server.port}", "蓝天 <lantian@demo.invalid>").send(
        Message(**{**MSG.__dict__, "attachments": att})
    )
    [(rcpt, msg)] = smtp_server.messages
    assert rcpt == ["district-chengdong@demo.invalid"]
    assert msg["Subject"] == MSG.subject
    assert "lantian@demo.invalid" in msg["From"]
    body = msg.get_body(("plain",)).get_content()
    assert "期限：2026-12-05 18:00" in body
    [part] = list(msg.iter_attachments())
    assert part.get_filename() == "每日推送-2026-12-01.pdf"
    assert part.get_content() == b"%PDF-1.4 test"


def test_dead_smtp_server_raises() -> None:
    with pytest.raises(DeliveryError, match=r"SMTP 127\.0\.0\.1"):
        EmailChannel(f"smtp://127.0.0.1:{free_port()}", "x@y").send(MSG)
    with pytest.raises(NotConfigured):
        EmailChannel("", "x@y").send(MSG)


def test_wecom_robot_format(receiver: Any) -> None:
    WeComChannel(f"{receiver.url}/cgi-bin/webhook/send?key=K1").send(MSG)
    [req] = receiver.requests
    assert req.path == "/cgi-bin/webhook/send?key=K1"
    data = req.json()
    assert data["msgtype"] == "markdown"
    assert data["markdown"]["content"].startswith("### 【交办】案件 #7")
    assert "期限：2026-12-05 18:00" in data["markdown"]["content"]


def test_wecom_long_text_is_cut_to_4096_bytes(receiver: Any) -> None:
    WeComChannel(f"{receiver.url}/send?key=K").send(Message("标题", "超" * 3000))
    content = receiver.requests[0].json()["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096 and content.endswith("…")


def test_dingtalk_robot_is_signed_as_documented(receiver: Any) -> None:
    secret = "SEC0123456789abcdef"
    DingTalkChannel(f"{receiver.url}/robot/send?access_token=T", secret, clock=lambda: 1.7e9).send(
        MSG
    )
    [req] = receiver.requests
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(req.path).query)
    assert q["access_token"] == ["T"] and q["timestamp"] == ["1700000000000"]
    # the receiver's check, as DingTalk documents it: HMAC-SHA256(secret, "ts\nsecret"), base64
    expected = base64.b64encode(
        hmac.new(
            secret.encode(), f"{q['timestamp'][0]}\n{secret}".encode(), hashlib.sha256
        ).digest()
    ).decode()
    assert q["sign"] == [expected]
    data = req.json()
    assert data["msgtype"] == "markdown" and data["markdown"]["title"] == MSG.subject
    assert "期限" in data["markdown"]["text"]


def test_robot_error_code_is_a_failure(receiver: Any) -> None:
    receiver.answer = {"errcode": 310000, "errmsg": "sign not match"}
    with pytest.raises(DeliveryError, match="310000"):
        DingTalkChannel(f"{receiver.url}/robot/send?access_token=T", "s").send(MSG)


def test_generic_webhook_is_signed(receiver: Any) -> None:
    WebhookChannel(f"{receiver.url}/hook", "shh", clock=lambda: 1_700_000_000).send(MSG)
    [req] = receiver.requests
    ts = req.headers["X-Lantian-Timestamp"]
    mac = hmac.new(b"shh", ts.encode() + b"." + req.body, hashlib.sha256).hexdigest()
    assert req.headers["X-Lantian-Signature"] == f"sha256={mac}"
    assert req.json() == {
        "notification_id": 42,
        "event": "dispatched",
        "subject": MSG.subject,
        "body": MSG.body,
        "object_type": "case",
        "object_id": "7",
    }


def test_webhook_http_error_and_dead_port_raise(receiver: Any) -> None:
    receiver.status = 500
    with pytest.raises(DeliveryError, match="HTTP 500"):
        WebhookChannel(f"{receiver.url}/hook", "").send(MSG)
    with pytest.raises(DeliveryError, match="ConnectError"):
        WebhookChannel(f"http://127.0.0.1:{free_port()}/hook", "").send(MSG)

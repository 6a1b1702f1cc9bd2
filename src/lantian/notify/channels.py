"""Delivery channels: e-mail over SMTP, WeCom and DingTalk group robots, a signed generic
JSON webhook, and an SMS adapter interface (with a logging implementation).

Each channel's ``send(message)`` returns on success and raises :class:`DeliveryError`
with a short reason otherwise; the outbox (:mod:`lantian.notify.outbox`) records the
attempt and retries with back-off. Targets come from the settings
(``LANTIAN_SMTP_URL``, ``LANTIAN_WEBHOOK_*``), never from user input, so a user cannot
make the server post to an address of their choosing.

References
----------
.. [1] RFC 5321 (SMTP), RFC 3207 (STARTTLS), RFC 8314 (implicit TLS, ``smtps``).
.. [2] 企业微信开发者中心, 群机器人配置说明 (developer.work.weixin.qq.com/document/path/91770):
       ``POST …/cgi-bin/webhook/send?key=KEY`` with ``{"msgtype": "markdown", "markdown":
       {"content": …}}`` (content at most 4096 bytes), answer ``{"errcode": 0}`` (read from
       public copies of the documentation; unverified against the live service).
.. [3] 钉钉开放平台, 自定义机器人 (open.dingtalk.com/document/robots/custom-robot-access):
       ``POST …/robot/send?access_token=T&timestamp=MS&sign=S`` with
       ``S = urlencode(base64(HMAC-SHA256(secret, f"{MS}\\n{secret}")))``, body
       ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}``, answer
       ``{"errcode": 0}`` (read from public copies; unverified against the live service).
.. [4] RFC 2104, HMAC.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

import httpx

from lantian.settings import Settings

log = logging.getLogger("lantian.notify")

HTTP_TIMEOUT_S = 10.0
SMTP_TIMEOUT_S = 15.0
WECOM_MAX_BYTES = 4096
DINGTALK_MAX_CHARS = 5000
SIGNATURE_HEADER = "X-Lantian-Signature"
TIMESTAMP_HEADER = "X-Lantian-Timestamp"


class DeliveryError(Exception):
    """A delivery failed; the message is the reason shown in the outbox."""


class NotConfigured(DeliveryError):
    """The channel has no target configured (the notification stays in the outbox)."""


@dataclass(frozen=True)
class Message:
    """What a channel sends: subject, plain-text body, recipient address, extras."""

    subject: str
    body: str
    to: str = ""
    event: str = ""
    notification_id: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    attachments: tuple[tuple[str, bytes, str], ...] = field(default=())
    """(file name, content, MIME type) sent with e-mail (e.g. the digest PDF)."""


class Channel(Protocol):
    """A delivery channel."""

    code: str

    def send(self, message: Message) -> None: ...


# --- e-mail ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    """A parsed ``LANTIAN_SMTP_URL``."""

    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool
    implicit_tls: bool


def parse_smtp_url(url: str) -> SmtpConfig:
    """Parse ``smtp://user:pass@host:port?starttls=1`` or ``smtps://…``.

    Raises
    ------
    ValueError
        When the scheme is not ``smtp``/``smtps`` or the host is missing.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"LANTIAN_SMTP_URL: scheme must be smtp or smtps, not {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("LANTIAN_SMTP_URL: no host")
    query = urllib.parse.parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
    implicit = parts.scheme == "smtps"
    return SmtpConfig(
        host=parts.hostname,
        port=parts.port or (465 if implicit else 25),
        username=urllib.parse.unquote(parts.username) if parts.username else None,
        password=urllib.parse.unquote(parts.password) if parts.password else None,
        starttls=starttls,
        implicit_tls=implicit,
    )


def build_email(message: Message, sender: str) -> EmailMessage:
    """The MIME message: UTF-8 plain text, attachments as parts."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = message.to
    msg["Subject"] = message.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="lantian")
    msg.set_content(message.body, charset="utf-8")
    for name, content, mime in message.attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return msg


class EmailChannel:
    """E-mail over SMTP (STARTTLS or implicit TLS when the URL says so)."""

    code = "email"

    def __init__(self, url: str, sender: str) -> None:
        self.url = url
        self.sender = sender

    def send(self, message: Message) -> None:
        if not self.url:
            raise NotConfigured("LANTIAN_SMTP_URL is not set")
        if not message.to:
            raise DeliveryError("no e-mail address")
        try:
            cfg = parse_smtp_url(self.url)
        except ValueError as exc:
            raise DeliveryError(str(exc)) from exc
        msg = build_email(message, self.sender)
        try:
            smtp: smtplib.SMTP
            if cfg.implicit_tls:
                smtp = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=SMTP_TIMEOUT_S, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=SMTP_TIMEOUT_S)
            with smtp:
                if cfg.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if cfg.username:
                    smtp.login(cfg.username, cfg.password or "")
                refused = smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {cfg.host}:{cfg.port}: {exc}") from exc
        if refused:
            raise DeliveryError(f"SMTP refused {', '.join(refused)}")


# --- webhooks ----------------------------------------------------------------------------


def _post_json(
    url: str,
    payload: dict[str, Any],
    headers: dict[str, str] | None = None,
    *,
    robot: bool = False,
) -> None:
    """POST ``payload``; a non-2xx answer, or ``errcode`` ≠ 0 from a robot, is an error."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    hdrs = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    try:
        resp = httpx.post(url, content=body, headers=hdrs, timeout=HTTP_TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{_host(url)}: {exc.__class__.__name__}: {exc}") from exc
    if resp.status_code // 100 != 2:
        raise DeliveryError(f"{_host(url)}: HTTP {resp.status_code} {resp.text[:200]}")
    if robot:
        try:
            answer = resp.json()
        except ValueError as exc:
            raise DeliveryError(f"{_host(url)}: answer is not JSON") from exc
        if not isinstance(answer, dict) or answer.get("errcode", 0) != 0:
            raise DeliveryError(f"{_host(url)}: {answer}"[:300])


def _host(url: str) -> str:
    """Scheme, host and path of ``url`` (no query: keys and tokens stay out of the log)."""
    p = urllib.parse.urlsplit(url)
    return f"{p.scheme}://{p.netloc}{p.path}"


def _truncate_bytes(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode("utf-8", errors="ignore") + "…"


def markdown_text(message: Message) -> str:
    """The subject as a heading, then the body (robots render Markdown)."""
    return f"### {message.subject}\n\n{message.body}"


def wecom_payload(message: Message) -> dict[str, Any]:
    """WeCom group-robot body: ``markdown`` message, content ≤ 4096 bytes [2]_."""
    return {
        "msgtype": "markdown",
        "markdown": {"content": _truncate_bytes(markdown_text(message), WECOM_MAX_BYTES)},
    }


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk robot signature: ``urlencode(base64(HMAC-SHA256(secret, "ts\\nsecret")))`` [3]_."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def dingtalk_url(url: str, secret: str, timestamp_ms: int) -> str:
    """``url`` with ``timestamp`` and ``sign`` appended (unchanged without a secret)."""
    if not secret:
        return url
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def dingtalk_payload(message: Message) -> dict[str, Any]:
    """DingTalk group-robot body: ``markdown`` with a title [3]_."""
    return {
        "msgtype": "markdown",
        "markdown": {
            "title": message.subject[:60],
            "text": markdown_text(message)[:DINGTALK_MAX_CHARS],
        },
    }


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`` of the generic webhook."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_payload(message: Message) -> dict[str, Any]:
    """The generic webhook's JSON body."""
    return {
        "notification_id": message.notification_id,
        "event": message.event,
        "subject": message.subject,
        "body": message.body,
        "object_type": message.object_type,
        "object_id": message.object_id,
    }


class WeComChannel:
    """WeCom (企业微信) group robot."""

    code = "wecom"

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, message: Message) -> None:
        if not self.url:
            raise NotConfigured("LANTIAN_WEBHOOK_WECOM_URL is not set")
        _post_json(self.url, wecom_payload(message), robot=True)


class DingTalkChannel:
    """DingTalk (钉钉) group robot, signed when a secret is configured."""

    code = "dingtalk"

    def __init__(self, url: str, secret: str, clock: Callable[[], float] = time.time) -> None:
        self.url = url
        self.secret = secret
        self.clock = clock

    def send(self, message: Message) -> None:
        if not self.url:
            raise NotConfigured("LANTIAN_WEBHOOK_DINGTALK_URL is not set")
        ts = round(self.clock() * 1000)
        _post_json(dingtalk_url(self.url, self.secret, ts), dingtalk_payload(message), robot=True)


class WebhookChannel:
    """Generic JSON webhook; body signed in ``X-Lantian-Signature`` (HMAC-SHA256 over
    ``timestamp + "." + body``, timestamp in ``X-Lantian-Timestamp``, Unix seconds)."""

    code = "webhook"

    def __init__(self, url: str, secret: str, clock: Callable[[], float] = time.time) -> None:
        self.url = url
        self.secret = secret
        self.clock = clock

    def send(self, message: Message) -> None:
        if not self.url:
            raise NotConfigured("LANTIAN_WEBHOOK_URL is not set")
        body = json.dumps(webhook_payload(message), ensure_ascii=False).encode("utf-8")
        ts = str(int(self.clock()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: ts,
        }
        if self.secret:
            headers[SIGNATURE_HEADER] = webhook_signature(self.secret, ts, body)
        try:
            resp = httpx.post(self.url, content=body, headers=headers, timeout=HTTP_TIMEOUT_S)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{_host(self.url)}: {exc.__class__.__name__}: {exc}") from exc
        if resp.status_code // 100 != 2:
            raise DeliveryError(f"{_host(self.url)}: HTTP {resp.status_code}")


# --- SMS ---------------------------------------------------------------------------------


class SmsSender(Protocol):
    """An SMS gateway adapter (a province plugs in its carrier's or cloud provider's API)."""

    def send_sms(self, phone: str, text: str) -> None: ...


class LoggingSms:
    """The SMS adapter shipped: writes the message to the log (no gateway contracted)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send_sms(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        log.info("SMS to %s: %s", phone, text)


SMS_MAX_CHARS = 300


class SmsChannel:
    """SMS through an :class:`SmsSender` (subject and the first lines of the body)."""

    code = "sms"

    def __init__(self, sender: SmsSender) -> None:
        self.sender = sender

    def send(self, message: Message) -> None:
        if not message.to:
            raise DeliveryError("no phone number")
        text = f"【蓝天】{message.subject}: {message.body}"[:SMS_MAX_CHARS]
        self.sender.send_sms(message.to, text)


_sms_sender: SmsSender = LoggingSms()


def set_sms_sender(sender: SmsSender) -> None:
    """Install the SMS adapter of the deployment (default: :class:`LoggingSms`)."""
    global _sms_sender
    _sms_sender = sender


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    """Every external channel, configured from the settings (``in_app`` needs none)."""
    return {
        "email": EmailChannel(settings.smtp_url.get_secret_value(), settings.smtp_from),
        "wecom": WeComChannel(settings.webhook_wecom_url.get_secret_value()),
        "dingtalk": DingTalkChannel(
            settings.webhook_dingtalk_url.get_secret_value(),
            settings.webhook_dingtalk_secret.get_secret_value(),
        ),
        "webhook": WebhookChannel(settings.webhook_url, settings.webhook_secret.get_secret_value()),
        "sms": SmsChannel(_sms_sender),
    }

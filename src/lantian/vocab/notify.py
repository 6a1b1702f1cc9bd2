"""Vocabularies of notifications: channels, events and delivery states (``notifications``)."""

from __future__ import annotations

from lantian.vocab._base import Term, Vocabulary

CHANNELS: Vocabulary[str] = Vocabulary(
    "notify_channel",
    [
        Term("in_app", "站内消息", "In-app"),
        Term("email", "电子邮件", "E-mail"),
        Term("wecom", "企业微信群机器人", "WeCom group robot"),
        Term("dingtalk", "钉钉群机器人", "DingTalk group robot"),
        Term("webhook", "签名 Webhook", "Signed webhook"),
        Term("sms", "短信", "SMS"),
    ],
)
"""Delivery channels (``notifications.channel``); ``in_app`` is always on."""
EVENTS: Vocabulary[str] = Vocabulary(
    "notify_event",
    [
        Term("lead_high", "辖区内新增高风险线索", "New high-severity lead in my area"),
        Term("dispatched", "交办给我", "Dispatched to me"),
        Term("deadline_soon", "期限临近", "Deadline approaching"),
        Term("overdue", "已逾期", "Overdue"),
        Term("escalation", "调度督办升级", "Escalation"),
        Term("submission", "企业提交材料", "Enterprise submission"),
        Term("question", "问题分派给我", "Question assigned to me"),
        Term("digest", "每日推送", "Daily digest"),
        Term("test", "测试消息", "Test message"),
    ],
)
"""What a notification is about (``notifications.event``)."""
STATUSES: Vocabulary[str] = Vocabulary(
    "notify_status",
    [
        Term("pending", "待发送", "Pending"),
        Term("sent", "已发送", "Sent"),
        Term("failed", "发送失败", "Failed"),
    ],
)
"""Delivery state (``notifications.status``): ``failed`` after the last retry (kept,
shown to admins, retried on request)."""

"""Notifications with real delivery: an outbox stored in the same transaction as the event
that causes it, channels (e-mail, WeCom, DingTalk, signed webhook, SMS), user preferences
and quiet hours, and the mapping from audited actions to notification events.

See ``docs/NOTIFY.md``.
"""

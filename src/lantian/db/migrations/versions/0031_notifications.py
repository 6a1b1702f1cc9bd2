"""notifications: outbox, delivery attempts and per-user notification preferences

Revision ID: 0031
Revises: 0023
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import lantian.db.base

revision: str = "0031"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TS = lantian.db.base.TZDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("notification_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=True),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=True),
        sa.Column("sent_at", _TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("read_at", _TS, nullable=True),
        sa.Column("attachment", _JSON, nullable=True),
        sa.CheckConstraint(
            "channel IN ('in_app', 'email', 'wecom', 'dingtalk', 'webhook', 'sms')",
            name=op.f("ck_notifications_channel"),
        ),
        sa.CheckConstraint(
            "event IN ('lead_high', 'dispatched', 'deadline_soon', 'overdue', 'escalation', "
            "'submission', 'question', 'digest', 'test')",
            name=op.f("ck_notifications_event"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_notifications_status")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["users.user_id"],
            name=op.f("fk_notifications_recipient_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
    )
    with op.batch_alter_table("notifications") as batch:
        batch.create_index(
            "ix_notifications_status_next", ["status", "next_attempt_at"], unique=False
        )
        batch.create_index(
            "ix_notifications_recipient_created", ["recipient_id", "created_at"], unique=False
        )
    op.create_table(
        "notification_attempts",
        sa.Column("attempt_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.notification_id"],
            name=op.f("fk_notification_attempts_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_notification_attempts")),
    )
    with op.batch_alter_table("notification_attempts") as batch:
        batch.create_index(
            batch.f("ix_notification_attempts_notification_id"), ["notification_id"], unique=False
        )
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("channels", _JSON, nullable=False),
        sa.Column("events_off", _JSON, nullable=False),
        sa.Column("quiet_start_h", sa.Integer(), nullable=True),
        sa.Column("quiet_end_h", sa.Integer(), nullable=True),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("digest_hour", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TS, nullable=True),
        sa.CheckConstraint(
            "quiet_start_h IS NULL OR (quiet_start_h >= 0 AND quiet_start_h <= 23)",
            name=op.f("ck_notification_preferences_qs"),
        ),
        sa.CheckConstraint(
            "quiet_end_h IS NULL OR (quiet_end_h >= 0 AND quiet_end_h <= 23)",
            name=op.f("ck_notification_preferences_qe"),
        ),
        sa.CheckConstraint(
            "digest_hour >= 0 AND digest_hour <= 23",
            name=op.f("ck_notification_preferences_digest_hour"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
    with op.batch_alter_table("notification_attempts") as batch:
        batch.drop_index(batch.f("ix_notification_attempts_notification_id"))
    op.drop_table("notification_attempts")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index("ix_notifications_recipient_created")
        batch.drop_index("ix_notifications_status_next")
    op.drop_table("notifications")

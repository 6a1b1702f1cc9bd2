"""consultation (questions with 首问负责制, photos, FAQ) and satisfaction surveys

Revision ID: 0030
Revises: 0023
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import lantian.db.base

revision: str = "0030"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = lantian.db.base.TZDateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("question_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("asked_by", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=True),
        sa.Column("city", sa.String(length=64), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("asked_at", TZ, nullable=False),
        sa.Column("target_hours", sa.Integer(), nullable=False),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", TZ, nullable=True),
        sa.Column("transfer_count", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", TZ, nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("reminded_at", TZ, nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_at", TZ, nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("rated_at", TZ, nullable=True),
        sa.CheckConstraint(
            "escalation_level BETWEEN 0 AND 2", name=op.f("ck_questions_escalation_level")
        ),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_questions_rating")),
        sa.CheckConstraint(
            "answered_at IS NULL OR (owner_id IS NOT NULL AND answer IS NOT NULL)",
            name=op.f("ck_questions_answered"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.enterprise_id"],
            name=op.f("fk_questions_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["asked_by"], ["users.user_id"], name=op.f("fk_questions_asked_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.user_id"], name=op.f("fk_questions_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.user_id"], name=op.f("fk_questions_answered_by_users")
        ),
        sa.PrimaryKeyConstraint("question_id", name=op.f("pk_questions")),
    )
    op.create_index(op.f("ix_questions_enterprise_id"), "questions", ["enterprise_id"])
    op.create_index(op.f("ix_questions_asked_at"), "questions", ["asked_at"])
    op.create_index(op.f("ix_questions_owner_id"), "questions", ["owner_id"])
    op.create_index(op.f("ix_questions_answered_by"), "questions", ["answered_by"])
    op.create_index("ix_questions_due_open", "questions", ["answered_at", "due_at"])

    op.create_table(
        "question_photos",
        sa.Column("photo_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("uploaded_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.question_id"],
            name=op.f("fk_question_photos_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("photo_id", name=op.f("pk_question_photos")),
    )
    op.create_index(op.f("ix_question_photos_question_id"), "question_photos", ["question_id"])

    op.create_table(
        "faq_entries",
        sa.Column("faq_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("published_at", TZ, nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.question_id"],
            name=op.f("fk_faq_entries_question_id_questions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["published_by"], ["users.user_id"], name=op.f("fk_faq_entries_published_by_users")
        ),
        sa.PrimaryKeyConstraint("faq_id", name=op.f("pk_faq_entries")),
        sa.UniqueConstraint("question_id", name=op.f("uq_faq_entries_question_id")),
    )
    op.create_index(op.f("ix_faq_entries_published_at"), "faq_entries", ["published_at"])

    op.create_table(
        "survey_invitations",
        sa.Column("invitation_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("officer_ids", JSON, nullable=False),
        sa.Column("province", sa.String(length=2), nullable=True),
        sa.Column("city", sa.String(length=64), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("responded_at", TZ, nullable=True),
        sa.CheckConstraint(
            "kind IN ('case', 'visit', 'training')", name=op.f("ck_survey_invitations_kind")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.enterprise_id"],
            name=op.f("fk_survey_invitations_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("invitation_id", name=op.f("pk_survey_invitations")),
    )
    op.create_index(
        op.f("ix_survey_invitations_enterprise_id"), "survey_invitations", ["enterprise_id"]
    )
    op.create_index(
        "ux_survey_invitations_event",
        "survey_invitations",
        ["enterprise_id", "kind", "object_id"],
        unique=True,
    )

    op.create_table(
        "survey_responses",
        sa.Column("response_id", sa.String(length=32), nullable=False),
        sa.Column("form_version", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=True),
        sa.Column("city", sa.String(length=64), nullable=True),
        sa.Column("district", sa.String(length=64), nullable=True),
        sa.Column("officer_ids", JSON, nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("overall", sa.Float(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=True),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("responded_at", TZ, nullable=True),
        sa.CheckConstraint(
            "kind IN ('case', 'visit', 'training')", name=op.f("ck_survey_responses_kind")
        ),
        sa.CheckConstraint(
            "NOT anonymous OR (enterprise_id IS NULL AND invitation_id IS NULL"
            " AND responded_at IS NULL)",
            name=op.f("ck_survey_responses_anonymous"),
        ),
        sa.CheckConstraint(
            "overall >= 1 AND overall <= 5", name=op.f("ck_survey_responses_overall")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.enterprise_id"],
            name=op.f("fk_survey_responses_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["survey_invitations.invitation_id"],
            name=op.f("fk_survey_responses_invitation_id_survey_invitations"),
        ),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_survey_responses_invitation_id")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_survey_responses_enterprise_id"), "survey_responses", ["enterprise_id"]
    )
    op.create_index("ix_survey_responses_period_kind", "survey_responses", ["period", "kind"])


def downgrade() -> None:
    op.drop_table("survey_responses")
    op.drop_table("survey_invitations")
    op.drop_table("faq_entries")
    op.drop_table("question_photos")
    op.drop_table("questions")

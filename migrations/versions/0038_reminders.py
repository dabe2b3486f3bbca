"""Reminders (issue 19 point 5): message templates, the once-per-day key, the outbox of e-mails and SMS with
its attempts, and the users' e-mail, mobile number and opt-outs

Revision ID: 0038
Revises: 0037
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

# The defaults as they were at this migration (admin_app/services/reminder_templates.KINDS may change later).
TEMPLATES = [
    (
        "apply_deadline",
        "考试资格申请即将截止",
        "${unit}：${batch}的申报截止日为${deadline}（还有${days_left}天）。本单位尚有${drafts}份待提交、"
        "${returned}份退回修改的考试资格申请，请在截止前处理。",
    ),
    (
        "review_digest",
        "待我审核：${count}份考试资格申请",
        "${organisation}：截至${date}，有${count}份考试资格申请等待您审核，请在“待我审核”中处理。",
    ),
    (
        "recheck_closing",
        "查分申请期即将结束",
        "${unit}：本单位${count}名考生的查分申请期将于${last_day}结束（还有${days_left}天），如需查分请及时申请。",
    ),
    (
        "notice_closing",
        "合格名单公示即将期满",
        "${unit}：${notice}将于${end_date}期满（还有${days_left}天），本单位${count}人在公示名单中。"
        "如有异议，请在期满前提出。",
    ),
]


def upgrade():
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("email", sa.String(120), nullable=True))
        batch.add_column(sa.Column("mobile", sa.String(11), nullable=True))
        batch.add_column(sa.Column("email_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("sms_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()))
    template = op.create_table(
        "reminder_template",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False, unique=True),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("body", sa.String(1000), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp()),
    )
    op.bulk_insert(template, [{"kind": k, "title": t, "body": b} for k, t, b in TEMPLATES])
    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("kind", "organisation_id", "business_date", name="uq_reminder_once"),
    )
    op.create_table(
        "reminder_day",
        sa.Column("business_date", sa.Date(), primary_key=True),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("address", sa.String(120), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.String(2000), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), sa.ForeignKey("reminder_sent.id"), nullable=True),
    )
    op.create_index("ix_outbox_due", "outbox_message", ["state", "next_attempt_at"])
    op.create_index("ix_outbox_user", "outbox_message", ["user_id", "id"])
    op.create_table(
        "outbox_attempt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "message_id", sa.Integer(), sa.ForeignKey("outbox_message.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.String(500), nullable=True),
    )
    op.create_index("ix_outbox_attempt_message", "outbox_attempt", ["message_id", "id"])


def downgrade():
    op.drop_index("ix_outbox_attempt_message", "outbox_attempt")
    op.drop_table("outbox_attempt")
    op.drop_index("ix_outbox_user", "outbox_message")
    op.drop_index("ix_outbox_due", "outbox_message")
    op.drop_table("outbox_message")
    op.drop_table("reminder_day")
    op.drop_table("reminder_sent")
    op.drop_table("reminder_template")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("sms_opt_out")
        batch.drop_column("email_opt_out")
        batch.drop_column("mobile")
        batch.drop_column("email")

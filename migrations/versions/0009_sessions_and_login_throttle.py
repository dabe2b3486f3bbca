"""server-side sessions and login throttling

Logins become ``user_session`` rows (the cookie names one by a random id); failed logins are counted per
(account, address) and per address in ``login_failure`` and lock through ``login_lock``. The per-account
columns they replace (``failed_logins``, ``locked_until``, ``session_token``) are dropped: an account-wide
lock let anyone lock anyone out. Existing browser sessions end with the upgrade (they name no row).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_user_session_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    op.create_index("ix_user_session_open", "user_session", ["ended_at", "last_seen_at"])
    op.create_index("ix_user_session_user", "user_session", ["user_id", "ended_at"])

    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    op.create_index("ix_login_failure_pair", "login_failure", ["username", "address", "failed_at"])
    op.create_index("ix_login_failure_address", "login_failure", ["address", "failed_at"])
    op.create_index(op.f("ix_login_failure_failed_at"), "login_failure", ["failed_at"])

    op.create_table(
        "login_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("locked_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=False),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lifted_by_id"], ["app_user.id"], name=op.f("fk_login_lock_lifted_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_lock")),
    )
    op.create_index("ix_login_lock_address", "login_lock", ["address", "locked_until"])
    op.create_index("ix_login_lock_username", "login_lock", ["username", "locked_until"])

    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("session_token")


def downgrade():
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_token", sa.String(length=32), server_default="expired", nullable=False)
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
    op.drop_index("ix_login_lock_username", table_name="login_lock")
    op.drop_index("ix_login_lock_address", table_name="login_lock")
    op.drop_table("login_lock")
    op.drop_index(op.f("ix_login_failure_failed_at"), table_name="login_failure")
    op.drop_index("ix_login_failure_address", table_name="login_failure")
    op.drop_index("ix_login_failure_pair", table_name="login_failure")
    op.drop_table("login_failure")
    op.drop_index("ix_user_session_user", table_name="user_session")
    op.drop_index("ix_user_session_open", table_name="user_session")
    op.drop_table("user_session")

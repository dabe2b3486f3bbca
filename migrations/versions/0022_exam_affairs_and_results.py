"""考务 and results (issue 17, SPEC §8.3–§8.4): exam sessions, rooms and seats; 查分 requests; the 合格名单公示,
its entries as published and its objections; the working-day calendar; on registration the 违纪 reason and the
成绩发布 state; on the batch the 查分 and 公示 periods in working days.

Revision ID: 0022
Revises: 0021

Only new tables and nullable (or defaulted) columns: instant on PostgreSQL at any size.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_day")),
    )
    op.create_table(
        "exam_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("exam_date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("arranged_at", sa.DateTime(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("end_time > start_time", name=op.f("ck_exam_session_session_times")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["exam_batch.id"], name=op.f("fk_exam_session_batch_id_exam_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_session")),
    )
    with op.batch_alter_table("exam_session", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exam_session_batch_date", ["batch_id", "exam_date", "start_time"], unique=False
        )

    op.create_table(
        "result_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["exam_batch.id"], name=op.f("fk_result_notice_batch_id_exam_batch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_notice")),
    )
    with op.batch_alter_table("result_notice", schema=None) as batch_op:
        batch_op.create_index("ix_result_notice_batch", ["batch_id", "id"], unique=False)

    op.create_table(
        "exam_room",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=100), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_exam_room_room_capacity")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["exam_session.id"],
            name=op.f("fk_exam_room_session_id_exam_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exam_room")),
        sa.UniqueConstraint("session_id", "number", name=op.f("uq_exam_room_session_id_number")),
    )
    op.create_table(
        "notice_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("unit_name", sa.String(length=200), nullable=False),
        sa.Column("trade_name", sa.String(length=100), nullable=False),
        sa.Column("grade_label", sa.String(length=20), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id"],
            ["jurisdiction.id"],
            name=op.f("fk_notice_entry_jurisdiction_id_jurisdiction"),
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["result_notice.id"],
            name=op.f("fk_notice_entry_notice_id_result_notice"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_notice_entry_registration_id_registration"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["organisation.id"], name=op.f("fk_notice_entry_unit_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_entry")),
        sa.UniqueConstraint(
            "notice_id", "registration_id", name=op.f("uq_notice_entry_notice_id_registration_id")
        ),
        sa.UniqueConstraint("notice_id", "seq", name=op.f("uq_notice_entry_notice_id_seq")),
    )
    with op.batch_alter_table("notice_entry", schema=None) as batch_op:
        batch_op.create_index("ix_notice_entry_jurisdiction", ["jurisdiction_id", "id"], unique=False)
        batch_op.create_index("ix_notice_entry_registration", ["registration_id"], unique=False)
        batch_op.create_index("ix_notice_entry_unit", ["unit_id", "id"], unique=False)

    op.create_table(
        "score_recheck",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.String(length=500), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["app_user.id"], name=op.f("fk_score_recheck_answered_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["exam_batch.id"], name=op.f("fk_score_recheck_batch_id_exam_batch")
        ),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id"],
            ["jurisdiction.id"],
            name=op.f("fk_score_recheck_jurisdiction_id_jurisdiction"),
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_score_recheck_registration_id_registration"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["app_user.id"], name=op.f("fk_score_recheck_requested_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["organisation.id"], name=op.f("fk_score_recheck_unit_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_recheck")),
    )
    with op.batch_alter_table("score_recheck", schema=None) as batch_op:
        batch_op.create_index("ix_score_recheck_jurisdiction", ["jurisdiction_id", "id"], unique=False)
        batch_op.create_index("ix_score_recheck_registration", ["registration_id"], unique=False)
        batch_op.create_index("ix_score_recheck_state", ["state", "id"], unique=False)
        batch_op.create_index("ix_score_recheck_unit", ["unit_id", "id"], unique=False)

    op.create_table(
        "seat_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("seat_number", sa.Integer(), nullable=False),
        sa.Column("moved_reason", sa.String(length=200), nullable=True),
        sa.Column("moved_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("seat_number > 0", name=op.f("ck_seat_assignment_seat_number")),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_seat_assignment_registration_id_registration"),
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["exam_room.id"],
            name=op.f("fk_seat_assignment_room_id_exam_room"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["exam_session.id"],
            name=op.f("fk_seat_assignment_session_id_exam_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_assignment")),
        sa.UniqueConstraint("room_id", "seat_number", name=op.f("uq_seat_assignment_room_id_seat_number")),
        sa.UniqueConstraint(
            "session_id", "registration_id", name=op.f("uq_seat_assignment_session_id_registration_id")
        ),
    )
    with op.batch_alter_table("seat_assignment", schema=None) as batch_op:
        batch_op.create_index("ix_seat_assignment_registration", ["registration_id"], unique=False)

    op.create_table(
        "notice_objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=500), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["notice_entry.id"], name=op.f("fk_notice_objection_entry_id_notice_entry")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["result_notice.id"], name=op.f("fk_notice_objection_notice_id_result_notice")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["app_user.id"], name=op.f("fk_notice_objection_recorded_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_notice_objection_registration_id_registration"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["app_user.id"], name=op.f("fk_notice_objection_resolved_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_objection")),
    )
    with op.batch_alter_table("notice_objection", schema=None) as batch_op:
        batch_op.create_index("ix_notice_objection_entry", ["entry_id"], unique=False)
        batch_op.create_index("ix_notice_objection_state", ["state", "id"], unique=False)

    with op.batch_alter_table("exam_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recheck_days", sa.Integer(), server_default="10", nullable=False))
        batch_op.add_column(sa.Column("notice_days", sa.Integer(), server_default="5", nullable=False))

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("misconduct_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("misconduct_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("score_publication", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("scores_published_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("scores_published_at")
        batch_op.drop_column("score_publication")
        batch_op.drop_column("misconduct_at")
        batch_op.drop_column("misconduct_reason")

    with op.batch_alter_table("exam_batch", schema=None) as batch_op:
        batch_op.drop_column("notice_days")
        batch_op.drop_column("recheck_days")

    with op.batch_alter_table("notice_objection", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_objection_state")
        batch_op.drop_index("ix_notice_objection_entry")

    op.drop_table("notice_objection")
    with op.batch_alter_table("seat_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_seat_assignment_registration")

    op.drop_table("seat_assignment")
    with op.batch_alter_table("score_recheck", schema=None) as batch_op:
        batch_op.drop_index("ix_score_recheck_unit")
        batch_op.drop_index("ix_score_recheck_state")
        batch_op.drop_index("ix_score_recheck_registration")
        batch_op.drop_index("ix_score_recheck_jurisdiction")

    op.drop_table("score_recheck")
    with op.batch_alter_table("notice_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_entry_unit")
        batch_op.drop_index("ix_notice_entry_registration")
        batch_op.drop_index("ix_notice_entry_jurisdiction")

    op.drop_table("notice_entry")
    op.drop_table("exam_room")
    with op.batch_alter_table("result_notice", schema=None) as batch_op:
        batch_op.drop_index("ix_result_notice_batch")

    op.drop_table("result_notice")
    with op.batch_alter_table("exam_session", schema=None) as batch_op:
        batch_op.drop_index("ix_exam_session_batch_date")

    op.drop_table("exam_session")
    op.drop_table("calendar_day")

"""indexes for lists at scale: id-ordered bureau/unit lists, 区县+状态+等级, review queues, prefix search

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WORKER = {"postgresql_include": ["worker_id"]}
INDEXES = [
    (
        "ix_application_jurisdiction_status_grade",
        "application",
        ["jurisdiction_id", "status", "applied_grade", "id"],
        {},
    ),
    ("ix_application_jurisdiction_order", "application", ["jurisdiction_id", "id"], WORKER),
    ("ix_application_unit_order", "application", ["unit_id", "id"], WORKER),
    ("ix_application_status_submitted", "application", ["status", "submitted_at", "id"], {}),
    ("ix_registration_jurisdiction_order", "registration", ["jurisdiction_id", "id"], WORKER),
    ("ix_registration_unit_order", "registration", ["unit_id", "id"], WORKER),
    (
        "ix_registration_ticket_prefix",
        "registration",
        ["ticket_number"],
        {"postgresql_ops": {"ticket_number": "text_pattern_ops"}},
    ),
    ("ix_worker_name_prefix", "worker", ["name"], {"postgresql_ops": {"name": "text_pattern_ops"}}),
    (
        "ix_worker_id_number_prefix",
        "worker",
        ["id_number"],
        {"postgresql_ops": {"id_number": "text_pattern_ops"}},
    ),
]


def upgrade():
    op.drop_index("ix_application_jurisdiction_status", table_name="application")
    for name, table, columns, options in INDEXES:
        op.create_index(name, table, columns, **options)


def downgrade():
    for name, table, _columns, _options in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.create_index("ix_application_jurisdiction_status", "application", ["jurisdiction_id", "status"])

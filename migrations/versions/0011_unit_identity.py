"""unit names normalised and unique; 单位信息审核

Revision ID: 0011
Revises: 0010

Existing rows: every name is rewritten in its normalised form and keyed. Of active organisations sharing a
key, the oldest keeps it; the others keep their name without a key (the index ignores them) and, if units,
wait for 单位信息审核 so that their reviewer sees them. Units with a complete profile that were in use
before this revision are taken as confirmed (blocking every unit's submissions on upgrade day would stop
the batch); incomplete ones are 待完善. Organisations already chosen as someone's 主管部门 may be one.
"""

import sqlalchemy as sa
from alembic import op

from admin_app.services.clock import utcnow
from admin_app.services.unit_names import normalise_unit_name, unit_name_key

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEX = "uq_organisation_name_key_active"
PROFILE = (
    "uscc",
    "org_category",
    "jurisdiction_id",
    "address",
    "postcode",
    "contact_person",
    "contact_phone",
)


def upgrade():
    # Plain ADD COLUMN (SQLite takes it): a batch would copy the table, which SQLite refuses while rows
    # refer to each other (主管部门) with foreign keys on.
    for column in (
        sa.Column("name_key", sa.String(length=200), nullable=True),
        sa.Column("is_supervisor", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("identity_status", sa.String(length=20), nullable=True),
        sa.Column("identity_submitted_at", sa.DateTime(), nullable=True),
        sa.Column("identity_decided_at", sa.DateTime(), nullable=True),
        sa.Column("identity_decided_by", sa.String(length=100), nullable=True),
        sa.Column("identity_opinion", sa.String(length=500), nullable=True),
        sa.Column("identity_confirmed", sa.JSON(), nullable=True),
    ):
        op.add_column("organisation", column)

    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, name, kind, active, supervisor_id, "
            + ", ".join(PROFILE)
            + " FROM organisation ORDER BY id"
        )
    ).all()
    supervisors = {row.supervisor_id for row in rows if row.supervisor_id}
    taken = set()
    update = sa.text(
        "UPDATE organisation SET name = :name, name_key = :key, is_supervisor = :sup, identity_status = :status,"
        " identity_decided_at = :decided_at, identity_decided_by = :decided_by,"
        " identity_confirmed = :confirmed WHERE id = :id"
    ).bindparams(sa.bindparam("confirmed", type_=sa.JSON()))
    now = utcnow()
    for row in rows:
        name = normalise_unit_name(row.name) or row.name
        key = unit_name_key(name)
        duplicate = bool(row.active and key and key in taken)
        if row.active and key:
            taken.add(key)
        status = decided_at = decided_by = confirmed = None
        if row.kind == "unit":
            if duplicate:
                status = "pending"
            elif all(getattr(row, column) for column in PROFILE):
                status = "confirmed"
                decided_by = "系统升级（原有单位）"
                decided_at = now
                confirmed = {
                    "name": name,
                    "uscc": row.uscc,
                    "org_category": row.org_category,
                    "jurisdiction_id": row.jurisdiction_id,
                    "supervisor_id": row.supervisor_id,
                }
            else:
                status = "new"
        conn.execute(
            update,
            {
                "id": row.id,
                "name": name,
                "key": None if duplicate else key,
                "sup": row.id in supervisors,
                "status": status,
                "decided_at": decided_at,
                "decided_by": decided_by,
                "confirmed": confirmed,
            },
        )

    # Plain CREATE INDEX (both databases take the WHERE): a batch would copy the table on SQLite.
    op.create_index(
        INDEX,
        "organisation",
        ["name_key"],
        unique=True,
        postgresql_where=sa.text("active"),
        sqlite_where=sa.text("active"),
    )


def downgrade():
    op.drop_index(INDEX, table_name="organisation")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        for column in (
            "identity_confirmed",
            "identity_opinion",
            "identity_decided_by",
            "identity_decided_at",
            "identity_submitted_at",
            "identity_status",
            "is_supervisor",
            "name_key",
        ):
            batch_op.drop_column(column)

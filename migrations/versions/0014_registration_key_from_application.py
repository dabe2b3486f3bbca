"""a registration's copied keys checked against its application by one foreign key instead of five

Revision ID: 0014
Revises: 0012

A registration copies batch, worker, unit and 工种 from its application (scope and lists read them on the
row). Each had a foreign key of its own to exam_batch, worker, organisation and trade: five look-ups and
five row locks per registration when the final approval creates 5,000 at once — half the time of that
INSERT on the scale bench. One composite key to the application's (id, batch_id, worker_id, unit_id,
applied_trade_id) checks all five with one look-up, and holds more: the copies must equal the
application's (the referenced rows exist through the application's own foreign keys), and a correction of
the application's carries over (ON UPDATE CASCADE). The application gets the unique index the key needs.
区县 (nullable) keeps its own key.
"""

from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

KEY = ["id", "batch_id", "worker_id", "unit_id", "applied_trade_id"]
COPIED = ["application_id", "batch_id", "worker_id", "unit_id", "applied_trade_id"]
OWN = {  # the keys of before, by name: (column, referred table)
    "fk_registration_application_id_application": ("application_id", "application"),
    "fk_registration_batch_id_exam_batch": ("batch_id", "exam_batch"),
    "fk_registration_worker_id_worker": ("worker_id", "worker"),
    "fk_registration_unit_id_organisation": ("unit_id", "organisation"),
    "fk_registration_applied_trade_id_trade": ("applied_trade_id", "trade"),
}


def upgrade():
    # A unique index (not a constraint): SQLite adds it without rebuilding the table, and both databases
    # accept it as the key a foreign key refers to.
    op.create_index("uq_application_registration_key", "application", KEY, unique=True)
    with op.batch_alter_table("registration", schema=None) as batch_op:
        for name in OWN:
            batch_op.drop_constraint(name, type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_registration_application_id_application", "application", COPIED, KEY, onupdate="CASCADE"
        )


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_constraint("fk_registration_application_id_application", type_="foreignkey")
        for name, (column, table) in OWN.items():
            batch_op.create_foreign_key(name, table, [column], ["id"])
    op.drop_index("uq_application_registration_key", table_name="application")

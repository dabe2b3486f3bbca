"""content type detected at upload, stored and served

Revision ID: 0010
Revises: 0009

The 申报材料 table (``material``) has stored its detected type since 0002; the registration's 电子照片 and
身份证复印件 get theirs here. The 附表5 import keeps no uploaded file in a table (only its marked copy, served
as a spreadsheet attachment), so there is nothing else to add.

Backfill: from the *stored* name's extension, restricted to the types each file may have (photo: JPEG/PNG;
ID copy: PDF/JPEG/PNG). That extension is not the uploader's: ``uploads.store`` generated it from the type it
detected in the content (magic bytes), so it records the same detection; reading every file back would need the
storage (local directory or S3 bucket) reachable from where migrations run, and nothing in ``--sql`` mode.
Anything else is left NULL and is served only as an application/octet-stream attachment.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png"}
ID_COPY_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


def backfill(conn, stored_column: str, type_column: str, types: dict[str, str]) -> None:
    """Set ``type_column`` from the generated extension of ``stored_column`` where it is one of ``types``."""
    cases = " ".join(f"WHEN lower({stored_column}) LIKE :ext_{ext} THEN :type_{ext}" for ext in types)
    params = {f"ext_{ext}": f"%.{ext}" for ext in types} | {f"type_{ext}": t for ext, t in types.items()}
    conn.execute(
        sa.text(
            f"UPDATE registration SET {type_column} = CASE {cases} END "
            f"WHERE {stored_column} IS NOT NULL AND {type_column} IS NULL"
        ),
        params,
    )


def upgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_content_type", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("id_copy_content_type", sa.String(length=50), nullable=True))
    conn = op.get_bind()
    backfill(conn, "photo_stored", "photo_content_type", PHOTO_TYPES)
    backfill(conn, "id_copy_stored", "id_copy_content_type", ID_COPY_TYPES)


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("id_copy_content_type")
        batch_op.drop_column("photo_content_type")

"""What the stages on a person's row share: reading rows with the worker's name, and naming them."""

import sqlalchemy as sa

from models import enums


def describe(row) -> str:
    """姓名（等级）: how a row is named on confirmation and result pages."""
    return f"{row.worker_name}（{enums.grade_label(row.applied_grade)}）"


def person_rows(model, field: str):
    """``Machine.select`` for a table with ``worker_id`` and ``applied_grade``: rows with the state of
    ``field``, the batch, the grade and category, and the worker's name."""

    def select(extra):
        from models import Worker

        return sa.select(
            model.id,
            getattr(model, field).label("state"),
            model.batch_id,
            model.applied_grade,
            model.org_category,
            Worker.name.label("worker_name"),
            *extra,
        ).join(Worker, Worker.id == model.worker_id)

    return select

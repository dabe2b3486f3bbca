"""What the stages on a person's row share: reading rows with the worker's name, and naming them."""

import sqlalchemy as sa

from models import enums


def describe(row) -> str:
    """姓名（等级）: how a row is named on confirmation and result pages."""
    return f"{row.worker_name}（{enums.grade_label(row.applied_grade)}）"


def person_rows(model, field: str):
    """``Machine.select`` for a table with ``worker_id`` and ``applied_grade``: rows with the state of
    ``field``, the batch, the grade and category, and the worker's name.

    The name is looked up per row (a correlated subquery on the worker's key): for the 5,000 rows of a bulk
    decision a join let the planner hash the whole worker table (a parallel scan of 200,000 rows in three
    processes; 209 → 100 ms at 1M applications, issue 14)."""

    def select(extra):
        from models import Worker

        name = sa.select(Worker.name).where(Worker.id == model.worker_id).scalar_subquery()
        return sa.select(
            model.id,
            getattr(model, field).label("state"),
            model.batch_id,
            model.applied_grade,
            model.org_category,
            name.label("worker_name"),
            *extra,
        )

    return select

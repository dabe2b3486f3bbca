"""A bulk decision names every row by its own worker and grade (姓名（等级）) on the result page, whichever
stage it is in: the engine reads the name with each row (a look-up per row, not a join)."""

from admin_app.workflow import applications, engine, registrations
from models import enums


def label(row) -> str:
    return f"{row.worker.name}（{enums.grade_label(row.applied_grade)}）"


def test_rows_that_would_move_are_named_by_their_own_worker(world):
    b, a = world.applications["B"], world.applications["A"]
    result = engine.check(world.users["district_hr_b"], applications.APPROVE, [a.id, b.id, 10**9])
    assert result.done == [(b.id, label(b))]
    assert [(row_id, name) for row_id, name, _reason in result.refused] == [(a.id, ""), (10**9, "")]


def test_refused_rows_are_named_by_their_own_worker_in_id_order(world):
    regs = sorted(world.registrations.values(), key=lambda r: r.id)
    result = engine.check(world.users[enums.OFFICE], registrations.CONFIRM, [r.id for r in reversed(regs)])
    assert result.done == []
    assert [(row_id, name) for row_id, name, _reason in result.refused] == [(r.id, label(r)) for r in regs]
    assert len({name for _id, name, _reason in result.refused}) == len(regs)

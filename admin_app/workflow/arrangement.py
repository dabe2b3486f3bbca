"""考场编排 (市职鉴中心, SPEC §8.3): a session is 编排中 until 发布编排, then locked.

Two transitions on ``exam_session.state``:

- 自动编排 (编排中 → 编排中): the seats computed by ``services.arrangement.run_arrangement`` replace the draft
  seats of the batch's sessions of one kind. The UPDATE of the sessions (``state = 编排中``, version + 1) is what
  makes it safe against a concurrent 发布编排: whichever commits first wins, the other finds the session in
  another state and changes nothing (all sessions of the run or none: ``atomic``).
- 发布编排 (编排中 → 已发布): the session's seats become the candidates' arrangement (准考证, 签到表); no run,
  no move and no edit of the session or its rooms afterwards.
"""

import json

import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.services.sql import among, insert_rows
from admin_app.workflow.states import ArrangementState as S
from admin_app.workflow.table import Machine, Transition, add, machine
from models import ExamRoom, ExamSession, SeatAssignment, enums


def _select(extra):
    return sa.select(
        ExamSession.id,
        ExamSession.state.label("state"),
        ExamSession.batch_id,
        ExamSession.name,
        ExamSession.exam_date,
        ExamSession.start_time,
        *extra,
    )


def describe(row) -> str:
    """场次名称（日期 时间）: how a session is named on result pages."""
    return f"{row.name}（{row.exam_date:%Y-%m-%d} {row.start_time:%H:%M}）"


ARRANGEMENT = machine(
    Machine(
        name="arrangement",
        label="考场编排",
        model=ExamSession,
        field="state",
        states=S,
        scope=lambda user: sa.true(),  # the centre's and the office's lists; writing is the centre's (roles)
        select=_select,
        describe=describe,
        missing="考试场次不存在",
        audit_type="ExamSession",
    )
)
CENTER = frozenset({enums.CENTER})


def _columns():
    rooms = sa.select(sa.func.count()).where(ExamRoom.session_id == ExamSession.id).scalar_subquery()
    seats = sa.select(sa.func.count()).where(SeatAssignment.session_id == ExamSession.id).scalar_subquery()
    return (rooms.label("room_count"), seats.label("seat_count"))


def _has_rooms(ctx, row):
    return None if row.room_count else "该场次尚未设置考场"


def _has_seats(ctx, row):
    return None if row.seat_count else "该场次尚未编排考生，请先自动编排"


def _replace_seats(ctx, ids, step):
    """The run's seats (``ctx.inputs['seats']``: plain ``Seat`` values) replace the draft seats of ``ids``."""
    db.session.execute(sa.delete(SeatAssignment).where(among(SeatAssignment.session_id, ids)))
    moved = set(ids)
    insert_rows(
        SeatAssignment.__table__,
        [
            {
                "session_id": seat.session_id,
                "room_id": seat.room_id,
                "registration_id": seat.registration_id,
                "seat_number": seat.seat_number,
            }
            for seat in ctx.inputs.get("seats", ())
            if seat.session_id in moved
        ],
    )


def _seat_counts(ctx, step, rows) -> dict:
    counts: dict = {}
    for seat in ctx.inputs.get("seats", ()):
        counts[seat.session_id] = counts.get(seat.session_id, 0) + 1
    return {row.id: {"detail": json.dumps({"seats": counts.get(row.id, 0)})} for row in rows}


ARRANGE = add(
    Transition(
        ARRANGEMENT,
        "arrange",
        "自动编排",
        sources=frozenset({S.DRAFT}),
        target=S.DRAFT,
        roles=CENTER,
        guards=(_has_rooms,),
        columns=_columns,
        values=lambda ctx: {"arranged_at": ctx.now},
        effects=(_replace_seats,),
        audit_detail=_seat_counts,
        atomic=True,
        bulk=False,  # a run of one batch and kind: services.arrangement.run_arrangement
        wrong_state="已发布的场次不能重新编排",
    )
)
PUBLISH = add(
    Transition(
        ARRANGEMENT,
        "publish_arrangement",
        "发布编排",
        sources=frozenset({S.DRAFT}),
        target=S.PUBLISHED,
        roles=CENTER,
        guards=(_has_rooms, _has_seats),
        columns=_columns,
        values=lambda ctx: {"published_at": ctx.now},
        confirmation="发布后该场次的考场和座位锁定，不能再编排、调整或修改考场。确定发布所选场次吗？",
        style="success",
        wrong_state="该场次已发布",
    )
)

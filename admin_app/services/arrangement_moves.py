"""Seats moved by hand, and sessions and rooms edited, while the arrangement is 编排中 (市职鉴中心): every
change that would leave a candidate without a seat, beyond a room or in two sessions at once is refused with a
Chinese reason before anything is written."""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import audit
from admin_app.services.arrangement import ONLY_CENTER, PUBLISHED, names, other_seats, sittings_of
from admin_app.services.arrangement_rules import Sitting, named
from admin_app.services.sql import among
from admin_app.services.validators import InvalidInput
from admin_app.workflow import engine
from admin_app.workflow.arrangement import ARRANGE
from admin_app.workflow.states import ArrangementState
from models import ExamRoom, ExamSession, SeatAssignment

# --- manual moves --------------------------------------------------------------------------------------------
REASON_LIMIT = SeatAssignment.moved_reason.type.length


def _locked_sessions(ids) -> dict[int, ExamSession]:
    """The sessions ``ids``, locked in id order until the commit: a 发布编排 or a run waits (or wins first)."""
    query = sa.select(ExamSession).where(among(ExamSession.id, sorted(ids))).order_by(ExamSession.id)
    return {s.id: s for s in db.session.scalars(query.with_for_update())}


def _free_seat(room: ExamRoom, taken: set) -> int:
    free = next((n for n in range(1, room.capacity + 1) if n not in taken), None)
    if free is None:
        raise InvalidInput(f"{room.label}已满（{room.capacity} 个座位）")
    return free


def move_seat(actor, seat_id: int, *, session_id: int, room_id: int, seat_number: int | None, reason) -> None:
    """A candidate's seat moved by hand, before publication: to another room or seat of the same session, or
    to another 编排中 session of the same batch and kind. ``seat_number`` None takes the room's first free seat.

    Guarantees: refused with a Chinese reason and nothing changed when the reason is missing or too long,
    either session is published (or the batch archived), the session is of another kind or batch, the room is
    not the session's, the seat is outside the room, taken or the room full, or the target session overlaps
    in time another session the candidate sits. The move is committed with an audit row (before, after, the
    reason); the seat keeps the reason and time. Both sessions are locked while it is checked and written."""
    actor = Actor.of(actor)
    if actor.role not in ARRANGE.roles:
        raise InvalidInput(ONLY_CENTER)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写调整原因")
    if len(reason) > REASON_LIMIT:
        raise InvalidInput(f"调整原因不能超过{REASON_LIMIT}字")
    seat = db.session.get(SeatAssignment, seat_id)
    if seat is None:
        raise InvalidInput("座位记录不存在")
    sessions = _locked_sessions({seat.session_id, session_id})
    source, target = sessions[seat.session_id], sessions.get(session_id)
    if target is None:
        raise InvalidInput("所选场次不存在")
    if source.batch.read_only:
        raise InvalidInput(engine.ARCHIVED)
    for session in (source, target):
        if session.state != ArrangementState.DRAFT:
            raise InvalidInput(PUBLISHED.format(session.name))
    if (target.batch_id, target.kind) != (source.batch_id, source.kind):
        raise InvalidInput("只能调整到同一批次、同一类别（理论/实作）的场次")
    room = db.session.get(ExamRoom, room_id)
    if room is None or room.session_id != target.id:
        raise InvalidInput("所选考场不属于该场次")
    taken = dict(
        db.session.execute(
            sa.select(SeatAssignment.seat_number, SeatAssignment.registration_id).where(
                SeatAssignment.room_id == room.id, SeatAssignment.id != seat.id
            )
        ).all()
    )
    if seat_number is None:
        seat_number = _free_seat(room, set(taken))
    elif not 1 <= seat_number <= room.capacity:
        raise InvalidInput(f"座位号应在 1 到 {room.capacity} 之间")
    elif seat_number in taken:
        raise InvalidInput(f"{room.label}{seat_number:02d}号座位已有考生：{names([taken[seat_number]])[0]}")
    if target.id != source.id:
        others = other_seats([seat.registration_id], [source.id, target.id]).get(seat.registration_id, [])
        sittings = sittings_of([target.id, *others])
        if clash := [sittings[i] for i in others if sittings[target.id].overlaps(sittings[i])]:
            name = db.session.get(ExamSession, clash[0].session_id).name
            raise InvalidInput(f"考试时间冲突：该考生已排的场次“{name}”与“{target.name}”时间重叠")
    before = {"session": source.name, "room": seat.room.label, "seat": seat.seat_number}
    seat.session_id, seat.room_id, seat.seat_number = target.id, room.id, seat_number
    seat.moved_reason, seat.moved_at = reason, actor.now
    after = {"session": target.name, "room": room.label, "seat": seat_number}
    audit.record(
        "move_seat",
        seat,
        user=actor,
        object_type="SeatAssignment",
        opinion=reason,
        detail={"registration_id": seat.registration_id, "before": before, "after": after},
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise InvalidInput("该座位刚被他人占用，请重新选择") from None


# --- editing sessions and rooms while 编排中 -----------------------------------------------------------------
def session_change_problem(session_id: int, kind, exam_date, start, end) -> str | None:
    """Why a session holding seats may not take this kind or time (None if it may): a seated session keeps
    its kind, and a new time may not overlap another session one of its candidates sits."""
    seated = sa.select(SeatAssignment.registration_id).where(SeatAssignment.session_id == session_id)
    ids = list(db.session.scalars(seated))
    if not ids:
        return None
    if db.session.get(ExamSession, session_id).kind != kind:
        return "该场次已编排考生，不能更改考试类别（理论/实作）"
    others = other_seats(ids, [session_id])
    sittings = sittings_of({i for values in others.values() for i in values})
    mine = Sitting(session_id, exam_date, start, end)
    clashing = [reg for reg, values in others.items() if any(mine.overlaps(sittings[i]) for i in values)]
    if clashing:
        return f"考试时间冲突：{named(names(clashing))}已排的其他场次与新的时间重叠"
    return None


def room_change_problem(room_id: int, capacity: int | None) -> str | None:
    """Why a room may not be deleted (``capacity`` None) or take ``capacity`` seats: its candidates' seats
    would be lost or beyond the room (None if it may)."""
    highest, count = db.session.execute(
        sa.select(sa.func.max(SeatAssignment.seat_number), sa.func.count()).where(
            SeatAssignment.room_id == room_id
        )
    ).one()
    if not count:
        return None
    label = db.session.get(ExamRoom, room_id).label
    if capacity is None:
        return f"{label}已安排 {count} 名考生，不能删除；请先重新编排或将考生调整到其他考场"
    if highest > capacity:
        return f"{label}已有考生坐在 {highest} 号座位，容量不能少于 {highest}（考场超员）"
    return None

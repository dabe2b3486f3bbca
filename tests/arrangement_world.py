"""Exam sessions, rooms and seats for tests (考场编排): a session of a batch with numbered rooms, and a seat."""

from datetime import date, time

from admin_app.extensions import db
from admin_app.workflow.states import ArrangementState, ExamKind
from models import ExamRoom, ExamSession, SeatAssignment, enums


def add_session(
    batch,
    kind=ExamKind.THEORY,
    capacities=(30,),
    *,
    name=None,
    day=date(2021, 9, 18),
    start=time(9, 0),
    end=time(11, 0),
    state=ArrangementState.DRAFT,
) -> ExamSession:
    """A session of ``batch`` with one room per capacity (第01考场, 第02考场 …), flushed."""
    session = ExamSession(
        batch_id=batch.id,
        name=name or f"{ExamKind.label_of(kind)}{day:%m%d}{start:%H%M}",
        kind=kind,
        exam_date=day,
        start_time=start,
        end_time=end,
        site="重庆市职业技能鉴定中心",
        address="重庆市渝中区测试路1号",
        state=state,
    )
    session.rooms = [
        ExamRoom(number=number, location=f"教学楼{number:02d}室", capacity=capacity)
        for number, capacity in enumerate(capacities, start=1)
    ]
    db.session.add(session)
    db.session.flush()
    return session


def add_seat(session: ExamSession, registration, seat_number: int = 1, room_index: int = 0) -> SeatAssignment:
    """``registration`` seated in the session's room ``room_index`` at ``seat_number``, flushed."""
    seat = SeatAssignment(
        session_id=session.id,
        room_id=session.rooms[room_index].id,
        registration_id=registration.id,
        seat_number=seat_number,
    )
    db.session.add(seat)
    db.session.flush()
    return seat


def add_matrix_arrangement(world) -> SeatAssignment:
    """For the permission matrix: unit B's candidate seated in a 编排中 理论 session of the world's batch."""
    session = add_session(world.batch, name="矩阵场次")
    seat = add_seat(session, world.registrations["B"])
    db.session.commit()
    return seat


def centre_and_office(viewer, row) -> bool:
    """考试场次 and 考场编排 are the centre's and the office's lists (units and bureaus have none)."""
    return viewer.role in (enums.CENTER, enums.OFFICE)


# tests/scope_world.py LISTS: who sees the rows of the arrangement's lists
ARRANGEMENT_LISTS = {
    "exam_sessions": (ExamSession, centre_and_office),
    "seats": (SeatAssignment, centre_and_office),
}

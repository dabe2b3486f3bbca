"""考场编排 (市职鉴中心, SPEC §8.3): the candidates' seats, the automatic run, manual moves, the Excel export.

- ``seats_of`` / ``arranged``: what the 准考证 and the 签到表 read (only seats of 已发布 sessions count);
- ``run_arrangement``: the batch's 已报名 candidates who sit sessions of one kind, seated in its 编排中
  sessions by ``arrangement_rules.assign``, through the workflow's 自动编排 (all sessions or none);
- ``arrangement_moves``: seats moved by hand with a reason, sessions and rooms edited, before publication;
- ``export_plan``: the columns of the arrangement's Excel export as one SELECT.

Every refusal is an ``InvalidInput`` with a Chinese reason, raised before anything is written.
"""

from dataclasses import dataclass
from datetime import date, time

import sqlalchemy as sa

from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.services import records
from admin_app.services.arrangement_rules import (
    Candidate,
    Room,
    Sitting,
    assign,
    categories_needing,
    clashes,
    kinds_needed,
    named,
)
from admin_app.services.excel import Column
from admin_app.services.sql import among
from admin_app.services.validators import InvalidInput
from admin_app.workflow import engine
from admin_app.workflow.arrangement import ARRANGE
from admin_app.workflow.states import ArrangementState, ExamKind, RegistrationState
from models import (
    ExamBatch,
    ExamRoom,
    ExamSession,
    Organisation,
    Registration,
    SeatAssignment,
    Trade,
    Worker,
    enums,
)

ONLY_CENTER = "只有市职鉴中心可以编排考场"
PUBLISHED = "场次“{}”已发布编排，不能再调整"


@dataclass(frozen=True)
class SeatInfo:
    """One seat of a candidate, as the 准考证 prints it."""

    session_id: int
    session_name: str
    kind: str
    kind_label: str
    exam_date: date
    start: time
    end: time
    site: str
    address: str
    room_label: str
    room_location: str
    seat_number: int
    published: bool


def seats_of(registration_ids) -> dict[int, list[SeatInfo]]:
    """{registration id: its seats, by date and start time} for ``registration_ids`` (ids without a seat are
    absent). Seats of sessions still 编排中 are included with ``published`` False: only published ones are
    the candidate's arrangement (``arranged``). One query."""
    ids = list(registration_ids)
    if not ids:
        return {}
    s, r = ExamSession, ExamRoom
    rows = db.session.execute(
        sa.select(SeatAssignment.registration_id, SeatAssignment.seat_number, s, r.number, r.location)
        .join(s, s.id == SeatAssignment.session_id)
        .join(r, r.id == SeatAssignment.room_id)
        .where(among(SeatAssignment.registration_id, ids))
        .order_by(SeatAssignment.registration_id, s.exam_date, s.start_time, s.id)
    )
    out: dict[int, list[SeatInfo]] = {}
    for reg_id, seat_number, session, number, location in rows:
        out.setdefault(reg_id, []).append(
            SeatInfo(
                session_id=session.id,
                session_name=session.name,
                kind=session.kind,
                kind_label=ExamKind.label_of(session.kind),
                exam_date=session.exam_date,
                start=session.start_time,
                end=session.end_time,
                site=session.site,
                address=session.address,
                room_label=f"第{number:02d}考场",
                room_location=location,
                seat_number=seat_number,
                published=session.state == ArrangementState.PUBLISHED,
            )
        )
    return out


def arranged_ids(registration_ids) -> set[int]:
    """The ids among ``registration_ids`` with a seat in a PUBLISHED session of every kind their 考试类别
    needs (理论和实作: both)."""
    ids = list(registration_ids)
    if not ids:
        return set()
    categories = dict(
        db.session.execute(
            sa.select(Registration.id, Registration.exam_category).where(among(Registration.id, ids))
        ).all()
    )
    seats = seats_of(ids)
    return {
        reg_id
        for reg_id, category in categories.items()
        if kinds_needed(category) <= {seat.kind for seat in seats.get(reg_id, ()) if seat.published}
    }


def arranged(registration_id) -> bool:
    """Whether the candidate has a published seat for every kind of session they sit."""
    return registration_id in arranged_ids([registration_id])


# --- the automatic run ---------------------------------------------------------------------------------------
def sittings_of(session_ids) -> dict[int, Sitting]:
    """{session id: when it sits} for ``session_ids``."""
    s = ExamSession
    rows = db.session.execute(
        sa.select(s.id, s.exam_date, s.start_time, s.end_time).where(among(s.id, list(session_ids)))
    )
    return {row.id: Sitting(row.id, row.exam_date, row.start_time, row.end_time) for row in rows}


def other_seats(registration_ids, excluded_sessions) -> dict[int, list[int]]:
    """{registration id: session ids of its seats outside ``excluded_sessions``}."""
    rows = db.session.execute(
        sa.select(SeatAssignment.registration_id, SeatAssignment.session_id).where(
            among(SeatAssignment.registration_id, list(registration_ids)),
            SeatAssignment.session_id.not_in(list(excluded_sessions)),
        )
    )
    out: dict[int, list[int]] = {}
    for reg_id, session_id in rows:
        out.setdefault(reg_id, []).append(session_id)
    return out


def names(registration_ids) -> list[str]:
    """ "姓名（准考证号）" of each registration, by ticket number: how a refusal names candidates."""
    rows = db.session.execute(
        sa.select(Worker.name, Registration.ticket_number)
        .join(Worker, Worker.id == Registration.worker_id)
        .where(among(Registration.id, list(registration_ids)))
        .order_by(Registration.ticket_number, Registration.id)
    )
    return [f"{name}（{ticket or '无准考证号'}）" for name, ticket in rows]


def _candidates(batch_id: int, kind, published_ids) -> list[Candidate]:
    """The batch's 已报名 candidates who sit a session of ``kind`` and hold no seat in a published one."""
    r = Registration
    seated = sa.select(SeatAssignment.registration_id).where(among(SeatAssignment.session_id, published_ids))
    query = (
        sa.select(r.id, Trade.name, r.applied_grade, r.exam_category, r.ticket_number)
        .join(Trade, Trade.id == r.applied_trade_id)
        .where(
            r.batch_id == batch_id,
            r.status == RegistrationState.REGISTERED,
            r.exam_category.in_(categories_needing(kind)),
        )
    )
    if published_ids:
        query = query.where(r.id.not_in(seated))
    return [Candidate(*row) for row in db.session.execute(query)]


def run_arrangement(actor, batch_id: int, kind) -> dict[int, int]:
    """自动编排 of one batch and kind (理论 / 实作): the batch's 已报名 candidates who sit that kind, less those
    seated in a published session, are seated in its 编排中 sessions (``arrangement_rules.assign``: sessions by
    date and start, rooms by number, grouped by 工种, 等级 and 考试类别), replacing those sessions' draft seats.

    Guarantees: deterministic (the same candidates and rooms give the same seats); all 编排中 sessions of the
    kind change together or none (a session published meanwhile refuses the run); refused, with nothing
    changed, when there is no 编排中 session, a session has no room, seats are short (how many), a candidate
    would sit two sessions at the same time, or the batch is archived. Audited per session (seat count).
    Returns {session id: seats}."""
    actor = Actor.of(actor)
    if actor.role not in ARRANGE.roles:
        raise InvalidInput(ONLY_CENTER)
    batch = db.session.get(ExamBatch, batch_id)
    if batch is None:
        raise InvalidInput("考核批次不存在")
    if batch.read_only:
        raise InvalidInput(engine.ARCHIVED)
    kind = ExamKind(kind)
    sessions = db.session.scalars(
        sa.select(ExamSession)
        .where(ExamSession.batch_id == batch_id, ExamSession.kind == kind)
        .order_by(ExamSession.exam_date, ExamSession.start_time, ExamSession.id)
    ).all()
    drafts = [s for s in sessions if s.state == ArrangementState.DRAFT]
    if not drafts:
        raise InvalidInput(f"该批次没有编排中的{kind.label}场次，请先新增场次")
    if empty := [s.name for s in drafts if not s.rooms]:
        raise InvalidInput(f"场次“{'、'.join(empty)}”尚未设置考场")
    published = [s.id for s in sessions if s.state == ArrangementState.PUBLISHED]
    rooms = [Room(s.id, room.id, room.capacity) for s in drafts for room in s.rooms]
    seats = assign(_candidates(batch_id, kind, published), rooms)
    draft_ids = [s.id for s in drafts]
    others = other_seats([seat.registration_id for seat in seats], draft_ids)
    sittings = sittings_of({*draft_ids, *(i for ids in others.values() for i in ids)})
    if clashing := clashes(seats, sittings, others):
        raise InvalidInput(
            f"考试时间冲突：{named(names(clashing))}所排{kind.label}场次与其已排的其他场次时间重叠，请调整场次时间后再编排"
        )
    result = engine.apply(actor, ARRANGE, draft_ids, seats=seats)
    if result.refused:
        raise InvalidInput(
            "；".join(f"{label or row_id}：{reason}" for row_id, label, reason in result.refused)
        )
    counts = dict.fromkeys(draft_ids, 0)
    for seat in seats:
        counts[seat.session_id] += 1
    return counts


# --- the Excel export ----------------------------------------------------------------------------------------
def _kept(path, column):
    return sa.func.coalesce(records.kept_text(Registration.application_id, *path), column)


def export_plan(seat_ids) -> tuple:
    """(SELECT, typed Excel columns) of the arrangement's export for the seats ``seat_ids`` (a subquery of
    ids): 场次, 日期, 时间, 考点, 地址, 考场, 座位号, 准考证号, 姓名, 身份证号, 单位, 工种, 等级, by session (date,
    start), room and seat. Name, ID number and unit as kept at submission (services/records.py)."""
    s, room = ExamSession, ExamRoom
    statement = (
        sa.select(
            s.name,
            s.exam_date,
            s.start_time,
            s.end_time,
            s.site,
            s.address,
            room.number,
            SeatAssignment.seat_number,
            Registration.ticket_number,
            _kept(("person", "name"), Worker.name),
            _kept(("person", "id_number"), Worker.id_number),
            _kept(("unit", "name"), Organisation.name),
            Trade.name.label("trade"),
            Registration.applied_grade,
        )
        .select_from(SeatAssignment)
        .join(s, s.id == SeatAssignment.session_id)
        .join(room, room.id == SeatAssignment.room_id)
        .join(Registration, Registration.id == SeatAssignment.registration_id)
        .join(Worker, Worker.id == Registration.worker_id)
        .join(Organisation, Organisation.id == Registration.unit_id)
        .join(Trade, Trade.id == Registration.applied_trade_id)
        .where(SeatAssignment.id.in_(seat_ids))
        .order_by(s.exam_date, s.start_time, s.id, room.number, SeatAssignment.seat_number)
    )
    columns = [
        Column("场次", lambda row: row[0], "text"),
        Column("日期", lambda row: row[1], "date"),
        Column("时间", lambda row: f"{row[2]:%H:%M}-{row[3]:%H:%M}", "text"),
        Column("考点", lambda row: row[4], "text"),
        Column("地址", lambda row: row[5], "text"),
        Column("考场", lambda row: f"第{row[6]:02d}考场", "text"),
        Column("座位号", lambda row: row[7], "number"),
        Column("准考证号", lambda row: row[8], "text", 16),
        Column("姓名", lambda row: row[9], "text"),
        Column("身份证号", lambda row: row[10], "text", 22),
        Column("单位", lambda row: row[11], "text"),
        Column("工种", lambda row: row[12], "text"),
        Column("等级", lambda row: enums.grade_label(row[13]), "text"),
    ]
    return statement, columns

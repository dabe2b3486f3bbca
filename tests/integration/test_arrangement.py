"""考场编排 (issue 17 point 1): the automatic run, its refusals, manual moves, publication, the export, scope."""

import io
import re
from datetime import time

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from admin_app import limits
from admin_app.extensions import db
from admin_app.services import arrangement
from admin_app.services.arrangement_moves import move_seat
from admin_app.services.validators import InvalidInput
from admin_app.workflow import apply
from admin_app.workflow.arrangement import PUBLISH
from admin_app.workflow.states import (
    ApplicationState,
    ArrangementState,
    BatchState,
    ExamCategory,
    ExamKind,
    RegistrationState,
)
from models import AuditLog, ExamSession, SeatAssignment, Trade
from tests import factories
from tests.arrangement_world import add_seat, add_session
from tests.conftest import login

THEORY, PRACTICE = ExamKind.THEORY, ExamKind.PRACTICE
_seq = iter(range(1000, 100000))


@pytest.fixture(autouse=True)
def _only_this_tests_candidates(world):
    """The world's 已报名 row (unit B's) is put back to 待缴费确认: each test seats only its own candidates."""
    world.registrations["B"].status = RegistrationState.FEE
    db.session.commit()


def registered(world, n, *, trade=None, grade=4, category=ExamCategory.BOTH, unit="A"):
    """``n`` 已报名 candidates of unit ``unit`` with 准考证号, flushed."""
    out = []
    for _ in range(n):
        seq = next(_seq)
        worker = factories.add_worker(world.units[unit], f"考生{seq}", seq, world.trade, world.batch)
        db.session.flush()
        app = factories.add_application(
            world, worker, grade=grade, status=ApplicationState.APPROVED, applied_trade=trade or world.trade
        )
        reg = factories.add_registration(app)
        reg.status, reg.exam_category = RegistrationState.REGISTERED, category
        reg.ticket_number = f"2021{grade}{seq:06d}"
        out.append(reg)
    db.session.flush()
    return out


def seats():
    rows = db.session.execute(
        sa.select(
            SeatAssignment.registration_id,
            SeatAssignment.session_id,
            SeatAssignment.room_id,
            SeatAssignment.seat_number,
        ).order_by(SeatAssignment.registration_id)
    )
    return [tuple(row) for row in rows]


def center(world):
    return world.users["center"]


def other_trade():
    return db.session.scalars(sa.select(Trade).where(Trade.name != "电工").order_by(Trade.name)).first()


def test_run_is_deterministic_and_seats_each_candidate_of_the_kind_once(world):
    people = registered(world, 5) + registered(world, 2, category=ExamCategory.PRACTICE)
    add_session(world.batch, THEORY, (3, 3))
    db.session.commit()
    counts = arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    assert sum(counts.values()) == 5  # the 仅实作 candidates sit no 理论 session
    first = seats()
    assert {row[0] for row in first} == {p.id for p in people[:5]}
    arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    assert seats() == first
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "arrange")) == 2


def test_groups_start_a_new_room_when_they_would_be_split(world):
    trade = other_trade()
    first = registered(world, 3, trade=trade if trade.name < "电工" else world.trade)
    second = registered(world, 3, trade=world.trade if trade.name < "电工" else trade)
    session = add_session(world.batch, THEORY, (4, 4))
    db.session.commit()
    arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    by_reg = {row[0]: row for row in seats()}
    rooms = [room.id for room in session.rooms]
    assert {by_reg[p.id][2] for p in first} == {rooms[0]}
    assert [by_reg[p.id][2:] for p in second] == [(rooms[1], 1), (rooms[1], 2), (rooms[1], 3)]


def test_too_few_seats_is_refused_and_changes_nothing(world):
    registered(world, 5)
    add_session(world.batch, THEORY, (2, 2))
    db.session.commit()
    with pytest.raises(InvalidInput, match="还差 1 个座位"):
        arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    assert seats() == []
    assert db.session.scalar(sa.select(ExamSession.arranged_at)) is None


def test_a_session_without_rooms_or_no_draft_session_is_refused(world):
    registered(world, 1)
    add_session(world.batch, THEORY, ())
    db.session.commit()
    with pytest.raises(InvalidInput, match="尚未设置考场"):
        arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    with pytest.raises(InvalidInput, match="没有编排中的实作场次"):
        arrangement.run_arrangement(center(world), world.batch.id, PRACTICE)


def test_a_candidate_in_two_sessions_at_the_same_time_is_refused(world):
    (person,) = registered(world, 1)
    practice = add_session(world.batch, PRACTICE, (5,), start=time(10), end=time(12))
    add_seat(practice, person)
    add_session(world.batch, THEORY, (5,), start=time(9), end=time(11))
    db.session.commit()
    with pytest.raises(InvalidInput, match="考试时间冲突：考生"):
        arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    assert len(seats()) == 1  # the practice seat only


def test_only_the_centre_runs_it(world):
    registered(world, 1)
    add_session(world.batch, THEORY, (5,))
    db.session.commit()
    for role in ("office", "unit"):
        with pytest.raises(InvalidInput, match="只有市职鉴中心"):
            arrangement.run_arrangement(world.users[role], world.batch.id, THEORY)
    assert seats() == []


def test_publish_locks_the_session_and_makes_the_seats_count(world):
    (person,) = registered(world, 1)
    session = add_session(world.batch, THEORY, (5,))
    db.session.commit()
    arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    assert not arrangement.arranged(person.id)
    assert arrangement.seats_of([person.id])[person.id][0].published is False
    assert apply(world.users["office"], PUBLISH, [session.id]).done == []
    assert apply(center(world), PUBLISH, [session.id]).done
    db.session.expire_all()
    assert session.state == ArrangementState.PUBLISHED and session.published_at
    (info,) = arrangement.seats_of([person.id])[person.id]
    assert info.published and info.room_label == "第01考场" and info.seat_number == 1
    assert info.kind_label == "理论" and info.site and info.address
    assert not arrangement.arranged(person.id)  # 理论和实作: the 实作 seat is still missing
    practice = add_session(world.batch, PRACTICE, (5,), start=time(14), end=time(16))
    db.session.commit()
    arrangement.run_arrangement(center(world), world.batch.id, PRACTICE)
    apply(center(world), PUBLISH, [practice.id])
    assert arrangement.arranged(person.id)
    with pytest.raises(InvalidInput, match="没有编排中的理论场次"):
        arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    seat = db.session.scalars(sa.select(SeatAssignment).where(SeatAssignment.session_id == session.id)).one()
    with pytest.raises(InvalidInput, match="已发布编排"):
        move_seat(
            center(world), seat.id, session_id=session.id, room_id=seat.room_id, seat_number=2, reason="x"
        )


def test_rerun_after_a_new_registration_keeps_published_sessions(world):
    early = registered(world, 2)
    first = add_session(world.batch, THEORY, (2,))
    db.session.commit()
    arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    apply(center(world), PUBLISH, [first.id])
    before = seats()
    late = registered(world, 1)
    second = add_session(world.batch, THEORY, (3,), start=time(14), end=time(16))
    db.session.commit()
    assert arrangement.run_arrangement(center(world), world.batch.id, THEORY) == {second.id: 1}
    after = seats()
    assert [row for row in after if row[1] == first.id] == before
    assert [row[0] for row in after if row[1] == second.id] == [late[0].id]
    assert {p.id for p in early} < {row[0] for row in after}


def _two_rooms(world):
    people = registered(world, 3)
    session = add_session(world.batch, THEORY, (2, 2))
    db.session.commit()
    arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    by_reg = {row[0]: row for row in seats()}
    return people, session, by_reg


def seat_of(reg, kind=THEORY) -> SeatAssignment:
    """The candidate's seat in a session of ``kind``."""
    return db.session.scalars(
        sa.select(SeatAssignment)
        .join(ExamSession, ExamSession.id == SeatAssignment.session_id)
        .where(SeatAssignment.registration_id == reg.id, ExamSession.kind == kind)
    ).one()


def test_manual_moves_with_a_reason_are_audited(world):
    people, session, _ = _two_rooms(world)
    seat = seat_of(people[0])
    target = session.rooms[1]
    move_seat(
        center(world), seat.id, session_id=session.id, room_id=target.id, seat_number=None, reason="视力照顾"
    )
    db.session.expire_all()
    seat = seat_of(people[0])
    assert (seat.room_id, seat.seat_number, seat.moved_reason) == (target.id, 2, "视力照顾")
    entry = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "move_seat")).one()
    assert entry.opinion == "视力照顾" and "第01考场" in entry.detail and "第02考场" in entry.detail


def test_moves_are_refused_when_taken_full_clashing_or_without_reason(world):
    people, session, by_reg = _two_rooms(world)
    seat = seat_of(people[0])
    first_room, second_room = session.rooms
    common = {"session_id": session.id}
    with pytest.raises(InvalidInput, match="请填写调整原因"):
        move_seat(center(world), seat.id, room_id=second_room.id, seat_number=None, reason=" ", **common)
    with pytest.raises(InvalidInput, match="已有考生"):
        move_seat(center(world), seat.id, room_id=first_room.id, seat_number=2, reason="换座", **common)
    with pytest.raises(InvalidInput, match="座位号应在 1 到 2 之间"):
        move_seat(center(world), seat.id, room_id=second_room.id, seat_number=3, reason="换座", **common)
    move_seat(center(world), seat.id, room_id=second_room.id, seat_number=None, reason="换座", **common)
    other = seat_of(people[1])
    with pytest.raises(InvalidInput, match="第02考场已满"):
        move_seat(center(world), other.id, room_id=second_room.id, seat_number=None, reason="换座", **common)
    # another 编排中 理论 session at the time of the candidate's 实作 seat
    practice = add_session(world.batch, PRACTICE, (5,), start=time(14), end=time(16))
    add_seat(practice, people[1])
    clash = add_session(world.batch, THEORY, (5,), start=time(15), end=time(17))
    db.session.commit()
    with pytest.raises(InvalidInput, match="考试时间冲突"):
        move_seat(
            center(world),
            other.id,
            session_id=clash.id,
            room_id=clash.rooms[0].id,
            seat_number=None,
            reason="换场",
        )
    with pytest.raises(InvalidInput, match="同一批次、同一类别"):
        move_seat(
            center(world),
            other.id,
            session_id=practice.id,
            room_id=practice.rooms[0].id,
            seat_number=None,
            reason="换场",
        )
    db.session.expire_all()
    assert seat_of(people[1]).room_id == by_reg[people[1].id][2]


def test_export_has_the_arrangement_columns(client, world):
    people = registered(world, 2)
    add_session(world.batch, THEORY, (5,))
    db.session.commit()
    arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    login(client, "center")
    response = client.post("/seats/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [
        "场次", "日期", "时间", "考点", "地址", "考场", "座位号", "准考证号", "姓名", "身份证号", "单位", "工种", "等级",
    ]  # fmt: skip
    assert [row[7] for row in rows[1:]] == sorted(p.ticket_number for p in people)
    assert rows[1][2] == "09:00-11:00" and rows[1][5] == "第01考场" and rows[1][6] == 1
    assert rows[1][11] == "电工" and rows[1][12] == "四级（中级工）"


def test_pages_for_the_centre_and_office_refused_to_units_and_bureaus(client, world):
    registered(world, 2)
    session = add_session(world.batch, THEORY, (5,))
    db.session.commit()
    arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    seat = db.session.scalars(sa.select(SeatAssignment)).first()
    login(client, "center")
    body = client.get("/exam_sessions/").get_data(as_text=True)
    assert "自动编排" in body and "发布编排" in body
    assert client.get("/seats/").status_code == 200
    assert "确定调整" in client.get(f"/seats/move/?id={seat.id}").get_data(as_text=True)
    assert client.get(f"/exam_sessions/edit/?id={session.id}").status_code == 200
    login(client, "office")
    assert client.get("/seats/").status_code == 200
    assert client.get(f"/seats/move/?id={seat.id}").status_code == 403
    assert (
        client.post("/exam_sessions/action/", data={"action": "arrange", "rowid": session.id}).status_code
        == 403
    )
    for user in ("unit_a", "yuzhong_hr"):
        login(client, user)
        for url in ("/exam_sessions/", "/seats/", f"/seats/details/?id={seat.id}"):
            assert client.get(url).status_code in (403, 404), (user, url)
        assert client.post("/seats/export.xlsx").status_code in (403, 404), user


def test_moves_and_runs_through_the_pages(client, world):
    people = registered(world, 2)
    session = add_session(world.batch, THEORY, (1, 2))
    db.session.commit()
    login(client, "center")
    response = client.post(
        "/exam_sessions/action/", data={"action": "arrange", "rowid": session.id}, follow_redirects=True
    )
    assert "共 2 名考生" in response.get_data(as_text=True)
    seat = seat_of(people[0])
    room = session.rooms[1]
    data = {"room": f"{session.id}:{room.id}", "seat_number": "abc", "reason": "换座"}
    assert "座位号应为数字" in client.post(f"/seats/move/?id={seat.id}", data=data).get_data(as_text=True)
    data["seat_number"] = "1"
    body = client.post(f"/seats/move/?id={seat.id}", data=data).get_data(as_text=True)
    assert "已有考生" in body
    data["seat_number"] = "2"
    assert client.post(f"/seats/move/?id={seat.id}", data=data).status_code == 302
    db.session.expire_all()
    assert (seat_of(people[0]).room_id, seat_of(people[0]).seat_number) == (room.id, 2)
    response = client.post(
        "/exam_sessions/action/", data={"action": PUBLISH.name, "rowid": session.id}, follow_redirects=True
    )
    assert "已发布编排" in response.get_data(as_text=True)
    response = client.get(f"/exam_sessions/edit/?id={session.id}", follow_redirects=True)
    assert "已锁定" in response.get_data(as_text=True)
    assert client.get(f"/seats/move/?id={seat.id}").status_code == 302


def test_editing_a_room_below_its_seats_is_refused(client, world):
    registered(world, 3)
    session = add_session(world.batch, THEORY, (5,))
    db.session.commit()
    arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    login(client, "center")
    room = session.rooms[0]
    form = {
        "batch": world.batch.id,
        "name": session.name,
        "kind": THEORY,
        "exam_date": "2021-09-18",
        "start_time": "09:00",
        "end_time": "11:00",
        "site": "考点",
        "address": "地址",
        "rooms-0-id": room.id,
        "rooms-0-number": "1",
        "rooms-0-location": "教室",
        "rooms-0-capacity": "2",
    }
    body = client.post(f"/exam_sessions/edit/?id={session.id}", data=form, follow_redirects=True)
    assert "考场超员" in body.get_data(as_text=True)
    db.session.expire_all()
    assert room.capacity == 5
    form["rooms-0-capacity"] = "3"
    form["end_time"] = "08:00"
    body = client.post(f"/exam_sessions/edit/?id={session.id}", data=form, follow_redirects=True)
    assert "结束时间应晚于开始时间" in body.get_data(as_text=True)


def test_posts_without_the_csrf_token_are_refused(app, client, world):
    registered(world, 1)
    session = add_session(world.batch, THEORY, (5,))
    db.session.commit()
    login(client, "center")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/exam_sessions/action/", data={"action": "arrange", "rowid": session.id})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert seats() == []
    assert re.search("编排中", client.get("/exam_sessions/").get_data(as_text=True))


def test_an_archived_batch_is_read_only(world):
    registered(world, 1)
    session = add_session(world.batch, THEORY, (5,))
    db.session.commit()
    arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    seat = db.session.scalars(sa.select(SeatAssignment)).one()
    world.batch.state = BatchState.ARCHIVED
    db.session.commit()
    with pytest.raises(InvalidInput, match="归档"):
        arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    with pytest.raises(InvalidInput, match="归档"):
        move_seat(
            center(world), seat.id, session_id=session.id, room_id=seat.room_id, seat_number=2, reason="x"
        )
    assert apply(center(world), PUBLISH, [session.id]).done == []


def test_a_room_takes_at_most_the_seats_of_the_limit(client, world):
    """The room form refuses more than ``limits.ROOM_SEATS`` seats with a Chinese message and takes exactly it."""
    session = add_session(world.batch, THEORY, (5,))
    db.session.commit()
    login(client, "center")
    room = session.rooms[0]
    form = {
        "batch": world.batch.id,
        "name": session.name,
        "kind": THEORY,
        "exam_date": "2021-09-18",
        "start_time": "09:00",
        "end_time": "11:00",
        "site": "考点",
        "address": "地址",
        "rooms-0-id": room.id,
        "rooms-0-number": "1",
        "rooms-0-location": "教室",
        "rooms-0-capacity": str(limits.ROOM_SEATS + 1),
    }
    body = client.post(f"/exam_sessions/edit/?id={session.id}", data=form, follow_redirects=True)
    assert f"座位数应为1到{limits.ROOM_SEATS}" in body.get_data(as_text=True)
    db.session.expire_all()
    assert room.capacity == 5
    form["rooms-0-capacity"] = str(limits.ROOM_SEATS)
    client.post(f"/exam_sessions/edit/?id={session.id}", data=form, follow_redirects=True)
    db.session.expire_all()
    assert room.capacity == limits.ROOM_SEATS == 120


def test_the_seat_list_finds_a_candidate_by_ticket_name_or_id_number(client, world):
    first, second = registered(world, 2)
    add_session(world.batch, THEORY, (5,))
    db.session.commit()
    arrangement.run_arrangement(center(world), world.batch.id, THEORY)
    login(client, "center")
    for term in (second.ticket_number, second.worker.name, second.worker.id_number):
        body = client.get("/seats/", query_string={"search": term}).get_data(as_text=True)
        assert "列表 (1)" in body and second.ticket_number in body, term
        assert first.ticket_number not in body, term
    nobody = client.get("/seats/", query_string={"search": "无此人"}).get_data(as_text=True)
    assert first.ticket_number not in nobody and second.ticket_number not in nobody

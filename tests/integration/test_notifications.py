"""站内消息: a unit is told when its application is rejected, a registration returned, scores published and a
grade recognised; staff bodies read their own (reminders); an unread badge; marking read touches only the
organisation's own messages."""

import re

import sqlalchemy as sa

from admin_app import workflow
from admin_app.extensions import db
from admin_app.workflow.states import RegistrationState
from models import Notification
from tests.conftest import login


def messages(unit) -> list[Notification]:
    return db.session.scalars(
        sa.select(Notification).where(Notification.organisation_id == unit.id).order_by(Notification.id)
    ).all()


def test_rejection_tells_the_unit_with_the_opinion(world):
    b = world.applications["B"]
    before = len(messages(world.units["A"]))
    workflow.decide(world.users["district_hr_b"], [b.id], "reject", "年度考核不满足")
    last = messages(world.units["B"])[-1]
    assert last.kind == "application_rejected" and last.title == "考试资格申请审核未通过"
    assert "B工人" in last.body and "年度考核不满足" in last.body
    assert (last.target, last.object_id, last.read_at) == ("applications", b.id, None)
    assert len(messages(world.units["A"])) == before  # nobody else is told


def test_return_scores_and_recognition_tell_the_unit(world):
    reg = world.registrations["A"]
    reg.status = RegistrationState.PENDING
    db.session.commit()
    workflow.return_registrations(world.users["office"], [reg.id], "照片不清晰")
    assert messages(world.units["A"])[-1].kind == "registration_returned"
    assert "照片不清晰" in messages(world.units["A"])[-1].body

    reg.status = RegistrationState.REGISTERED
    db.session.commit()
    told = len(messages(world.units["A"]))
    problems = workflow.enter_scores(
        world.users["center"], [workflow.ScoreEntry(reg.id, "75", "80", None, False)]
    )
    assert problems == {}
    assert len(messages(world.units["A"])) == told  # entered, not published: nobody is told yet
    workflow.publish_batch(world.users["center"], reg.batch_id)
    assert messages(world.units["A"])[-1].kind == "scores_published"

    b = world.registrations["B"]
    result = workflow.recognise(world.users["office"], [b.id])
    assert [row_id for row_id, _label in result.done] == [b.id]
    last = messages(world.units["B"])[-1]
    assert last.kind == "recognised" and last.target == "recognitions" and "资格已认定" in last.body


def test_nothing_is_told_for_rows_that_did_not_change(world):
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
    # A's application is a draft: the 区县 cannot reject it, so no message
    workflow.decide(world.users["district_hr_b"], [world.applications["A"].id], "reject", "不符合")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == count


def badge(client) -> str | None:
    found = re.search(r'gk-unread" title="未读消息">(\d+)<', client.get("/").get_data(as_text=True))
    return found.group(1) if found else None


def test_unread_badge_and_mark_read(client, world):
    login(client, "unit_a")
    assert badge(client) == "1"
    page = client.get("/messages/").get_data(as_text=True)
    assert "A考生" in page and "B考生" not in page and "未读" in page
    own = messages(world.units["A"])[0]
    other = messages(world.units["B"])[0]
    # ticking another unit's message does nothing to it
    client.post("/messages/action/", data={"action": "mark_read", "rowid": [str(other.id)]})
    db.session.refresh(other)
    assert other.read_at is None and badge(client) == "1"
    client.post("/messages/action/", data={"action": "mark_read", "rowid": [str(own.id)]})
    db.session.refresh(own)
    assert own.read_at is not None and own.read_by_id == world.users["unit"].id
    assert badge(client) is None
    # 全部标为已读 reaches only the unit's own
    workflow.decide(world.users["district_hr_b"], [world.applications["B"].id], "reject", "不符合")
    client.post("/messages/read-all/")
    assert all(m.read_at is None for m in messages(world.units["B"]))


def test_staff_read_their_own_organisations_messages_only(client, world):
    """Staff bodies get reminders (the 待我审核 digest): their users read them, never a unit's messages."""
    login(client, "office")
    response = client.get("/messages/")
    assert response.status_code == 200
    assert "考试成绩已发布" not in response.get_data(as_text=True)  # the units' messages stay theirs
    assert "gk-unread" not in client.get("/").get_data(as_text=True)
    office = world.users["office"].organisation
    db.session.add(
        Notification(organisation_id=office.id, kind="reminder_review_digest", title="待我审核", body="有1份")
    )
    db.session.commit()
    page = client.get("/messages/").get_data(as_text=True)
    assert "列表 (1)" in page and "有1份" in page
    assert re.search(r"gk-unread[^>]*>1<", client.get("/").get_data(as_text=True))
    unit_unread = [m.id for m in messages(world.units["A"]) if m.read_at is None]
    client.post("/messages/read-all/")
    assert all(m.read_at is not None for m in messages(office))
    assert [m.id for m in messages(world.units["A"]) if m.read_at is None] == unit_unread

"""证书发放 (issue 18 point 6): 市工考办 records the handover of recognised certificates (recipient, date) on ticked
rows or all matching; a record, not a state change, audited and scoped; the date a Beijing date, not in the
future and not before the recognition; the office's 首页 to-do 待发放证书 and the list's 发放情况 filter count
the recognised certificates not handed over (both databases)."""

import io
import json
import re
from datetime import UTC, datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from admin_app import workflow
from admin_app.extensions import db
from admin_app.services import clock
from admin_app.services.validators import InvalidInput
from admin_app.workflow import certificates
from admin_app.workflow.states import RecognitionState
from models import AuditLog, Registration, enums
from tests.conftest import login, snapshot_database, text_of
from tests.integration.test_home import listed, todos
from tests.integration.test_revocation import DOCUMENT, REASON, recognised


def test_bulk_handover_records_recipient_and_date_and_keeps_the_state(world):
    office = world.users[enums.OFFICE]
    regs = [recognised(world, f"发放{i}", seq=620 + i)[2] for i in range(3)]
    day = clock.today()
    result = certificates.record_handover(office, [r.id for r in regs[:2]], "  张经办  ", day)
    assert sorted(i for i, _label in result.done) == sorted(r.id for r in regs[:2]) and not result.refused
    db.session.expire_all()
    for reg in regs[:2]:
        row = db.session.get(Registration, reg.id)
        assert (row.handed_over_on, row.handover_recipient) == (day, "张经办")
        assert row.recognition_status == RecognitionState.RECOGNISED
    assert db.session.get(Registration, regs[2].id).handed_over_on is None
    entries = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "record_handover")).all()
    assert sorted(int(e.object_id) for e in entries) == sorted(r.id for r in regs[:2])
    for entry in entries:
        assert entry.from_state == entry.to_state == RecognitionState.RECOGNISED
        assert entry.opinion == f"领取人：张经办；发放日期：{day:%Y-%m-%d}"
        assert json.loads(entry.detail) == {"recipient": "张经办", "date": day.isoformat()}

    # once handed over, a second record is refused (the first stands); a revoked one is not handed over
    again = certificates.record_handover(office, [regs[0].id], "李四", day)
    assert again.refused[0][2] == f"证书已于{day:%Y-%m-%d}发放（领取人：张经办）"
    assert certificates.revoke(office, [regs[2].id], REASON, DOCUMENT).done
    revoked = certificates.record_handover(office, [regs[2].id], "李四", day)
    assert revoked.refused[0][2] == "当前状态为“已撤销”，不能证书发放"
    pending = certificates.record_handover(office, [world.registrations["B"].id], "李四", day)
    assert pending.refused[0][2] == "当前状态为“待认定”，不能证书发放"


@pytest.mark.parametrize(
    ("recipient", "day", "message"),
    [
        (None, "2026-12-02", "证书发放须填写领取人"),
        ("人" * 51, "2026-12-02", "领取人不能超过50字"),
        ("张三", "", "发放日期格式应为"),
        ("张三", "2026-13-01", "发放日期格式应为"),
        ("张三", "9999-99-99", "发放日期格式应为"),
        ("张三", "２０２６-１２-０２", "发放日期格式应为"),
        ("张三", "2026/12/02", "发放日期格式应为"),
        ("张三", "tomorrow", "发放日期格式应为"),
        ("张三", "future", "发放日期不能晚于今天"),
    ],
)
def test_bad_inputs_are_refused_before_anything_changes(world, recipient, day, message):
    _unit, _app, reg = recognised(world, "坏输入", seq=630)
    if day == "future":
        day = (clock.today() + timedelta(days=1)).isoformat()
    before = snapshot_database()
    with pytest.raises(InvalidInput, match=message):
        certificates.record_handover(world.users[enums.OFFICE], [reg.id], recipient, day)
    db.session.rollback()
    assert snapshot_database() == before


def test_the_date_is_not_before_the_recognition_and_is_a_beijing_date(world):
    _unit, _app, reg = recognised(world, "日期", seq=631)
    office = world.users[enums.OFFICE]
    recognised_on = clock.to_beijing(reg.recognised_at).date()
    early = certificates.record_handover(office, [reg.id], "张三", recognised_on - timedelta(days=1))
    assert early.refused[0][2] == f"发放日期不能早于认定日期（{recognised_on:%Y-%m-%d}）"
    # 00:30 in Beijing the next day is still the day of the recognition in UTC: "today" is Beijing's
    next_day = recognised_on + timedelta(days=1)
    instant = datetime.combine(next_day, time(0, 30), tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
    assert instant.date() == recognised_on
    with mock.patch.object(clock, "_instant", return_value=instant):
        assert clock.today() == next_day
        with pytest.raises(InvalidInput, match="不能晚于今天"):
            certificates.record_handover(office, [reg.id], "张三", next_day + timedelta(days=1))
        assert certificates.record_handover(office, [reg.id], "张三", next_day).done
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).handed_over_on == next_day


@pytest.mark.parametrize("who", [enums.UNIT, enums.DISTRICT_HR, enums.CITY_HR, enums.CENTER, enums.ADMIN])
def test_no_other_role_records_a_handover(world, who):
    _unit, _app, reg = recognised(world, "越权", seq=632)
    before = snapshot_database()
    result = certificates.record_handover(world.users[who], [reg.id], "张三", clock.today())
    assert not result.done and result.refused[0][2] == "无权证书发放"
    assert snapshot_database() == before


def test_todo_filter_list_columns_and_export(client, world):
    """The office's 待发放证书 counts what the list filtered 未发放 shows; recording a handover through the
    confirmation page (today's date offered) takes the row out; 已发放 and the export show recipient and date."""
    regs = [recognised(world, f"待发{i}", seq=640 + i)[2] for i in range(2)]
    login(client, "office")
    items = todos(client)
    url, count = items["待发放证书"]
    assert count == "2" and listed(client, url) == "2"

    confirm = client.post(
        "/recognitions/action/",
        data={"action": "record_handover", "rowid": [r.id for r in regs], "url": "/recognitions/"},
    )
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "领取人" in page
    assert f'value="{clock.today().isoformat()}"' in page  # the date offered: today's, in Beijing
    future = client.post(
        "/recognitions/decide/",
        data={
            "op": "record_handover",
            "rowid": regs[0].id,
            "handover_recipient": "王五",
            "handed_over_on": (clock.today() + timedelta(days=3)).isoformat(),
        },
    )
    assert "发放日期不能晚于今天" in text_of(future)
    done = client.post(
        "/recognitions/decide/",
        data={
            "op": "record_handover",
            "rowid": regs[0].id,
            "handover_recipient": "王五",
            "handed_over_on": clock.today().isoformat(),
        },
    )
    assert '成功 <strong class="text-success">1</strong>' in done.get_data(as_text=True)
    url, count = todos(client)["待发放证书"]
    assert count == "1" and listed(client, url) == "1"

    view = next(v for v in client.application.extensions["admin"][0]._views if v.endpoint == "recognitions")
    index = next(i for i, f in enumerate(view._filters) if str(f.name) == "发放情况")
    arg = f"flt0_{view.get_filter_arg(index, view._filters[index])}"
    shown = text_of(client.get(f"/recognitions/?{arg}=done"))
    assert "王五" in shown and "待发0" in shown and "待发1" not in shown
    waiting = text_of(client.get(f"/recognitions/?{arg}=waiting"))
    assert "待发1" in waiting and "待发0" not in waiting
    workbook = load_workbook(io.BytesIO(client.post(f"/recognitions/export.xlsx?{arg}=done").data))
    rows = list(workbook.active.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    assert "发放日期" in header and "领取人" in header
    body = [r for r in rows[1:] if any(r)]
    assert len(body) == 1 and body[0][header.index("领取人")] == "王五"
    assert re.match(r"\d{4}-\d{2}-\d{2}", str(body[0][header.index("发放日期")]))

    # units and bureaus read the record, and cannot write it
    login(client, "unit_b")
    assert (
        client.post(
            "/recognitions/decide/",
            data={
                "op": "record_handover",
                "rowid": regs[1].id,
                "handover_recipient": "x",
                "handed_over_on": "2026-01-01",
            },
        ).status_code
        == 403
    )
    assert "待发放证书" not in todos(client)
    db.session.expire_all()
    assert db.session.get(Registration, regs[1].id).handed_over_on is None
    assert workflow.MACHINES["recognition"].transitions["record_handover"].roles == {enums.OFFICE}

"""考核评审's vote grid (issue 15, point 5): each candidate's own committee vote, checked per row against its
batch's quorum and majority, all or nothing with every problem at its row and cell; on both databases."""

import json
import re

import pytest
import sqlalchemy as sa

from admin_app import limits, workflow
from admin_app.extensions import db
from admin_app.services.validators import InvalidInput
from admin_app.workflow.evaluation import VoteEntry
from admin_app.workflow.states import EvaluationState, RecognitionState
from models import AuditLog, Registration, enums
from tests.conftest import login, snapshot_database, text_of
from tests.integration.test_exam_pipeline import registered, scores

FIELDS = ("vote_expected", "vote_present", "vote_yes", "vote_no", "vote_abstain")


def pending(world, key, seq):
    """A 技师 candidate whose scores passed: 待评审."""
    _unit, _app, reg = registered(world, key, grade=2, seq=seq)
    assert workflow.enter_scores(world.users[enums.CENTER], [scores(reg.id, review="85")]) == {}
    db.session.expire_all()
    assert reg.evaluation_status == EvaluationState.PENDING
    return reg


def grid_form(tallies: dict) -> dict:
    """The grid's POST: every row listed, each row's five cells (blank where not given)."""
    data = {"row": [str(row_id) for row_id in tallies]}
    for row_id, tally in tallies.items():
        for field, value in zip(FIELDS, tally or ("",) * 5, strict=True):
            data[f"{field}-{row_id}"] = value
    return data


def state_of(reg_id) -> tuple:
    db.session.rollback()
    row = db.session.get(Registration, reg_id)
    db.session.refresh(row)
    return (
        row.evaluation_status,
        row.recognition_status,
        (row.vote_expected, row.vote_present, row.vote_yes, row.vote_no, row.vote_abstain),
    )


def row_html(body: str, reg_id: int) -> str:
    """The <tr> of one row of the grid."""
    match = re.search(rf'<tr[^>]*data-row="{reg_id}".*?</tr>', body, re.S)
    assert match, f"row {reg_id} not on the page"
    return match.group(0)


def test_each_candidate_gets_its_own_tally_and_the_vote_decides(client, world):
    first, second, blank = pending(world, "v1", 500), pending(world, "v2", 501), pending(world, "v3", 502)
    login(client, world.users[enums.OFFICE].username)
    page = client.get("/evaluations/votes/")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and all(f'data-row="{r.id}"' in body for r in (first, second, blank))
    assert "法定人数为实到不少于应到的 2/3" in text_of(page)
    response = client.post(
        "/evaluations/votes/",
        data=grid_form(
            {
                first.id: ("9", "8", "7", "1", "0"),  # 7 of 8 ≥ 2/3: 评审通过
                second.id: ("11", "9", "5", "3", "1"),  # 5 of 9 < 2/3: 评审未通过
                blank.id: None,  # left blank: untouched
            }
        ),
    )
    assert response.status_code == 302 and "/evaluations/" in response.headers["Location"]
    assert state_of(first.id) == (EvaluationState.PASSED, RecognitionState.PENDING, (9, 8, 7, 1, 0))
    assert state_of(second.id) == (EvaluationState.FAILED, None, (11, 9, 5, 3, 1))
    assert state_of(blank.id) == (EvaluationState.PENDING, None, (None,) * 5)
    listing = text_of(client.get("/evaluations/"))
    assert "已保存 2 人的评审表决：评审通过 1 人，评审未通过 1 人" in listing
    audit = {
        int(row.object_id): row
        for row in db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action.in_(("evaluate_pass", "evaluate_fail")))
        )
    }
    assert set(audit) == {first.id, second.id}
    assert (audit[first.id].action, audit[first.id].opinion) == (
        "evaluate_pass",
        "应到9 实到8 同意7 不同意1 弃权0",
    )
    assert (audit[second.id].action, audit[second.id].opinion) == (
        "evaluate_fail",
        "应到11 实到9 同意5 不同意3 弃权1",
    )
    assert json.loads(audit[second.id].detail)["result"] == "同意5人，未达到实到9人的2/3，不通过"
    assert (
        audit[first.id].to_state == EvaluationState.PASSED
        and audit[first.id].user_id == world.users["office"].id
    )
    # The 办理记录 of the details page names the decision with its own label.
    details = text_of(client.get(f"/evaluations/details/?id={second.id}"))
    assert "评审不通过" in details and "应到11 实到9 同意5 不同意3 弃权1" in details
    # Decided rows leave the grid; the blank one is still there.
    body = client.get("/evaluations/votes/").get_data(as_text=True)
    assert f'data-row="{blank.id}"' in body and f'data-row="{first.id}"' not in body


def test_one_bad_row_saves_nothing_and_every_problem_is_at_its_row_and_cell(client, world):
    good, typo, short = pending(world, "b1", 510), pending(world, "b2", 511), pending(world, "b3", 512)
    too_many, half = pending(world, "b4", 513), pending(world, "b5", 514)
    login(client, world.users[enums.OFFICE].username)
    before = snapshot_database()
    response = client.post(
        "/evaluations/votes/",
        data=grid_form(
            {
                good.id: ("9", "9", "9", "0", "0"),
                typo.id: ("9", "8", "七", "1", "0"),
                short.id: ("9", "8", "5", "1", "0"),
                too_many.id: ("7", "9", "9", "0", "0"),
                half.id: ("9", "", "6", "", ""),
            }
        ),
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "有 4 行需要修改，全部未保存" in text_of(response)
    assert snapshot_database() == before  # nothing saved, the good row neither
    assert "table-danger" not in row_html(body, good.id)

    def invalid_cells(reg_id):
        return set(re.findall(r'class="[^"]*is-invalid[^"]*" name="(\w+)-\d+"', row_html(body, reg_id)))

    typo_row = row_html(body, typo.id)
    assert "同意人数应为不小于0的整数" in typo_row and invalid_cells(typo.id) == {"vote_yes"}
    assert 'value="七"' in typo_row  # what was typed is kept
    assert "同意、不同意、弃权人数之和（6）须等于实到人数（8）" in row_html(body, short.id)
    assert invalid_cells(short.id) == {"vote_yes", "vote_no", "vote_abstain"}
    assert "实到人数（9）不能多于应到人数（7）" in row_html(body, too_many.id)
    assert invalid_cells(too_many.id) == {"vote_present"}
    assert "请填写实到人数" in row_html(body, half.id) and "请填写弃权人数" in row_html(body, half.id)
    assert invalid_cells(half.id) == {"vote_present", "vote_no", "vote_abstain"}
    assert 'value="9"' in row_html(body, good.id)  # the good row keeps its input too


def test_quorum_and_majority_are_checked_per_row_with_its_batchs_rules(client, world):
    quorate, inquorate, narrow = (
        pending(world, "q1", 520),
        pending(world, "q2", 521),
        pending(world, "q3", 522),
    )
    office = world.users[enums.OFFICE]
    # 6 of 9 is exactly 2/3: a quorum. 5 of 9 is not: the vote decides nothing, neither pass nor fail.
    problems = workflow.record_votes(
        office, [VoteEntry(quorate.id, 9, 6, 6, 0, 0), VoteEntry(inquorate.id, "9", "5", "0", "5", "0")]
    )
    assert list(problems) == [inquorate.id]
    assert [p.message for p in problems[inquorate.id]] == ["实到5人，未达到应到9人的2/3，表决无效"]
    assert problems[inquorate.id][0].cells == ("vote_expected", "vote_present")
    assert state_of(quorate.id)[0] == state_of(inquorate.id)[0] == EvaluationState.PENDING
    # 4 of 7 fails under 2/3 and passes once the batch asks a simple majority.
    assert workflow.record_votes(office, [VoteEntry(narrow.id, 9, 7, 4, 3, 0)]) == {}
    assert state_of(narrow.id)[0] == EvaluationState.FAILED
    world.batch.majority_num, world.batch.majority_den = 1, 2
    db.session.commit()
    assert workflow.record_votes(office, [VoteEntry(quorate.id, 9, 7, 4, 3, 0)]) == {}
    assert state_of(quorate.id)[:2] == (EvaluationState.PASSED, RecognitionState.PENDING)
    # Through the grid: the batch's rules are printed, and a row without a quorum is refused at its row.
    login(client, office.username)
    page = text_of(client.get("/evaluations/votes/"))
    assert "通过须同意不少于实到的 1/2" in page
    response = client.post("/evaluations/votes/", data=grid_form({inquorate.id: ("12", "7", "7", "0", "0")}))
    assert "实到7人，未达到应到12人的2/3，表决无效" in row_html(response.get_data(as_text=True), inquorate.id)
    assert state_of(inquorate.id)[0] == EvaluationState.PENDING


def test_cells_are_bounded_and_read_as_people_type_them(world):
    reg = pending(world, "n1", 530)
    office = world.users[enums.OFFICE]
    problems = workflow.record_votes(
        office, [VoteEntry(reg.id, "99999999999999999999", "-1", "1.5", " ", "0")]
    )
    assert [(p.cells, p.message) for p in problems[reg.id]] == [
        (("vote_expected",), f"应到人数不能超过{limits.COMMITTEE}"),
        (("vote_present",), "实到人数应为不小于0的整数"),
        (("vote_yes",), "同意人数应为不小于0的整数"),
        (("vote_no",), "请填写不同意人数"),
    ]
    assert state_of(reg.id)[0] == EvaluationState.PENDING
    # Full-width digits and spaces are read as the numbers they are.
    assert workflow.record_votes(office, [VoteEntry(reg.id, "９", " ８ ", "８", "0", "0")]) == {}
    assert state_of(reg.id) == (EvaluationState.PASSED, RecognitionState.PENDING, (9, 8, 8, 0, 0))


def test_the_grid_follows_the_lists_filter_and_pages(client, world, monkeypatch):
    rows = [pending(world, f"f{i}", 540 + i) for i in range(3)]
    decided = pending(world, "f9", 549)
    assert workflow.record_votes(world.users[enums.OFFICE], [VoteEntry(decided.id, 9, 9, 9, 0, 0)]) == {}
    login(client, world.users[enums.OFFICE].username)
    body = client.get("/evaluations/votes/?search=f1申报人").get_data(as_text=True)
    assert re.findall(r'data-row="(\d+)"', body) == [str(rows[1].id)]
    monkeypatch.setattr(limits, "GRID", 2)
    first = client.get("/evaluations/votes/").get_data(as_text=True)
    second = client.get("/evaluations/votes/?grid_page=1").get_data(as_text=True)
    shown = re.findall(r'data-row="(\d+)"', first) + re.findall(r'data-row="(\d+)"', second)
    assert sorted(map(int, shown)) == sorted(
        r.id for r in rows
    )  # every 待评审 row once, the decided one never
    assert "共 3 人待评审" in re.sub(r"\s+", " ", first) and "下一页" in first


def test_the_list_offers_the_grid_instead_of_one_tally_for_all_ticked_rows(client, world):
    reg = pending(world, "l1", 550)
    login(client, world.users[enums.OFFICE].username)
    listing = client.get("/evaluations/").get_data(as_text=True)
    assert "按人录入评审表决" in listing and "/evaluations/votes/" in listing
    assert "data-gk-action" not in listing  # no bulk decision with one tally
    assert f"/evaluations/vote/?id={reg.id}" in listing  # the row's own icon
    details = client.get(f"/evaluations/details/?id={reg.id}").get_data(as_text=True)
    assert f"/evaluations/vote/?id={reg.id}" in details and "录入评审表决" in details
    # One row from its details page: saved, back to the details page.
    response = client.post(
        f"/evaluations/vote/?id={reg.id}", data=grid_form({reg.id: ("9", "7", "6", "1", "0")})
    )
    assert (
        response.status_code == 302 and f"/evaluations/details/?id={reg.id}" in response.headers["Location"]
    )
    assert state_of(reg.id)[0] == EvaluationState.PASSED
    again = client.get(f"/evaluations/vote/?id={reg.id}")
    assert again.status_code == 302  # decided: nothing more to record
    assert "不能录入评审表决" in text_of(client.get(again.headers["Location"]))


@pytest.mark.parametrize("role", [enums.CENTER, enums.CITY_HR, enums.DISTRICT_HR, enums.UNIT])
def test_other_roles_may_not_record_votes(client, world, role):
    reg = pending(world, f"r{role}", 560)
    user = world.users[role] if role != enums.UNIT else reg.unit.users[0]
    login(client, user.username)
    before = snapshot_database()
    assert client.get("/evaluations/votes/").status_code == 403
    assert client.get(f"/evaluations/vote/?id={reg.id}").status_code == 403
    tally = grid_form({reg.id: ("9", "9", "9", "0", "0")})
    assert client.post("/evaluations/votes/", data=tally).status_code == 403
    assert client.post(f"/evaluations/vote/?id={reg.id}", data=tally).status_code == 403
    listing = client.get("/evaluations/").get_data(as_text=True)
    assert "按人录入评审表决" not in listing and "/evaluations/vote/" not in listing
    assert snapshot_database() == before
    with pytest.raises(InvalidInput, match="^只有市工考办可以录入评审表决$"):
        workflow.record_votes(user, [VoteEntry(reg.id, 9, 9, 9, 0, 0)])


def test_rows_not_waiting_for_evaluation_are_refused_and_nothing_is_saved(client, world):
    reg, other = pending(world, "s1", 570), pending(world, "s2", 571)
    _u, _a, junior = registered(world, "s3", seq=572)  # 高级工 and below: no evaluation stage
    assert workflow.record_votes(world.users[enums.OFFICE], [VoteEntry(other.id, 9, 9, 9, 0, 0)]) == {}
    login(client, world.users[enums.OFFICE].username)
    before = snapshot_database()
    assert client.get(f"/evaluations/vote/?id={junior.id}").status_code == 404  # not in this list at all
    tallies = {
        reg.id: ("9", "9", "9", "0", "0"),
        other.id: ("9", "9", "0", "9", "0"),
        junior.id: ("9", "9", "9", "0", "0"),
    }
    response = client.post("/evaluations/votes/", data=grid_form(tallies))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "全部未保存" in text_of(response)
    assert "当前状态为“评审通过”，不能录入评审表决" in row_html(body, other.id)  # decided meanwhile
    assert f"编号 {junior.id}：" in text_of(response)  # not the list's row: named by its number
    assert f'data-row="{junior.id}"' not in body
    assert snapshot_database() == before
    assert state_of(reg.id)[0] == EvaluationState.PENDING


def test_a_save_without_the_csrf_token_is_refused(app, client, world):
    reg = pending(world, "c1", 580)
    login(client, world.users[enums.OFFICE].username)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/evaluations/votes/", data=grid_form({reg.id: ("9", "9", "9", "0", "0")}))
        assert response.status_code == 400 and "CSRF" in text_of(response)
        page = client.get("/evaluations/votes/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        data = {**grid_form({reg.id: ("9", "9", "9", "0", "0")}), "csrf_token": token}
        assert client.post("/evaluations/votes/", data=data).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert state_of(reg.id)[0] == EvaluationState.PASSED

"""考核评审 in the browser: 市工考办 opens the vote grid from the list, types each candidate's own committee
vote (each row previews what its tally gives), a row without a quorum stops the save with its message and
every input kept, the corrected grid saves every row at once. Screenshots in docs/screenshots/vote-grid-*."""

from datetime import date, datetime
from pathlib import Path

from tests.e2e.conftest import add_candidate
from tests.e2e.test_menus import login

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CANDIDATES = ("赵表决", "钱表决", "孙表决", "李表决")


def _pending_candidates(app) -> dict:
    """Four 技师 candidates whose scores passed (待评审): {name: registration id}. They belong to unit_city's
    unit, which no other browser test submits for (they hold its 技师 posts)."""
    import sqlalchemy as sa

    from admin_app.extensions import db
    from admin_app.workflow.states import (
        EvaluationState,
        ExamCategory,
        RegistrationState,
        ScoreResult,
    )
    from models import ExamBatch, Trade, User

    ids = {}
    with app.app_context():
        unit = db.session.scalar(sa.select(User).where(User.username == "unit_city")).organisation
        batch = db.session.scalar(sa.select(ExamBatch).where(ExamBatch.year == 2021))
        trade = db.session.scalar(sa.select(Trade).where(Trade.name == "维修电工"))
        for seq, name in enumerate(CANDIDATES, start=61):
            registration = add_candidate(
                unit,
                batch,
                trade,
                name,
                seq=seq,
                birth=date(1975, 3, 3),
                worker={
                    "work_start_date": date(1995, 7, 1),
                    "current_grade": 3,
                    "current_grade_date": date(2012, 1, 1),
                },
                grade=2,
                status=RegistrationState.REGISTERED,
                phone="13800138001",
                exam_category=ExamCategory.BOTH,
                registered_at=datetime(2021, 7, 10, 2),
                theory_score=82,
                practice_score=88,
                review_score=85,
                score_result=ScoreResult.PASS,
                scores_entered_at=datetime(2021, 9, 1, 2),
                evaluation_status=EvaluationState.PENDING,
            )
            registration.ticket_number = f"20212{registration.id:06d}"
            ids[name] = registration.id
        db.session.commit()
    return ids


def _fill(page, reg_id, tally):
    for field, value in zip(
        ("vote_expected", "vote_present", "vote_yes", "vote_no", "vote_abstain"), tally, strict=True
    ):
        page.fill(f"#{field}-{reg_id}", value)


def _outcome(page, reg_id) -> str:
    return page.inner_text(f"tr[data-row='{reg_id}'] .gk-vote-outcome").strip()


def _stored(app, ids) -> dict:
    from admin_app.extensions import db
    from models import Registration

    with app.app_context():
        rows = {name: db.session.get(Registration, reg_id) for name, reg_id in ids.items()}
        return {
            name: (
                row.evaluation_status,
                (row.vote_expected, row.vote_present, row.vote_yes, row.vote_no, row.vote_abstain),
            )
            for name, row in rows.items()
        }


def test_office_records_each_candidates_vote_in_the_grid(page, live_server):
    from admin_app.workflow.states import EvaluationState

    SCREENSHOTS.mkdir(exist_ok=True)
    ids = _pending_candidates(live_server.app)
    login(page, live_server, "office")
    page.goto(f"{live_server}/evaluations/")
    page.click("text=按人录入评审表决")
    page.wait_for_load_state("networkidle")
    assert "/evaluations/votes/" in page.url
    for name in CANDIDATES:
        assert page.locator(f"tr[data-row='{ids[name]}']").count() == 1, name

    # Each row its own tally; the row shows what it gives as it is typed. 李表决 is left blank.
    _fill(page, ids["赵表决"], ("9", "8", "7", "1", "0"))
    _fill(page, ids["钱表决"], ("9", "7", "4", "3", "0"))
    _fill(page, ids["孙表决"], ("9", "5", "5", "0", "0"))
    assert _outcome(page, ids["赵表决"]) == "评审通过"
    assert _outcome(page, ids["钱表决"]) == "评审未通过"
    assert _outcome(page, ids["孙表决"]) == "未达法定人数，表决无效"
    assert _outcome(page, ids["李表决"]) == ""
    page.screenshot(path=str(SCREENSHOTS / "vote-grid-1-filled.png"), full_page=True)

    # 孙表决's meeting had no quorum: nothing is saved, the row says why, every input is still there.
    page.click("button:has-text('保存评审表决')")
    page.wait_for_load_state("networkidle")
    body = page.inner_text("body")
    assert "有 1 行需要修改，全部未保存" in body
    sun = page.locator(f"tr[data-row='{ids['孙表决']}']")
    assert "实到5人，未达到应到9人的2/3，表决无效" in sun.inner_text()
    assert "table-danger" in sun.get_attribute("class")
    assert "is-invalid" in page.get_attribute(f"#vote_present-{ids['孙表决']}", "class")
    assert page.input_value(f"#vote_yes-{ids['赵表决']}") == "7"
    assert page.input_value(f"#vote_no-{ids['钱表决']}") == "3"
    assert all(state == EvaluationState.PENDING for state, _ in _stored(live_server.app, ids).values())
    page.screenshot(path=str(SCREENSHOTS / "vote-grid-2-row-without-quorum.png"), full_page=True)

    # Corrected (6 of 9 present is the quorum): the three tallies are saved at once, each on its own row.
    page.fill(f"#vote_present-{ids['孙表决']}", "6")
    page.fill(f"#vote_yes-{ids['孙表决']}", "6")
    assert _outcome(page, ids["孙表决"]) == "评审通过"
    page.click("button:has-text('保存评审表决')")
    page.wait_for_load_state("networkidle")
    assert "已保存 3 人的评审表决：评审通过 2 人，评审未通过 1 人" in page.inner_text("body")
    assert "/evaluations/" in page.url and "/votes/" not in page.url
    page.screenshot(path=str(SCREENSHOTS / "vote-grid-3-saved.png"), full_page=True)
    assert _stored(live_server.app, ids) == {
        "赵表决": (EvaluationState.PASSED, (9, 8, 7, 1, 0)),
        "钱表决": (EvaluationState.FAILED, (9, 7, 4, 3, 0)),
        "孙表决": (EvaluationState.PASSED, (9, 6, 6, 0, 0)),
        "李表决": (EvaluationState.PENDING, (None,) * 5),
    }

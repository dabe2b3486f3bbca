"""The score grid keeps every input as typed after a refused save, 缺考 ticks included (both databases)."""

import re

import pytest

from admin_app import workflow
from admin_app.extensions import db
from tests.conftest import login, text_of
from tests.integration.test_exam_pipeline import registered


def checked(page: str, name: str) -> bool:
    tag = re.search(rf'<input type="checkbox" name="{re.escape(name)}"[^>]*>', page)
    assert tag, name
    return "checked" in tag.group(0)


def value_of(page: str, name: str) -> str:
    tag = re.search(rf'<input class="[^"]*" name="{re.escape(name)}" value="([^"]*)">', page)
    assert tag, name
    return tag.group(1)


@pytest.fixture
def three(world):
    rows = [registered(world, f"grid{i}", seq=700 + i)[2] for i in range(3)]
    # The third was entered absent before: a refused save must not show its stored tick over the typed state.
    assert not workflow.enter_scores(
        world.users["center"], [workflow.ScoreEntry(rows[2].id, None, None, None, True)]
    )
    db.session.expire_all()
    return rows


def test_a_refused_grid_save_shows_every_input_as_typed(client, world, three):
    first, second, third = three
    login(client, "center")
    url = "/scores/grid/?search=grid"
    page = text_of(client.get(url))
    assert not checked(page, f"absent-{first.id}") and checked(page, f"absent-{third.id}")
    form = {
        f"row-{first.id}": "1",
        f"theory-{first.id}": "",
        f"practice-{first.id}": "",
        f"absent-{first.id}": "y",  # ticked 缺考
        f"row-{second.id}": "1",
        f"theory-{second.id}": "101",  # refused
        f"practice-{second.id}": "66",
        f"row-{third.id}": "1",
        f"theory-{third.id}": "77",  # no longer absent: the tick was taken off
        f"practice-{third.id}": "88",
    }
    page = text_of(client.post(url, data=form))
    assert "全部未保存" in page and "业务理论成绩应在0到100之间" in page
    assert checked(page, f"absent-{first.id}")
    assert not checked(page, f"absent-{second.id}")
    assert not checked(page, f"absent-{third.id}")
    assert value_of(page, f"theory-{second.id}") == "101"
    assert value_of(page, f"practice-{second.id}") == "66"
    assert value_of(page, f"theory-{third.id}") == "77"
    assert value_of(page, f"practice-{third.id}") == "88"
    db.session.expire_all()
    assert not first.absent and second.theory_score is None and third.absent  # nothing saved
    # The clerk corrects the one bad cell and saves what the page shows: every row as meant.
    form[f"theory-{second.id}"] = "91"
    assert client.post(url, data=form).status_code == 302
    db.session.expire_all()
    assert first.absent and first.theory_score is None
    assert float(second.theory_score) == 91.0
    assert not third.absent and float(third.theory_score) == 77.0


def test_a_refused_single_save_keeps_the_tick(client, world, three):
    first = three[0]
    login(client, "center")
    page = text_of(
        client.post(
            f"/scores/score/?id={first.id}",
            data={f"row-{first.id}": "1", "theory": "abc", "practice": "", "absent": "y"},
        )
    )
    assert checked(page, "absent")
    assert value_of(page, "theory") == "abc"
    db.session.expire_all()
    assert not first.absent

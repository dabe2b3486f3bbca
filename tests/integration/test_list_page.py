"""The parts of every list page written once instead of by the template's loops: a row's cells
(``LinksMixin.list_cells``) and the main menu (``admin_registry.menu_html``). Each must give what
Flask-Admin's own template gives, for every list view and role."""

import re

from flask_admin.contrib.sqla import ModelView

from admin_app.workflow.states import RegistrationState
from tests.affairs_rows import add_affairs_rows
from tests.conftest import login
from tests.integration.test_chinese_ui import USER_FOR_ROLE
from tests.reminder_rows import add_reminder_rows

MENU = re.compile(
    r'<ul class="nav navbar-nav mr-auto">(.*?)</ul>\s*<ul class="nav navbar-nav navbar-right">', re.S
)
TABLE = re.compile(r'<table class="table[^"]*model-list">.*?</table>', re.S)


def _tight(html: str) -> str:
    """``html`` without the whitespace between tags and around text (the template's indentation)."""
    return re.sub(r"\s+", " ", re.sub(r"\s*(<|>)\s*", r"\1", html)).strip()


def _views_and_users(app):
    for view in app.extensions["admin"][0]._views:
        if not isinstance(view, ModelView) or view.endpoint == "unitprofile":
            continue
        for role, user in USER_FOR_ROLE.items():
            if role in view.read_roles:
                yield view, user


def test_every_list_writes_the_rows_flask_admins_template_writes(app, client, world, monkeypatch):
    """Each list page, for each role that reads it, as written (cells in one call) and as Flask-Admin's row
    block writes it (taken when a column is edited inline: here a column that does not exist, so no cell is
    a form): the same table. The world's rows include an escaped name, an empty value and a score its unit
    may not see yet."""
    world.workers["A"].name = "<b>甲&工人</b>"
    world.applications["A"].quota_exempt_reason = None
    registered = world.registrations["A"]  # a score not published: hidden from its unit (get_list_value)
    registered.status, registered.ticket_number = RegistrationState.REGISTERED, "20214000999"
    registered.theory_score = 85.5
    add_affairs_rows(world)
    add_reminder_rows(world)
    from admin_app.extensions import db

    db.session.commit()
    compared = rows = 0
    for view, user in _views_and_users(app):
        login(client, user)
        written = client.get(view.url + "/")
        if written.status_code != 200:
            continue
        with monkeypatch.context() as patch:
            patch.setattr(view, "column_editable_list", {"no such column"})
            patch.setattr(view, "list_form", lambda obj=None: None)
            stock = client.get(view.url + "/")
        ours, theirs = (
            TABLE.search(written.get_data(as_text=True)),
            TABLE.search(stock.get_data(as_text=True)),
        )
        assert ours and theirs, view.endpoint
        assert _tight(ours.group(0)) == _tight(theirs.group(0)), f"{view.endpoint} as {user}"
        rows += ours.group(0).count('<td class="list-buttons-column">')
        compared += 1
    assert compared >= 30 and rows >= 60, (compared, rows)
    login(client, "unit_a")
    body = client.get("/applications/").get_data(as_text=True)
    assert "&lt;b&gt;甲&amp;工人&lt;/b&gt;" in body and "<b>甲&工人</b>" not in body
    scores = client.get("/scores/").get_data(as_text=True)
    assert "A考生" in scores and "85.5" not in scores


def test_the_menu_kept_per_role_and_page_is_the_one_the_template_renders(app, client, world):
    """Pages of several roles in turn, each menu kept after its first render; then each page alone with
    nothing kept: the same menus. Each shows what its role reads, its role's names, and marks its page."""
    admin = app.extensions["admin"][0]
    pages = [
        (view, user) for view, user in _views_and_users(app) if view.endpoint in ("applications", "scores")
    ]
    pages += [(admin.index_view, user) for user in USER_FOR_ROLE.values()]  # 首页

    def menu(view, user):
        login(client, user)
        response = client.get("/" if view is admin.index_view else view.url + "/")
        assert response.status_code == 200, (view.endpoint, user)
        return _tight(MENU.search(response.get_data(as_text=True)).group(1))

    admin.__dict__.pop("gk_menus", None)
    kept = {(view.endpoint, user): menu(view, user) for view, user in pages}
    assert len(admin.gk_menus) == len({(view.endpoint, user) for view, user in pages})
    # served from the store: the same pages again, and another user of a role already seen
    assert {(view.endpoint, user): menu(view, user) for view, user in pages} == kept
    assert menu(admin.index_view, "unit_b") == kept["admin", "unit_a"]
    assert len(admin.gk_menus) == len(kept)
    fresh = {}
    for view, user in pages:
        admin.gk_menus.clear()
        fresh[view.endpoint, user] = menu(view, user)
    assert kept == fresh
    assert (
        "单位基本信息" in kept["applications", "unit_a"]
        and "单位基本信息" not in kept["applications", "office"]
    )
    assert "成绩录入" in kept["scores", "center"] and "成绩录入" not in kept["scores", "office"]
    assert re.search(r'dropdown-item active\s*"\s*href="/applications/"', kept["applications", "office"])
    assert not re.search(r'dropdown-item active\s*"\s*href="/applications/"', kept["admin", "office"])

"""No Flask-Admin leftovers, for every role on every page it can reach (generated, not listed by hand).

Each login of the in-scope world (``tests/scope_world.py``, with a registration in every stage added here)
walks the site from 首页 and from every admin view's list: every page it reaches is rendered, each list,
details, edit/create and custom page (grids, print pages, imports, 统计分析, 站内消息 …) is read, and:

- no "None", no English word of the deny-list, no grade printed as "4级" in what a user reads (text,
  buttons, options, ``title``/``placeholder``/``aria-label``: tooltips such as "absent: false");
- no empty 筛选器 box (Flask-Admin's details filter) and no message shown twice;
- every link on the page answers this user (no 403/404, no redirect back with a refusal), every row
  icon that deletes is one the view would accept for that row, and every decision button is a transition
  open to this user on that row now;
- row icons carry a Chinese label (visible or ``title`` + ``aria-label``).
"""

import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_admin.contrib.sqla import ModelView
from flask_login import login_user
from werkzeug.exceptions import HTTPException

from admin_app import workflow
from admin_app.actor import Actor
from admin_app.extensions import db
from admin_app.workflow.states import (
    ApplicationState,
    EvaluationState,
    RecognitionState,
    RegistrationState,
    ScoreResult,
)
from models import User
from tests.conftest import login
from tests.factories import add_application, add_registration, add_worker
from tests.scope_world import USERNAMES, build_inscope_world
from views import summary_sheet

# English words Flask-Admin and WTForms put on pages (visible text only; CSS classes are not read).
DENY = re.compile(
    r"\b(None|True|False|true|false|items?|Items?|Save|Cancel|Delete|Edit|View|Details|Filter|Filters|Search"
    r"|Add|List|Create|Export|Actions?|Record|Records|Home|Back|Submit|Reset|Apply|Previous|Next|Yes|No"
    r"|Select|selected|Are you sure|absent|Loading|Please|Required|required|Invalid|Not a valid|Choose"
    r"|Upload|Download|Print|Close|Ok|OK|Confirm|Remove|New|Page|of|Show|Hide|Import|Error)\b"
)
GRADE_DIGIT = re.compile(r"\d\s*级")
SKIP_ENDPOINTS = {"static", "admin.static", "favicon", "auth.logout", "health.healthz"}
# A redirect that is the page's purpose, not a refusal (单位基本信息 opens the unit's own form).
REDIRECTS_BY_DESIGN = {"unitprofile.index_view"}
USER_ROLES = (*USERNAMES, "unit_e")
FILES = (".xlsx", ".zip")
LIST_VARIANTS = 6  # sorted, filtered, paged: the first few URLs of a list (the 首页 to-dos among them)


# --- a registration in every stage on top of the in-scope world ----------------------------------------


def _every_stage(world):
    """Registrations of unit A (渝中) waiting at each step the scope world leaves empty: 待确认, 已退回,
    待缴费确认, scores to enter, 待评审 (技师), 已认定 (its certificate printable)."""
    unit = world.units["A"]
    for seq, (name, grade, stage) in enumerate(
        (
            ("甲待确认", 4, RegistrationState.PENDING),
            ("甲已退回", 4, RegistrationState.RETURNED),
            ("甲待缴费", 4, RegistrationState.FEE),
            ("甲待录成绩", 4, "registered"),
            ("甲待评审", 2, "evaluation"),
            ("甲已认定", 4, "recognised"),
        ),
        start=600,
    ):
        worker = add_worker(unit, name, seq, world.trade, world.batch)
        db.session.flush()
        application = add_application(world, worker, grade=grade, status=ApplicationState.APPROVED)
        if stage == "recognised":
            reg = add_registration(application, "awaiting_recognition")
            reg.recognition_status = RecognitionState.RECOGNISED
            continue
        reg = add_registration(application)
        if stage in ("registered", "evaluation"):
            reg.status, reg.ticket_number = RegistrationState.REGISTERED, f"20214{reg.id:06d}"
        else:
            reg.status = stage
        if stage == "evaluation":
            reg.theory_score, reg.practice_score, reg.review_score = 80, 85, 90
            reg.score_result = ScoreResult.PASS
            reg.evaluation_status = EvaluationState.PENDING
    db.session.commit()
    return world


@pytest.fixture
def stages(world):
    return _every_stage(build_inscope_world(world))


# --- reading a page as a user reads it --------------------------------------------------------------------

READ_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "data-gk-confirm")


class Page(HTMLParser):
    """The visible text (scripts and styles skipped), the attributes a user reads, links, forms, messages
    and row icons of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.attributes, self.links, self.forms, self.messages, self.icons = [], [], [], [], [], []
        self._skip = 0
        self._form = None
        self._message = None
        self._icon = None
        self._inline = None
        self.filter_box = False

    def feed_inline(self, html: str):
        """Read an escaped template (a new inline row) as part of the page."""
        inner = Page()
        inner.feed(html)
        self.text += inner.text
        self.attributes += inner.attributes

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if self._skip:
            self._skip += tag in ("div", "script", "style", "template")
            return
        # Scripts, styles and the JSON read by the page's scripts (filters, actions: values, not words).
        if tag in ("script", "style", "template") or a.get("id", "").endswith("-data"):
            self._skip = 1
            return
        if "inline-field-template" in a.get("class", "").split():
            self._inline = [1, []]  # the escaped form of a new inline row: read when the user adds one
            return
        if self._inline is not None:
            self._inline[0] += tag == "div"
        for name in READ_ATTRIBUTES:
            if a.get(name):
                self.attributes.append((name, a[name]))
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.text.append(a["value"])
        if tag == "input" and a.get("id") == "fa_filter":
            self.filter_box = True
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if "icon" in a.get("class", "").split():
                self._icon = {"title": a.get("title"), "aria": a.get("aria-label"), "text": []}
        if tag == "form":
            self._form = {
                "method": a.get("method", "get").lower(),
                "action": a.get("action", ""),
                "fields": {},
            }
            self._form["icon"] = "icon" in a.get("class", "").split()
            self.forms.append(self._form)
        named = self._form is not None and a.get("name")
        if named and (tag == "input" or (tag == "button" and a.get("value"))):
            self._form["fields"].setdefault(a["name"], a.get("value", ""))
        if tag == "button" and self._form is not None and self._form["icon"]:
            self._icon = {"title": a.get("title"), "aria": a.get("aria-label"), "text": []}
        if "alert" in a.get("class", "").split() and self._message is None:
            self._message = [tag, 0, []]
        if self._message is not None and tag == self._message[0]:
            self._message[1] += 1

    def handle_endtag(self, tag):
        if self._skip:
            self._skip -= tag in ("div", "script", "style", "template")
            return
        if self._inline is not None and tag == "div":
            self._inline[0] -= 1
            if self._inline[0] == 0:
                escaped, self._inline = "".join(self._inline[1]), None
                self.feed_inline(escaped)
            return
        if tag == "form":
            self._form = None
        if tag in ("a", "button") and self._icon is not None:
            self.icons.append(self._icon)
            self._icon = None
        if self._message is not None and tag == self._message[0]:
            self._message[1] -= 1
            if self._message[1] == 0:
                self.messages.append(" ".join("".join(self._message[2]).split()).removeprefix("×").strip())
                self._message = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._inline is not None:
            self._inline[1].append(data)
            return
        self.text.append(data)
        if self._message is not None:
            self._message[2].append(data)
        if self._icon is not None:
            self._icon["text"].append(data)


def leftovers(page: Page) -> list[str]:
    """What on this page is a Flask-Admin leftover, in words."""
    found = []
    read = [("text", " ".join(" ".join(page.text).split()))] + page.attributes
    for where, text in read:
        for pattern in (DENY, GRADE_DIGIT):
            for match in pattern.finditer(text):
                context = text[max(0, match.start() - 30) : match.end() + 30]
                found.append(f"{where}: {match.group(0)!r} in …{context}…")
    if page.filter_box:
        found.append("a 筛选器 box (Flask-Admin's details filter)")
    found += [f"message shown {n} times: {m}" for m, n in Counter(page.messages).items() if m and n > 1]
    for icon in page.icons:
        label = "".join(icon["text"]).strip() or (icon["title"] if icon["aria"] else "")
        if not re.search(r"[\u4e00-\u9fff]", label or ""):
            found.append(f"a row icon without a Chinese label: {icon}")
    return found


# --- what the user's own views would say about a form on the page -----------------------------------------


def _view_of(app, endpoint):
    prefix = endpoint.rsplit(".", 1)[0]
    return next((v for v in app.extensions["admin"][0]._views if v.endpoint == prefix), None)


def refused_form(app, user_id, endpoint, form) -> str | None:
    """Why the view would refuse this POST form for ``user`` (None: it would accept it)."""
    view = _view_of(app, endpoint)
    if not isinstance(view, ModelView):
        return None
    name = endpoint.rsplit(".", 1)[1]
    fields = form["fields"]
    with app.test_request_context():
        user = db.session.get(User, user_id)
        login_user(user)
        try:
            if name == "delete_view":
                if not view.can_delete:
                    return "删除 for a role that may not delete"
                row = view.get_one(fields.get("id"))
                return view.delete_lock_reason(row)
            if name in ("decide_view", "action_view") and fields.get("rowid"):
                op = fields.get("op") or fields.get("action")
                open_now = {
                    t.name
                    for t in workflow.available_transitions(
                        Actor.of(user), view.workflow_machine, fields["rowid"]
                    )
                }
                return None if op in open_now else f"{op} is not open on row {fields['rowid']}"
        except HTTPException as exc:
            return f"the row is out of reach ({exc})"
        finally:
            db.session.rollback()
    return None


def refused_endpoint(app, username, endpoint) -> str | None:
    """Why the view would refuse ``endpoint`` to this user's role (its ``endpoint_roles``), else None."""
    view = _view_of(app, endpoint)
    role = db.session.query(User).filter_by(username=username).one().role
    db.session.rollback()
    roles = getattr(view, "endpoint_roles", {}).get(endpoint.rsplit(".", 1)[1])
    if roles is not None and role not in roles:
        return f"{endpoint} is not open to {role}"
    if view is not None and hasattr(view, "read_roles") and role not in view.read_roles:
        return f"{view.endpoint} is not open to {role}"
    return None


# --- the walk -------------------------------------------------------------------------------------------


def _refusal(client, response) -> str | None:
    """Why this answer is a refusal (None: the page or file was served)."""
    if response.status_code == 200:
        return None
    if response.status_code in (301, 302, 303):
        location = response.headers.get("Location", "")
        with client.session_transaction() as session:
            errors = [m for c, m in session.get("_flashes", []) if c in ("error", "danger", "warning")]
            session.pop("_flashes", None)
        # 附表3 of a query without submitted applications: nothing to make, said as a notice, not a refusal
        errors = [m for m in errors if m != summary_sheet.NO_ROWS]
        if "/login" in location or errors:
            return f"redirected to {location} with {errors}"
        return None
    return f"answered {response.status_code}"


def walk(app, client, username):
    """Every page reachable by this login from 首页 and the admin views' lists: (problems, endpoints read)."""
    adapter = app.url_map.bind("localhost")
    user_id = db.session.query(User.id).filter_by(username=username).scalar()
    db.session.rollback()
    start = ["/"] + sorted(
        r.rule
        for r in app.url_map.iter_rules()
        if r.endpoint.endswith((".index_view", ".index")) and not r.arguments
    )
    queue = [(url, None) for url in start]
    answered, read, downloaded, problems, variants = {}, set(), set(), [], Counter()
    while queue:
        url, source = queue.pop(0)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url in answered:
            continue
        try:
            endpoint, _args = adapter.match(parts.path)
        except HTTPException:
            problems.append(f"{source} links to {url}, which is no page")
            continue
        if endpoint in SKIP_ENDPOINTS:
            continue
        if parts.path.endswith(FILES) or "export" in endpoint:  # a generated file: one per endpoint
            if endpoint in downloaded:
                continue
            downloaded.add(endpoint)
        if parts.path.endswith(".pdf"):  # seconds per PDF: the role may call it (its HTML page is read)
            if reason := refused_endpoint(app, username, endpoint):
                problems.append(f"{source} links to {url}: {reason}")
            continue
        variants[endpoint] += 1
        if endpoint.endswith(".index_view") and variants[endpoint] > LIST_VARIANTS:
            continue
        response = client.get(url)
        answered[url] = response.status_code
        if response.status_code == 500:
            problems.append(f"{url} answered 500")
            continue
        refusal = _refusal(client, response) if endpoint not in REDIRECTS_BY_DESIGN else None
        if refusal:
            if source is not None:  # the start URLs of views this role may not open are not links
                problems.append(f"{source} links to {url}: {refusal}")
            continue
        key = (endpoint, parse_qs(parts.query).get("id", [None])[0])
        if response.status_code != 200 or response.mimetype != "text/html" or key in read:
            continue
        read.add(key)
        page = Page()
        page.feed(response.get_data(as_text=True))
        problems += [f"{url}: {p}" for p in leftovers(page)]
        for href in page.links:
            if not href.startswith(("javascript:", "#", "mailto:")):
                queue.append((href, url))
        for form in page.forms:
            if form["method"] != "post" or not form["action"].startswith("/"):
                continue
            try:
                target, _args = adapter.match(urlsplit(form["action"]).path, method="POST")
            except HTTPException:
                problems.append(f"{url}: a form posts to {form['action']}, which takes no POST")
                continue
            if reason := refused_form(app, user_id, target, form):
                problems.append(f"{url}: a form to {target} {form['fields']} would be refused: {reason}")
    return problems, {endpoint for endpoint, _id in read}


@pytest.mark.parametrize("username", USER_ROLES)
def test_no_flask_admin_leftovers_on_any_page_of_the_role(app, client, stages, username):
    assert login(client, username).status_code == 302
    problems, endpoints = walk(app, client, username)
    assert not problems, f"{username}:\n" + "\n".join(sorted(set(problems)))
    # Not vacuous: the walk read lists, details pages and the role's custom pages.
    assert {"admin.index", "auth.change_password"} <= endpoints, endpoints
    assert any(e.endswith(".details_view") for e in endpoints), endpoints
    assert len(endpoints) >= 10, endpoints


def test_the_walk_catches_a_leftover():
    """The reader flags what it should, and not a Chinese page."""
    page = Page()
    page.feed(
        '<div class="alert alert-danger">不能修改</div><div class="alert alert-danger">不能修改</div>'
        '<p>20 items</p><td title="absent: false">5级</td><td>None</td><input id="fa_filter">'
        '<a class="icon" href="/x/"><span class="fa fa-eye"></span></a><script>var None = 1;</script>'
    )
    found = "\n".join(leftovers(page))
    for expected in (
        "items",
        "absent",
        "5级",
        "'None'",
        "筛选器",
        "shown 2 times",
        "without a Chinese label",
    ):
        assert expected in found, expected
    assert found.count("'None'") == 1  # the script is not read
    ok = Page()
    ok.feed(
        '<div class="alert">已保存</div><a class="icon" href="/x/" title="查看" aria-label="查看">查看</a>'
    )
    assert leftovers(ok) == []

"""No input gives a 500 or shows SQL — generated from the URL map.

Every endpoint of ``app.url_map`` (URL converters filled with sensible values), for every role and
anonymous, receives a corpus of hostile values: in each query parameter a list page, row page or the
endpoint itself reads (id, page, page_size, sort, desc, search, one 组合查询 of each filter kind, and every
``request.args`` name found in the code), the same parameters repeated, and for POST endpoints in every form
field (found in the form the page shows, or in the code for POST-only endpoints), all at once and one field
at a time. For every answer:

- no 5xx, and no database error at all: the database never sees a value it refuses (SQLAlchemy's
  ``handle_error`` hook and the error log stay empty) — the input checks stop it first;
- no SQL, traceback, driver name or English error text in the body;
- requests carrying a control character (NUL …) change nothing in the database.

The corpus is sampled per endpoint and role deterministically (each parameter gets one value per role,
rotating, so that across the roles every parameter meets most of the corpus); runtime stays bounded.
"""

import hashlib
import io
import logging
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_admin.contrib.sqla import ModelView
from werkzeug.datastructures import MultiDict

from admin_app.extensions import db
from admin_app.services import clock
from admin_app.workflow.states import JobState
from models import Job, enums
from tests.conftest import login, text_of
from tests.integration.test_job_buttons_post import QUEUEING
from tests.integration.test_scope_matrix import ROLES

CORPUS = {
    "huge": "99999999999999999999",
    "int64": str(2**63),
    "int32": "2147483648",
    "negative": "-1",
    "float": "1e999",
    "nul": "甲\x00乙",
    "control": "a\x01\x08\x1b[2J\x7f",
    "long": "长" * 10_000,
    "wrong_type": "abc';--",
    "empty": "",
    "fullwidth": "１２３",
    "date": "9999-99-99",
}
CONTROL = ("nul", "control")
VALUES = list(CORPUS)
# Flask-Admin's own list and picker parameters; the code's own are read from the source below.
LIST_PARAMS = ["id", "page", "page_size", "sort", "desc", "search", "url", "name", "query", "offset", "limit"]
FORBIDDEN_TEXT = re.compile(
    r"SQL|Traceback|sqlalchemy|psycopg|sqlite3|Internal Server Error|Bad Request|Not Found|Method Not"
    r"|Forbidden|Unauthorized|Integrity error|Failed to|Invalid Filter|Record does not|Not a valid"
    r"|DataError|OperationalError|Exception"
)
RANDOM_TOKENS = re.compile(r'(?:name="csrf_token" value|nonce|csrf-token" content)="[^"]*"')
# Tables a request may legitimately write to without changing data: its own session record (last seen),
# failed-login records, the audit log, the public 证书查验's look-ups (counted per address for its limit).
VOLATILE_TABLES = {"audit_log", "user_session", "login_failure", "login_lock", "certificate_lookup"}
ROOT = Path(__file__).resolve().parents[2]


def _code_params(pattern: str) -> list[str]:
    names = set()
    for path in [*ROOT.joinpath("views").glob("*.py"), *ROOT.joinpath("admin_app").rglob("*.py")]:
        names.update(re.findall(pattern, path.read_text(encoding="utf-8")))
    return sorted(names)


QUERY_PARAMS = sorted(set(LIST_PARAMS) | set(_code_params(r"request\.args\.get(?:list)?\(\s*\"(\w+)\"")))
# Fields read from ``request.form`` directly (bulk operations, 报名, 成绩 …); f-string ones take a row id.
RAW_FORM_FIELDS = sorted(
    set(_code_params(r"form\.get(?:list)?\(\s*\"(\w+)\"")) | {"rowid", "id", "list_form_pk", "url"}
)


def _pick(*parts) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


class _Forms(HTMLParser):
    """The POST forms of a page as a browser would submit them: [(action, {name: [values]})]."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = (a.get("action") or "", (a.get("method") or "get").lower(), {})
            self.forms.append(self._form)
        elif tag == "option" and self._select and self._form is not None:
            chosen = self._form[2][self._select]
            if "selected" in a or not chosen:
                chosen[:] = [a.get("value", "")]
        elif self._form is None or "name" not in a:
            return
        elif tag == "input" and a.get("type", "text") not in ("submit", "button", "image", "reset"):
            kind = a.get("type", "text")
            if kind == "file":
                self._form[2].setdefault(a["name"], [])
            elif kind not in ("checkbox", "radio") or "checked" in a:
                self._form[2].setdefault(a["name"], []).append(a.get("value") or "")
        elif tag == "select":
            self._select = a["name"]
            self._form[2].setdefault(self._select, [])
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form[2].setdefault(self._textarea, [""])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form[2][self._textarea] = [data]


def page_form(body: str) -> dict:
    """The fields of the page's main POST form (the one with most fields; the navbar's 退出 is not it)."""
    parser = _Forms()
    parser.feed(body)
    forms = [f for f in parser.forms if f[1] == "post" and "logout" not in f[0]]
    fields = max((f[2] for f in forms), key=len, default={})
    fields.pop("csrf_token", None)
    return fields


def model_views(app):
    return {v.endpoint: v for v in app.extensions["admin"][0]._views if isinstance(v, ModelView)}


def rule_url(rule) -> str:
    values = {"export_type": "xlsx", "filename": "gk.css"}
    if rule.endpoint == "admin.static":
        values["filename"] = "admin/js/helpers.js"
    return rule.build({name: values.get(name, "1") for name in rule.arguments}, append_unknown=False)[1]


def filter_params(view) -> list[str]:
    """One 组合查询 parameter per kind of value (integer, list, date, text, empty)."""
    kinds = ("Int", "InList", "Date", "Like", "Empty")
    seen, params = set(), []
    for index, flt in enumerate(view._filters or ()):
        kind = next((k for k in kinds if k in type(flt).__name__), "other")
        if kind not in seen:
            seen.add(kind)
            params.append(f"flt{len(params)}_{view.get_filter_arg(index, flt)}")
    return params


def chunks(items: list, size: int, seed) -> list[list]:
    """``items`` in a deterministic order that depends on ``seed``, cut into groups of ``size``."""
    ordered = sorted(items, key=lambda item: _pick(seed, item))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def first_visible_id(app, view, user) -> int | None:
    """The first row of the view the user may reach (its list scope), for row pages and forms."""
    from flask import g

    with app.test_request_context("/"):
        g._login_user = user  # flask-login's current user, without a login (no session record)
        row = view.get_query().with_entities(view.model.id).order_by(view.model.id).first()
        db.session.rollback()
    return row[0] if row else None


class Watch:
    """Database errors seen by SQLAlchemy and error records logged while requests run; every problem found
    is kept (the test reports them all at the end, not just the first)."""

    def __init__(self, caplog):
        self.caplog, self.database_errors, self.problems = caplog, [], []

    def __call__(self, context):
        self.database_errors.append(repr(context.original_exception)[:300])

    def problem(self, text: str) -> None:
        self.problems.append(text)
        self.database_errors.clear()
        self.caplog.clear()

    def check(self, response, what):
        status = response.status_code
        if status >= 500:
            return self.problem(f"{what}: {status}")
        if self.database_errors:
            return self.problem(f"{what}: the database refused {self.database_errors}")
        logged = [r for r in self.caplog.records if r.levelno >= logging.ERROR]
        if logged:
            return self.problem(f"{what}: logged {logged[0].getMessage()[:300]}")
        if response.mimetype in ("text/html", "application/json", "text/plain"):
            # Random tokens (CSRF, script nonces) may spell anything, "SQL" included.
            body = RANDOM_TOKENS.sub("", response.get_data(as_text=True))
            found = FORBIDDEN_TEXT.search(body)
            if found:
                context = body[max(found.start() - 150, 0) : found.end() + 80]
                return self.problem(f"{what}: {status} shows {found.group(0)!r}: …{context}…")
        return None


def snapshot() -> dict:
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name not in VOLATILE_TABLES:
            order = list(table.primary_key.columns)
            rows[table.name] = [tuple(r) for r in db.session.execute(sa.select(table).order_by(*order))]
    db.session.rollback()
    return rows


class Hostile:
    """One role's run: sends requests, checks each answer, keeps the problems."""

    def __init__(self, app, client, watch, role, user):
        self.app, self.client, self.watch, self.role, self.user = app, client, watch, role, user
        self.role_index = ROLES.index(role)
        self.sent = 0

    def log_in(self):
        if self.user is not None:
            assert login(self.client, self.user.username).status_code == 302

    def send(self, method, url, what, **kwargs):
        what = f"{self.role} {method} {url} {what}"
        self.sent += 1
        try:
            response = self.client.open(url, method=method, **kwargs)
        except Exception as exc:  # noqa: BLE001 - TESTING propagates what would be a 500
            self.watch.problem(f"{what}: raised {exc!r}"[:500])
            return None
        self.watch.check(response, what)
        return response

    def unchanged(self, before, what, queued_jobs: bool = False):
        """Nothing changed — but for ``queued_jobs`` (a request of a button that queues a 下载中心 job: a batch PDF,
        附表3, 统计分析「导出全部」, an export above its threshold): the role's own 排队中 jobs may have been added,
        nothing else."""
        if before is None:
            return
        after = snapshot()
        if after == before:
            return
        if queued_jobs and self._only_own_jobs_queued(before, after):
            return
        self.watch.problem(f"{self.role} {what}: changed the database")

    def _only_own_jobs_queued(self, before, after) -> bool:
        if {k: v for k, v in before.items() if k != "job"} != {k: v for k, v in after.items() if k != "job"}:
            return False
        old, new = set(before["job"]), set(after["job"])
        columns = [c.name for c in Job.__table__.columns]
        added = [dict(zip(columns, row, strict=True)) for row in new - old]
        me = getattr(self.user, "id", None)
        return old <= new and all(j["owner_id"] == me and j["state"] == JobState.QUEUED for j in added)

    def value(self, endpoint, param) -> str:
        return VALUES[(_pick(endpoint, param) + self.role_index) % len(VALUES)]

    def exhaustive(self, view) -> bool:
        """Whether this role sends the whole sample to the view's endpoints: every role for pages outside
        the model views; for a model view, a unit (the outside attacker) when units may read it, and one
        staff role chosen by the view's name — each endpoint fully by at most two roles, runtime bounded."""
        if view is None:
            return True
        readers = [r for r in ROLES if r in view.read_roles and r != enums.UNIT]
        chosen = {enums.UNIT} | ({readers[_pick(view.endpoint) % len(readers)]} if readers else set())
        return self.role in chosen

    def get(self, rule, url, own, view, where):
        baseline = self.send("GET", url, "baseline", query_string=own, **where)
        reachable = baseline is not None and baseline.status_code in (200, 302)
        if reachable and baseline.status_code == 302:
            reachable = "/login" not in baseline.headers.get("Location", "")
        reachable = reachable and self.exhaustive(view)
        if not reachable:
            return
        params = QUERY_PARAMS + (filter_params(view) if view is not None else [])
        before = snapshot()
        # Control characters anywhere in the query: one request with all parameters carrying them.
        name = CONTROL[self.role_index % 2]
        self.send("GET", url, f"all={name}", query_string={p: CORPUS[name] for p in params}, **where)
        # Six parameters per request, grouped and valued differently for each role, so that across the
        # roles each parameter meets most of the corpus, alone or nearly.
        for group in chunks(params, 6, (rule.endpoint, self.role)):
            values = {p: self.value(rule.endpoint, p) for p in group}
            query = {**own, **{p: CORPUS[v] for p, v in values.items()}}
            self.send("GET", url, str(values), query_string=query, **where)
        # Repeated parameters: a valid value first, then a hostile one.
        repeated = [(p, v) for p in params for v in (own.get(p, "1"), CORPUS["huge"])]
        self.send("GET", url, "repeated", query_string=repeated, **where)
        self.unchanged(before, f"GET {url}", queued_jobs=True)

    def post(self, rule, url, own, view, where):
        """Every form field hostile: all at once per corpus value, then one field at a time."""
        shown = None
        if "GET" in rule.methods:
            shown = self.send("GET", url, "form", query_string=own, **where)
        fields = (
            page_form(shown.get_data(as_text=True)) if shown is not None and shown.status_code == 200 else {}
        )
        if view is not None and rule.endpoint.endswith(".ajax_update"):
            fields.update({name: ["x"] for name in view.column_editable_list or ()})
        baseline = dict(fields)
        for name in RAW_FORM_FIELDS:
            ids = name in ("id", "rowid", "list_form_pk")
            baseline.setdefault(name, [str(own.get("id", 1))] if ids else ["1"])
        if view is not None:
            baseline.setdefault("action", ["delete"])
            baseline.setdefault("op", [next(iter(getattr(view, "_actions_data", None) or {"delete": 0}))])

        def post(data, what, must_not_change):
            before = snapshot() if must_not_change else None
            payload = MultiDict([(k, x) for k, values in data.items() for x in values])
            if must_not_change:  # and an upload whose name carries a NUL
                payload.add("file", (io.BytesIO(b"%PDF-1.4 hostile"), "x\x00.pdf"))
            self.send("POST", url, what, query_string=own, data=payload, **where)
            self.unchanged(before, f"POST {url} {what}", queued_jobs=queues)

        # A button that may queue a 下载中心 job (a POST form): the role's own 排队中 jobs may be added.
        queues = rule.endpoint.rsplit(".", 1)[-1] in QUEUEING or rule.endpoint == "statistics.export_view"

        first = self.send(
            "POST", url, "all=huge", query_string=own, data={k: CORPUS["huge"] for k in baseline}
        )
        post({k: [CORPUS[CONTROL[self.role_index % 2]]] for k in baseline}, "all=control", True)
        refused = first is None or first.status_code == 403 or "/login" in first.headers.get("Location", "")
        if refused or not (self.exhaustive(view) or self.role in getattr(view, "write_roles", ())):
            return
        for value in [v for v in VALUES[self.role_index % 4 :: 4] if v not in CONTROL]:
            post({k: [CORPUS[value]] for k in baseline}, f"all={value}", False)
        # One field at a time, the others as the form showed them: NUL in each text, a huge number in each
        # number (an id, a select value).
        for name in sorted(fields):
            if any(re.fullmatch(r"-?\d+(\.\d+)?", value or "") for value in baseline[name]):
                post({**baseline, name: [CORPUS["huge"]]}, f"{name}=huge", False)
            else:
                post({**baseline, name: [CORPUS["nul"]]}, f"{name}=nul", True)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_no_hostile_input_gives_a_500_or_shows_sql(app, client, world, role, caplog):
    caplog.set_level(logging.ERROR)
    views = model_views(app)
    user = world.users[role] if role else None
    watch = Watch(caplog)
    run = Hostile(app, client, watch, role, user)
    sa.event.listen(db.engine, "handle_error", watch)
    started = time.perf_counter()
    try:
        run.log_in()
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            view = views.get(rule.endpoint.split(".")[0])
            url = rule_url(rule)
            row_id = first_visible_id(app, view, user) if view is not None and user else None
            own = {"id": row_id} if row_id else {}
            methods = rule.methods - {"HEAD", "OPTIONS"}
            # Account endpoints (login, register …) from an address of their own: their throttles count
            # failures per address, and this run must not lock the address the role logs in from.
            is_auth = view is None and rule.endpoint.split(".")[0] not in ("admin", "statistics", "static")
            where = {"environ_base": {"REMOTE_ADDR": f"198.51.100.{run.role_index + 10}"}} if is_auth else {}
            if "GET" in methods:
                run.get(rule, url, own, view, where)
            if "POST" in methods:
                run.post(rule, url, own, view, where)
                if is_auth or "session" in rule.endpoint or "logout" in rule.endpoint:
                    run.log_in()  # the hostile POST may have ended this session (退出, 结束会话)
    finally:
        sa.event.remove(db.engine, "handle_error", watch)
    print(f"{role}: {run.sent} requests in {time.perf_counter() - started:.1f} s")
    assert run.sent > 300
    assert not watch.problems, f"{len(watch.problems)} problems:\n" + "\n".join(watch.problems[:40])


def test_the_public_verification_form_takes_every_hostile_value(app, client, world, caplog):
    """证书查验's form (public): every value of the corpus in 证书编号 and 身份证号码后六位, alone and together —
    the neutral message, a Chinese 400 for control characters or 429 once the address's look-ups are spent;
    never a 5xx, SQL or a database error, and nothing written but the look-up count."""
    from admin_app import verification

    caplog.set_level(logging.ERROR)
    watch = Watch(caplog)
    run = Hostile(app, client, watch, None, None)
    sa.event.listen(db.engine, "handle_error", watch)
    before = snapshot()
    answers = set()
    try:
        cases = (
            [(CORPUS[v], "000000") for v in VALUES]
            + [("CQGK1", CORPUS[v]) for v in VALUES]
            + [(CORPUS[v], CORPUS[v]) for v in VALUES]
        )
        for n, (number, tail) in enumerate(cases):
            # each from an address of its own: the limit is tested in test_certificate_verification.py
            response = run.send(
                "POST",
                "/verify/",
                f"case {n}",
                data={"number": number, "id_tail": tail},
                environ_base={"REMOTE_ADDR": f"203.0.113.{n}"},
            )
            body = response.get_data(as_text=True)
            if response.status_code == 200:
                assert verification.NOT_FOUND in body, n
            answers.add(response.status_code)
    finally:
        sa.event.remove(db.engine, "handle_error", watch)
    assert answers <= {200, 400} and 200 in answers and 400 in answers
    assert not watch.problems, "\n".join(watch.problems[:20])
    assert snapshot() == before


def test_the_certificate_decisions_take_every_hostile_value(app, client, world, caplog):
    """撤销认定 (撤销原因, 文号) and 证书发放 (领取人, 发放日期) posted by the office with every value of the corpus in each
    field, the others valid: a Chinese refusal on the confirmation or result page, never a 5xx, SQL or a database
    error, and nothing written (revocation on a 待认定 row: its inputs are checked before any row is read; the
    发放日期 of the corpus is never a real day)."""
    from admin_app.workflow.states import RecognitionState

    caplog.set_level(logging.ERROR)
    watch = Watch(caplog)
    run = Hostile(app, client, watch, enums.OFFICE, world.users[enums.OFFICE])
    run.log_in()
    reg = world.registrations["B"]
    valid = {
        "revoke_recognition": {"opinion": "弄虚作假", "revoke_document": "渝人工考〔2022〕3号"},
        "record_handover": {"handover_recipient": "张三", "handed_over_on": "date"},
    }
    answered = 0
    sa.event.listen(db.engine, "handle_error", watch)
    try:
        for op, fields in valid.items():
            if op == "record_handover":
                reg.recognition_status, reg.recognised_at = RecognitionState.RECOGNISED, clock.utcnow()
                db.session.commit()
            before = snapshot()
            for name in fields:
                for value in VALUES:
                    data = {"op": op, "rowid": reg.id, **{k: v for k, v in fields.items() if k != name}}
                    data = {k: CORPUS[v] if v == "date" else v for k, v in data.items()}
                    data[name] = CORPUS[value]
                    response = run.send("POST", "/recognitions/decide/", f"{op} {name}={value}", data=data)
                    if response is not None and response.status_code == 200:
                        assert re.search(
                            r"须填写|不能超过|格式应为|不能晚于|当前状态为|成功", text_of(response)
                        )
                        answered += 1
            run.unchanged(before, op)
    finally:
        sa.event.remove(db.engine, "handle_error", watch)
    assert not watch.problems, "\n".join(watch.problems[:20])
    assert answered >= 4 * (len(VALUES) - len(CONTROL))  # the others: the Chinese 400 of the input guard

"""No state value is written as a literal outside ``admin_app/workflow/states.py`` (issue 14 point 1).

The scan reads every Python file and template of the application, the seed data, the benchmarks and the
tests (not the migrations: history is frozen) and reports a string equal to a state value where it is used
as a state:

- anywhere, the values that are no ordinary word (``pending_office``, ``pending_confirm``, ``not_open`` …),
  and an f-string that builds a 待…审核 state (``f"pending_{role}"``);
- the other values ("draft", "approved", "pending", "pass", "open", "new" …, words that also name other
  things: HTML, file modes, the 年度考核 results, notification kinds) only where they stand for a state:
  compared with, assigned to, passed as or stored under a state attribute (``status``, ``state``,
  ``*_status``, ``*_state``, ``score_result``, ``exam_category``), given to ``in_``/``not_in`` of one, or
  as the keys of a hand-written label dict (every key a value of one machine);
- in SQL text and templates, a quoted value compared with a state column (``status <> 'draft'``,
  ``{% if model.status == 'draft' %}``).
"""

import ast
import pathlib
import re

import pytest

from admin_app.workflow import states

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCANNED = ("admin_app", "models", "views", "seed", "bench", "tests")
EXCLUDED = {ROOT / "admin_app" / "workflow" / "states.py", pathlib.Path(__file__).resolve()}

MACHINES = [*states.MACHINE_STATES.values(), states.ExamCategory, states.ExamKind]
VALUES = {member.value for machine in MACHINES for member in machine}
# Values no ordinary word or other vocabulary uses: a literal of one is a state wherever it is.
DISTINCTIVE = {value for value in VALUES if "_" in value} | {"unregistered"}
PENDING_PREFIX = "pending_"
IN = {"in_", "not_in", "notin_"}  # SQLAlchemy's IN and NOT IN

STATE_NAME = re.compile(r"^(.*_)?(status|state)(es|s)?$|^score_results?$|^exam_category$", re.IGNORECASE)
QUOTED = "|".join(sorted(map(re.escape, VALUES), key=len, reverse=True))
# status = 'draft', state <> 'open', score_result IN ('pass', …), Jinja's model.status == "draft"
COMPARED_TEXT = re.compile(
    rf"\b(\w*status|\w*state|score_result|exam_category)\b\s*(==|!=|<>|=|\bin\b|\bIN\b|\bnot in\b)\s*"
    rf"[\[(]?\s*['\"]({QUOTED})['\"]",
)
REVERSED_TEXT = re.compile(rf"['\"]({QUOTED})['\"]\s*(==|!=)\s*[\w.]*(status|state|score_result)\b")
DISTINCTIVE_TEXT = re.compile(rf"['\"]({'|'.join(sorted(DISTINCTIVE))})['\"]")


def _names_state(node) -> bool:
    """A string naming a state column: "status", "recognition_status", "application.status"."""
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(STATE_NAME.match(node.value.rsplit(".", 1)[-1]))
    )


def _is_state_ref(node) -> bool:
    """``x.status``, ``status``, ``row["status"]``, ``Application.status``, or a tuple holding one: an
    expression naming a state."""
    if isinstance(node, ast.Tuple):
        return any(_is_state_ref(item) for item in node.elts)
    if isinstance(node, ast.Attribute):
        return bool(STATE_NAME.match(node.attr))
    if isinstance(node, ast.Name):
        return bool(STATE_NAME.match(node.id))
    if isinstance(node, ast.Subscript):
        key = node.slice
        return (
            isinstance(key, ast.Constant) and isinstance(key.value, str) and bool(STATE_NAME.match(key.value))
        )
    return False


def _constants(node) -> list[ast.Constant]:
    """The string constants a value is made of: itself, the items of a tuple/list/set, both arms of an
    ``a if c else b`` (the test is not part of the value)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [c for item in node.elts for c in _constants(item)]
    if isinstance(node, ast.IfExp):
        return _constants(node.body) + _constants(node.orelse)
    return []


def _state_values(node) -> list[ast.Constant]:
    return [c for c in _constants(node) if c.value in VALUES]


def _label_dict_keys(node: ast.Dict) -> list[ast.Constant]:
    """The keys of a hand-written label dict: two or more keys, all values of one machine, each mapped to
    a text (its label) or a tuple starting with one."""
    keys = [k for k in node.keys if k is not None]
    if len(keys) < 2 or not all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in keys):
        return []
    texts = [v.elts[0] if isinstance(v, ast.Tuple) and v.elts else v for v in node.values]
    if not all(isinstance(t, ast.Constant) and isinstance(t.value, str) for t in texts):
        return []
    names = {k.value for k in keys}
    if any(names <= {member.value for member in machine} for machine in MACHINES):
        return keys
    return []


def _after_state_names(items) -> list[ast.Constant]:
    """In a sequence (a tuple, the arguments of a call), the state values right after a state column's
    name: ``("registration.status", "pending_fee")``, ``_stage("recognition_status", "pending")``."""
    pairs = zip(items, items[1:], strict=False)
    return [c for before, after in pairs if _names_state(before) for c in _state_values(after)]


def scan_python(source: str) -> list[tuple[int, str]]:
    """(line, value) of every state literal in a Python source."""
    found = []

    def flag(constants):
        found.extend((c.lineno, c.value) for c in constants)

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in DISTINCTIVE:
                flag([node])
            else:
                found.extend((node.lineno, m.group(0)) for m in COMPARED_TEXT.finditer(node.value))
                found.extend((node.lineno, m.group(0)) for m in REVERSED_TEXT.finditer(node.value))
        elif isinstance(node, ast.JoinedStr):
            first = node.values[0] if node.values else None
            if isinstance(first, ast.Constant) and str(first.value).startswith(PENDING_PREFIX):
                found.append((node.lineno, f"f'{first.value}…'"))
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_state_ref(side) for side in sides):
                flag([c for side in sides for c in _state_values(side)])
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2:  # ("application.status", "draft")
            flag(_after_state_names(node.elts))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in IN and _is_state_ref(func.value):
                flag([c for arg in node.args for c in _state_values(arg)])
            if _is_state_ref(func):  # a helper named for a state: _status("draft")
                flag([c for arg in node.args for c in _state_values(arg)])
            flag(_after_state_names(node.args))
            for keyword in node.keywords:
                if keyword.arg and STATE_NAME.match(keyword.arg):
                    flag(_state_values(keyword.value))
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if node.value is not None and any(_is_state_ref(t) for t in targets):
                flag(_state_values(node.value))
        elif isinstance(node, ast.arguments):
            params = [*node.posonlyargs, *node.args]
            pairs = list(zip(params[len(params) - len(node.defaults) :], node.defaults, strict=True))
            pairs += [(a, d) for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True) if d is not None]
            flag([c for arg, default in pairs if STATE_NAME.match(arg.arg) for c in _state_values(default)])
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if _names_state(key):  # {"status": "draft"}, {"application.status": "approved"}
                    flag(_state_values(value))
            flag(_label_dict_keys(node))
    return sorted(set(found))


def scan_template(text: str) -> list[tuple[int, str]]:
    """(line, text) of every state value a template compares or writes in quotes."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern in (COMPARED_TEXT, REVERSED_TEXT, DISTINCTIVE_TEXT):
            found.extend((number, m.group(0)) for m in pattern.finditer(line))
    return found


def _files():
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if (
                path.suffix in {".py", ".html"}
                and path.resolve() not in EXCLUDED
                and "migrations" not in path.parts
            ):
                yield path


# --- the scanner itself ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "snippet",
    [
        'app.status = "approved"',
        'if reg.score_result == "pass": pass',
        'q.where(Registration.recognition_status != "recognised")',
        'q.where(Application.status.not_in(("draft", "rejected")))',
        'Application(worker=w, status="pending_office" if a else "approved")',
        'x = "pending_confirm"',
        'role_state = f"pending_{role}"',
        'LABELS = {"pending": "待评审", "passed": "评审通过", "failed": "评审未通过"}',
        'row = {"status": "unregistered", "exam_category": "both"}',
        'wanted = {"jurisdiction.name": "渝中区", "application.status": "approved"}',
        'def copy(batch, state="archived"): pass',
        'QUOTA_STATUSES = ("draft", "rejected")',
        "db.execute(\"SELECT id FROM application WHERE status <> 'draft'\")",
        'assert "approved" == app.status',
        'assert reg["status"] in ("pending_fee", "registered")',
        'assert (current.state, new.state) == ("archived", "open")',
        'reg.status, reg.ticket_number = "registered", "20214000001"',
        'rows = {"待提交": (Application, _status("draft"))}',
        'Todo("待认定", "recognitions", (("registration.recognition_status", "pending"),))',
        'expected = _stage("evaluation_status", "passed")',
    ],
)
def test_scanner_finds_a_planted_state_literal(snippet):
    assert scan_python(snippet), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        'open("data.csv", "r")',
        'ASSESSMENT_LABELS = {"excellent": "优秀", "pass": "合格", "fail": "不合格"}',
        'KINDS = {"recognised": ("技术等级资格已认定", "recognitions")}',
        'column_list = ["absent", "score_result", "theory_score"]',
        'request.form.get("absent") == "y"',
        'figures = {"approved": 0, "current": 0}',
        "x = ApplicationState.DRAFT",
        "q.where(Registration.status == RegistrationState.PENDING)",
        "html = '<a class=\"open\">new</a>'",
        'workflow.evaluate(office, ids, "pass", vote)',
        'mode = config.get("mode", "open")',
        'column_filters = ["score_result", "absent", "scores_entered_at"]',
        'DECISIONS = {"pass": PASS, "fail": FAIL}',
    ],
)
def test_scanner_leaves_ordinary_words_alone(snippet):
    assert scan_python(snippet) == [], snippet


def test_scanner_finds_a_state_compared_in_a_template():
    assert scan_template("{% if model.recognition_status == 'recognised' %}证书{% endif %}")
    assert scan_template("{% if 'draft' == model.status %}{% endif %}")
    assert scan_template('<option value="pending_fee">')
    assert scan_template("{% if model.status == ApplicationState.DRAFT %}<a class='open'>{% endif %}") == []


# --- the tree -----------------------------------------------------------------------------------------------
def test_no_state_value_is_written_outside_the_states_module():
    problems = []
    scanned = {".py": 0, ".html": 0}
    for path in _files():
        text = path.read_text(encoding="utf-8")
        hits = scan_python(text) if path.suffix == ".py" else scan_template(text)
        scanned[path.suffix] += 1
        problems.extend(f"{path.relative_to(ROOT)}:{line}: {value}" for line, value in hits)
    assert scanned[".py"] > 150 and scanned[".html"] > 20, scanned  # the scan sees the tree
    assert problems == [], "state values written as literals (use admin_app.workflow.states):\n" + "\n".join(
        problems
    )

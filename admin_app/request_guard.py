"""Untrusted request values, checked before they reach a query or a file is built.

Guarantees (``init_app``):

- a query-string name or value with a control character (NUL, other C0/C1 controls except tab and line
  breaks) never reaches a view: the answer is a Chinese 400;
- HEAD on an endpoint marked ``@download`` (exports, generated files, stored files) answers 405 at once:
  Flask would otherwise run the whole GET view (build the workbook, write an audit row) for a HEAD.

The helpers below give the limits every view applies (ids, page numbers, search terms, numbers bound for
a column) so that no value a database cannot hold is ever sent to it.
"""

import math
import re
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import Flask, Response, current_app, request
from werkzeug.exceptions import BadRequest

# PostgreSQL's ``integer``: every primary key and integer column here is one (SQLite would take 64 bits;
# the tighter bound serves both databases).
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_INT_BOUNDS = {sa.SmallInteger: 2**15, sa.BigInteger: 2**63, sa.Integer: 2**31}

# List search (搜索): at most this many characters and words; more is cut, with a message. A 2,000-word
# search built a 2,000-term OR/AND tree: 3.2 s on PostgreSQL, "expression tree too large" on SQLite.
SEARCH_MAX_CHARS = 100
SEARCH_MAX_TERMS = 5
SEARCH_CAPPED = f"搜索内容过长：只按前{SEARCH_MAX_TERMS}个词、不超过{SEARCH_MAX_CHARS}个字符查询。"
# 组合查询: at most this many conditions, each value at most this long.
FILTER_MAX_COUNT = 20
FILTER_MAX_CHARS = 100
# Deepest list page that can be asked for (page × page size stays far below any OFFSET limit).
MAX_PAGE = 100_000
# Relation pickers (ajax lookup): at most this many choices per request, from at most this far in.
LOOKUP_MAX_LIMIT = 100
LOOKUP_MAX_OFFSET = 10_000

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab, LF and CR are text
CONTROL_MESSAGE = "不能包含控制字符（如 NUL 空字符），请删除后重新输入"
NUMBER_MESSAGE = "数值超出允许的范围"


class BadInput(BadRequest):
    """A 400 whose Chinese ``gk_text`` the error page shows instead of its generic text."""

    def __init__(self, gk_text: str):
        super().__init__()
        self.gk_text = gk_text


REQUEST_CONTROL = BadInput("请求中含有不允许的控制字符（如 NUL 空字符），请检查输入后重试。")


def has_control_characters(text: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(text))


def parse_pk(raw) -> int | None:
    """``raw`` as a primary key (a positive integer an ``integer`` column can hold), else None."""
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= INT_MAX else None


def number_fits(value, column=None) -> bool:
    """Whether ``value`` (int, float, Decimal) can be stored in / compared with ``column`` (a SQLAlchemy
    column; None: an ``integer``). Other values fit by definition."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return True
    column_type = getattr(column, "type", None)
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if isinstance(value, Decimal) and not value.is_finite():
        return False
    if isinstance(column_type, sa.Float):
        return abs(value) < 1e15
    if isinstance(column_type, sa.Numeric) and column_type.precision is not None:
        scale = column_type.scale or 0
        try:
            rounded = round(Decimal(str(value)), scale)
        except InvalidOperation:
            return False
        return abs(rounded) < Decimal(10) ** (column_type.precision - scale)
    if isinstance(column_type, sa.Numeric):
        return abs(value) < 1e15
    bound = next((b for kind, b in _INT_BOUNDS.items() if isinstance(column_type, kind)), 2**31)
    return -bound <= value < bound


def cap_search(search: str | None) -> tuple[str | None, bool]:
    """The search as it will run (at most SEARCH_MAX_TERMS words, SEARCH_MAX_CHARS characters) and whether
    it was cut."""
    if not search:
        return search, False
    terms = search.split()
    capped = " ".join(terms[:SEARCH_MAX_TERMS])[:SEARCH_MAX_CHARS].strip()
    return capped, capped != " ".join(terms)


def bounded_int_arg(name: str, default: int, low: int, high: int) -> int:
    """A query-string integer in [low, high]; a malformed or out-of-range value is a Chinese 400."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(f"参数 {name} 应为整数。") from None
    if not low <= value <= high:
        raise BadInput(f"参数 {name} 超出允许的范围（{low}–{high}）。")
    return value


def download(view):
    """Mark an endpoint that builds or sends a file: HEAD answers 405 without running it."""
    view.gk_download = True
    return view


def refuse_control_characters_in_form() -> None:
    """Chinese 400 if a submitted form value or file name holds a control character (for endpoints that
    read ``request.form`` themselves instead of through a WTForms form)."""
    for key, value in request.form.items(multi=True):
        if has_control_characters(key) or has_control_characters(value):
            raise REQUEST_CONTROL
    for storage in request.files.values():
        if has_control_characters(storage.filename or ""):
            raise REQUEST_CONTROL


def init_app(app: Flask) -> None:
    @app.before_request
    def _head_does_not_build_files():
        if request.method == "HEAD":
            view = current_app.view_functions.get(request.endpoint or "")
            if getattr(view, "gk_download", False):
                return Response(status=405, headers={"Allow": "GET"})
        return None

    @app.before_request
    def _no_control_characters_in_query():
        for key, value in request.args.items(multi=True):
            if has_control_characters(key) or has_control_characters(value):
                raise REQUEST_CONTROL
        return None

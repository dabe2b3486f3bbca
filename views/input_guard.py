"""Input limits for every Flask-Admin view (mixed into ``SecureModelView``): no list argument, form value or
raw form field reaches the database unless the database can hold it.

Guarantees, for every view that inherits it:

- list pages, exports and "all matching" bulk operations: a page outside 0..MAX_PAGE is 404; a search is
  cut to SEARCH_MAX_TERMS words / SEARCH_MAX_CHARS characters (with a Chinese message); a 组合查询 value
  that is malformed, too long, or a number its column cannot hold is dropped with a Chinese message, and at
  most FILTER_MAX_COUNT conditions are applied;
- forms (create, edit, inline edit, inline rows such as 学历): a text with a control character or a number
  its column cannot hold is a Chinese field error, so nothing is written;
- endpoints that read ``request.form`` themselves (bulk actions, 报名, 成绩, uploads …): a control character
  in any value or file name is a Chinese 400;
- relation pickers: offset and limit bounded, the typed text at most SEARCH_MAX_CHARS (else a Chinese 400);
- a database error while saving is shown as a Chinese message, never its SQL (the error is logged).
"""

import logging

from flask import abort, flash, g, request
from wtforms.fields import FieldList, FormField

from admin_app import errors
from admin_app.request_guard import (
    CONTROL_MESSAGE,
    FILTER_MAX_CHARS,
    FILTER_MAX_COUNT,
    LOOKUP_MAX_LIMIT,
    LOOKUP_MAX_OFFSET,
    MAX_PAGE,
    NUMBER_MESSAGE,
    SEARCH_CAPPED,
    SEARCH_MAX_CHARS,
    BadInput,
    bounded_int_arg,
    cap_search,
    has_control_characters,
    number_fits,
    refuse_control_characters_in_form,
)

log = logging.getLogger(__name__)

# Flask-Admin endpoints whose POST goes through a WTForms form (field errors instead of a 400).
FORM_ENDPOINTS = frozenset({"create_view", "edit_view", "ajax_update"})

CHOICE_MESSAGE = "所选项不存在或不在可选范围内"

# What a person is told when saving failed in the database (the details go to the log).
SAVE_FAILED = {
    errors.UNAVAILABLE: "保存失败：数据库暂时无法连接，本次修改没有保存，请稍后重试。",
    errors.DATA: "保存失败：提交的数据格式有误或超出允许的范围，本次修改没有保存。",
    errors.CONFLICT: "保存失败：与已有记录冲突（重复或仍被其他记录引用），本次修改没有保存。",
    errors.FAILURE: "保存失败：服务器处理时出错，已记录，本次修改没有保存。",
}


def flash_once(message: str, category: str = "error") -> None:
    """Flash ``message`` at most once per request (list arguments are parsed more than once)."""
    shown = g.setdefault("gk_input_messages", set())
    if message not in shown:
        shown.add(message)
        flash(message, category)


def form_input_errors(form, model=None) -> bool:
    """Add a Chinese error to every field of ``form`` (inline rows included) whose value holds a control
    character or a number its column of ``model`` cannot hold. True if any was found."""
    found = False
    for field in form:
        if isinstance(field, FieldList):  # inline rows (InlineModelFormList) carry their own model
            inner = getattr(field, "model", model)
            for entry in field.entries:
                found |= _entry_errors(entry, inner)
        elif isinstance(field, FormField):
            found |= form_input_errors(field.form, model)
        else:
            found |= _field_errors(field, model)
    return found


def _entry_errors(entry, model) -> bool:
    if isinstance(entry, FormField):
        return form_input_errors(entry.form, model)
    return _field_errors(entry, model)


def _field_errors(field, model) -> bool:
    data = field.data
    values = data if isinstance(data, list | tuple) else [data]
    column = _column(model, field.short_name)
    message = None
    # What was typed, before any filter: a filter that strips control characters must not hide them.
    for value in [*values, *(getattr(field, "raw_data", None) or ())]:
        text = value.filename if hasattr(value, "filename") else value  # an uploaded file: its name
        if isinstance(text, str) and has_control_characters(text):
            message = CONTROL_MESSAGE
        elif not number_fits(value, column):
            message = NUMBER_MESSAGE
    # A relation dropdown (QuerySelectField) that may be blank turns an id it does not offer into "none"
    # and would store that: a forged or stale id is refused instead.
    forged = getattr(field, "_formdata", None)
    if message is None and forged not in (None, "", "__None") and field.data is None:
        message = CHOICE_MESSAGE
    if message is None:
        return False
    field.errors = [*field.errors, message]
    # Also at the top of the page: a hidden field (an inline row's id) shows no error of its own.
    flash_once(f"{field.label.text}：{message}")
    return True


def _column(model, name):
    table = getattr(model, "__table__", None)
    return table.columns.get(name) if table is not None else None


class InputGuardMixin:
    """See the module docstring. Place it before Flask-Admin's ``ModelView`` in the bases."""

    # --- every endpoint ----------------------------------------------------------------------------
    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response  # not logged in / no access: that answer first
        if request.method == "POST" and name not in FORM_ENDPOINTS:
            refuse_control_characters_in_form()
        if name == "ajax_lookup":
            bounded_int_arg("offset", 0, 0, LOOKUP_MAX_OFFSET)
            bounded_int_arg("limit", 10, 1, LOOKUP_MAX_LIMIT)
            if len(request.args.get("query") or "") > SEARCH_MAX_CHARS:
                raise BadInput(f"搜索内容不能超过{SEARCH_MAX_CHARS}个字符。")
        return None

    # --- list arguments ------------------------------------------------------------------------------
    def _get_list_extra_args(self):
        args = super()._get_list_extra_args()
        if not 0 <= args.page <= MAX_PAGE:
            abort(404)
        search, capped = cap_search(args.search)
        if capped:
            flash_once(SEARCH_CAPPED, "warning")
        return args.clone(search=search)

    def get_invalid_value_msg(self, value, filter):
        # Flask-Admin's message repeats the (possibly 10,000-character) value; name the condition instead.
        return f"组合查询条件“{filter.name}”的值无效，已忽略该条件。"

    def _get_list_filter_args(self):
        filters = super()._get_list_filter_args()
        if not filters:
            return filters
        kept = []
        for index, name, value in filters:
            if self._filter_value_fits(self._filters[index], value):
                kept.append((index, name, value))
            else:
                flash_once(f"组合查询条件“{name}”的值无效或超出范围，已忽略该条件。")
        if len(kept) > FILTER_MAX_COUNT:
            flash_once(f"组合查询条件过多：只应用前{FILTER_MAX_COUNT}个。")
            kept = kept[:FILTER_MAX_COUNT]
        return kept

    @staticmethod
    def _filter_value_fits(flt, value: str) -> bool:
        if len(value) > FILTER_MAX_CHARS or has_control_characters(value):
            return False
        try:
            cleaned = flt.clean(value)
        except (ValueError, TypeError, ArithmeticError):
            return False
        column = getattr(flt, "column", None)
        values = cleaned if isinstance(cleaned, list | tuple) else [cleaned]
        return all(number_fits(v, column) for v in values)

    # --- forms ------------------------------------------------------------------------------------------
    def validate_form(self, form):
        # Checked before the form's own validators: those may look the value up (uniqueness, the 身份证号码
        # check), and a value the database refuses must not reach it even in a SELECT.
        if request.method == "POST" and form_input_errors(form, self.model):
            return False
        return super().validate_form(form)

    def handle_view_exception(self, exc):
        kind = errors.database_error_kind(exc)
        if kind is not None:
            log.error("saving %s failed in the database", self.model.__name__, exc_info=exc)
            errors.rollback_quietly()
            flash(SAVE_FAILED[kind], "error")
            return True
        return super().handle_view_exception(exc)

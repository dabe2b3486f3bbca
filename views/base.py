"""The base every Flask-Admin view inherits: role access, the one row scope, safe ids, audited writes.

Flask-Admin scopes nothing by itself: ``get_one`` (details, edit, delete, inline edit) and the relation
pickers bypass ``get_query``. Here every one of them goes through ``scope_query`` so that a new view is
safe by default (see ../shared/FLASK_ADMIN_NOTES.md and STYLE.md).
"""

import os
import re
import unicodedata
from datetime import date, datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.validators import Unique
from flask_admin.model import typefmt
from flask_admin.model.fields import AjaxSelectField
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from wtforms.validators import ValidationError

from admin_app.extensions import db, reporting_session
from admin_app.request_guard import BadInput, download, parse_pk
from admin_app.services import audit, clock
from admin_app.services.clock import format_beijing
from admin_app.services.scope import owned_by_visible_unit
from models import ExamBatch
from models.enums import STAFF_ROLES
from views.input_guard import InputGuardMixin

# Endpoint -> the permission flag it needs, checked before the view runs (403 otherwise).
_ENDPOINT_FLAGS = {
    "create_view": "can_create",
    "edit_view": "can_edit",
    "ajax_update": "can_edit",
    "delete_view": "can_delete",
    "details_view": "can_view_details",
    "export": "can_export",
}

# Timestamps in Beijing time to the minute, dates as YYYY-MM-DD, in every list and detail page.
_TIME_FORMATTERS = {
    datetime: lambda view, value, name: format_beijing(value),
    date: lambda view, value, name: value.isoformat(),
}
TYPE_FORMATTERS = {**typefmt.BASE_FORMATTERS, **_TIME_FORMATTERS}
DETAIL_TYPE_FORMATTERS = {
    **typefmt.DETAIL_FORMATTERS,
    **_TIME_FORMATTERS,
    bool: lambda view, value, name: "是" if value else "否",
}

# A list counts its rows up to this many (and at least to the page after the current one); beyond that the
# pager says "10,000+" instead of counting a million rows on every page view.
COUNT_CAP = 10_000

# Searched by prefix (an index range scan) instead of Flask-Admin's ILIKE '%…%' (a full scan): the columns
# of the large tables that people look up by name, ID number or 准考证号. Other searchable columns (of
# small tables) keep "contains".
PREFIX_SEARCH_COLUMNS = frozenset({"worker.name", "worker.id_number", "registration.ticket_number"})
_ID_LIKE = re.compile(r"[0-9xX]+")


class CappedCount(int):
    """A row count that stopped at its cap (the value is cap + 1): shown as "10,000+"."""

    def __str__(self) -> str:
        return f"{int(self) - 1:,}+"


# Flask-Admin's "equals" filter classes (column_filters_for)
_EQUAL_FILTERS = frozenset({"FilterEqual", "IntEqualFilter", "BooleanEqualFilter", "ChoiceTypeEqualFilter"})


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Never written to the audit log's change details.
_SECRET_FIELDS = {"password_hash", "token_hash"}


def current_role() -> str | None:
    if current_user and current_user.is_authenticated:
        return current_user.role
    return None


def parse_ids(raw_ids) -> list[int]:
    """Selected ids arrive as strings; PostgreSQL refuses integer = varchar (flask-admin #2951). Anything
    that is not a possible primary key is a Chinese 400."""
    ids = []
    for raw in raw_ids:
        pk = parse_pk(raw)
        if pk is None:
            raise BadInput("所选记录的编号无效，请返回列表重新选择。")
        ids.append(pk)
    return ids


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """A relation picker whose choices (search and the submitted value) go through a scope callable."""

    def __init__(self, name, model, scope, **options):
        options.setdefault("page_size", 20)
        options.setdefault("placeholder", "输入名称搜索并选择")
        super().__init__(name, db, model, **options)
        self.scope = scope

    def get_query(self):
        return self.scope(super().get_query())

    def get_one(self, pk):
        pk = parse_pk(pk)
        if pk is None:
            return None
        with db.session.no_autoflush:
            return self.get_query().filter(self.model.id == pk).one_or_none()


class RoleGate:
    """Access by role for any Flask-Admin view: only active users whose role is in ``read_roles``;
    anonymous users are sent to the login page, others get 403."""

    read_roles: frozenset = frozenset()

    def is_accessible(self) -> bool:
        return bool(
            current_user.is_authenticated and current_user.is_active and current_role() in self.read_roles
        )

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)


class SecureModelView(RoleGate, InputGuardMixin, ModelView):
    """Declare ``read_roles`` / ``write_roles`` and (for business data) ``scope_column``, the unit id column name."""

    write_roles: frozenset = frozenset()
    allow_create = True
    allow_edit = True
    allow_delete = True
    # Name of the model column holding the owning unit's id; None: not unit-scoped (admin dictionaries).
    scope_column: str | None = None
    # action name -> roles that may run it ('delete' follows can_delete).
    action_roles: dict = {}
    # custom endpoint name -> roles that may call it (others get 403), checked before the view runs.
    endpoint_roles: dict = {}
    # field name -> the Chinese message for Flask-Admin's automatic uniqueness check.
    unique_messages: dict = {}

    can_export = False  # Flask-Admin's in-memory export is off; export_xlsx_view streams instead
    list_template = "gk/list.html"
    export_name: str | None = None  # file and sheet name of 导出查询结果 (default: the view's name)
    can_view_details = True
    can_set_page_size = True
    page_size = 20  # Flask-Admin's default; 50 and 100 can be chosen on the page
    column_default_sort = ("id", True)
    column_display_pk = False
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = DETAIL_TYPE_FORMATTERS

    # --- access ---------------------------------------------------------------------------------
    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        flag = _ENDPOINT_FLAGS.get(name)
        if flag and not getattr(self, flag):
            abort(403)
        if name in self.endpoint_roles and current_role() not in self.endpoint_roles[name]:
            abort(403)
        return None

    def _may_write(self) -> bool:
        return current_role() in self.write_roles

    @property
    def can_create(self) -> bool:
        return self.allow_create and self._may_write()

    @property
    def can_edit(self) -> bool:
        return self.allow_edit and self._may_write()

    @property
    def can_delete(self) -> bool:
        return self.allow_delete and self._may_write()

    def is_action_allowed(self, name: str) -> bool:
        return self.is_action_allowed_for(name, current_role())

    def is_action_allowed_for(self, name: str, role) -> bool:
        """Whether ``role`` may run the bulk action ``name`` in this view (without a request, for tests)."""
        if name == "delete":
            return self.allow_delete and role in self.write_roles
        return role in self.action_roles.get(name, ())

    # --- the row scope ----------------------------------------------------------------------------
    def scope_condition(self):
        """The WHERE condition of the rows the current user may reach (None: every row).

        Default: rows whose ``scope_column`` points at a unit the user may see. Override for models with a
        scope of their own (applications use their snapshot of 区县 and 组织类别).
        """
        if self.scope_column is None:
            return None
        return owned_by_visible_unit(getattr(self.model, self.scope_column), current_user)

    def scope_query(self, query):
        """Restrict ``query`` to the rows the current user may reach. Everything below goes through it."""
        if not current_user.is_authenticated:
            return query.filter(False)
        condition = self.scope_condition()
        return query if condition is None else query.filter(condition)

    def row_lock_reason(self, obj) -> str | None:
        """Why this row may not be edited or deleted now (e.g. already submitted); None if it may.
        Subclasses extend it; the base refuses every row of an archived batch (read-only for everyone)."""
        return archived_lock(obj)

    def delete_lock_reason(self, obj) -> str | None:
        """Why this row may not be deleted (history refers to it); by default the edit lock."""
        return self.row_lock_reason(obj)

    def get_query(self):
        return self.scope_query(super().get_query())

    def get_list(
        self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None, eager=True
    ):
        """The list page: scope, search, filters and sort as Flask-Admin builds them, then

        - a capped count (``COUNT_CAP``; exact below it) instead of COUNT(*) over the whole table;
        - the page's ids first (an index scan even for a deep page), then just those rows with every
          many-to-one relation the columns show loaded in the same statement: a constant number of SQL
          statements per page, whatever the number of rows.

        ``execute=False`` returns the whole query (all pages when ``page_size=0``), eagerly loaded."""
        joins: dict = {}
        query = self.get_query()
        if self._search_supported and search:
            query, _none, joins, _joins = self._apply_search(query, None, joins, {}, search)
        if filters and self._filters:
            query, _none, joins, _joins = self._apply_filters(query, None, joins, {}, filters)
        query, joins = self._apply_sorting(query, joins, sort_column, sort_desc)
        if not execute:
            query = self._apply_pagination(query, page, page_size)
            return None, (self.eager(query) if eager else query)
        size = self.page_size if page_size is None else page_size
        count = self.capped_count(query, page or 0, size)
        ids = [pk for (pk,) in self._apply_pagination(query.with_entities(self.model.id), page, page_size)]
        if not ids:
            return count, []
        rows = self.eager(self.get_query().filter(self.model.id.in_(ids))).all()
        position = {pk: index for index, pk in enumerate(ids)}
        rows.sort(key=lambda row: position[row.id])
        return count, rows

    def capped_count(self, query, page: int, page_size: int) -> int:
        """Rows of ``query``, counted up to the cap (at least to the page after ``page``): exact when the
        filtered set is small, a ``CappedCount`` ("10,000+") when it is not."""
        cap = max(COUNT_CAP, (page + 2) * page_size) if page_size else COUNT_CAP
        inner = query.with_entities(self.model.id).order_by(None).limit(cap + 1).subquery()
        count = db.session.scalar(sa.select(sa.func.count()).select_from(inner))
        return CappedCount(count) if count > cap else count

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Every word must match one of the searchable columns: by prefix for ``PREFIX_SEARCH_COLUMNS``
        (ID numbers upper-cased, full-width characters folded), by "contains" for the others."""
        for term in search.split():
            term = unicodedata.normalize("NFKC", term).strip()
            if not term:
                continue
            conditions = []
            for field, path in self._search_fields:
                query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
                column = field if alias is None else getattr(alias, field.key)
                if f"{field.table.name}.{field.name}" in PREFIX_SEARCH_COLUMNS:
                    value = term.upper() if _ID_LIKE.fullmatch(term) else term
                    conditions.append(column.like(_escape_like(value) + "%", escape="\\"))
                else:
                    conditions.append(
                        sa.cast(column, sa.Unicode).ilike(f"%{_escape_like(term)}%", escape="\\")
                    )
            query = query.filter(sa.or_(*conditions))
        return query, count_query, joins, count_joins

    def search_placeholder(self):
        placeholder = super().search_placeholder()
        prefix = any(
            f"{f.table.name}.{f.name}" in PREFIX_SEARCH_COLUMNS for f, _p in self._search_fields or ()
        )
        return f"{placeholder}（从开头匹配）" if placeholder and prefix else placeholder

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        """The chosen (or default) sort, then the primary key: pages are stable even when values tie."""
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        return query.order_by(self.model.id.desc()), joins

    def get_one(self, id):
        """A row by id, only within scope; anything else (not a number, beyond any id) is 404 (details, edit,
        delete, inline edit)."""
        pk = parse_pk(id)
        if pk is None:
            abort(404)
        obj = self.get_query().filter(self.model.id == pk).one_or_none()
        if obj is None:
            abort(404)
        endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
        if endpoint in ("edit_view", "delete_view", "ajax_update"):
            reason = self.delete_lock_reason(obj) if endpoint == "delete_view" else self.row_lock_reason(obj)
            if reason:
                flash(reason, "error")
                abort(redirect(self.get_url(".details_view", id=obj.id)))
        return obj

    def scoped_ajax(self, field: str, model, fields, scope=None, **options) -> ScopedAjaxLoader:
        """Build a relation picker; ``scope(query)`` restricts its choices (default: none)."""
        return ScopedAjaxLoader(field, model, scope or (lambda q: q), fields=fields, **options)

    def scaffold_form(self):
        form_class = super().scaffold_form()
        for name, field in vars(form_class).items():
            for validator in getattr(field, "kwargs", {}).get("validators", []):
                if isinstance(validator, Unique):
                    validator.message = self.unique_messages.get(name, "该值已存在，不能重复")
        return form_class

    def validate_form(self, form):
        """Also refuse a relation-picker id outside the picker's scope (Flask-Admin would store None)."""
        forged = []
        for field in form:
            if isinstance(field, AjaxSelectField):
                raw = getattr(field, "_formdata", None)
                if raw not in (None, "", "__None") and field.data is None:
                    forged.append(field)
        valid = super().validate_form(form)
        for field in forged:
            field.errors = [*field.errors, "所选项不存在或不在可选范围内"]
        return valid and not forged

    def filtered_query(self, eager: bool = True):
        """The list's query for the current request's 组合查询 (filters, search, sort; scope applied), all
        pages; and the parsed list arguments."""
        view_args = self._get_list_extra_args()
        sort_column = self._get_column_by_idx(view_args.sort)
        if sort_column is not None:
            sort_column = sort_column[0]
        _count, query = self.get_list(
            0,
            sort_column,
            view_args.sort_desc,
            view_args.search,
            view_args.filters,
            execute=False,
            page_size=0,
            eager=eager,
        )
        return query, view_args

    # --- 导出查询结果 -----------------------------------------------------------------------------------
    def export_columns(self) -> list:
        """The exported columns: the list's columns, typed, with the list's labels and enum formatters.
        ID numbers are written in full only for staff roles (masked for units)."""
        from admin_app.services.excel import Column
        from models.worker import mask_id_number

        staff = current_role() in STAFF_ROLES
        columns = []
        for name, label in self.get_list_columns():
            if name.endswith("id_number"):
                getter = _path_getter(name)
                value = getter if staff else (lambda row, g=getter: mask_id_number(g(row)))
                columns.append(Column(str(label), value, "text", 22))
            elif name in (self.column_formatters or {}):
                formatter = self.column_formatters[name]
                columns.append(
                    Column(str(label), lambda row, f=formatter, n=name: _plain(f(self, None, row, n)), "text")
                )
            else:
                columns.append(Column(str(label), _path_getter(name)))
        return columns

    @expose("/export.xlsx", methods=("GET",))
    @download
    def export_xlsx_view(self):
        """导出查询结果: every row of the current 组合查询 (filters, search, sort; scope applied), streamed."""
        from admin_app.services import excel

        query, view_args = self.filtered_query()
        name = self.export_name or str(self.name)
        path = excel.temporary_path()
        try:
            # Read from the replica when one is configured (REPLICA_DATABASE_URL); the audit row below is
            # written to the primary.
            with reporting_session() as session:
                plan = self.export_plan(query, view_args)
                if plan is not None:
                    statement, columns = plan
                    rows = session.execute(
                        statement.execution_options(stream_results=True, yield_per=excel.CHUNK)
                    )
                else:
                    columns = self.export_columns()
                    rows = (
                        self.eager(query.with_session(session))
                        .execution_options(stream_results=True)
                        .yield_per(excel.CHUNK)
                    )
                count = excel.write_workbook(path, name, columns, rows)
        except Exception:
            os.remove(path)
            raise
        audit.record("export", object_type=self.model.__name__, detail={"rows": count, "view": self.endpoint})
        db.session.commit()
        return send_temporary_file(path, f"{name}_{clock.now():%Y%m%d%H%M}.xlsx")

    def export_plan(self, query, view_args):
        """A Core SELECT of just the exported columns for the rows of ``query`` (its filters, search and
        scope, by id), with outer joins along many-to-one paths, and the matching typed Excel columns.
        None when a column is not a plain column (a computed property): then the ORM path is used."""
        from operator import itemgetter

        import sqlalchemy as sa
        from sqlalchemy.orm import ColumnProperty, RelationshipProperty, aliased

        from admin_app.services.excel import Column
        from models.worker import mask_id_number

        staff = current_role() in STAFF_ROLES
        aliases, joins, selected, columns = {}, [], [], []
        for index, (name, label) in enumerate(self.get_list_columns()):
            parts = name.split(".")
            entity, model, path = self.model, self.model, ()
            for part in parts[:-1]:
                prop = getattr(getattr(model, part, None), "property", None)
                if not isinstance(prop, RelationshipProperty) or prop.uselist:
                    return None
                path += (part,)
                if path not in aliases:
                    target = aliased(prop.mapper.class_)
                    aliases[path] = target
                    joins.append(getattr(entity, part).of_type(target))
                entity, model = aliases[path], prop.mapper.class_
            column = getattr(entity, parts[-1], None)
            if not isinstance(getattr(column, "property", None), ColumnProperty):
                return None
            selected.append(column)
            get = itemgetter(index)
            choices = dict((self.column_choices or {}).get(name, []))
            if name.endswith("id_number"):
                value = get if staff else (lambda row, g=get: mask_id_number(g(row)))
                columns.append(Column(str(label), value, "text", 22))
            elif choices:
                columns.append(
                    Column(str(label), lambda row, g=get, c=choices: c.get(g(row), g(row)), "text")
                )
            elif name in (self.column_formatters or {}):
                return None  # a formatter that is not an enum label: keep the ORM path
            else:
                columns.append(Column(str(label), get))
        ids = query.with_entities(self.model.id).order_by(None).options(sa.orm.lazyload("*"))
        statement = sa.select(*selected).select_from(self.model)
        for join in joins:
            statement = statement.outerjoin(join)
        statement = statement.where(self.model.id.in_(ids.subquery().select()))
        return statement.order_by(*self._export_order(view_args, aliases)), columns

    def _export_order(self, view_args, aliases):
        """The list's order: the sort the user chose, else column_default_sort, then id."""
        sort = self._get_column_by_idx(view_args.sort)
        wanted = []
        if sort is not None:
            wanted = [(sort[0], bool(view_args.sort_desc))]
        elif self.column_default_sort:
            default = self.column_default_sort
            items = default if isinstance(default, list) else [default]
            for item in items:
                wanted.append((item, False) if isinstance(item, str) else (item[0], bool(item[1])))
        order = []
        for name, desc in wanted:
            parts = name.split(".") if isinstance(name, str) else []
            entity = aliases.get(tuple(parts[:-1]), self.model) if len(parts) > 1 else self.model
            column = getattr(entity, parts[-1], None) if parts else None
            if column is not None:
                order.append(column.desc() if desc else column.asc())
        order.append(self.model.id.desc())
        return order

    def eager(self, query):
        """Load every many-to-one relation the list's columns go through in the same query (no N+1)."""
        from sqlalchemy.orm import RelationshipProperty, joinedload

        paths = set()
        for name, _label in self.get_list_columns():
            parts = name.split(".")  # a column may itself be a relation ("supervisor", "batch")
            for depth in range(1, len(parts) + 1):
                paths.add(tuple(parts[:depth]))
        for path in sorted(paths, key=len):
            model, option, ok = self.model, None, True
            for part in path:
                attr = getattr(model, part, None)
                prop = getattr(attr, "property", None)
                if not isinstance(prop, RelationshipProperty) or prop.uselist:
                    ok = False
                    break
                option = joinedload(attr) if option is None else option.joinedload(attr)
                model = prop.mapper.class_
            if ok and option is not None:
                query = query.options(option)
        return query

    # --- links to this list, already filtered (首页 to-dos) ------------------------------------------------
    def column_filters_for(self, wanted: dict) -> list[tuple[int, str, str]]:
        """This list's 组合查询 for {"table.column": value} (equality; None: "is empty"), in the form
        ``get_list`` takes. Columns are table-qualified: ``jurisdiction.name`` and ``organisation.name`` are
        different filters. Raises LookupError when the list has no such filter."""
        found = []
        for column, value in wanted.items():
            kind = "FilterEmpty" if value is None else None
            for index, flt in enumerate(self._filters or ()):
                target = getattr(flt, "column", None)
                if f"{getattr(target, 'table', None)}.{getattr(target, 'key', None)}" != column:
                    continue
                name = type(flt).__name__
                if name == kind or (kind is None and name in _EQUAL_FILTERS):
                    found.append((index, str(flt.name), "1" if value is None else str(value)))
                    break
            else:
                raise LookupError(f"{self.endpoint}: no filter on {column}")
        return found

    def filter_url_args(self, filters) -> dict:
        """The list URL's arguments for ``filters`` as ``column_filters_for`` returns them."""
        return {
            f"flt{pos}_{self.get_filter_arg(index, self._filters[index])}": value
            for pos, (index, _name, value) in enumerate(filters)
        }

    def filtered_link(self, wanted: dict) -> tuple[int, str]:
        """(row count, URL) of this list filtered by ``wanted``: the count is the one the list shows."""
        filters = self.column_filters_for(wanted)
        _none, query = self.get_list(0, None, False, None, filters, execute=False, page_size=0, eager=False)
        url = url_for(f"{self.endpoint}.index_view", **self.filter_url_args(filters))
        return self.capped_count(query, 0, 0), url

    # --- list rendering ----------------------------------------------------------------------------------
    def _per_page(self, key, build):
        """A value built once per request (links shared by every row of the page)."""
        from flask import g

        cache = g.setdefault("gk_row_links", {})
        if key not in cache:
            cache[key] = build()
        return cache[key]

    def row_link(self, action, return_url):
        """(before id, after id, icon, title) of a row action that is a plain link (查看, 编辑, extra endpoint
        links), built with url_for once per page instead of once per row; None for the others (删除 is a
        form: ``row_link_delete_url``)."""
        from flask_admin.model import template

        def build():
            kind = type(action)
            if kind is template.ViewRowAction:
                spec = (".details_view", "id", {"url": return_url}, "fa fa-eye glyphicon glyphicon-eye-open")
            elif kind is template.EditRowAction:
                spec = (".edit_view", "id", {"url": return_url}, "fa fa-pencil glyphicon glyphicon-pencil")
            elif kind is template.EndpointLinkRowAction:
                spec = (action.endpoint, action.id_arg, dict(action.url_args or {}), action.icon_class)
            else:
                return None
            endpoint, id_arg, args, icon = spec
            before, _, after = self.get_url(endpoint, **{id_arg: "GKROWID", **args}).partition("GKROWID")
            return before, after, icon, action.title or ""

        return self._per_page((self.endpoint, id(action), return_url), build)

    def row_link_delete_url(self) -> str:
        return self._per_page((self.endpoint, "delete"), lambda: self.get_url(".delete_view"))

    # --- bulk actions -------------------------------------------------------------------------------
    def handle_action(self, return_view=None):
        action = request.form.get("action")
        if action not in self._actions_data or not self.is_action_allowed(action):
            abort(403)
        parse_ids(request.form.getlist("rowid"))
        return super().handle_action(return_view)

    @action("delete", "删除所选", "确定删除所选记录吗？此操作不可恢复。")
    def action_delete(self, ids):
        """Delete the ticked rows that are within scope; rows outside it are silently not there."""
        ids = parse_ids(ids)
        rows = []
        for row in self.get_query().filter(self.model.id.in_(ids)).all():
            reason = self.delete_lock_reason(row)
            if reason:
                flash(f"{row}：{reason}", "error")
            else:
                rows.append(row)
        try:
            for row in rows:
                self.on_model_delete(row)
                db.session.delete(row)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported to the user, nothing half-written
            db.session.rollback()
            if not self.handle_view_exception(exc):  # a database error: a Chinese message, never its SQL
                flash("删除失败，没有删除任何记录。", "error")
            return
        flash(f"已删除 {len(rows)} 条记录", "success")

    # --- audited writes -----------------------------------------------------------------------------
    def on_model_change(self, form, model, is_created):
        # Checks query the database; a premature autoflush of the half-built row must not happen.
        with db.session.no_autoflush:
            if reason := archived_lock(model):  # also a new row placed in an archived batch
                raise ValidationError(reason)
            self.before_save(form, model, is_created)
            changes = {} if is_created else _changes(model)
            audit.record(
                "create" if is_created else "update",
                model,
                object_type=self.model.__name__,
                detail=changes or None,
            )

    def before_save(self, form, model, is_created) -> None:
        """Hook for subclasses: set owners, check cross-field rules (raise ValidationError in Chinese)."""

    def on_model_delete(self, model):
        audit.record("delete", model, object_type=self.model.__name__, detail={"repr": str(model)})

    def handle_view_exception(self, exc):
        if isinstance(exc, ValidationError):
            flash(str(exc), "error")
            return True
        return super().handle_view_exception(exc)


def archived_lock(obj) -> str | None:
    """The refusal for a row that is (or belongs to) an archived batch, else None."""
    from admin_app.services.workflow import ARCHIVED

    batch = obj if isinstance(obj, ExamBatch) else getattr(obj, "batch", None)
    if batch is None and getattr(obj, "batch_id", None):
        batch = db.session.get(ExamBatch, obj.batch_id)
    return ARCHIVED if batch is not None and batch.read_only else None


def _changes(model) -> dict:
    """Field -> [old, new] for the columns the form changed (secrets left out)."""
    state = sa_inspect(model)
    changed = {}
    for attr in state.mapper.column_attrs:
        if attr.key in _SECRET_FIELDS:
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            changed[attr.key] = [old, new]
    return changed


def _path_getter(path: str):
    """row -> value of a dotted attribute path ("worker.unit.name"), None-safe."""
    parts = path.split(".")

    def get(row):
        value = row
        for part in parts:
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    return get


def _plain(value):
    """Formatter output as plain text for Excel (Markup stripped to its text)."""
    from markupsafe import Markup

    if isinstance(value, Markup):
        return value.striptags()
    return value


def send_temporary_file(path: str, download_name: str):
    """Send a generated file as an attachment and delete it once the response is closed."""
    from flask import after_this_request, send_file

    @after_this_request
    def _cleanup(response):
        response.call_on_close(lambda: os.path.exists(path) and os.remove(path))
        return response

    return send_file(path, as_attachment=True, download_name=download_name, max_age=0)

"""The base every Flask-Admin view inherits: a short composition of one mixin per concern.

Flask-Admin scopes nothing by itself: ``get_one`` (details, edit, delete, inline edit) and the relation
pickers bypass ``get_query``. The mixins route every one of them through the view's one row scope, so that
a new view is safe by default (see ../shared/FLASK_ADMIN_NOTES.md and STYLE.md):

- ``mixins.access``          who may open the view and each endpoint and bulk action (roles; CSRF is global)
- ``mixins.scope``           the one row scope: list, count, single rows, row locks
- ``mixins.relations``       relation pickers scoped by declaring them (``scoped_relations``)
- ``mixins.batches``         lists of one batch's rows open on the current batch (a removable 批次 condition)
- ``mixins.listing``         lists at scale: capped count, deep pages, prefix search, stable order
- ``mixins.links``           links to this list already filtered; row links built once per page
- ``mixins.export``          导出查询结果, streamed and typed
- ``mixins.audited_writes``  saves and deletes: Chinese messages, archived batches, audit rows
"""

from datetime import date, datetime

from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt

from admin_app.services.clock import format_beijing
from views.input_guard import InputGuardMixin
from views.mixins.access import AccessMixin, RoleGate, current_role
from views.mixins.audited_writes import AuditedWritesMixin
from views.mixins.batches import BatchListMixin
from views.mixins.export import ExportMixin, _path_getter, send_temporary_file
from views.mixins.links import LinksMixin
from views.mixins.listing import COUNT_CAP, PREFIX_SEARCH_COLUMNS, CappedCount, ListingMixin
from views.mixins.relations import ScopedAjaxLoader, ScopedRelationsMixin, every_row, searched
from views.mixins.scope import ScopeMixin, archived_lock, parse_ids

__all__ = [
    "COUNT_CAP",
    "PREFIX_SEARCH_COLUMNS",
    "CappedCount",
    "RoleGate",
    "ScopedAjaxLoader",
    "SecureModelView",
    "_path_getter",
    "archived_lock",
    "current_role",
    "every_row",
    "parse_ids",
    "searched",
    "send_temporary_file",
]

# Timestamps in Beijing time to the minute, dates as YYYY-MM-DD, in every list and detail page.
_TIME_FORMATTERS = {
    datetime: lambda view, value, name: format_beijing(value),
    date: lambda view, value, name: value.isoformat(),
}
# Yes/no as words: Flask-Admin's check icon carries a tooltip with the column's name ("absent: false").
_BOOL_FORMATTER = {bool: lambda view, value, name: "是" if value else "否"}
TYPE_FORMATTERS = {**typefmt.BASE_FORMATTERS, **_TIME_FORMATTERS, **_BOOL_FORMATTER}
DETAIL_TYPE_FORMATTERS = {**typefmt.DETAIL_FORMATTERS, **_TIME_FORMATTERS, **_BOOL_FORMATTER}


class SecureModelView(
    AccessMixin,
    ScopeMixin,
    ScopedRelationsMixin,
    BatchListMixin,
    ListingMixin,
    LinksMixin,
    ExportMixin,
    AuditedWritesMixin,
    InputGuardMixin,
    ModelView,
):
    """Declare ``read_roles`` / ``write_roles``, ``scope_column`` (the unit id column) or ``scope_condition``
    for business data, and ``scoped_relations`` for the form's relation pickers."""

    list_template = "gk/list.html"
    details_template = "gk/details.html"
    can_view_details = True
    column_display_pk = False
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = DETAIL_TYPE_FORMATTERS

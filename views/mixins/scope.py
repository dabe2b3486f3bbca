"""The one row scope: every way Flask-Admin reaches rows goes through ``scope_query``.

Flask-Admin scopes only its list (``get_query``): ``get_one`` (details, edit, delete, inline edit) reads
any row by id and the count query ignores the list's query (FLASK_ADMIN_NOTES "Row scope"). Here the list,
its count, every single row and the bulk actions' rows (``get_query``) are restricted by the same condition,
like Django admin's ``get_queryset``, so a new view is safe by default. Relation pickers: ``relations``.
"""

from flask import abort, flash, redirect, request
from flask_login import current_user

from admin_app.extensions import db
from admin_app.request_guard import BadInput, parse_pk
from admin_app.services.scope import owned_by_visible_unit
from models import ExamBatch

# Endpoints that change the row they open: a locked row sends them back to its details page.
_WRITING_ENDPOINTS = ("edit_view", "delete_view", "ajax_update")


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


def archived_lock(obj) -> str | None:
    """The refusal for a row that is (or belongs to) an archived batch, else None."""
    from admin_app.workflow.engine import ARCHIVED

    batch = obj if isinstance(obj, ExamBatch) else getattr(obj, "batch", None)
    if batch is None and getattr(obj, "batch_id", None):
        batch = db.session.get(ExamBatch, obj.batch_id)
    return ARCHIVED if batch is not None and batch.read_only else None


class ScopeMixin:
    """Declare ``scope_column`` (the model column holding the owning unit's id) or override
    ``scope_condition``; override ``row_lock_reason`` / ``delete_lock_reason`` for rows that exist but may
    not change now."""

    # Name of the model column holding the owning unit's id; None: not unit-scoped (admin dictionaries).
    scope_column: str | None = None

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

    def get_query(self):
        return self.scope_query(super().get_query())

    def get_count_query(self):
        return self.scope_query(super().get_count_query())

    def get_one(self, id):
        """A row by id, only within scope; anything else (not a number, beyond any id) is 404 (details, edit,
        delete, inline edit). A locked row is not opened for writing: its details page says why."""
        pk = parse_pk(id)
        if pk is None:
            abort(404)
        obj = self.get_query().filter(self.model.id == pk).one_or_none()
        if obj is None:
            abort(404)
        endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
        if endpoint in _WRITING_ENDPOINTS:
            reason = self.delete_lock_reason(obj) if endpoint == "delete_view" else self.row_lock_reason(obj)
            if reason:
                flash(reason, "error")
                abort(redirect(self.get_url(".details_view", id=obj.id)))
        return obj

    def row_lock_reason(self, obj) -> str | None:
        """Why this row may not be edited or deleted now (e.g. already submitted); None if it may.
        Subclasses extend it; the base refuses every row of an archived batch (read-only for everyone)."""
        return archived_lock(obj)

    def delete_lock_reason(self, obj) -> str | None:
        """Why this row may not be deleted (history refers to it); by default the edit lock."""
        return self.row_lock_reason(obj)

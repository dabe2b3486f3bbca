"""Bulk operations for any list: on ticked rows (Flask-Admin actions) or on all rows matching the current
组合查询, through one confirmation page (count, opinion, extra fields) and one result page (done / refused
with reasons). A view declares its ``bulk_operations``; the workflow functions do the work."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_login import current_user

from admin_app.services.validators import InvalidInput
from views.base import parse_ids

BULK_LIMIT = 20000  # "all matching the filter" works on at most this many rows at once
DONE_SHOWN = 200  # the result page names this many of the rows done (every refused row is always named)


@dataclass(frozen=True)
class BulkOperation:
    name: str
    label: str
    roles: frozenset
    run: object  # callable(user, ids, form) -> workflow.BulkResult
    confirm_page: bool = True  # False: ticked rows run at once (Flask-Admin's own confirm dialog is enough)
    opinion: str | None = None  # label of the opinion box, if any
    requires_opinion: bool = False
    fields_template: str | None = None  # extra inputs on the confirmation page
    style: str = "primary"
    confirmation: str | None = None  # text of Flask-Admin's dialog for ticked rows
    extra: dict = field(default_factory=dict)


class BulkWorkflowMixin:
    bulk_operations: tuple = ()
    confirm_name_label = "姓名"  # heading of the name column of ``confirm_rows`` on the confirmation page

    def allowed_operations(self) -> list[BulkOperation]:
        return self.allowed_operations_for(current_user.role if current_user.is_authenticated else None)

    def allowed_operations_for(self, role) -> list[BulkOperation]:
        return [op for op in self.bulk_operations if role in op.roles]

    def _operation(self, name) -> BulkOperation | None:
        return next((op for op in self.allowed_operations() if op.name == name), None)

    # Flask-Admin collects actions from decorated methods; ours are declared as data instead.
    def init_actions(self):
        super().init_actions()
        for op in self.bulk_operations:
            self._actions.append((op.name, op.label))
            self._actions_data[op.name] = (self._action_handler(op), op.label, op.confirmation)

    def _action_handler(self, op):
        def handler(ids):
            ids = parse_ids(ids)
            if op.confirm_page:
                return self._confirm(op, ids)
            return self._show_result(op, op.run(current_user, ids, request.form))

        return handler

    def is_action_allowed_for(self, name: str, role) -> bool:
        if any(op.name == name for op in self.bulk_operations):
            return any(op.name == name for op in self.allowed_operations_for(role))
        return super().is_action_allowed_for(name, role)

    def matching_ids(self) -> list[int]:
        """Ids of the rows of the current 组合查询 (filters, search; scope applied), in list order."""
        query, _view_args = self.filtered_query(eager=False)
        return [pk for (pk,) in query.with_entities(self.model.id).limit(BULK_LIMIT + 1)]

    @expose("/bulk/", methods=("GET",))
    def bulk_view(self):
        """Confirmation page for an operation on every row matching the current filter."""
        op = self._operation(request.args.get("op"))
        if op is None:
            abort(403)
        return self._confirm(op, self.matching_ids(), all_matching=True)

    @expose("/decide/", methods=("POST",))
    def decide_view(self):
        """Carry out an operation on ticked rows (rowid) or on all rows matching the filter."""
        op = self._operation(request.form.get("op"))
        if op is None:
            abort(403)
        all_matching = request.form.get("all_matching") == "1"
        ids = self.matching_ids() if all_matching else parse_ids(request.form.getlist("rowid"))
        if len(ids) > BULK_LIMIT:
            flash(f"一次最多处理{BULK_LIMIT}条，请缩小筛选范围", "error")
            return redirect(self.get_url(".index_view"))
        if not ids:
            flash("没有选中任何记录", "warning")
            return redirect(self.get_url(".index_view"))
        try:
            result = op.run(current_user, ids, request.form)
        except InvalidInput as exc:
            flash(str(exc), "error")
            return self._confirm(op, ids, all_matching=all_matching)
        return self._show_result(op, result)

    def confirm_rows(self, ids):
        """(id, name, status label) of up to 200 of the rows, for the confirmation page."""
        raise NotImplementedError

    def _confirm(self, op, ids, all_matching=False):
        return self.render(
            "gk/bulk_confirm.html",
            op=op,
            ids=ids,
            rows=self.confirm_rows(ids[:200]) if ids else [],
            total=len(ids),
            too_many=len(ids) > BULK_LIMIT,
            all_matching=all_matching,
            query_string=request.query_string.decode() if all_matching else "",
            form_values=request.form,
        )

    def _show_result(self, op, result):
        """The result page, from ``result`` alone. The work is committed by now: if the database goes away
        while the page is drawn (menus, badges), the same result is shown on a page that needs no query —
        never the 503 that says nothing was saved."""
        try:
            return self.render("gk/bulk_result.html", result=result, op_label=op.label, shown=DONE_SHOWN)
        except sa.exc.DBAPIError:
            from flask import render_template

            from admin_app.extensions import db

            db.session.rollback()
            return render_template(
                "gk/bulk_result_plain.html",
                result=result,
                op_label=op.label,
                shown=DONE_SHOWN,
                get_url=self.get_url,
            )


def name_rows(model, ids, scope, column, labels) -> list[tuple]:
    """For ``confirm_rows``: (id, worker name, label of ``column``) of rows of ``model`` within scope."""
    from admin_app.extensions import db
    from models import Worker

    rows = db.session.execute(
        sa.select(model.id, Worker.name, column.label("state"))
        .join(Worker, Worker.id == model.worker_id)
        .where(model.id.in_(ids), scope)
    ).all()
    return [(r.id, r.name, labels.get(r.state, r.state or "")) for r in rows]

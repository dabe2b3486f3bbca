"""Operations of a list, built from the workflow table: on ticked rows (Flask-Admin actions), on all rows
matching the current 组合查询 (the rows the confirmation page showed, pinned: views/bulk_pinned.py), or on one
row from its details page, through one confirmation page (count, opinion, extra fields) and one result page
(done / refused with reasons).

A view names its machine (``workflow_machine = "registration"``) and, optionally, which of its transitions it
offers (``workflow_operations``), the template of a transition's extra inputs (``bulk_fields``), a use case
that parses its inputs (``bulk_runs``, e.g. the committee vote) and the page of a transition that has a form of
its own (``transition_links``, e.g. 报名 → the 报名表). Label, roles, opinion (label, required, limit), style and
confirmation question come from the :class:`~admin_app.workflow.table.Transition`; nothing is restated here.
"""

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request
from flask_admin import expose
from flask_admin.model.template import EndpointLinkRowAction
from flask_login import current_user

from admin_app import limits, workflow
from admin_app.services.validators import InvalidInput
from admin_app.workflow.table import Transition
from views.actor import current_actor
from views.base import current_role, parse_ids
from views.bulk_pinned import PinnedBulkMixin

BULK_LIMIT = limits.BULK  # "all matching the filter" works on at most this many rows at once
# The result page names this many of the rows done (every refused row is named).
DONE_SHOWN = limits.DONE_SHOWN


@dataclass(frozen=True)
class BulkOperation:
    """One operation of a list. Made from a transition with :meth:`of`; ``run(actor, ids, form)`` returns
    the :class:`~admin_app.workflow.engine.BulkResult`."""

    name: str
    label: str
    roles: frozenset
    run: Callable
    confirm_page: bool = True  # False: ticked rows run at once (after ``confirmation``, Flask-Admin's dialog)
    opinion: str | None = None  # label of the opinion box, if any
    requires_opinion: bool = False
    opinion_limit: int = limits.OPINION
    fields_template: str | None = None  # extra inputs on the confirmation page
    style: str = "primary"
    confirmation: str | None = None  # text of Flask-Admin's dialog for ticked rows
    transition: Transition | None = None

    @classmethod
    def of(cls, t: Transition, run: Callable | None = None, fields_template: str | None = None):
        """The operation of transition ``t``; by default it runs ``engine.apply`` with the opinion and the
        form fields ``t.inputs`` names. ``run`` replaces that where a stage parses its inputs itself."""
        return cls(
            name=t.name,
            label=t.label,
            roles=t.roles,
            run=run or _applier(t),
            confirm_page=t.confirmation is None,
            opinion=t.opinion.label if t.opinion else None,
            requires_opinion=bool(t.opinion and t.opinion.required),
            opinion_limit=t.opinion.limit if t.opinion else limits.OPINION,
            fields_template=fields_template,
            style=t.style,
            confirmation=t.confirmation,
            transition=t,
        )

    @property
    def needs_page(self) -> bool:
        """Whether a single row needs the confirmation page (extra inputs) before it can run."""
        return bool(self.fields_template or (self.transition and self.transition.inputs))


class TransitionRowAction(EndpointLinkRowAction):
    """A row icon opening the form of a transition (报名 → the 报名表, 录入成绩): titled with the transition's
    label, drawn only for its roles and on rows in one of its source states (``gk/list.html`` asks
    :meth:`open_on`; the target page checks everything again)."""

    def __init__(self, icon_class: str, endpoint: str, transition: Transition):
        super().__init__(icon_class, endpoint, title=transition.label)
        self.transition = transition

    def open_on(self, row) -> bool:
        t = self.transition
        return current_role() in t.roles and getattr(row, t.machine.field) in t.sources


def _applier(t: Transition) -> Callable:
    def run(actor, ids, form):
        inputs = {name: form.get(name) for name in t.inputs}
        if t.opinion:
            inputs["opinion"] = form.get("opinion")
        return workflow.apply(actor, t, ids, **inputs)

    return run


def operations_of(machine: str, names=None, fields=None, runs=None) -> tuple:
    """The list operations of ``machine``: its ``bulk`` transitions (or those named, in that order)."""
    fields, runs = fields or {}, runs or {}
    table = {t.name: t for t in workflow.transitions_of(machine)}
    chosen = [table[n] for n in names] if names is not None else [t for t in table.values() if t.bulk]
    return tuple(BulkOperation.of(t, runs.get(t.name), fields.get(t.name)) for t in chosen)


class BulkWorkflowMixin(PinnedBulkMixin):
    workflow_machine: str | None = None  # the machine whose transitions this list offers
    workflow_operations: tuple | None = None  # names of the transitions offered (None: every bulk one)
    bulk_fields: dict = {}  # transition name -> template of its extra inputs on the confirmation page
    bulk_runs: dict = {}  # transition name -> callable(actor, ids, form), where a use case parses inputs
    transition_links: dict = {}  # transition name -> endpoint of its own form (a link on the details page)
    confirm_name_label = "姓名"  # heading of the name column of ``confirm_rows`` on the confirmation page

    @property
    def bulk_operations(self) -> tuple:
        """The operations of this list, from the table: those some reader of the list may take (built once
        per view; 待我审核 offers the reviewers' decisions, not the unit's 提交审核)."""
        ops = self.__dict__.get("_bulk_operations")
        if ops is None:
            ops = ()
            if self.workflow_machine:
                ops = operations_of(
                    self.workflow_machine, self.workflow_operations, self.bulk_fields, self.bulk_runs
                )
                ops = tuple(op for op in ops if op.roles & self.read_roles)
            self.__dict__["_bulk_operations"] = ops
        return ops

    def allowed_operations(self) -> list[BulkOperation]:
        return self.allowed_operations_for(current_role())

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
            return self._show_result(op, op.run(current_actor(), ids, request.form))

        return handler

    def is_action_allowed_for(self, name: str, role) -> bool:
        if any(op.name == name for op in self.bulk_operations):
            return any(op.name == name for op in self.allowed_operations_for(role))
        return super().is_action_allowed_for(name, role)

    def matching_ids(self) -> list[int]:
        """Ids of the rows of the current 组合查询 (filters, search; scope applied), in list order."""
        query, _view_args = self.filtered_query(eager=False)
        return [pk for (pk,) in query.with_entities(self.model.id).limit(BULK_LIMIT + 1)]

    # --- the buttons of one row (details page) ------------------------------------------------------
    def row_operations(self, row) -> dict:
        """What the current user may do on ``row`` now, from ``workflow.available_transitions``: ``plain``
        operations post from the details page as they are, ``opined`` ones share one opinion box, ``paged``
        ones go through the confirmation page (extra inputs), ``links`` open a transition's own form."""
        found = {"plain": [], "opined": [], "paged": [], "links": [], "opinion": None}
        if not self.workflow_machine or not current_user.is_authenticated:
            return found
        actor = current_actor()
        open_now = {t.name for t in workflow.available_transitions(actor, self.workflow_machine, row.id)}
        for op in self.allowed_operations():
            if op.name in open_now:
                kind = "paged" if op.needs_page else "opined" if op.opinion else "plain"
                found[kind].append(op)
        for t in workflow.transitions_of(self.workflow_machine):
            if t.name in open_now and t.name in self.transition_links:
                found["links"].append((t.label, self.get_url(self.transition_links[t.name], id=row.id)))
        found["opinion"] = _opinion_box(found["opined"])
        return found

    # --- pages -----------------------------------------------------------------------------------------
    @expose("/bulk/", methods=("GET",))
    def bulk_view(self):
        """Confirmation page for an operation on every row matching the current filter: the rows it shows are
        pinned, and its 确认 decides those (views/bulk_pinned.py)."""
        op = self._operation(request.args.get("op"))
        if op is None:
            abort(403)
        return self.confirm_pinned(op, self.matching_ids())

    @expose("/decide/", methods=("POST",))
    def decide_view(self):
        """Carry out an operation on ticked rows (rowid) or on the rows a confirmation page pinned (pin)."""
        op = self._operation(request.form.get("op"))
        if op is None:
            abort(403)
        if request.form.get("pin"):
            return self.decide_pinned(op)
        ids = parse_ids(request.form.getlist("rowid"))
        if len(ids) > BULK_LIMIT:
            flash(f"一次最多处理{BULK_LIMIT}条，请缩小筛选范围", "error")
            return redirect(self.get_url(".index_view"))
        if not ids:
            flash("没有选中任何记录", "warning")
            return redirect(self.get_url(".index_view"))
        try:
            result = op.run(current_actor(), ids, request.form)
        except InvalidInput as exc:
            flash(str(exc), "error")
            return self._confirm(op, ids)
        return self._show_result(op, result)

    def confirm_rows(self, ids):
        """(id, name, status label) of up to 200 of the rows, for the confirmation page."""
        raise NotImplementedError

    def _confirm(self, op, ids, all_matching=False, pin=None):
        return self.render(
            "gk/bulk_confirm.html",
            op=op,
            ids=ids,
            rows=self.confirm_rows(ids[: limits.CONFIRM_SHOWN]) if ids else [],
            total=len(ids),
            too_many=len(ids) > BULK_LIMIT,
            all_matching=all_matching,
            pin=pin,
            in_background=len(ids) > current_app.config["BULK_JOB_ROWS"],
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


def _opinion_box(ops) -> dict | None:
    """The one opinion box of a details page's decisions that take an opinion: the label of the first,
    which of them require it (审核意见（审核不通过时必填）), the largest limit."""
    if not ops:
        return None
    required = [op.label for op in ops if op.requires_opinion]
    label = ops[0].opinion
    if required and len(required) == len(ops):
        label += "（必填）"
    elif required:
        label += f"（{'、'.join(required)}时必填）"
    return {"label": label, "limit": max(op.opinion_limit for op in ops)}


def history_labels(*machines: str) -> dict:
    """{audit action: label} of the machines' transitions, for a row's 办理记录 (the first transition that
    writes an action names it: 报名, not 导入报名, which is audited as a 报名 too)."""
    labels: dict = {}
    for machine in machines:
        for t in workflow.transitions_of(machine):
            labels.setdefault(t.audit_action or t.name, t.label)
            for action, label in t.audit_labels:
                labels.setdefault(action, label)
    return labels


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

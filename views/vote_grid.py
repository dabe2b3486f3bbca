"""考核评审's vote grid (附表2): 市工考办 records each candidate's own committee vote — 应到, 实到, 同意, 不同意,
弃权 per row — for the 待评审 rows of the list's current 组合查询, a page at a time, or for one row from its
details page. The vote decides each row (``workflow.evaluation.record_votes``); a save is all or nothing,
every problem shown at its row and cells, every input kept. Rows left blank are not touched."""

import sqlalchemy as sa
from flask import flash, redirect, request
from flask_admin import expose
from werkzeug.datastructures import MultiDict

from admin_app import limits, workflow
from admin_app.extensions import db
from admin_app.workflow import evaluation
from admin_app.workflow.states import EvaluationState
from models import Registration, enums
from views.actor import current_actor
from views.base import current_role, parse_ids

GRID_PAGE = "grid_page"  # the grid's own page argument (the list's ``page`` counts pages of its own size)


def _grid_page() -> int:
    raw = request.args.get(GRID_PAGE, "0")
    return int(raw) if raw.isdigit() and len(raw) < 6 else 0


class VoteGridMixin:
    """For the 考核评审 list (a ``SecureModelView`` over ``Registration`` with ``BulkWorkflowMixin``)."""

    vote_transition = evaluation.EVALUATE

    def may_record_votes(self) -> bool:
        return current_role() in self.vote_transition.roles

    def _pending_ids(self) -> list[int]:
        """Ids of the 待评审 rows of the current 组合查询 (scope applied), in list order."""
        query, _view_args = self.filtered_query(eager=False)
        query = query.filter(Registration.evaluation_status == EvaluationState.PENDING)
        return [pk for (pk,) in query.with_entities(Registration.id).limit(limits.BULK + 1)]

    def _rows(self, ids: list[int]) -> list:
        """The rows of ``ids`` the user may see (scoped), in the order of ``ids``, with what the grid shows."""
        if not ids:
            return []
        query = self.get_query().filter(Registration.id.in_(ids))
        query = query.options(
            sa.orm.joinedload(Registration.worker),
            sa.orm.joinedload(Registration.unit),
            sa.orm.joinedload(Registration.applied_trade),
            sa.orm.joinedload(Registration.batch),
        )
        found = {row.id: row for row in query}
        return [found[i] for i in ids if i in found]

    def _save(self, ids: list[int], rows: list):
        """Record the tallies typed for ``ids``; a redirect when saved, else the problems per row."""
        entries = [
            evaluation.VoteEntry(i, *(request.form.get(f"{field}-{i}") for field in evaluation.VOTE_FIELDS))
            for i in ids
        ]
        filled = [entry for entry in entries if not entry.is_blank()]
        if not filled:
            flash("没有填写任何人的表决结果，未保存", "warning")
            return None, {}
        problems = workflow.record_votes(current_actor(), filled)
        if problems:
            flash(f"有 {len(problems)} 行需要修改，全部未保存", "error")
            shown = {row.id for row in rows}
            for row_id, row_problems in problems.items():
                if row_id not in shown:  # not the user's to see (or gone): named by its number only
                    flash(f"编号 {row_id}：{'；'.join(p.message for p in row_problems)}", "error")
            return None, problems
        outcomes = list(
            db.session.scalars(
                sa.select(Registration.evaluation_status).where(
                    Registration.id.in_([entry.registration_id for entry in filled])
                )
            )
        )
        passed = outcomes.count(EvaluationState.PASSED)
        flash(
            f"已保存 {len(filled)} 人的评审表决：评审通过 {passed} 人，评审未通过 {len(filled) - passed} 人",
            "success",
        )
        return True, {}

    def _render_grid(self, rows, problems, single, page=0, total=0):
        batches = {row.batch_id: row.batch for row in rows}
        return self.render(
            "gk/vote_grid.html",
            rows=rows,
            problems={row_id: _cells(found) for row_id, found in problems.items()},
            single=single,
            page=page,
            total=total,
            page_size=limits.GRID,
            page_arg=GRID_PAGE,
            batches=[batches[key] for key in sorted(batches)],
            fields=[(field, evaluation.FIELD_LABELS[field]) for field in evaluation.VOTE_FIELDS],
            form_values=request.form if request.method == "POST" else MultiDict(),
            grade_label=enums.grade_label,
            committee_max=limits.COMMITTEE,
        )

    @expose("/votes/", methods=("GET", "POST"))
    def vote_grid_view(self):
        """The grid over the 待评审 rows of the current filter (``limits.GRID`` a page)."""
        if request.method == "POST":
            ids = parse_ids(request.form.getlist("row"))
            if len(ids) > limits.GRID:
                flash(f"一次最多保存 {limits.GRID} 行，全部未保存", "error")
                return redirect(request.full_path)
            rows = self._rows(ids)
            saved, problems = self._save(ids, rows)
            if saved:
                args = request.args.to_dict(flat=False)
                args.pop(GRID_PAGE, None)
                return redirect(self.get_url(".index_view", **args))
            return self._render_grid(rows, problems, single=False)
        pending = self._pending_ids()
        page = _grid_page()
        ids = pending[page * limits.GRID : (page + 1) * limits.GRID]
        return self._render_grid(self._rows(ids), {}, single=False, page=page, total=len(pending))

    @expose("/vote/", methods=("GET", "POST"))
    def vote_view(self):
        """One row's tally, from its details page or its row icon."""
        row = self.get_one(request.args.get("id"))
        if request.method == "GET" and row.evaluation_status != EvaluationState.PENDING:
            state = EvaluationState.label_of(row.evaluation_status)
            flash(f"当前状态为“{state}”，不能{self.vote_transition.label}", "warning")
            return redirect(self.get_url(".details_view", id=row.id))
        problems = {}
        if request.method == "POST":
            saved, problems = self._save([row.id], [row])
            if saved:
                return redirect(self.get_url(".details_view", id=row.id))
        return self._render_grid([row], problems, single=True)


def _cells(problems) -> dict:
    """{"messages": [...], "cells": {field, …}} of one row, for the template."""
    return {
        "messages": [p.message for p in problems],
        "cells": {cell for p in problems for cell in p.cells},
    }

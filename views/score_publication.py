"""成绩发布: where the 市职鉴中心 publishes scores (per batch or per exam session), and how every registration list
keeps them from units and bureaus until then (``services.score_visibility``)."""

from dataclasses import replace

import sqlalchemy as sa
from flask import flash, redirect, request
from flask_admin import BaseView, expose
from flask_login import current_user
from jinja2 import pass_context

from admin_app import workflow
from admin_app.extensions import db
from admin_app.request_guard import parse_pk
from admin_app.services import score_visibility as visibility
from admin_app.services.validators import InvalidInput
from admin_app.workflow.publication import PUBLISH
from admin_app.workflow.states import BatchState, RegistrationState, ScorePublication
from models import ExamBatch, ExamSession, PublicationTally, Registration, SeatAssignment
from models.statistics import NO_TEXT
from views.actor import current_actor
from views.base import RoleGate

BATCHES_SHOWN = 5  # the latest batches with 已报名 candidates on the page
REFUSED_SHOWN = 50  # refused rows listed per reason on the result page


class ScoreVisibilityMixin:
    """For the lists of registrations: units and bureaus see a row's scores and results only once published.

    - columns and details show ``未发布`` (成绩结果) or nothing for an unpublished row; its 办理记录 keeps only the
      steps of 考试报名;
    - a filter on a score column (成绩结果, 缺考 …) lists published rows only; a sort on one is not offered and
      is ignored when asked for (the order would tell the scores), in the list and in its export;
    - 导出查询结果 writes those cells empty;
    - ``results_stage`` lists (考核评审, 资格认定: a row exists there only because the scores passed) list
      published rows only; there filters and sorts are safe as they are.
    """

    results_stage = False

    def hides_unpublished(self) -> bool:
        return not visibility.sees_unpublished(current_user)

    def scope_condition(self):
        condition = super().scope_condition()
        shown = visibility.visible_condition(current_user) if self.results_stage else None
        if shown is None:
            return condition
        return shown if condition is None else condition & shown

    def _guarded(self, name) -> bool:
        """Whether column ``name`` is kept from the current user on unpublished rows of this list."""
        return not self.results_stage and visibility.is_result_column(name) and self.hides_unpublished()

    def results_hidden(self, model) -> bool:
        """Whether the current user may not see ``model``'s scores and results yet."""
        return not visibility.shows(current_user, model)

    def _hidden_value(self, model, name):
        if visibility.is_result_column(name) and not visibility.shows(current_user, model):
            return visibility.UNPUBLISHED if name == "score_result" else ""
        return None

    @pass_context
    def get_list_value(self, context, model, name):
        hidden = self._hidden_value(model, name)
        return super().get_list_value(context, model, name) if hidden is None else hidden

    @pass_context
    def get_detail_value(self, context, model, name):
        hidden = self._hidden_value(model, name)
        return super().get_detail_value(context, model, name) if hidden is None else hidden

    # --- sorts and filters ---------------------------------------------------------------------------------
    def is_sortable(self, name) -> bool:
        return not self._guarded(name) and super().is_sortable(name)

    def _get_column_by_idx(self, idx):
        """The sort column asked for (list, export, "all matching"): none for a guarded score column."""
        column = super()._get_column_by_idx(idx)
        if column is not None and isinstance(column[0], str) and self._guarded(column[0]):
            return None
        return column

    def _apply_filters(self, query, count_query, joins, count_joins, filters):
        query, count_query, joins, count_joins = super()._apply_filters(
            query, count_query, joins, count_joins, filters
        )
        if any(self._guarded(self._filter_column_name(index)) for index, _name, _value in filters):
            query = query.filter(visibility.published())
            if count_query is not None:
                count_query = count_query.filter(visibility.published())
        return query, count_query, joins, count_joins

    def _filter_column_name(self, index) -> str:
        flt = self._filters[index] if 0 <= index < len(self._filters or ()) else None
        column = getattr(flt, "column", None)
        if getattr(column, "table", None) is not Registration.__table__:
            return ""
        return getattr(column, "key", "") or ""

    # --- export --------------------------------------------------------------------------------------------
    def export_expression(self, name, column):
        column = super().export_expression(name, column)
        return visibility.shown_expression(current_user, column) if self._guarded(name) else column

    def export_columns(self) -> list:
        columns = super().export_columns()
        names = [name for name, _label in self.get_list_columns()]
        return [
            replace(column, value=_published_only(column.value)) if self._guarded(name) else column
            for name, column in zip(names, columns, strict=True)
        ]

    # --- 办理记录 --------------------------------------------------------------------------------------------
    def render(self, template, **kwargs):
        model = kwargs.get("model")
        history = kwargs.get("history")
        if history is not None and model is not None and not visibility.shows(current_user, model):
            kept = {t.audit_action or t.name for t in workflow.transitions_of("registration")}
            kwargs["history"] = [h for h in history if h.action in kept]
        return super().render(template, **kwargs)


def _published_only(value):
    """An export cell's getter that writes nothing for a row whose scores are not published (read while the
    workbook streams: the row's own column, not the request)."""
    return lambda row: value(row) if row.score_publication == ScorePublication.PUBLISHED else None


# --- the 成绩发布 page ------------------------------------------------------------------------------------
def _batch_counts(batch_ids) -> dict:
    """{batch id: (已报名, 已录入, 已发布, 待发布)} of the 已报名 registrations of each batch, from
    ``publication_tally`` (kept exact by the registration triggers: a few rows per batch, whatever its size)."""
    t = PublicationTally
    entered, published = t.score_result != NO_TEXT, t.score_publication != NO_TEXT
    total = sa.func.sum(t.n)
    rows = db.session.execute(
        sa.select(
            t.batch_id,
            total,
            sa.func.coalesce(total.filter(entered), 0),
            sa.func.coalesce(total.filter(published), 0),
            sa.func.coalesce(total.filter(entered, ~published), 0),
        )
        .where(t.batch_id.in_(batch_ids), t.status == RegistrationState.REGISTERED)
        .group_by(t.batch_id)
        .having(total > 0)
    ).all()
    return {row[0]: tuple(int(n) for n in row[1:]) for row in rows}


class ScorePublicationView(RoleGate, BaseView):
    """成绩发布 (市职鉴中心): the latest batches and their exam sessions, how many candidates' scores are entered,
    published and waiting, and a button per batch and per session."""

    read_roles = PUBLISH.roles

    @expose("/")
    def index(self):
        batches = db.session.scalars(
            sa.select(ExamBatch)
            .where(
                sa.exists().where(
                    Registration.batch_id == ExamBatch.id,
                    Registration.status == RegistrationState.REGISTERED,
                )
            )
            .order_by(ExamBatch.year.desc())
            .limit(BATCHES_SHOWN)
        ).all()
        ids = [b.id for b in batches]
        sessions = db.session.scalars(
            sa.select(ExamSession)
            .where(ExamSession.batch_id.in_(ids))
            .order_by(ExamSession.exam_date, ExamSession.start_time, ExamSession.id)
        ).all()
        return self.render(
            "gk/score_publication.html",
            batches=batches,
            batch_counts=_batch_counts(ids),
            sessions=sessions,
            session_counts=_session_counts([s.id for s in sessions]),
            archived=BatchState.ARCHIVED,
        )

    @expose("/publish/", methods=("POST",))
    def publish_view(self):
        batch_id = parse_pk(request.form.get("batch", ""))
        session_id = parse_pk(request.form.get("session", ""))
        try:
            if session_id is not None:
                publication = workflow.publish_session(current_actor(), session_id)
            elif batch_id is not None:
                publication = workflow.publish_batch(current_actor(), batch_id)
            else:
                raise InvalidInput("请选择要发布成绩的考核批次或考试场次")
        except InvalidInput as exc:
            flash(str(exc), "error")
            return redirect(self.get_url(".index"))
        refused: dict = {}
        for row_id, label, reason in publication.result.refused:
            shown = refused.setdefault(reason, [])
            if len(shown) < REFUSED_SHOWN:
                shown.append((row_id, label))
        return self.render(
            "gk/score_publication_result.html",
            publication=publication,
            refused=refused,
            shown=REFUSED_SHOWN,
        )


def _session_counts(session_ids) -> dict:
    """{session id: (已报名, 已录入, 已发布, 待发布)} of the candidates seated in each session."""
    if not session_ids:
        return {}
    r = Registration
    rows = db.session.execute(
        sa.select(
            SeatAssignment.session_id,
            sa.func.count(),
            sa.func.count(r.score_result),
            sa.func.count(r.score_publication),
            sa.func.count().filter(r.score_result.is_not(None), r.score_publication.is_(None)),
        )
        .select_from(SeatAssignment)
        .join(r, r.id == SeatAssignment.registration_id)
        .where(SeatAssignment.session_id.in_(session_ids), r.status == RegistrationState.REGISTERED)
        .group_by(SeatAssignment.session_id)
    ).all()
    return {row[0]: tuple(row[1:]) for row in rows}
